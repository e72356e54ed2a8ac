"""A plugin of the search hooks: it records what the index tells it and answers
``search_neighbours`` with what a test gives it (or raises, when told to)."""

from __future__ import annotations

from typing import Any

from supportdesk import hookimpl
from supportdesk.extensions import db


class Neighbours:
    name = "neighbours"

    def __init__(self, answers: dict[str, Any] | None = None, fail: bool = False):
        self.answers = answers or {}  # query text -> what search_neighbours returns
        self.fail = fail
        self.seen: list[tuple] = []

    @hookimpl
    def search_document_indexed(self, document):
        self.seen.append(("indexed", document.source, document.key, document.locale))
        self.seen.append(("in transaction", db.session().in_transaction()))
        if self.fail:
            raise RuntimeError("indexing hook exploded")

    @hookimpl
    def search_document_removed(self, source, key, locale):
        self.seen.append(("removed", source, key, locale))
        if self.fail:
            raise RuntimeError("removal hook exploded")

    @hookimpl
    def search_source_cleared(self, source):
        self.seen.append(("cleared", source))
        if self.fail:
            raise RuntimeError("clearing hook exploded")

    @hookimpl
    def search_neighbours(self, source, text, locale, limit):
        self.seen.append(("neighbours", source, text, locale, limit))
        if self.fail:
            raise RuntimeError("neighbours exploded")
        return self.answers.get(text)
