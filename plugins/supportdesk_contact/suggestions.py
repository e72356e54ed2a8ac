"""Help articles that may answer a seller before they write to support.

The form asks every plugin through the ``suggest_articles`` hook (the help centre answers;
this plugin never imports it). Without such a plugin there are simply no suggestions.
"""

from __future__ import annotations

from markupsafe import Markup

from supportdesk import Suggestion
from supportdesk.plugins import plugin_host

LIMIT = 3
#: The start of what the seller wrote is enough to find articles, and keeps the search quick.
TEXT_CHARS = 300
MIN_CHARS = 3


def suggest(text: str, locale: str, limit: int = LIMIT) -> list[Suggestion]:
    """Up to ``limit`` articles for ``text``, best first, each once.

    Each plugin is asked on its own and one that fails is logged and skipped: suggestions are
    a help, and must never stand between a seller and support."""
    text = " ".join((text or "").split())[:TEXT_CHARS]
    if len(text) < MIN_CHARS:
        return []
    answers = plugin_host().call_isolated("suggest_articles", text=text, locale=locale, limit=limit)
    found = sorted(
        (suggestion for answer in answers for suggestion in answer or ()),
        key=lambda suggestion: -suggestion.score,
    )
    best: dict[str, Suggestion] = {}
    for suggestion in found:
        best.setdefault(suggestion.url, suggestion)
    return list(best.values())[:limit]


def as_json(suggestion: Suggestion) -> dict[str, str]:
    """A suggestion for the form's script, in plain text (the script never parses HTML)."""
    snippet = suggestion.snippet
    text = snippet.striptags() if isinstance(snippet, Markup) else str(snippet or "")
    return {"title": str(suggestion.title), "url": suggestion.url, "snippet": text}
