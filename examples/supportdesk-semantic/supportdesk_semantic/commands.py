"""``supportdesk semantic embed``: (re)embed every document of the embedded sources."""

from __future__ import annotations

import sys
import time
from itertools import islice

import click
from flask import current_app
from flask.cli import with_appcontext

from supportdesk.database import write_transaction

from . import embeddings, settings
from .embedder import embedder

BATCH = 16  # documents per transaction: short write locks, progress every few seconds


@click.group("semantic")
def semantic_group() -> None:
    """Semantic search: the embeddings of indexed documents."""


@semantic_group.command("embed")
@click.option("--source", "only", multiple=True, help="Embed only this source (repeatable).")
@click.option("--all", "everything", is_flag=True, help="Embed again even unchanged documents.")
@with_appcontext
def embed_command(only: tuple[str, ...], everything: bool) -> None:
    """Embed the documents that have no embedding or whose text changed, and forget those of
    documents gone. Run it after enabling the plugin or changing its model."""
    found = settings.current(current_app)
    if not found.enabled:
        raise click.ClickException(
            "semantic search is off: set SUPPORTDESK_PLUGIN_SEMANTIC_ENABLED=true first"
        )
    sources = current_app.extensions["supportdesk"].search_sources
    for name in only or found.sources:
        if name not in sources:
            raise click.ClickException(
                f"no search source {name!r}; known: {', '.join(sorted(sources))}"
            )
        if name not in found.sources:
            raise click.ClickException(f"source {name!r} is not in the plugin's sources")
    model = embedder(found.model, found.threads)
    for name in only or found.sources:
        started = time.monotonic()
        documents = list(sources[name].documents())
        if everything:
            with write_transaction():
                embeddings.remove_others(name, ())
        embedded = 0
        with click.progressbar(length=len(documents), label=name, file=sys.stderr) as bar:
            batches = iter(documents)
            while batch := list(islice(batches, BATCH)):
                with write_transaction():
                    embedded += embeddings.store(model, batch, found.max_chars)
                bar.update(len(batch))
        with write_transaction():
            gone = embeddings.remove_others(name, ((d.key, d.locale) for d in documents))
        click.echo(
            f"{name}: {len(documents)} documents, {embedded} embedded, {gone} forgotten"
            f" ({time.monotonic() - started:.1f} s)."
        )
