"""The passage shown under each search result: where it is taken, what is marked, and where its
text comes from (the index keeps each article's text as readers see it)."""

from __future__ import annotations

import re

import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import SearchDocument

FILLER = " ".join(f"Sentence {n} says nothing of interest here." for n in range(12))


def snippets(client, query: str, lang: str = "en") -> list[str]:
    response = client.get(f"/help/search?q={query}&lang={lang}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return re.findall(r'<p class="help-snippet">(.*?)</p>', html, re.S)


def test_the_passage_shown_holds_the_most_query_words(client, write_article):
    write_article(
        "late-refunds",
        "en",
        "Money matters",
        f"{FILLER} **Refunding** a buyer late: the refunds wait for the parcel. {FILLER}",
    )
    (shown,) = snippets(client, "refund parcel")
    assert shown.startswith("… ") and shown.endswith(" …")  # cut on both sides
    assert "<mark>Refunding</mark> a buyer late: the <mark>refunds</mark> wait" in shown
    assert "<mark>parcel</mark>." in shown  # with the punctuation closing the last word
    assert "**" not in shown  # the text as readers see it, without Markdown
    assert len(re.findall(r"\w+", re.sub(r"<[^>]+>", "", shown))) <= 34


def test_a_short_article_is_shown_whole(client, write_article):
    write_article("short", "en", "Short", "Refunds take *two* days.")
    assert snippets(client, "refund") == ["<mark>Refunds</mark> take two days."]


def test_an_article_indexed_before_the_text_was_kept_still_has_its_passage(client, write_article):
    """After the upgrade that added the kept text, and until ``reindex``, the passage is made
    from the article itself."""
    write_article("old", "en", "Old article", f"{FILLER} Refunds of **old** orders. {FILLER}")
    db.session.execute(sa.update(SearchDocument).values(body_text=None))
    db.session.commit()
    (shown,) = snippets(client, "refund order")
    assert shown.startswith("… ") and shown.endswith(
        "<mark>Refunds</mark> of old <mark>orders</mark>. …"
    )


def test_words_written_with_decomposed_accents_are_marked_whole(client, write_article):
    """Text pasted from some systems writes « é » as « e » and a combining accent."""
    decomposed = "Les colis partent moins vite en e\u0301te\u0301, pre\u0301voyez un de\u0301lai."
    write_article("ete", "fr", "Vacances", decomposed)
    (shown,) = snippets(client, "ete", "fr")
    assert shown == "Les colis partent moins vite en <mark>été</mark>, prévoyez un délai."
