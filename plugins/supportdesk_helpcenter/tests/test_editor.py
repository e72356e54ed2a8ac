"""The staff's article editor: who may use it, the list, saving through ``articles.save``,
preview, publish and unpublish."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import current_app

from supportdesk.extensions import db
from supportdesk_helpcenter import articles
from supportdesk_helpcenter.models import Article
from supportdesk_helpcenter.searching import search_help


def form(**values: str) -> dict[str, str]:
    fields = {
        "slug": "pack-fragile-items",
        "locale": "en",
        "title": "Pack fragile items",
        "category": "shipping",
        "tags": "packing, fragile ,, glass",
        "related": "ship-an-order",
        "body": "Wrap **each** item.",
        "save": "Save",
    }
    return {**fields, **values}


def found(query: str, locale: str = "en") -> list[str]:
    with current_app.test_request_context():
        return [hit.slug for hit in search_help(query, locale, log=False).hits]


@pytest.fixture
def staff(client, login, agent):
    return login(client, agent)


@pytest.mark.parametrize(
    "url", ["/help/manage", "/help/manage/new", "/help/analytics", "/help/manage/1"]
)
def test_staff_only(client, login, seller, url, write_article):
    write_article("seller-fees", "en", "Seller fees", "text")
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/sign-in" in anonymous.headers["Location"]
    login(client, seller)
    assert client.get(url).status_code == 403
    assert client.post("/help/manage/1/publish").status_code == 403


def test_the_list_shows_drafts_and_filters(staff, library):
    html = staff.get("/help/manage").get_data(as_text=True)
    assert "Upcoming changes to refunds" in html and "Draft" in html
    assert "7 articles" in html
    drafts = staff.get("/help/manage?status=draft").get_data(as_text=True)
    assert "1 article" in drafts and "Upcoming changes to refunds" in drafts
    french = staff.get("/help/manage?lang=fr").get_data(as_text=True)
    assert "2 articles" in french and "Rembourser un acheteur" in french
    by_title = staff.get("/help/manage?q=REFUND").get_data(as_text=True)
    assert "2 articles" in by_title  # "Refund a buyer" and "Upcoming changes to refunds"
    assert "0 articles" in staff.get("/help/manage?q=%25").get_data(as_text=True)  # % is literal
    odd = staff.get("/help/manage?lang=de&status=nonsense&page=-4")
    assert odd.status_code == 200 and "7 articles" in odd.get_data(as_text=True)


def test_a_new_article_is_a_draft_until_published(staff, library):
    response = staff.post("/help/manage/new", data=form())
    assert response.status_code == 302
    article = articles.find("pack-fragile-items", "en")
    assert response.headers["Location"].endswith(f"/help/manage/{article.id}")
    assert article.tags == ["packing", "fragile", "glass"]
    assert article.related == ["ship-an-order"]
    assert article.body_html == "<p>Wrap <strong>each</strong> item.</p>\n"
    assert not article.published
    assert found("fragile") == []

    assert staff.post(f"/help/manage/{article.id}/publish").status_code == 302
    assert found("fragile") == ["pack-fragile-items"]
    html = staff.get(f"/help/manage/{article.id}").get_data(as_text=True)
    assert "is published" in html and "Unpublish" in html

    staff.post(f"/help/manage/{article.id}/unpublish")
    assert found("fragile") == []
    db.session.refresh(article)
    assert not article.published


def test_unpublishing_hides_the_article_from_sellers(staff, client, library, login, seller):
    article_id = library["fees_en"].id
    staff.post(f"/help/manage/{article_id}/unpublish")
    login(client, seller)
    assert client.get("/help/seller-fees?lang=en").status_code == 404


def test_errors_are_shown_next_to_the_fields_and_the_text_is_kept(staff, library):
    response = staff.post(
        "/help/manage/new", data=form(slug="Bad Slug!", title="", body="My long draft")
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="slug-error"' in html and "Use lower-case letters" in html
    assert 'id="title-error"' in html and "Please give the article a title." in html
    assert "My long draft</textarea>" in html
    assert 'value="Bad Slug!"' in html
    assert articles.find("bad-slug", "en") is None


def test_lengths_the_database_would_refuse_are_field_errors(staff, library):
    values = form(category="c" * 65, related="x" * 121, title="t" * 301)
    response = staff.post("/help/manage/new", data=values)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    for name in ("category", "related", "title"):
        assert f'id="{name}-error"' in html
    assert articles.find("pack-fragile-items", "en") is None


def test_a_reserved_slug_is_refused(staff, library):
    response = staff.post("/help/manage/new", data=form(slug="search"))
    assert response.status_code == 400
    assert "address of a help page" in response.get_data(as_text=True)


def test_editing_can_rename_and_the_index_follows(staff, library):
    article = library["fees_en"]
    values = form(slug="selling-fees", title="Selling fees", body="commission", category="payments")
    assert staff.post(f"/help/manage/{article.id}", data=values).status_code == 302
    db.session.expire_all()
    assert articles.find("seller-fees", "en") is None
    renamed = articles.find("selling-fees", "en")
    assert renamed.id == article.id and renamed.title == "Selling fees"
    assert found("commission") == ["selling-fees"]


def test_renaming_onto_another_article_is_refused(staff, library):
    article = library["fees_en"]
    response = staff.post(
        f"/help/manage/{article.id}", data=form(slug="refund-a-buyer", title="Fees")
    )
    assert response.status_code == 400
    assert "Another article already has this slug" in response.get_data(as_text=True)
    db.session.expire_all()
    assert articles.find("seller-fees", "en").title == "Seller fees"


def test_preview_renders_sanitised_html_without_saving(staff, library):
    hostile = (
        "# Title\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n"
        "[click](javascript:alert(1)) and [ok](https://example.com)\n"
    )
    response = staff.post("/help/manage/new", data=form(body=hostile, save="", preview="Preview"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    preview = html.split('id="help-preview-heading"', 1)[1]
    assert "<script" not in preview
    assert not re.search(r"<[^>]*\bon[a-z]+\s*=", html)  # no tag carries an event handler
    assert "javascript:" not in "".join(re.findall(r'href="([^"]*)"', html))
    assert 'href="https://example.com"' in preview
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in preview  # shown as text, harmless
    assert articles.find("pack-fragile-items", "en") is None


def test_a_saved_article_never_carries_script(staff, library, client):
    body = '<script>alert(1)</script>\n\n<a href="#" onclick="x()">a</a> <img src=x onerror=y>'
    staff.post("/help/manage/new", data=form(body=body))
    article = articles.find("pack-fragile-items", "en")
    staff.post(f"/help/manage/{article.id}/publish")
    html = client.get("/help/pack-fragile-items?lang=en").get_data(as_text=True)
    body_html = html.split('class="help-body"', 1)[1].split("</div>", 1)[0]
    assert "<script" not in body_html and not re.search(r"<[^>]*\bon[a-z]+\s*=", body_html)


def test_translations_are_linked_from_the_editor(staff, library):
    html = staff.get(f"/help/manage/{library['fees_en'].id}").get_data(as_text=True)
    assert 'href="/help/manage/new?slug=seller-fees&amp;locale=fr"' in html
    prefilled = staff.get("/help/manage/new?slug=seller-fees&locale=fr").get_data(as_text=True)
    assert 'value="seller-fees"' in prefilled
    assert '<option selected value="fr">' in prefilled
    both = staff.get(f"/help/manage/{library['refunds_en'].id}").get_data(as_text=True)
    assert f'href="/help/manage/{library["refunds_fr"].id}"' in both


def test_publish_needs_a_post_and_an_existing_article(staff, library):
    assert staff.get(f"/help/manage/{library['draft_en'].id}/publish").status_code == 405
    assert staff.post("/help/manage/999999/publish").status_code == 404
    assert staff.get("/help/manage/999999").status_code == 404


def test_the_editor_is_protected_against_csrf(make_app, make_user, login):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        client = login(app.test_client(), make_user("agent"))
        assert client.post("/help/manage/new", data=form()).status_code == 400
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Article)) == 0


def test_questions_are_saved_one_per_line_and_searched(staff, library):
    questions = "How do I wrap a vase?\r\n\r\n- Can I send a mirror, framed?\r\n  "
    staff.post("/help/manage/new", data=form(questions=questions))
    article = articles.find("pack-fragile-items", "en")
    assert article.questions == ["How do I wrap a vase?", "Can I send a mirror, framed?"]
    staff.post(f"/help/manage/{article.id}/publish")
    assert found("framed mirror") == ["pack-fragile-items"]  # in no title, tag or body

    html = staff.get(f"/help/manage/{article.id}").get_data(as_text=True)
    assert "Questions this article answers" in html and "One question per line" in html
    assert "How do I wrap a vase?\nCan I send a mirror, framed?</textarea>" in html

    staff.post(f"/help/manage/{article.id}", data=form(questions="How do I wrap a vase?"))
    db.session.expire_all()
    assert articles.find("pack-fragile-items", "en").questions == ["How do I wrap a vase?"]
    assert found("framed mirror") == []  # the index follows the edit


def test_bad_questions_are_field_errors_and_what_was_typed_is_kept(staff, library):
    typed = "Fine question?\n" + "x" * 301
    response = staff.post("/help/manage/new", data=form(questions=typed, body="My draft"))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="questions-error"' in html
    assert "Question 2 is longer than 300 characters." in html
    assert f"Fine question?\n{'x' * 301}</textarea>" in html and "My draft</textarea>" in html
    assert articles.find("pack-fragile-items", "en") is None

    many = staff.post("/help/manage/new", data=form(questions="Why?\n" * 31))
    assert many.status_code == 400
    assert "An article answers at most 30 questions." in many.get_data(as_text=True)


def test_a_question_error_is_french_for_a_french_editor(staff, library):
    response = staff.post(
        "/help/manage/new",
        data=form(questions="x" * 301),
        headers={"Accept-Language": "fr"},
    )
    assert "La question 1 dépasse 300 caractères." in response.get_data(as_text=True)
