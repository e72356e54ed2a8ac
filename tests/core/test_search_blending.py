"""The search hooks: the index tells plugins what changes, and the documents a plugin finds
near a query in meaning are blended with the lexical ranking (``search.blending``)."""

from __future__ import annotations

import pytest

from supportdesk import search
from supportdesk.database import write_transaction
from supportdesk.plugins import plugin_host
from supportdesk.search.blending import WINDOW, blend
from tests.plugins.neighbours import Neighbours

SOURCE = "notes"
NOTES = {
    "refund": ("Refund a buyer", "Open the order and choose refund.", "returns"),
    "ship": (
        "Ship an order on time",
        "Add the tracking number when the parcel leaves.",
        "shipping",
    ),
    "phishing": ("Messages asking to talk elsewhere", "Never give a buyer your phone.", "safety"),
    "fees": ("Seller fees", "A commission is taken on each sale.", "payments"),
}


def _index_notes() -> None:
    with write_transaction():
        for key, (title, body, facet) in NOTES.items():
            search.index(search.Document(SOURCE, key, "en", title, body, facet=facet))


@pytest.fixture
def neighbours(make_app):
    plugin = Neighbours()
    app = make_app(plugins=[plugin])
    with app.app_context():
        _index_notes()
        plugin.seen.clear()
        yield plugin


def _keys(text: str, **options) -> list[str]:
    return search.search(SOURCE, text, locale="en", correct_typos=False, **options).keys


def test_blend_mixes_the_scaled_scores_of_both_sides():
    lexical = (["a", "b", "c"], [-30.0, -20.0, -10.0])  # negative is better: a first
    assert blend(*lexical, {}, 0.5) == [("a", -0.5), ("b", -0.25), ("c", -0.0)]
    near = {"c": 0.9, "d": 0.5}
    assert [key for key, _ in blend(*lexical, near, 0.0)] == ["a", "b", "c", "d"]
    assert blend(*lexical, near, 1.0)[0] == ("c", -1.0)
    # Found by both sides beats found by one: c is last lexically and first in meaning.
    assert blend(*lexical, near, 0.6)[0] == ("c", -0.6)
    assert all(-1.0 <= score <= 0.0 for _, score in blend(*lexical, near, 0.5))


def test_the_index_tells_plugins_inside_the_transaction(neighbours):
    with write_transaction():
        search.index(search.Document(SOURCE, "fees", "fr", "Frais de vente", "Une commission."))
        search.remove(SOURCE, "fees", "fr")
        search.remove(SOURCE, "refund")
        search.clear(SOURCE)
    assert neighbours.seen == [
        ("indexed", SOURCE, "fees", "fr"),
        ("in transaction", True),
        ("removed", SOURCE, "fees", "fr"),
        ("removed", SOURCE, "refund", None),
        ("cleared", SOURCE),
    ]


def test_a_document_near_in_meaning_joins_the_ranking(neighbours):
    assert _keys("whatsapp contact") == []  # no note holds either word
    neighbours.answers["whatsapp contact"] = [("phishing", 0.9), ("ship", 0.2), ("gone", 1.0)]
    results = search.search(SOURCE, "whatsapp contact", locale="en", correct_typos=False)
    assert results.keys == ["phishing", "ship"]  # "gone" is not in the index
    assert results.total == 2
    assert neighbours.seen[-1] == ("neighbours", SOURCE, "whatsapp contact", "en", WINDOW)
    # The facet filters the neighbours as it filters the lexical matches.
    assert _keys("whatsapp contact", facet="shipping") == ["ship"]
    neighbours.answers["order"] = [("fees", 1.0)]
    assert set(_keys("order")) == {"refund", "ship", "fees"}
    assert (
        _keys("order", limit=1, offset=2)
        == [key for key, _ in blend(["ship", "refund"], [-2.0, -1.0], {"fees": 1.0}, 0.5)][2:3]
    )


def test_no_answer_leaves_the_ranking_as_it_was(neighbours):
    asked = [
        search.search(SOURCE, "order", locale="en", limit=limit, offset=offset)
        for limit, offset in ((10, 0), (1, 0), (1, 1))
    ]
    assert [r.keys for r in asked] == [["ship", "refund"], ["ship"], ["refund"]]
    plugin_host().unregister("neighbours")
    alone = [
        search.search(SOURCE, "order", locale="en", limit=limit, offset=offset)
        for limit, offset in ((10, 0), (1, 0), (1, 1))
    ]
    assert asked == alone


def test_malformed_answers_are_left_out(neighbours):
    neighbours.answers["whatsapp"] = [
        ("phishing", "close"),
        (3, 0.5),
        ("refund", float("nan")),
        "junk",
        ("ship", 7.0),
    ]
    assert _keys("whatsapp") == ["ship"]
    neighbours.answers["whatsapp"] = 42
    assert _keys("whatsapp") == []


def test_a_raising_plugin_never_breaks_the_index_or_a_search(make_app):
    plugin = Neighbours(answers={"order": [("fees", 1.0)]}, fail=True)
    app = make_app(plugins=[plugin])
    with app.app_context():
        _index_notes()
        assert _keys("order") == ["ship", "refund"]
        with write_transaction():
            search.remove(SOURCE, "ship")
            search.clear("other")
        assert _keys("order") == ["refund"]
    assert ("neighbours", SOURCE, "order", "en", WINDOW) in plugin.seen
