"""Learning from use: the article a search led to, the "Queries that failed" report and its
one-click fixes (a query made a question of an article, a query's words made a synonym)."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import current_app

from supportdesk.extensions import db
from supportdesk.tickets import open_ticket
from supportdesk_helpcenter import articles, lexicon
from supportdesk_helpcenter.models import HelpSearch, LexiconEntry
from supportdesk_helpcenter.searching import search_help

REPORT = "/help/analytics/failed"


def search_link(client, query: str, slug: str, lang: str = "en") -> str:
    """The address of ``slug`` in the results page of ``query``."""
    html = client.get("/help/search", query_string={"q": query, "lang": lang}).get_data(
        as_text=True
    )
    found = re.search(rf'href="(/help/{slug}\?[^"]*from=\d+[^"]*)"', html)
    assert found, f"no link to {slug} carrying its search"
    return found.group(1).replace("&amp;", "&")


def last_search() -> HelpSearch:
    db.session.expire_all()
    return db.session.scalar(sa.select(HelpSearch).order_by(HelpSearch.id.desc()))


def found(query: str, locale: str = "en") -> list[str]:
    with current_app.test_request_context():
        return [hit.slug for hit in search_help(query, locale, log=False).hits]


def test_opening_a_result_records_the_article_once(client, login, seller, library):
    login(client, seller)
    link = search_link(client, "refund", "refund-a-buyer")
    assert client.get(link).status_code == 200
    search = last_search()
    assert (search.clicked_slug, search.seller_id) == ("refund-a-buyer", seller.id)
    first = search.clicked_at
    assert first is not None
    client.get(link.replace("refund-a-buyer", "ship-an-order"))
    assert (last_search().clicked_slug, last_search().clicked_at) == ("refund-a-buyer", first)


def test_a_visitor_records_only_the_searches_of_their_session(app, client, library):
    link = search_link(client, "refund", "refund-a-buyer")
    stranger = app.test_client()
    assert stranger.get(link).status_code == 200  # the page opens, the click is not theirs
    assert last_search().clicked_slug is None
    assert client.get(link).status_code == 200
    assert last_search().clicked_slug == "refund-a-buyer"


def test_another_sellers_search_or_a_forged_id_is_not_written(
    client, login, seller, other_seller, library
):
    login(client, seller)
    link = search_link(client, "refund", "refund-a-buyer")
    login(client, other_seller)
    assert client.get(link).status_code == 200
    assert client.get("/help/refund-a-buyer?lang=en&from=999999").status_code == 200
    assert client.get("/help/refund-a-buyer?lang=en&from=nonsense").status_code == 200
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(HelpSearch.clicked_slug.is_not(None)))
        == 0
    )


def report_rows(html: str, locale: str, kind: str) -> list[str]:
    """The queries of one table of the report."""
    section = html.split(f'id="failed-{locale}-{kind}"', 1)[1].split("<h3", 1)[0]
    section = section.split("</section>", 1)[0]
    return re.findall(r'<th scope="row"><a [^>]*>([^<]*)</a>', section)


def test_the_report_lists_the_three_kinds(client, login, seller, other_seller, agent, library):
    login(client, seller)
    client.get(search_link(client, "refund", "refund-a-buyer"))  # answered: no case after
    client.get(search_link(client, "livraison", "ship-an-order", "fr"))
    login(client, other_seller)
    client.get("/help/search", query_string={"q": "wibblefrotz", "lang": "en"})
    client.get(search_link(client, "tracking", "ship-an-order"))  # opened, then a case all the same
    open_ticket(seller=other_seller, type_key="contact", subject="Parcel", body="Where is it?")
    login(client, agent)
    html = client.get(REPORT).get_data(as_text=True)
    assert report_rows(html, "en", "empty") == ["wibblefrotz"]
    assert report_rows(html, "en", "case") == ["tracking", "wibblefrotz"]
    assert report_rows(html, "en", "answered") == ["refund"]
    assert "Refund a buyer" in html.split('id="failed-en-answered"', 1)[1]
    assert report_rows(html, "fr", "answered") == ["livraison"]
    assert report_rows(html, "fr", "empty") == []
    assert client.get("/help/analytics").get_data(as_text=True).count(REPORT) >= 1


def test_add_as_question_lands_in_the_article_and_the_search_finds_it(
    client, login, agent, library
):
    assert "seller-fees" not in found("what is skimmed off my earnings")
    login(client, agent)
    form = {
        "query": "what is skimmed off my earnings",
        "locale": "en",
        "kind": "empty",
        "days": "30",
        "slug": "seller-fees",
    }
    answer = client.post(f"{REPORT}/question", data=form)
    assert answer.status_code == 302 and REPORT in answer.location
    db.session.expire_all()
    assert articles.find("seller-fees", "en").questions == ["what is skimmed off my earnings"]
    assert "seller-fees" in found("what is skimmed off my earnings")
    client.post(f"{REPORT}/question", data={**form, "query": "What is skimmed off  my earnings"})
    db.session.expire_all()
    assert len(articles.find("seller-fees", "en").questions) == 1  # no duplicate
    refused = client.post(f"{REPORT}/question", data={**form, "slug": ""})
    assert refused.status_code == 400
    assert "Choose the article that answers this query." in refused.get_data(as_text=True)


def test_add_as_synonym_makes_a_failed_query_find_the_article(client, login, admin, agent, library):
    assert found("grifter") == []
    form = {"query": "grifter", "locale": "en", "kind": "empty", "days": "30", "words": "grifter"}
    login(client, agent)
    assert client.post(f"{REPORT}/synonym", data={**form, "means": "commission"}).status_code == 403
    login(client, admin)
    empty = client.post(f"{REPORT}/synonym", data={**form, "means": ""})
    assert empty.status_code == 400
    assert "Write the words of the help pages these words mean." in empty.get_data(as_text=True)
    wrong = client.post(f"{REPORT}/synonym", data={**form, "words": "grifter", "means": "a => b"})
    assert wrong.status_code == 400
    assert 'value="a =&gt; b"' in wrong.get_data(as_text=True)  # what was typed stays
    assert client.post(f"{REPORT}/synonym", data={**form, "means": "commission"}).status_code == 302
    entry = db.session.scalar(sa.select(LexiconEntry))
    assert (entry.line, entry.origin, entry.created_by_id) == (
        "grifter => commission",
        "report",
        admin.id,
    )
    lexicon.forget()
    assert "seller-fees" in found("grifter")


def test_sellers_and_visitors_may_not_see_the_report(client, login, seller):
    assert client.get(REPORT).status_code == 302
    login(client, seller)
    assert client.get(REPORT).status_code == 403
    assert client.post(f"{REPORT}/question", data={}).status_code == 403


def test_the_report_speaks_french(client, login, seller, admin, library):
    login(client, seller)
    client.get("/help/search", query_string={"q": "zzzqqq", "lang": "fr"})
    login(client, admin)
    fr = {"Accept-Language": "fr"}
    html = client.get(REPORT, headers=fr).get_data(as_text=True)
    assert "Recherches en échec" in html and "Ajouter comme synonyme" in html
    form = {"query": "zzzqqq", "locale": "fr", "kind": "empty", "days": "30", "words": "zzzqqq"}
    refused = client.post(f"{REPORT}/synonym", data={**form, "means": ""}, headers=fr)
    assert "Écrivez les mots des pages d’aide" in refused.get_data(as_text=True)
