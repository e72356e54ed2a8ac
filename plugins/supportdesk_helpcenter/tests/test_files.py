"""``supportdesk import-articles`` and ``export-articles``: progress, bad files named by line
while the others import, upsert by slug and language, byte-identical round trips."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from supportdesk.extensions import db
from supportdesk_helpcenter import articles
from supportdesk_helpcenter.models import Article

REFUNDS_EN = """---
slug: refund-a-buyer
locale: en
title: Refund a buyer
category: returns
tags: [refund, money back]
related: [ship-an-order]
---
Open the order and choose **Refund**.
"""
REFUNDS_FR = """---
slug: refund-a-buyer
locale: fr
title: Rembourser un acheteur
category: returns
tags: [remboursement]
related: []
---
Le remboursement se fait depuis la commande.
"""
DRAFT = """---
slug: upcoming-changes
locale: en
title: Upcoming changes
category: account
tags: []
related: []
draft: true
---
Not yet.

## Soon

- one
- two
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def run(*args: str):
    return current_app.test_cli_runner().invoke(args=list(args))


def count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Article)) or 0


def test_import_shows_progress_and_names_a_bad_file_by_line(app, tmp_path):
    folder = tmp_path / "articles"
    write(folder, "en/refund-a-buyer.md", REFUNDS_EN)
    write(folder, "fr/refund-a-buyer.md", REFUNDS_FR)
    bad = write(folder, "en/broken.md", "---\nslug: broken\nlocale: en\ntitle x\n---\nbody\n")
    invalid = write(
        folder, "en/invalid.md", REFUNDS_EN.replace("slug: refund-a-buyer", "slug: Bad!")
    )
    result = run("import-articles", str(folder))
    assert result.exit_code == 1
    assert "Importing articles" in result.stderr
    assert f"{bad}:4: expected 'key: value'" in result.stderr
    assert f"{invalid}:1: slug:" in result.stderr
    assert "2 imported, 2 refused." in result.stdout
    assert count() == 2
    assert articles.find("refund-a-buyer", "fr").title == "Rembourser un acheteur"


def test_import_updates_by_slug_and_language(app, tmp_path):
    folder = tmp_path / "articles"
    write(folder, "en/refund-a-buyer.md", REFUNDS_EN)
    assert run("import-articles", str(folder)).exit_code == 0
    first = articles.find("refund-a-buyer", "en")
    write(folder, "en/refund-a-buyer.md", REFUNDS_EN.replace("Refund a buyer", "Refund buyers"))
    write(folder, "fr/refund-a-buyer.md", REFUNDS_FR)
    result = run("import-articles", str(folder))
    assert result.exit_code == 0 and "2 imported, 0 refused." in result.stdout
    db.session.expire_all()
    assert count() == 2
    again = articles.find("refund-a-buyer", "en")
    assert again.id == first.id and again.title == "Refund buyers"


def test_export_round_trip_is_byte_identical(app, tmp_path):
    source = tmp_path / "in"
    for name, text in (
        ("en/refund-a-buyer.md", REFUNDS_EN),
        ("fr/refund-a-buyer.md", REFUNDS_FR),
        ("en/upcoming-changes.md", DRAFT),
    ):
        write(source, name, text)
    assert run("import-articles", str(source)).exit_code == 0
    target = tmp_path / "out"
    result = run("export-articles", str(target))
    assert result.exit_code == 0 and "3 articles written" in result.stdout
    exported = sorted(p.relative_to(target) for p in target.rglob("*.md"))
    assert exported == sorted(p.relative_to(source) for p in source.rglob("*.md"))
    for relative in exported:
        assert (target / relative).read_bytes() == (source / relative).read_bytes(), relative
    assert not articles.find("upcoming-changes", "en").published


def test_the_exported_files_import_again_unchanged(app, tmp_path, write_article):
    write_article("seller-fees", "en", "Seller fees: what “commission” means", "É *x*\n")
    first = tmp_path / "first"
    run("export-articles", str(first))
    before = articles.find("seller-fees", "en").updated_at
    assert run("import-articles", str(first)).exit_code == 0
    db.session.expire_all()
    assert articles.find("seller-fees", "en").updated_at == before  # nothing changed
    second = tmp_path / "second"
    run("export-articles", str(second))
    name = "en/seller-fees.md"
    assert (first / name).read_bytes() == (second / name).read_bytes()
