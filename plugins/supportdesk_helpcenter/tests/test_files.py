"""``supportdesk import-articles`` and ``export-articles``: progress, bad files named by line
while the others import, upsert by slug and language, byte-identical round trips, and the
optional ``questions`` list in both of its forms."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import current_app

from supportdesk.extensions import db
from supportdesk_helpcenter import articles
from supportdesk_helpcenter.articles import ArticleData
from supportdesk_helpcenter.files import ArticleFileError, parse
from supportdesk_helpcenter.models import Article
from supportdesk_helpcenter.searching import search_help

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


# --- questions ------------------------------------------------------------------------------

DAMAGED = """---
slug: damaged-in-transit
locale: en
title: Damaged in transit
category: returns
tags: [damage]
related: []
questions:
  - How do I get my money back for a broken item?
  - The buyer wants a refund: what now?
  - '"Arrived smashed" and "useless"'
---
Ask for photos, then open a claim.
"""


def read(text: str) -> ArticleData:
    return parse(text, Path("en/article.md"))


def test_questions_are_read_from_a_block_list():
    assert read(DAMAGED).questions == [
        "How do I get my money back for a broken item?",
        "The buyer wants a refund: what now?",
        '"Arrived smashed" and "useless"',
    ]
    unindented = DAMAGED.replace("  - ", "- ").replace("questions:\n", "questions:\n\n")
    assert read(unindented).questions == read(DAMAGED).questions
    quoted = DAMAGED.replace("  - The buyer", '  - "The buyer').replace("now?", 'now?"')
    assert read(quoted).questions[1] == "The buyer wants a refund: what now?"


def test_questions_are_read_from_an_inline_list_with_quoted_items():
    text = DAMAGED.split("questions:")[0] + (
        "questions: [Where is my refund?, \"Broken, cracked or torn?\", 'What's next?', It's late]"
        "\n---\nBody\n"
    )
    assert read(text).questions == [
        "Where is my refund?",
        "Broken, cracked or torn?",
        "What's next?",
        "It's late",
    ]


def test_an_empty_inline_list_and_a_file_without_questions_give_none():
    assert read(REFUNDS_EN).questions == []
    empty = DAMAGED.split("questions:")[0] + "questions: []\n---\nBody\n"
    assert read(empty).questions == []
    assert read(REFUNDS_EN).tags == ["refund", "money back"]  # the old lists read as before


def test_bad_question_lines_name_the_file_and_line():
    cases = {
        DAMAGED.replace("questions:\n", ""): (8, "a '- item' line must follow 'questions:'"),
        DAMAGED.replace("  - The buyer wants a refund: what now?", "  -"): (
            10,
            "an empty '- ' item",
        ),
        DAMAGED.replace("  - '\"Arrived", "draft: true\n  - '\"Arrived"): (12, "must follow"),
        REFUNDS_EN.replace("related: [ship-an-order]", "questions: How do I?"): (
            7,
            "a list is written [a, b] or one '- item' line each",
        ),
    }
    for text, (line, message) in cases.items():
        with pytest.raises(ArticleFileError) as error:
            read(text)
        assert error.value.line == line and message in error.value.message, str(error.value)
        assert str(error.value).startswith(f"en{os.sep}article.md:{line}: ")


def test_questions_that_break_the_rules_are_refused_on_import(app, tmp_path):
    folder = tmp_path / "articles"
    long = write(folder, "en/long.md", DAMAGED.replace("what now?", "what now?" + "!" * 300))
    many = write(
        folder,
        "en/many.md",
        DAMAGED.replace("questions:\n", "questions:\n" + "  - Why?\n" * 30),
    )
    result = run("import-articles", str(folder))
    assert result.exit_code == 1
    assert f"{long}:1: questions: Question 2 is longer than 300 characters." in result.stderr
    assert f"{many}:1: questions: An article answers at most 30 questions." in result.stderr
    assert count() == 0


def test_questions_round_trip_byte_identical(app, tmp_path):
    source = tmp_path / "in"
    write(source, "en/damaged-in-transit.md", DAMAGED)
    write(source, "en/refund-a-buyer.md", REFUNDS_EN)
    assert run("import-articles", str(source)).exit_code == 0
    assert len(articles.find("damaged-in-transit", "en").questions) == 3
    target = tmp_path / "out"
    assert run("export-articles", str(target)).exit_code == 0
    for name in ("en/damaged-in-transit.md", "en/refund-a-buyer.md"):
        assert (target / name).read_bytes() == (source / name).read_bytes(), name
    assert "questions" not in (target / "en/refund-a-buyer.md").read_text(encoding="utf-8")


def test_inline_questions_are_exported_as_a_block_list_that_imports_the_same(app, tmp_path):
    source = tmp_path / "in"
    inline = DAMAGED.split("questions:")[0] + (
        'questions: ["Broken, cracked?", Refund now?]\n---\nBody\n'
    )
    write(source, "en/damaged-in-transit.md", inline)
    run("import-articles", str(source))
    target = tmp_path / "out"
    run("export-articles", str(target))
    exported = (target / "en/damaged-in-transit.md").read_text(encoding="utf-8")
    assert "questions:\n  - Broken, cracked?\n  - Refund now?\n---\n" in exported
    assert read(exported).questions == ["Broken, cracked?", "Refund now?"]


def test_a_phrasing_only_in_the_questions_finds_the_article(app, tmp_path):
    folder = tmp_path / "articles"
    write(folder, "en/damaged-in-transit.md", DAMAGED)
    write(folder, "en/refund-a-buyer.md", REFUNDS_EN)
    run("import-articles", str(folder))
    with current_app.test_request_context():
        hits = search_help("arrived smashed", "en", log=False).hits
    assert [hit.slug for hit in hits] == ["damaged-in-transit"]
