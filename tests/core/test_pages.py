"""The page shell: layout, navigation, language, error pages and headers."""

from __future__ import annotations

import re

import pytest

from tests.plugins import crashing

ERROR_PAGES = {
    400: ("The request could not be understood", "La requête n’a pas pu être comprise"),
    403: ("You may not open this page", "Vous n’avez pas accès à cette page"),
    404: ("Page not found", "Page introuvable"),
    405: ("This action is not possible here", "Cette action n’est pas possible ici"),
    413: ("The upload is too large", "L’envoi est trop volumineux"),
    429: ("Too many requests", "Trop de requêtes"),
    500: ("Something went wrong on our side", "Une erreur s’est produite de notre côté"),
}


@pytest.fixture
def error_app(register_plugin):
    return register_plugin(
        crashing,
        WTF_CSRF_ENABLED=True,
        MAX_CONTENT_LENGTH=200_000,
        SUPPORTDESK_ATTACHMENT_MAX_BYTES=10_000,
        RATELIMIT_ENABLED=True,
        SUPPORTDESK_LOGIN_RATE_LIMIT="1 per minute",
        PROPAGATE_EXCEPTIONS=False,
    )


def provoke(client, code, lang):
    headers = {"Accept-Language": lang}
    if code == 400:
        return client.post("/language", data={"locale": "fr"}, headers=headers)  # no CSRF token
    if code == 403:
        return client.get("/forbidden", headers=headers)
    if code == 404:
        return client.get("/no/such/page", headers=headers)
    if code == 405:
        return client.get("/sign-out", headers=headers)
    if code == 413:
        return client.post("/sign-in", data={"email": "x" * 300_000}, headers=headers)
    if code == 429:
        page = client.get("/sign-in").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        client.post("/sign-in", data={"csrf_token": token}, headers=headers)
        return client.post("/sign-in", data={"csrf_token": token}, headers=headers)
    return client.get("/crash", headers=headers)


@pytest.mark.parametrize("code", sorted(ERROR_PAGES))
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_error_pages_in_both_languages(error_app, code, lang):
    response = provoke(error_app.test_client(), code, lang)
    assert response.status_code == code
    html = response.get_data(as_text=True)
    english, french = ERROR_PAGES[code]
    assert (english if lang == "en" else french) in html
    assert f'<html lang="{lang}">' in html
    assert 'href="/"' in html  # a way back


def test_the_500_page_reveals_nothing(error_app):
    html = error_app.test_client().get("/crash").get_data(as_text=True)
    assert "boom" not in html and "Traceback" not in html


def test_layout_is_accessible_and_self_contained(client):
    html = client.get("/").get_data(as_text=True)
    assert '<a class="skip-link" href="#main">' in html
    assert '<main id="main"' in html
    assert re.search(r'<label for="locale-select"[^>]*>', html)
    assert '<html lang="en">' in html
    external = re.findall(r'(?:src|href)="(https?:)?//[^"]*"', html)
    assert external == []  # nothing fetched from the internet


def test_form_errors_are_shown_next_to_their_field(client):
    html = client.post("/sign-in", data={"email": "not-an-email", "password": ""}).get_data(
        as_text=True
    )
    assert 'id="email-error"' in html and 'aria-describedby="email-error"' in html
    assert 'id="password-error"' in html
    assert 'value="not-an-email"' in html


def test_the_form_library_speaks_the_page_language_whichever_came_first(client):
    """WTForms' own messages follow each request's language, even in one process that has
    already answered in the other language (its catalogues are read once and kept)."""
    bad = {"email": "not-an-email", "password": ""}
    for lang, required, not_email in [
        ("fr", "Ce champ est requis.", "Adresse électronique non valide."),
        ("en", "This field is required.", "Invalid email address."),
        ("fr", "Ce champ est requis.", "Adresse électronique non valide."),
    ]:
        html = client.post("/sign-in", data=bad, headers={"Accept-Language": lang})
        text = html.get_data(as_text=True)
        assert required in text and not_email in text, lang


def test_security_headers_on_every_page(client):
    for path in ("/", "/sign-in", "/no-such-page"):
        headers = client.get(path).headers
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["Referrer-Policy"] == "same-origin"


def test_the_stylesheet_is_served(client):
    response = client.get("/_desk/static/desk.css")
    assert response.status_code == 200 and b"--brand" in response.data


def test_instance_templates_override_core_templates(make_app, tmp_path):
    app = make_app()
    overrides = tmp_path / "instance" / "templates"
    overrides.mkdir(parents=True)
    (overrides / "home.html").write_text(
        '{% extends "desk/layout.html" %}{% block content %}Our own start page{% endblock %}'
    )
    html = app.test_client().get("/").get_data(as_text=True)
    assert "Our own start page" in html and "skip-link" in html


def test_a_nul_byte_in_any_input_is_a_clear_400(client):
    assert client.get("/?q=a%00b").status_code == 400
    assert client.post("/sign-in", data={"email": "a\x00@b.c", "password": "x"}).status_code == 400
    assert (
        client.post("/sign-in", data={"email": ["ok@b.c", "x\x00"], "password": "x"}).status_code
        == 400
    )
