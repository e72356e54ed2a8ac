"""Semantic search: documents of the search index embedded by a small multilingual model, and
each query's nearest documents in meaning blended with the lexical ranking by the core.

Off unless ``SUPPORTDESK_PLUGIN_SEMANTIC_ENABLED`` (see :mod:`.settings`): installed and not
enabled, it writes nothing and leaves every query as it was.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app, g

from supportdesk import hookimpl

from . import embeddings, models, settings  # noqa: F401  (models: the table joins the metadata)
from .embedder import embedder

__version__ = "0.1.0"
name = "semantic"  # as its entry point is named, when registered as a module by tests

PACKAGE = Path(__file__).parent


def active(source: str) -> settings.Settings | None:
    """The settings, when the plugin is enabled and embeds ``source``; else None."""
    found = settings.current(current_app)
    return found if found.enabled and source in found.sources else None


@hookimpl
def startup(app):
    settings.current(app)  # a bad setting stops the desk at start, not at the first query


@hookimpl
def register_migrations(app):
    return PACKAGE / "migrations" / "versions"


@hookimpl
def register_commands(cli):
    from .commands import semantic_group

    cli.add_command(semantic_group)


@hookimpl
def search_document_indexed(document):
    if found := active(document.source):
        reuse = g.get("semantic_reuse", {}).get(document.source)
        embeddings.store(embedder(found.model, found.threads), [document], found.max_chars, reuse)


@hookimpl
def search_document_removed(source, key, locale):
    if active(source):
        embeddings.remove(source, key, locale)


@hookimpl
def search_source_cleared(source):
    if active(source):
        # Kept for this application context only: the rebuild that follows reuses them.
        g.semantic_reuse = {**g.get("semantic_reuse", {}), source: embeddings.clear(source)}


@hookimpl
def search_neighbours(source, text, locale, limit):
    if found := active(source):
        model = embedder(found.model, found.threads)
        return embeddings.nearest(model, source, text, locale, limit)
    return None
