"""``supportdesk import-articles DIR`` and ``supportdesk export-articles DIR``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from supportdesk.extensions import db

from . import articles, files
from .models import Article


@click.command("import-articles")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@with_appcontext
def import_articles(folder: Path) -> None:
    """Import (create or update by slug and language) every Markdown article under FOLDER."""
    paths = files.article_files(folder)
    with click.progressbar(length=len(paths), label="Importing articles", file=sys.stderr) as bar:
        imported, errors = files.import_folder(
            folder, articles.save, progress=lambda _p: bar.update(1)
        )
    for error in errors:
        click.echo(f"error: {error}", err=True)
    click.echo(f"{imported} imported, {len(errors)} refused.")
    if errors:
        raise SystemExit(1)


@click.command("export-articles")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def export_articles(folder: Path) -> None:
    """Write every article (drafts included) to FOLDER/<locale>/<slug>.md."""
    rows = db.session.scalars(sa.select(Article).order_by(Article.locale, Article.slug))
    count = files.export_folder(folder, iter(rows))
    click.echo(f"{count} articles written to {folder}.")
