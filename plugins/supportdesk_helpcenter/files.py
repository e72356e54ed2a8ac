"""The article file format: Markdown with front matter, one file per article and language.

    ---
    slug: contact-buyers-through-messaging
    locale: en
    title: Contact buyers only through the marketplace messaging
    category: buyer-communication
    tags: [messaging, buyers]
    related: [phishing-requests-to-talk-outside]
    questions:
      - Can I give a buyer my phone number?
      - "The buyer asks for my email, what now?"
    ---
    Body in Markdown…

``questions`` (optional) are other ways sellers ask what the article answers, one per ``- ``
line; an item may be in quotes (the outer pair is removed). The inline form ``questions: [a,
b]`` is read too; there an item with a comma must be in quotes. An unpublished article carries
``draft: true``. Export writes exactly what import reads (``questions`` only when there are
some, in the ``- `` form), so a round trip changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from supportdesk import FieldErrors

from .articles import ArticleData
from .models import Article

KEYS = ("slug", "locale", "title", "category", "tags", "related", "questions")
LIST_KEYS = {"tags", "related"}
#: Keys whose list may also be written one ``- item`` line each (the items may hold commas).
BLOCK_KEYS = {"questions"}
#: One item of an inline list: in quotes (which may hold commas), or up to the next comma.
INLINE_ITEM = re.compile(
    r"""\s*(?:"(?P<double>[^"]*)"|'(?P<single>[^']*)'|(?P<plain>[^,]*?))\s*(?:,|$)"""
)


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


def _bracketed(raw: str, path: Path, line: int, hint: str = "a list is written [a, b]") -> str:
    raw = raw.strip()
    if not (raw.startswith("[") and raw.endswith("]")):
        raise ArticleFileError(path, line, hint)
    return raw[1:-1].strip()


def _list(raw: str, path: Path, line: int) -> list[str]:
    inner = _bracketed(raw, path, line)
    return [_scalar(item) for item in inner.split(",")] if inner else []


def _quoted_list(raw: str, path: Path, line: int) -> list[str]:
    """``[a, "b, c"]``: like :func:`_list`, but a quoted item keeps its commas."""
    inner = _bracketed(raw, path, line, "a list is written [a, b] or one '- item' line each")
    # Every match holds text but the empty one at the very end, which is no item.
    return [
        _inline_item(match) for match in INLINE_ITEM.finditer(inner) if match.end() > match.start()
    ]


def _inline_item(match: re.Match[str]) -> str:
    if match["double"] is not None:
        return match["double"]
    if match["single"] is not None:
        return match["single"]
    return _scalar(match["plain"])  # 'What's next?' has a quote inside: no quoted branch took it


def _block_item(line: str) -> str | None:
    """The item of a ``- item`` line, or None when the line is no list item."""
    stripped = line.strip()
    if stripped == "-" or stripped.startswith("- "):
        return _scalar(stripped[1:])
    return None


def parse(text: str, path: Path) -> ArticleData:
    """Read one article file; ``ArticleFileError`` names the line of the first problem."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise ArticleFileError(path, 1, "the file must start with a '---' line")
    values: dict[str, object] = {}
    block: list[str] | None = None  # the list that ``- item`` lines add to, while one is open
    for number, line in enumerate(lines[1:], start=2):
        if line.strip() == "---":
            body = "\n".join(lines[number:])
            break
        if not line.strip():
            continue
        item = _block_item(line)
        if item is not None:
            if block is None:
                raise ArticleFileError(path, number, "a '- item' line must follow 'questions:'")
            if not item:
                raise ArticleFileError(path, number, "an empty '- ' item")
            block.append(item)
            continue
        block = None
        key, sep, raw = line.partition(":")
        key = key.strip()
        if not sep:
            raise ArticleFileError(path, number, f"expected 'key: value', found {line.strip()!r}")
        if key not in (*KEYS, "draft"):
            raise ArticleFileError(path, number, f"unknown key {key!r}")
        if key in BLOCK_KEYS and not raw.strip():
            values[key] = block = []
        elif key in BLOCK_KEYS:
            values[key] = _quoted_list(raw, path, number)
        else:
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
        questions=list(values.get("questions", [])),  # type: ignore[arg-type]
    )


def _as_item(text: str) -> str:
    """``text`` as a ``- item``: in quotes when reading it bare would drop its own quotes."""
    return text if _scalar(text) == text else f"'{text}'"


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
    if article.questions:
        front.append("questions:")
        front.extend(f"  - {_as_item(question)}" for question in article.questions)
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
