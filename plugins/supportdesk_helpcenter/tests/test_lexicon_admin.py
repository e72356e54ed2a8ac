"""The admins' lexicon page: the shipped lines read-only, the admins' lines added (checked at
the field, the input kept) and deleted, and nobody else let in."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.search.analysis import words
from supportdesk.search.lexicon import Lexicon
from supportdesk_helpcenter import lexicon
from supportdesk_helpcenter.models import LexiconEntry
from supportdesk_helpcenter.tests.quality import harness

PAGE = "/help/manage/lexicon"


def entries() -> list[tuple[str, str, str]]:
    db.session.expire_all()
    rows = db.session.scalars(sa.select(LexiconEntry).order_by(LexiconEntry.id))
    return [(row.locale, row.line, row.origin) for row in rows]


def test_an_admin_adds_and_deletes_a_line(client, login, admin):
    login(client, admin)
    page = client.get(PAGE)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="lexicon-en"' in html and 'id="lexicon-fr"' in html
    for locale in ("en", "fr"):
        shipped = lexicon.shipped(locale)
        if shipped.lines:
            assert shipped.version in html
    added = client.post(PAGE, data={"locale": "fr", "line": "arnaque, escroquerie => fraude"})
    assert added.status_code == 302
    assert entries() == [("fr", "arnaque, escroquerie => fraude", "admin")]
    html = client.get(PAGE).get_data(as_text=True)
    assert "arnaque, escroquerie =&gt; fraude" in html
    assert admin.name in html or admin.email in html
    entry_id = db.session.scalar(sa.select(LexiconEntry.id))
    assert client.post(f"{PAGE}/{entry_id}/delete").status_code == 302
    assert entries() == []
    assert client.post(f"{PAGE}/{entry_id}/delete").status_code == 404


def test_a_wrong_line_is_refused_at_its_field_and_kept(client, login, admin):
    login(client, admin)
    for line in ("", "a => b => c", "lonely", "x" * 600):
        refused = client.post(PAGE, data={"locale": "en", "line": line})
        assert refused.status_code == 400, line
        html = refused.get_data(as_text=True)
        assert 'id="line-error"' in html, line
        if line:
            assert line.replace(">", "&gt;") in html
    refused = client.post(PAGE, data={"locale": "de", "line": "a, b"})
    assert refused.status_code == 400
    assert 'id="locale-error"' in refused.get_data(as_text=True)
    assert entries() == []


def test_only_admins_reach_the_lexicon(client, login, seller, agent, admin):
    assert client.get(PAGE).status_code == 302  # visitors sign in
    for user in (seller, agent):
        login(client, user)
        assert client.get(PAGE).status_code == 403
        assert client.post(PAGE, data={"locale": "en", "line": "a, b"}).status_code == 403
    assert entries() == []
    assert "/help/manage/lexicon" not in client.get("/help/analytics").get_data(as_text=True)
    login(client, admin)
    assert "/help/manage/lexicon" in client.get("/help/analytics").get_data(as_text=True)


def test_the_lexicon_page_speaks_french(client, login, admin):
    login(client, admin)
    fr = {"Accept-Language": "fr"}
    assert "Lexique de la recherche" in client.get(PAGE, headers=fr).get_data(as_text=True)
    refused = client.post(PAGE, data={"locale": "fr", "line": "seul"}, headers=fr)
    assert "Écrivez des termes séparés par des virgules" in refused.get_data(as_text=True)


@pytest.mark.parametrize("locale", ["en", "fr"])
def test_the_shipped_lexicon_is_versioned_and_every_line_is_a_rule(locale):
    shipped = lexicon.shipped(locale)
    assert shipped.version
    built = Lexicon(shipped.lines, locale)
    assert built.errors == []
    assert len(built.meanings) > 500
    assert built.filler


@pytest.mark.parametrize("locale", ["en", "fr"])
def test_the_admins_lines_over_the_shared_shipped_ones_read_as_one_lexicon(locale):
    """The admins' lines are built over the shipped lexicon, which is built once a process and
    shared: every query of the quality sets expands as with one lexicon of all the lines, and
    the shipped lexicon itself is left as it was."""
    shipped = lexicon.shipped(locale).lines
    added = [
        "refund, money back, cash back",  # terms the shipped lines know, with one more
        "parcel, package, colis",
        "vinted pro, seller pro => business account",  # a new phrase
        "~ heya, cheers",  # filler
        "seul",  # not a rule: named in the errors
    ]
    base = lexicon.shipped_lexicon(locale)
    before = {key: dict(means) for key, means in base.meanings.items()}
    flat = Lexicon(shipped + added, locale)
    layered = Lexicon(added, locale, base=base)
    assert layered.errors == flat.errors and layered.filler == flat.filler
    assert layered.longest == flat.longest
    queries = harness.load_queries() + harness.load_queries(harness.HARD_QUERIES)
    asked = [q["q"] for q in queries if q["lang"] == locale] + ["money back heya", "seller pro"]
    for text in asked:
        terms = words(text)
        assert layered.concepts(terms) == flat.concepts(terms), text
        assert [layered.knows(t) for t in terms] == [flat.knows(t) for t in terms], text
    assert base.meanings == before and "heya" not in base.filler
