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
    assert sorted(analytics.queries_followed_by_case(30), key=lambda q: q.query) == [
        analytics.QueryCount("refund", "en", 1),
        analytics.QueryCount("tracking number", "en", 1),
    ]

    login(client, agent)
    html = client.get("/help/analytics").get_data(as_text=True)
    failed = table(html, "help-failed")
    assert sorted(failed) == [["refund", "English", "1"], ["tracking number", "English", "1"]]


def test_only_a_case_within_two_hours_after_a_search_marks_it(
    client, login, seller, other_seller, library
):
    """To the second each side of the window, whatever the case's own second's fraction."""
    login(client, seller)
    for query in ("too early", "just in time", "a second after", "minutes after"):
        search_as(client, query)
    case = open_ticket(seller=seller, type_key="contact", subject="Parcel", body="Where?")
    login(client, other_seller)
    search_as(client, "someone else")  # the same moment, another seller
    filed = case.created_at
    moments = {
        "too early": filed - analytics.FAILED_SELF_HELP_WINDOW - timedelta(seconds=1),
        "just in time": filed - analytics.FAILED_SELF_HELP_WINDOW + timedelta(seconds=1),
        "a second after": filed + timedelta(seconds=1),
        "minutes after": filed + timedelta(minutes=5),
        "someone else": filed - timedelta(minutes=5),
    }
    for search in db.session.scalars(sa.select(HelpSearch)):
        search.created_at = moments[search.query]
    db.session.commit()
    assert analytics.queries_followed_by_case(30) == [analytics.QueryCount("just in time", "en", 1)]
    report = analytics.failed_queries(30, "en")
    assert report.followed_by_case == [analytics.QueryCount("just in time", "en", 1)]


def test_filing_after_searches_writes_nothing_on_them(client, login, seller, library):
    """The case is the only write: the searches are not updated, in one transaction or two."""
    login(client, seller)
    search_as(client, "refund")
    statements = []

    def written(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", written)
    try:
        open_ticket(seller=seller, type_key="contact", subject="Parcel", body="Where is it?")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", written)
    assert not [s for s in statements if "help_searches" in s]
    assert analytics.queries_followed_by_case(30) == [analytics.QueryCount("refund", "en", 1)]


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


def test_the_column_comes_back_filled_when_its_revision_is_undone(make_app):
    """help_0005 drops the stored flag (the reports work it out); its downgrade adds it back
    set as the reports read it, and the upgrade drops it again."""
    from supportdesk import migrate
    from supportdesk.accounts import create_user
    from supportdesk.testing import reset_postgres_schema

    app = make_app(create_tables=False)
    with app.app_context():
        reset_postgres_schema()
    migrate.upgrade(app)
    with app.app_context():
        seller = create_user("s@example.com", password="correct horse battery")
        now = utcnow()
        for query, ago in (("answered late", timedelta(hours=3)), ("not answered", timedelta(0))):
            db.session.execute(
                sa.insert(HelpSearch.__table__).values(
                    query=query, normalised=query, locale="en", results=1,
                    seller_id=seller.id, created_at=now - ago - timedelta(minutes=1),
                )
            )  # fmt: skip
        db.session.commit()
        open_ticket(seller=seller, type_key="contact", subject="Parcel", body="Where is it?")
    migrate.downgrade(app, "help_0004")
    with app.app_context():
        flags = db.session.execute(
            sa.text("SELECT query, followed_by_case FROM help_searches ORDER BY query")
        ).all()
        assert [(q, bool(f)) for q, f in flags] == [
            ("answered late", False),
            ("not answered", True),
        ]
    migrate.upgrade(app)
    with app.app_context():
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("help_searches")}
        assert "followed_by_case" not in columns
        indexes = {i["name"] for i in sa.inspect(db.engine).get_indexes("tickets")}
        assert "ix_tickets_seller_created" in indexes
        if db.engine.dialect.name == "sqlite":  # each search's question, through that index
            statement = sa.select(HelpSearch.id).where(analytics.followed_by_case())
            sql = str(statement.compile(db.engine, compile_kwargs={"literal_binds": True}))
            plan = " ".join(r[3] for r in db.session.execute(sa.text("EXPLAIN QUERY PLAN " + sql)))
            assert "USING COVERING INDEX ix_tickets_seller_created" in plan, plan
        assert analytics.queries_followed_by_case(30) == [
            analytics.QueryCount("not answered", "en", 1)
        ]
