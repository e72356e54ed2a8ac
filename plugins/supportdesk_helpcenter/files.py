"""The article file format: Markdown with front matter, one file per article and language.

    ---
    slug: contact-buyers-through-messaging
    locale: en
    title: Contact buyers only through the marketplace messaging
    category: buyer-communication
    tags: [messaging, buyers]
    related: [phishing-requests-to-talk-outside]
    ---
    Body in Markdown…

An unpublished article carries ``draft: true``. Export writes exactly what import reads, so a
round trip changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from supportdesk import FieldErrors

from .articles import ArticleData
from .models import Article

KEYS = ("slug", "locale", "title", "category", "tags", "related")
LIST_KEYS = {"tags", "related"}


@dataclass
class ArticleFileError(ValueError):
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def _scalar(raw: str) -> str:
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        return raw[1:-1]
    return raw


def _list(raw: str, path: Path, line: int) -> list[str]:
    raw = raw.strip()
    if not (raw.startswith("[") and raw.endswith("]")):
        raise ArticleFileError(path, line, "a list is written [a, b]")
    inner = raw[1:-1].strip()
    return [_scalar(item) for item in inner.split(",")] if inner else []


def parse(text: str, path: Path) -> ArticleData:
    """Read one article file; ``ArticleFileError`` names the line of the first problem."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise ArticleFileError(path, 1, "the file must start with a '---' line")
    values: dict[str, object] = {}
    for number, line in enumerate(lines[1:], start=2):
        if line.strip() == "---":
            body = "\n".join(lines[number:])
            break
        if not line.strip():
            continue
        key, sep, raw = line.partition(":")
        key = key.strip()
        if not sep:
            raise ArticleFileError(path, number, f"expected 'key: value', found {line.strip()!r}")
        if key not in (*KEYS, "draft"):
            raise ArticleFileError(path, number, f"unknown key {key!r}")
        values[key] = _list(raw, path, number) if key in LIST_KEYS else _scalar(raw)
    else:
        raise ArticleFileError(path, len(lines), "the front matter has no closing '---' line")
    for key in ("slug", "locale", "title"):
        if not values.get(key):
            raise ArticleFileError(path, 1, f"missing {key!r}")
    return ArticleData(
        slug=str(values["slug"]),
        locale=str(values["locale"]),
        title=str(values["title"]),
        body=body,
        category=str(values.get("category", "")),
        tags=list(values.get("tags", [])),  # type: ignore[arg-type]
        related=list(values.get("related", [])),  # type: ignore[arg-type]
        published=str(values.get("draft", "false")).lower() != "true",
    )


def dump(article: Article) -> str:
    front = [
        "---",
        f"slug: {article.slug}",
        f"locale: {article.locale}",
        f"title: {article.title}",
        f"category: {article.category}",
        f"tags: [{', '.join(article.tags or [])}]",
        f"related: [{', '.join(article.related or [])}]",
    ]
    if not article.published:
        front.append("draft: true")
    front.append("---")
    return "\n".join(front) + "\n" + article.body


def file_name(article: Article) -> str:
    return f"{article.locale}/{article.slug}.md"


def article_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.md") if p.is_file())


def import_folder(
    folder: Path,
    save: Callable[[ArticleData], object],
    progress: Callable[[Path], None] = lambda p: None,
) -> tuple[int, list[str]]:
    """Import every ``*.md`` under ``folder``; a bad file is reported and the others go on."""
    imported, errors = 0, []
    for path in article_files(folder):
        try:
            data = parse(path.read_text(encoding="utf-8"), path)
            save(data)
            imported += 1
        except ArticleFileError as exc:
            errors.append(str(exc))
        except FieldErrors as exc:
            errors.append(f"{path}:1: " + "; ".join(f"{k}: {v}" for k, v in exc.errors.items()))
        except UnicodeDecodeError:
            errors.append(f"{path}:1: not UTF-8 text")
        progress(path)
    return imported, errors


def export_folder(folder: Path, articles: Iterator[Article]) -> int:
    count = 0
    for article in articles:
        target = folder / file_name(article)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(dump(article), encoding="utf-8")
        count += 1
    return count
