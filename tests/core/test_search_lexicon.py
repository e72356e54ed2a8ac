"""Query expansion in the core search service: a lexicon of words that mean the same thing,
long questions, pseudo-relevance feedback; on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest

from supportdesk import search
from supportdesk.database import write_transaction
from supportdesk.extensions import db
from supportdesk.search.lexicon import Lexicon, LexiconError, parse_rule

SOURCE = "lexicon-test"

LINES = [
    "# version: test",
    "refund, reimbursement, money back",
    "scam, swindle => fraud",
    "never showed up => not received",
    "~ hello, thanks, please, week, supposed",
]


def put(key: str, title: str, body: str = "", locale: str = "en", **kw) -> None:
    with write_transaction():
        search.index(search.Document(SOURCE, key, locale, title, body, **kw))


def keys(query: str, lexicon: Lexicon | None = None, **kw) -> list[str]:
    locale = kw.pop("locale", "en")
    return search.search(SOURCE, query, locale=locale, lexicon=lexicon, **kw).keys


@pytest.fixture
def lexicon() -> Lexicon:
    return Lexicon(LINES, "en")


@pytest.fixture
def pages(app):
    put("refunds", "Refunds for buyers", "How to give a buyer their money after a return.")
    put("fraud", "Report fraud", "Tell us about fraud attempts by a buyer.")
    put("missing", "Item not received", "The buyer says the item was not received.")
    put("photos", "Product photos", "Good photos sell: light, background, size.")
    return app


@pytest.mark.parametrize(
    ("line", "terms", "means"),
    [
        ("a, b, c", ("a", "b", "c"), ("a", "b", "c")),
        ("Arnaque, Escroquerie => Fraude", ("arnaque", "escroquerie"), ("fraude",)),
        ("  money back ,refund ", ("money back", "refund"), ("money back", "refund")),
    ],
)
def test_lines_are_read_as_solr_synonyms(line, terms, means):
    rule = parse_rule(line)
    assert (rule.terms, rule.means) == (terms, means)


@pytest.mark.parametrize("line", ["lonely", "a, , b", "a => b => c", "=> b", "a =>"])
def test_a_wrong_line_says_so(line):
    with pytest.raises(LexiconError):
        parse_rule(line)


def test_comments_and_blank_lines_are_no_rules():
    assert parse_rule("# version: 1") is None
    assert parse_rule("   ") is None


def test_a_synonym_finds_the_page_the_typed_word_never_could(pages, lexicon):
    assert keys("reimbursement") == []
    assert keys("reimbursement", lexicon)[0] == "refunds"


def test_a_phrase_of_the_lexicon_finds_its_meaning(pages, lexicon):
    assert keys("parcel never showed up", lexicon)[0] == "missing"


def test_one_way_rules_go_one_way(pages, lexicon):
    assert keys("swindle", lexicon)[0] == "fraud"
    put("scams", "Scam warnings", "Common scams.")
    assert "scams" not in keys("fraud", lexicon)


def test_the_typed_word_weighs_more_than_its_synonym(app, lexicon):
    put("a-typed", "Reimbursement rules")
    put("b-synonym", "Refund rules")
    assert keys("reimbursement rules", lexicon) == ["a-typed", "b-synonym"]
    assert keys("refund rules", lexicon) == ["b-synonym", "a-typed"]


def test_a_lexicon_word_is_not_corrected_into_another(app):
    put("fraud", "Fraude et arnaques", locale="fr")
    put("sale", "Annonce vendue", locale="fr")
    french = Lexicon(["arnaque, escroquerie => fraude"], "fr")
    # « escroquerie » is not in the index: without the lexicon it would be read as a typo.
    results = search.search(SOURCE, "escroquerie", locale="fr", lexicon=french)
    assert results.corrected is None
    assert results.keys == ["fraud"]


def test_a_long_question_needs_none_of_its_words_and_drops_its_filler(pages, lexicon):
    question = "hello, I was supposed to get my item last week but it never came, thanks"
    # Without the lexicon every word is asked for: no page holds them all, and the filler
    # ("hello", "week", "thanks") is read as the topic.
    assert keys(question, lexicon)[0] == "missing"


def test_filler_stays_in_a_short_query(app, lexicon):
    put("week", "Week planner")
    assert keys("week", lexicon) == ["week"]


def test_feedback_finds_a_page_sharing_the_best_pages_words(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("feedback is part of the SQLite ranking; PostgreSQL ranks with ts_rank_cd")
    put("a", "Holiday mode pauses listings", "Going away: holiday mode.")
    put("b", "Pause your shop while away", "Listings hidden until you return.")
    put("c", "Photos", "Light and background.")
    assert keys("holiday mode") == ["a"]
    assert keys("holiday mode", feedback=True) == ["a", "b"]
