"""Markdown to safe HTML: markdown-it-py renders, nh3 keeps only harmless tags."""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt

_markdown = MarkdownIt(
    "commonmark", {"html": False, "linkify": False, "typographer": False}
).enable("table")

ALLOWED_TAGS = {
    "p",
    "br",
    "h2",
    "h3",
    "h4",
    "ul",
    "ol",
    "li",
    "strong",
    "em",
    "code",
    "pre",
    "blockquote",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "hr",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}


def render(markdown: str) -> str:
    """Safe HTML for an article body: no raw HTML, no script, no event handler, no style."""
    html = _markdown.render(markdown or "")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def plain_text(markdown: str) -> str:
    """The text of an article as a reader sees it, without Markdown marks but with its
    punctuation (for the index and the snippets)."""
    pieces = []
    for token in _markdown.parse(markdown or ""):
        if token.type == "inline":
            for child in token.children or ():
                if child.type in ("text", "code_inline"):
                    pieces.append(child.content)
                elif child.type in ("softbreak", "hardbreak"):
                    pieces.append(" ")
            pieces.append(" ")
        elif token.type in ("code_block", "fence"):
            pieces.append(token.content + " ")
    return re.sub(r"\s+", " ", "".join(pieces)).strip()
