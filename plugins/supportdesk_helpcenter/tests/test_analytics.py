"""Help analytics for staff: top queries, queries without result, searches followed by a case,
least helpful articles, per period, each with its chart."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import utcnow
from supportdesk.tickets import open_ticket
from supportdesk_helpcenter import analytics, articles
from supportdesk_helpcenter.models import HelpSearch


def search_as(client, query: str, lang: str = "en") -> None:
    assert client.get("/help/search", query_string={"q": query, "lang": lang}).status_code == 200


def table(html: str, heading_id: str) -> list[list[str]]:
    """The rows of the table under the section ``heading_id``, as cell texts."""
    section = html.split(f'id="{heading_id}"', 1)[1].split("</section>", 1)[0]
    body = section.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in section else ""
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def test_the_searches_sellers_made(client, login, seller, other_seller, agent, library):
    search_as(client, "refund")  # anonymous
    login(client, seller)
    search_as(client, "REFUND")
    search_as(client, "wibblefrotz")
    search_as(client, "colis", "fr")
    login(client, other_seller)
    search_as(client, "wibblefrotz")
    search_as(client, "refund")
    top = analytics.top_queries(30)[0]
    assert (top.query.lower(), top.locale, top.searches) == ("refund", "en", 3)  # one query
    assert analytics.queries_without_results(30) == [analytics.QueryCount("wibblefrotz", "en", 2)]

    login(client, agent)
    html = client.get("/help/analytics").get_data(as_text=True)
    assert table(html, "help-top")[0] == [top.query, "English", "3"]
    assert ["colis", "French", "1"] in table(html, "help-top")
    assert table(html, "help-empty") == [["wibblefrotz", "English", "2"]]
    assert table(html, "help-failed") == []
    assert "No searches in this period." in html.split('id="help-failed"', 1)[1]


def test_a_case_filed_after_searching_marks_the_searches(
    client, login, seller, other_seller, library, agent
):
    login(client, seller)
    search_as(client, "tracking number")
    search_as(client, "refund")
    login(client, other_seller)
    search_as(client, "refund")
    open_ticket(seller=seller, type_key="contact", subject="Parcel", body="Where is it?")
    rows = db.session.scalars(sa.select(HelpSearch).order_by(HelpSearch.id)).all()
    assert [r.followed_by_case for r in rows] == [True, True, False]

    login(client, agent)
    html = client.get("/help/analytics").get_data(as_text=True)
    failed = table(html, "help-failed")
    assert sorted(failed) == [["refund", "English", "1"], ["tracking number", "English", "1"]]


def test_the_period_selector(client, login, seller, agent, library):
    login(client, seller)
    search_as(client, "refund")
    search_as(client, "seller fees")
    old = db.session.scalar(sa.select(HelpSearch).where(HelpSearch.query == "seller fees"))
    old.created_at = utcnow() - timedelta(days=20)
    db.session.commit()
    login(client, agent)
    week = client.get("/help/analytics?days=7").get_data(as_text=True)
    assert [row[0] for row in table(week, "help-top")] == ["refund"]
    month = client.get("/help/analytics?days=30").get_data(as_text=True)
    assert sorted(row[0] for row in table(month, "help-top")) == ["refund", "seller fees"]
    assert 'href="/help/analytics?days=30" aria-current="page"' in month
    odd = client.get("/help/analytics?days=12345")  # not a period offered: the default
    assert 'href="/help/analytics?days=30" aria-current="page"' in odd.get_data(as_text=True)


def test_least_helpful_articles_need_enough_votes(client, login, agent, library):
    fees, shipping, refunds = library["fees_en"], library["shipping_en"], library["refunds_en"]
    for helpful in [False] * 4 + [True] * 2:
        articles.record_vote(fees, helpful)
    for helpful in [False] * 3 + [True] * 7:
        articles.record_vote(shipping, helpful)
    for helpful in [False] * 3:  # too few votes to mean anything
        articles.record_vote(refunds, helpful)
    ranked = analytics.least_helpful()
    assert [(a.slug, a.yes, a.no) for a in ranked] == [
        ("seller-fees", 2, 4),
        ("ship-an-order", 7, 3),
    ]

    login(client, agent)
    html = client.get("/help/analytics").get_data(as_text=True)
    rows = table(html, "help-unhelpful")
    assert rows[0][:4] == ["Seller fees", "English", "2", "4"]
    assert rows[0][4].replace("\xa0", "") == "67%"
    assert len(rows) == 2


def test_each_summary_has_an_accessible_chart(client, login, seller, agent, library):
    login(client, seller)
    search_as(client, "<script>alert(1)</script> refund")
    login(client, agent)
    html = client.get("/help/analytics").get_data(as_text=True)
    charts = re.findall(r"<svg[^>]*>.*?</svg>", html, re.S)
    assert len(charts) == 4
    for chart in charts:
        assert 'role="img"' in chart and "<title" in chart
        assert "<script" not in chart and "style=" not in chart
    assert "&lt;script&gt;alert(1)&lt;/script&gt; refund" in html
