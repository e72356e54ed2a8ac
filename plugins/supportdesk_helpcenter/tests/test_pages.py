"""The help pages sellers read: start page, search, suggestions, an article and its vote."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask
from markupsafe import Markup

from supportdesk import SupportDesk, hookimpl
from supportdesk.extensions import db
from supportdesk.search import schema as search_schema
from supportdesk.search.backends import backend
from supportdesk.testing import base_config
from supportdesk_helpcenter import articles, catalogue, views
from supportdesk_helpcenter.articles import ArticleData
from supportdesk_helpcenter.models import Article, HelpSearch


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def result_slugs(html: str) -> list[str]:
    """The articles a results page lists, in order."""
    block = (
        html.split('class="help-results"', 1)[1].split("</ol>", 1)[0]
        if "help-results" in html
        else ""
    )
    return re.findall(r'href="/help/([a-z0-9-]+)\?lang=', block)


# --- start page -----------------------------------------------------------------------------


def test_start_page_lists_translated_categories_with_counts_and_popular(client, library):
    html = page(client, "/help?lang=en")
    assert 'action="/help/search"' in html and 'method="get"' in html
    assert "Returns and refunds" in html  # "returns", named
    assert "listing-rules" in html  # an unknown key is shown as it is
    returns = html.split("Returns and refunds", 1)[1][:200]
    assert "1 article" in returns  # the draft is not counted
    assert "Popular articles" in html and "Refund a buyer" in html
    assert "Upcoming changes" not in html


def test_the_most_helpful_articles_come_first_and_from_their_index(app, write_article):
    """Most helpful first (yes minus no), then the newest, drafts and other languages out; on
    SQLite the list's first rows are read from its index, not sorted from every article."""
    votes = {"so-so": (3, 2), "loved": (9, 1), "hated": (0, 5), "new": (0, 0)}
    for slug in votes:
        write_article(slug, "en", slug.capitalize(), "Text.")
    write_article("draft", "en", "Draft", "Text.", published=False)
    write_article("adore", "fr", "Adoré", "Texte.")
    votes.update({"draft": (50, 0), "adore": (50, 0)})
    for slug, (yes, no) in votes.items():
        db.session.execute(
            sa.update(Article).where(Article.slug == slug).values(helpful_yes=yes, helpful_no=no)
        )
    db.session.commit()
    assert [a.slug for a in catalogue.popular("en", limit=3)] == ["loved", "so-so", "new"]
    if db.engine.dialect.name == "sqlite":
        statement = catalogue.popular_statement("en", 3)
        plan = db.session.execute(
            sa.text(
                "EXPLAIN QUERY PLAN "
                + str(statement.compile(db.engine, compile_kwargs={"literal_binds": True}))
            )
        ).all()
        details = " ".join(row[-1] for row in plan)
        assert "ix_help_articles_popular" in details and "TEMP B-TREE" not in details


def test_start_page_counts_in_the_language_asked(client, library):
    html = page(client, "/help?lang=fr")
    assert "Rembourser un acheteur" in html
    assert "Payments" not in html  # fees are written in English only


def test_the_interface_language_chooses_the_help_language(client, library):
    html = client.get("/help", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Rembourser un acheteur" in html


# --- search ---------------------------------------------------------------------------------


def test_a_typo_is_corrected_and_did_you_mean_links_the_corrected_search(client, library):
    html = page(client, "/help/search?q=rembourssement&lang=fr")
    assert result_slugs(html)[0] == "refund-a-buyer"
    assert "Did you mean" in html
    assert 'href="/help/search?q=remboursement&amp;lang=fr"' in html


def test_accents_are_optional(client, library):
    html = page(client, "/help/search?q=expedies&lang=fr")
    assert result_slugs(html)[0] == "ship-an-order"
    assert "<mark>expédiés</mark>" in html


def test_inflections_find_the_article(client, library):
    assert result_slugs(page(client, "/help/search?q=refunding&lang=en"))[0] == "refund-a-buyer"
    assert result_slugs(page(client, "/help/search?q=shipped+orders&lang=en"))[0] == (
        "ship-an-order"
    )


def test_results_are_counted_and_highlighted(client, library):
    html = page(client, "/help/search?q=refund&lang=en")
    assert re.search(r"\b1 result\b", html)
    assert "<mark>Refund</mark> a buyer" in html
    assert "Upcoming changes" not in html  # drafts are not searchable


def test_highlighting_escapes_markup_in_titles(client, library):
    html = page(client, "/help/search?q=scripts&lang=en")
    assert result_slugs(html) == ["scripts-in-listings"]
    assert "<script>alert" not in html
    assert "&lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt;" in html


def test_results_are_paginated(client, write_article):
    for number in range(13):
        write_article(f"parcel-{number:02d}", "en", f"Parcel question {number:02d}", "parcel")
    first = page(client, "/help/search?q=parcel&lang=en")
    assert re.search(r"\b13 results\b", first) and "page 1 of 2" in first
    assert len(result_slugs(first)) == 10
    assert 'rel="next"' in first and 'rel="prev"' not in first
    second = page(client, "/help/search?q=parcel&lang=en&page=2")
    assert len(result_slugs(second)) == 3
    assert 'rel="prev"' in second and 'rel="next"' not in second
    assert not set(result_slugs(first)) & set(result_slugs(second))
    beyond = page(client, "/help/search?q=parcel&lang=en&page=7")
    assert "There are no more results." in beyond
    assert re.search(r"\b13 results</p>", beyond) and "page 7 of" not in beyond


def test_the_pager_offers_only_the_pages_the_ranked_results_fill(
    client, write_article, monkeypatch
):
    """More articles match than the search ranks (120 on SQLite, 100 on PostgreSQL, lowered
    here) and than it counts: the page says "more than", and its pager stops at the last page
    that has results instead of offering empty ones."""
    ranker = type(backend())
    monkeypatch.setattr(ranker, "CANDIDATE_CAP", 12)
    monkeypatch.setattr(ranker, "COUNT_CAP", 20)
    for number in range(25):
        write_article(f"parcel-{number:02d}", "en", f"Parcel question {number:02d}", "parcel")
    first = page(client, "/help/search?q=parcel&lang=en")
    assert "More than 20 results · page 1 of 2" in first
    last = page(client, "/help/search?q=parcel&lang=en&page=2")
    assert len(result_slugs(last)) == 2 and 'rel="next"' not in last
    french = client.get("/help/search?q=parcel&lang=en", headers={"Accept-Language": "fr"})
    assert "Plus de 20 résultats · page 1 sur 2" in french.get_data(as_text=True)


def test_pages_holding_only_some_words_follow_those_holding_them_all(client, write_article):
    """Eleven pages hold both words, fill the first page and more; fifteen hold one of them:
    the pager offers the pages that list those too, to the last one."""
    for number in range(11):
        write_article(f"both-{number:02d}", "en", f"Parcel refund {number:02d}", "parcel refund")
    for number in range(15):
        write_article(f"one-{number:02d}", "en", f"Parcel tracking {number:02d}", "parcel")
    first = page(client, "/help/search?q=parcel+refund&lang=en")
    assert "26 results · page 1 of 3" in first
    assert all(slug.startswith("both-") for slug in result_slugs(first))
    last = page(client, "/help/search?q=parcel+refund&lang=en&page=3")
    assert len(result_slugs(last)) == 6 and 'rel="next"' not in last


def test_the_category_filter_keeps_one_category(client, library):
    everything = result_slugs(page(client, "/help/search?q=order&lang=en"))
    assert {"refund-a-buyer", "ship-an-order", "seller-fees"} <= set(everything)
    filtered = page(client, "/help/search?q=order&lang=en&category=shipping")
    assert result_slugs(filtered) == ["ship-an-order"]
    assert '<option selected value="shipping">' in filtered


def test_a_category_without_words_lists_its_articles(client, library):
    html = page(client, "/help/search?category=returns&lang=en")
    assert "Returns and refunds" in html and "Refund a buyer" in html
    assert "Ship an order" not in html and "Upcoming changes" not in html


def test_the_language_switch_searches_the_other_language(client, library):
    html = page(client, "/help/search?q=refund&lang=en")
    assert 'href="/help/search?q=refund&amp;lang=fr"' in html
    assert "Search in French instead" in html
    french = page(client, "/help/search?q=refund&lang=fr")
    assert "Search in English instead" in french


def test_no_result_offers_contact_support_with_the_query(client, library, monkeypatch):
    monkeypatch.setattr(views, "CONTACT_ENDPOINT", "desk.core.home")  # stands in for the form
    html = page(client, "/help/search?q=zzzqqq+wibble&lang=en")
    assert "No article matches “zzzqqq wibble”." in html
    assert 'href="/?q=zzzqqq+wibble"' in html and "Contact support" in html


def test_contact_support_is_hidden_without_the_contact_plugin(client, library, monkeypatch):
    monkeypatch.setattr(views, "CONTACT_ENDPOINT", "desk.no_such_plugin.form")
    html = page(client, "/help/search?q=zzzqqq&lang=en")
    assert "No article matches" in html and 'class="help-contact"' not in html
    assert 'class="help-contact"' not in page(client, "/help/refund-a-buyer?lang=en")


def test_contact_support_links_the_contact_form_when_enabled(app, client, library):
    if views.CONTACT_ENDPOINT not in app.view_functions:
        pytest.skip("the contact plugin is not enabled")
    html = page(client, "/help/search?q=zzzqqq+wibble&lang=en")
    assert 'href="/contact?q=zzzqqq+wibble"' in html


@pytest.mark.parametrize(
    "query",
    [
        "x" * 2000,
        "%00\u2603" * 500,
        '"unbalanced',
        "'; DROP TABLE help_articles; --",
        "NEAR(refund order)",
        "refund AND OR NOT",
        "title:refund",
        "refund*",
        "^refund",
        "(",
        "{title tags} : refund",
        "-refund",
        "<script>alert(1)</script>",
        "%_%",
        "\\",
        "é" * 300,
        "  ",
    ],
)
def test_no_query_breaks_the_search(client, library, query):
    for url in ("/help/search", "/help/suggest", "/api/v1/help/search"):
        response = client.get(url, query_string={"q": query, "lang": "en"})
        assert response.status_code in (200, 400), (url, query)
    assert client.get("/help/search", query_string={"q": query}).status_code == 200


@pytest.mark.parametrize(
    "args",
    [
        {"q": "refund", "page": "-3"},
        {"q": "refund", "page": "abc"},
        {"q": "refund", "page": "9" * 40},
        {"q": "refund", "lang": "de"},
        {"q": "refund", "lang": ["en", "fr"]},
        {"q": "refund", "category": "x" * 500},
        {"category": "<b>"},
        {"q": ["refund", "order"]},
    ],
)
def test_odd_parameters_are_not_errors(client, library, args):
    assert client.get("/help/search", query_string=args).status_code == 200


def test_a_nul_byte_is_refused_at_the_door(client, library):
    assert client.get("/help/search", query_string={"q": "a\x00b"}).status_code == 400


def test_searches_are_logged_with_the_seller(client, library, login, seller, agent):
    client.get("/help/search?q=refund&lang=en")
    login(client, seller)
    client.get("/help/search?q=tracking+number&lang=en")
    client.get("/help/search?q=tracking+number&lang=en&page=2")  # the same search, paged
    login(client, agent)
    client.get("/help/search?q=staff+trying&lang=en")  # staff do not skew the analytics
    rows = db.session.scalars(sa.select(HelpSearch).order_by(HelpSearch.id)).all()
    assert [(r.query, r.seller_id, r.locale) for r in rows] == [
        ("refund", None, "en"),
        ("tracking number", seller.id, "en"),
    ]
    assert rows[0].results == 1


# --- suggestions ----------------------------------------------------------------------------


def test_suggestions_match_the_word_being_typed(client, library):
    data = client.get("/help/suggest?q=refu&lang=en").get_json()
    assert data["suggestions"][0] == {
        "title": "Refund a buyer",
        "url": "/help/refund-a-buyer?lang=en",
        "slug": "refund-a-buyer",
    }
    french = client.get("/help/suggest?q=rembour&lang=fr").get_json()
    assert french["suggestions"][0]["slug"] == "refund-a-buyer"
    assert client.get("/help/suggest?q=").get_json() == {"suggestions": []}


def test_the_suggestion_script_is_same_origin_and_accessible(client, library):
    html = page(client, "/help")
    assert '<script src="/help/static/suggest.js" defer></script>' in html
    assert 'data-suggest-url="/help/suggest"' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # no inline script
    assert not re.search(r"\son[a-z]+=", html)  # no inline event handler
    script = client.get("/help/static/suggest.js")
    assert script.status_code == 200
    text = script.get_data(as_text=True)
    for needle in ('"combobox"', '"listbox"', '"option"', "aria-activedescendant", "aria-expanded"):
        assert needle in text
    assert "innerHTML" not in text
    script.close()


# --- an article -----------------------------------------------------------------------------


def test_an_article_in_the_language_asked(client, library):
    html = page(client, "/help/refund-a-buyer?lang=fr")
    assert "<h1>Rembourser un acheteur</h1>" in html
    assert "<strong>Rembourser</strong>" in html  # the rendered Markdown
    assert 'href="/help/refund-a-buyer?lang=en"' in html  # its translation, linked
    assert "Read in English" in html
    english = page(client, "/help/refund-a-buyer?lang=en")
    assert 'href="/help/refund-a-buyer?lang=fr"' in english  # and back
    assert 'hreflang="fr"' in english
    assert "Last updated on" in english


def test_an_article_missing_in_a_language_falls_back_with_a_notice(client, library):
    html = page(client, "/help/seller-fees?lang=fr")
    assert "<h1>Seller fees</h1>" in html
    assert "This article is not available in French; here it is in English." in html
    assert "Read in French" not in html


def test_related_articles_are_published_and_in_the_same_language(client, library):
    html = page(client, "/help/refund-a-buyer?lang=en")
    related = html.split("Related articles", 1)[1].split("</section>", 1)[0]
    assert 'href="/help/ship-an-order?lang=en"' in related and "Ship an order on time" in related
    assert "upcoming-changes" not in related and "no-such-article" not in related


def test_unknown_and_unpublished_articles_are_404_except_for_staff(
    client, library, login, seller, agent
):
    assert client.get("/help/no-such-article").status_code == 404
    assert client.get("/help/upcoming-changes").status_code == 404
    login(client, seller)
    assert client.get("/help/upcoming-changes?lang=en").status_code == 404
    login(client, agent)
    html = page(client, "/help/upcoming-changes?lang=en")
    assert "This article is a draft" in html


@pytest.mark.parametrize("slug", ["x" * 2000, "%C3%A9t%C3%A9", "a%20b", "UPPER", "..", "%25"])
def test_odd_slugs_are_404(client, library, slug):
    assert client.get(f"/help/{slug}?lang=en").status_code == 404
    vote = client.post(f"/help/{slug}/vote", data={"helpful": "yes", "lang": "en"})
    assert vote.status_code == 404


def test_helpful_votes_count_once_per_session(client, library):
    url = "/help/refund-a-buyer/vote"
    response = client.post(url, data={"helpful": "yes", "lang": "en"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/help/refund-a-buyer?lang=en#helpful")
    client.post(url, data={"helpful": "no", "lang": "en"})  # a second vote is not counted
    client.post(url, data={"helpful": "no", "lang": "fr"})  # the French page is its own
    html = page(client, "/help/refund-a-buyer?lang=en")
    assert "Thank you: your answer helps us improve this page." in html
    assert 'name="helpful"' not in html
    en, fr = (db.session.get(Article, library[k].id) for k in ("refunds_en", "refunds_fr"))
    db.session.refresh(en)
    db.session.refresh(fr)
    assert (en.helpful_yes, en.helpful_no) == (1, 0)
    assert (fr.helpful_yes, fr.helpful_no) == (0, 1)
    other = client.application.test_client()
    other.post(url, data={"helpful": "no", "lang": "en"})  # another reader, another vote
    db.session.refresh(en)
    assert (en.helpful_yes, en.helpful_no) == (1, 1)


def test_a_vote_needs_an_answer_and_a_readable_article(client, library):
    assert client.post("/help/refund-a-buyer/vote", data={"helpful": "maybe"}).status_code == 400
    assert client.post("/help/refund-a-buyer/vote", data={}).status_code == 400
    gone = client.post("/help/upcoming-changes/vote", data={"helpful": "yes", "lang": "en"})
    assert gone.status_code == 404


def test_a_vote_is_protected_against_csrf(make_app, write_article):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        write_article("refund-a-buyer", "en", "Refund a buyer", "text")
        client = app.test_client()
        response = client.post("/help/refund-a-buyer/vote", data={"helpful": "yes", "lang": "en"})
        assert response.status_code == 400
        html = page(client, "/help/refund-a-buyer?lang=en")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
        ok = client.post(
            "/help/refund-a-buyer/vote", data={"helpful": "yes", "lang": "en", "csrf_token": token}
        )
        assert ok.status_code == 302


def test_still_need_help_carries_the_title(client, library, monkeypatch):
    monkeypatch.setattr(views, "CONTACT_ENDPOINT", "desk.core.home")
    html = page(client, "/help/ship-an-order?lang=en")
    assert "Still need help?" in html
    assert 'href="/?q=Ship+an+order+on+time"' in html


class FooterPlugin:
    @hookimpl
    def template_slot(self, slot, context):
        if slot == "article_footer":
            return [Markup("<aside id='footer-test'>%s</aside>") % context["article"].slug]
        return None


def test_the_article_footer_slot_is_filled_by_plugins(register_plugin, write_article):
    app = register_plugin(FooterPlugin())
    with app.app_context():
        write_article("seller-fees", "en", "Seller fees", "text")
        html = page(app.test_client(), "/help/seller-fees?lang=en")
    assert "<aside id='footer-test'>seller-fees</aside>" in html


# --- the desk inside a marketplace's application ---------------------------------------------


def test_the_help_pages_work_mounted_under_a_prefix(tmp_path):
    host = Flask("marketplace")
    config = base_config(tmp_path)
    config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'desk.db'}"
    host.config.update(config)
    SupportDesk(host, url_prefix="/support")
    with host.app_context():
        db.create_all()
        with db.engine.begin() as connection:
            search_schema.install(connection)
        articles.save(ArticleData("refund-a-buyer", "en", "Refund a buyer", "Refund it."))
        client = host.test_client()
        html = page(client, "/support/help/search?q=refund&lang=en")
        assert 'href="/support/help/refund-a-buyer?lang=en&amp;from=' in html  # the search's id
        assert 'src="/support/help/static/suggest.js"' in html
        assert 'data-suggest-url="/support/help/suggest"' in html
        suggested = client.get("/support/help/suggest?q=ref&lang=en").get_json()
        assert suggested["suggestions"][0]["url"] == "/support/help/refund-a-buyer?lang=en"
        api = client.get("/support/api/v1/help/search?q=refund").get_json()
        assert api["results"][0]["url"] == "http://localhost/support/help/refund-a-buyer?lang=en"
        script = client.get("/support/help/static/suggest.js")
        assert script.status_code == 200
        script.close()
        db.session.remove()
        db.engine.dispose()


def test_staff_see_the_help_centre_in_their_menu(client, login, seller, agent):
    login(client, seller)
    assert 'href="/help/manage"' not in page(client, "/help")
    login(client, agent)
    html = page(client, "/help")
    assert 'href="/help/manage"' in html and 'href="/help/analytics"' in html
