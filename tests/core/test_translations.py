"""Every user-visible string exists in English (the msgids) and French (the ``fr`` catalogue)."""

from __future__ import annotations

import io
import re
import shutil
from collections import Counter
from pathlib import Path

import click
import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from click.testing import CliRunner

from supportdesk import i18n_catalog
from supportdesk.i18n import TRANSLATIONS_DIR

PO_PATH = i18n_catalog.catalog_path("fr")
MO_PATH = PO_PATH.with_suffix(".mo")
# A Python %-conversion: named (%(name)s) or positional (%s, %d, %.1f); %% is a literal.
PLACEHOLDER = re.compile(r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*\*?\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")
NBSP = "\u00a0"


def read_catalog(path: Path = PO_PATH) -> Catalog:
    with path.open("rb") as po_file:
        return read_po(po_file, locale="fr", domain="messages")


def key(message: Message) -> tuple[str | None, str]:
    msgid = message.id[0] if isinstance(message.id, (list, tuple)) else message.id
    return message.context, msgid


def forms(value: str | tuple[str, ...] | list[str]) -> list[str]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def placeholders(text: str) -> Counter[str]:
    return Counter(m.group(0) for m in PLACEHOLDER.finditer(text) if m.group(0) != "%%")


def mo_messages(data: bytes) -> dict[tuple[str | None, str], object]:
    catalog = read_mo(io.BytesIO(data))
    return {key(m): m.string for m in catalog if m.id}


@pytest.fixture(scope="module")
def extracted() -> Catalog:
    return i18n_catalog.extract_messages()


@pytest.fixture(scope="module")
def french() -> Catalog:
    return read_catalog()


def test_extraction_finds_python_template_and_plugin_strings(extracted):
    ids = {key(m)[1] for m in extracted if m.id}
    assert "Page not found" in ids  # Python, web.py
    assert "How can we help you?" in ids  # core template
    assert "Fraud report" in ids  # a plugin's lazy_gettext (_l)
    files = {path for m in extracted for path, _line in m.locations}
    assert not [f for f in files if "/tests/" in f or f.startswith("tests/")]


def test_every_string_has_a_french_translation(extracted, french):
    missing = []
    for message in list(extracted)[1:]:
        translated = french.get(message.id, context=message.context)
        if translated is None or translated.fuzzy or not all(forms(translated.string)):
            state = "fuzzy" if translated is not None and translated.fuzzy else "missing"
            files = ", ".join(sorted({path for path, _line in message.locations}))
            missing.append(f"  [{state}] {key(message)[1]!r} ({files})")
    assert not missing, (
        f"{len(missing)} string(s) have no French translation in {PO_PATH}:\n"
        + "\n".join(missing)
        + "\nRun `supportdesk i18n-update`, translate the new entries of the .po file (and remove "
        "their `fuzzy` flag once checked), then run `supportdesk i18n-update` again to compile "
        "the .mo."
    )


def test_compiled_catalogue_is_up_to_date(french):
    compiled = io.BytesIO()
    write_mo(compiled, french)
    assert MO_PATH.is_file(), f"{MO_PATH} is missing: run `supportdesk i18n-update`"
    in_memory, on_disk = mo_messages(compiled.getvalue()), mo_messages(MO_PATH.read_bytes())
    stale = sorted(
        str(k[1]) for k in in_memory.keys() | on_disk.keys() if in_memory.get(k) != on_disk.get(k)
    )
    assert not stale, (
        f"{MO_PATH.name} differs from {PO_PATH.name} for {stale}: run `supportdesk i18n-update`"
    )


def test_translations_keep_the_placeholders(french):
    wrong = []
    for message in list(french)[1:]:
        if not message.string or message.fuzzy:  # fuzzy entries are not compiled
            continue
        expected = sum((placeholders(text) for text in forms(message.id)), Counter())
        translations = forms(message.string)
        found = sum((placeholders(text) for text in translations), Counter())
        if isinstance(message.id, (list, tuple)):
            # Plural forms may each leave out the count; together they use the same names.
            ok = set(found) == set(expected)
        else:
            ok = found == expected
        names = {m.group("name") for m in PLACEHOLDER.finditer(" ".join(forms(message.id)))}
        values = {name: 1 for name in names if name}
        for text in translations:
            try:
                if values:
                    text % values
            except (KeyError, ValueError, TypeError):
                ok = False
        if not ok:
            wrong.append(f"  {key(message)[1]!r} -> {message.string!r}")
    assert not wrong, "Translations whose %-placeholders differ from the msgid's:\n" + "\n".join(
        wrong
    )


def test_english_is_the_source_and_has_no_catalogue():
    assert i18n_catalog.LOCALES == ("fr",)
    assert not (TRANSLATIONS_DIR / "en").exists()


def test_update_keeps_translations_and_compiles(tmp_path):
    """``update_catalogs`` on a copy of the catalogues: nothing lost, a fresh .mo, no churn."""
    shutil.copytree(TRANSLATIONS_DIR, tmp_path, dirs_exist_ok=True)
    po_path = i18n_catalog.catalog_path("fr", tmp_path)
    before = {key(m): m.string for m in read_catalog(po_path) if m.id and m.string}
    po_path.with_suffix(".mo").unlink()

    report = i18n_catalog.update_catalogs(translations_dir=tmp_path)

    after = read_catalog(po_path)
    kept = {k: s for k, s in before.items() if after.get(k[1], context=k[0]) is not None}
    assert all(after.get(k[1], context=k[0]).string == s for k, s in kept.items())
    assert (tmp_path / "messages.pot").is_file()
    compiled = io.BytesIO()
    write_mo(compiled, after)
    assert mo_messages(po_path.with_suffix(".mo").read_bytes()) == mo_messages(compiled.getvalue())
    (fr_report,) = report.locales
    assert fr_report.translated + len(fr_report.missing) + len(fr_report.fuzzy) == report.messages

    again = i18n_catalog.update_catalogs(translations_dir=tmp_path)
    assert not again.pot_written
    assert again.locales[0].written == []


def test_register_adds_the_cli_command(monkeypatch, tmp_path):
    group = click.Group("supportdesk")
    i18n_catalog.register(group)
    assert "i18n-update" in group.commands
    report = i18n_catalog.UpdateReport(
        messages=2,
        pot_written=False,
        locales=[i18n_catalog.LocaleReport("fr", translated=1, missing=["Hello"])],
    )
    monkeypatch.setattr(i18n_catalog, "update_catalogs", lambda: report)
    result = CliRunner().invoke(group, ["i18n-update"])
    assert result.exit_code == 0, result.output
    assert "fr: 1 translated, 0 fuzzy, 1 untranslated" in result.output
    assert "untranslated: Hello" in result.output


def test_pages_speak_the_browser_language(client):
    french = client.get("/", headers={"Accept-Language": "fr"})
    assert french.status_code == 200
    page = french.get_data(as_text=True)
    assert '<html lang="fr">' in page
    assert f"Comment pouvons-nous vous aider{NBSP}?" in page
    assert "How can we help you?" not in page

    english = client.get("/", headers={"Accept-Language": "en"})
    page = english.get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "How can we help you?" in page
    assert "Comment pouvons-nous" not in page


def test_a_language_without_catalogue_falls_back_to_english(client):
    page = client.get("/", headers={"Accept-Language": "de, en;q=0.5"}).get_data(as_text=True)
    assert "How can we help you?" in page


def test_error_pages_are_translated(client):
    response = client.get("/no-such-page", headers={"Accept-Language": "fr"})
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "<h1>Page introuvable</h1>" in page
    assert "Erreur 404" in page
    assert "Page not found" not in page


def test_the_language_switch_wins_over_the_browser(client):
    response = client.post("/language", data={"locale": "fr", "next": "/"})
    assert response.status_code == 302
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f"Comment pouvons-nous vous aider{NBSP}?" in page
    assert '<option value="fr" lang="fr" selected>' in page

    client.post("/language", data={"locale": "en"})
    page = client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "How can we help you?" in page


# --- the desk's own translation functions: Flask-Babel's answers, looked up once a request ------


@pytest.mark.parametrize("language", ["en", "fr"])
def test_desk_gettext_and_dates_answer_as_flask_babel(app, language):
    """``supportdesk.i18n``'s gettext, lazy_gettext (the desk's labels) and ``datetimeformat``
    filter keep the request's catalogue and time zone for the request: each answers exactly
    what Flask-Babel answers, in each language, and follows a forced locale."""
    from datetime import UTC, datetime

    import flask_babel

    from supportdesk import i18n
    from supportdesk.staff.forms import STATUS_LABELS

    when = datetime(2026, 3, 9, 17, 5, tzinfo=UTC)
    with app.test_request_context("/", headers={"Accept-Language": language}):
        assert str(flask_babel.get_locale()) == language
        for text in ("Waiting on seller", "Sign out", "No such text in any catalogue"):
            assert i18n.gettext(text) == flask_babel.gettext(text)
            assert str(i18n.lazy_gettext(text)) == str(flask_babel.lazy_gettext(text))
        assert i18n.gettext("Select %(ref)s", ref="SD-1") == flask_babel.gettext(
            "Select %(ref)s", ref="SD-1"
        )
        for style in ("short", "medium", "long", None, "d MMM yyyy HH:mm"):
            assert i18n.datetimeformat(when, style) == flask_babel.format_datetime(when, style)
        labels = {key: str(label) for key, label in STATUS_LABELS.items()}
        assert labels == {key: flask_babel.gettext(str(label._args[0])) for key, label in
                          STATUS_LABELS.items()}  # fmt: skip
        other = "en" if language == "fr" else "fr"
        with flask_babel.force_locale(other):
            assert i18n.gettext("Waiting on seller") == flask_babel.gettext("Waiting on seller")
            assert i18n.datetimeformat(when, "short") == flask_babel.format_datetime(when, "short")
            assert {key: str(label) for key, label in STATUS_LABELS.items()} != labels
        assert i18n.gettext("Waiting on seller") == labels["waiting"]
    if language == "fr":
        assert labels["waiting"] != "Waiting on seller"  # the French catalogue answered


def test_dates_are_shown_as_babel_shows_them_in_the_desk_time_zone(make_app):
    """``datetimeformat`` keeps each format's patterns and the dates it wrote last for the
    process: what it shows is still what Babel shows, in each language and time zone (one
    after the other in one process, each shown twice), for every named format and a pattern of
    one's own, for stored (naive, UTC) and aware times, across the year's clock changes."""
    from datetime import UTC, datetime, timedelta

    import flask_babel

    from supportdesk import i18n

    styles = ("short", "medium", "long", "full", None, "EEEE d MMMM y 'at' h:mm a zzzz")
    moments = [
        datetime(2026, 1, 1, 0, 30, tzinfo=UTC) + timedelta(days=9 * n, hours=n) for n in range(41)
    ]
    for zone in ("Europe/Paris", "UTC", "America/New_York", "Asia/Kolkata"):
        app = make_app(BABEL_DEFAULT_TIMEZONE=zone)
        for language in ("en", "fr"):
            with app.test_request_context("/", headers={"Accept-Language": language}):
                assert str(flask_babel.get_timezone()) == zone
                for _shown_again in range(2):
                    for when in moments:
                        for shown in (when, when.replace(tzinfo=None)):
                            for style in styles:
                                assert i18n.datetimeformat(shown, style) == (
                                    flask_babel.format_datetime(shown, style)
                                ), (zone, language, shown, style)


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("autoescape", [True, False])
def test_template_gettext_answers_as_jinja_newstyle_gettext(app, language, autoescape):
    """The templates' translation functions (called directly, not through Jinja's wrappers)
    give what Jinja's newstyle gettext over Flask-Babel gives: variables escaped in an HTML
    template and left alone in a text mail, "%%" a percent sign, plurals, ``{% trans %}``
    blocks, inside loops too."""
    import flask_babel
    from jinja2 import Environment

    source = (
        "{% for who in people %}{{ _('Select %(ref)s', ref=who) }}|"
        "{{ ngettext('over %(num)d case', 'over %(num)d cases', loop.index) }}|{% endfor %}"
        "{{ _('Sign out') }}|{{ _('100%% sure') }}|{{ gettext('Waiting on seller') }}|"
        "{% trans who=people[0] %}Hello {{ who }}{% endtrans %}|"
        "{{ pgettext('case', 'Open') }}|{{ npgettext('case', '%(num)d file', '%(num)d files', 2) }}"
    )
    people = ["<b>Ann & Co</b>", "Bob"]
    reference = Environment(extensions=["jinja2.ext.i18n"], autoescape=autoescape)  # noqa: S701 (both ways)
    reference.install_gettext_callables(
        flask_babel.gettext,
        flask_babel.ngettext,
        newstyle=True,
        pgettext=flask_babel.pgettext,
        npgettext=flask_babel.npgettext,
    )
    desk = app.jinja_env.overlay(autoescape=autoescape)
    with app.test_request_context("/", headers={"Accept-Language": language}):
        expected = reference.from_string(source).render(people=people)
        assert desk.from_string(source).render(people=people) == expected
    assert ("&lt;b&gt;Ann &amp; Co" in expected) is autoescape
    assert "100% sure" in expected
