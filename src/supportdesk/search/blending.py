"""The lexical ranking blended with the documents that plugins find nearest in meaning.

A plugin answering ``search_neighbours`` (a semantic search) gives, for a person's query, the
keys of its nearest documents with a similarity in [0, 1]. :func:`~supportdesk.search.search`
then ranks a wider window of lexical candidates (:func:`window`) and :func:`blend` mixes the
two. Each side is scaled to [0, 1] over its own candidates (lexical scores are
negative-is-better: the best scales to 1, the worst to 0; likewise for similarities), and a
document scores ``(1 - weight) × lexical + weight × similarity``, with 0 on the side that did
not find it. ``SUPPORTDESK_SEARCH_NEIGHBOURS_WEIGHT`` sets the weight (default 0.5; 0 keeps
the lexical order). With no plugin answering, nothing here runs and a query is ranked as it
always was.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..models import SearchDocument
from ..plugins import plugin_host
from .backends import Ranked

WINDOW = 30  # lexical candidates ranked for a blend, at least: a page of 10 is chosen among them
WEIGHT_SETTING = "SUPPORTDESK_SEARCH_NEIGHBOURS_WEIGHT"
DEFAULT_WEIGHT = 0.5


def window(limit: int, offset: int) -> int:
    """How many lexical candidates a blended page is chosen from."""
    return max(limit + offset, WINDOW)


def weight() -> float:
    """The neighbours' share of a blended score, from 0 to 1."""
    try:
        value = float(current_app.config.get(WEIGHT_SETTING, DEFAULT_WEIGHT))
    except (TypeError, ValueError):  # a mistyped setting must not fail every search
        return DEFAULT_WEIGHT
    return min(1.0, max(0.0, value)) if math.isfinite(value) else DEFAULT_WEIGHT


def neighbours(
    source: str, text: str, locale: str | None, facet: str | None, limit: int
) -> dict[str, float]:
    """``{key: similarity}`` from every plugin answering ``search_neighbours`` (a key's best),
    kept to the documents the index holds for this language and facet. Empty when no plugin
    implements the hook, answers, or stays up (a raising plugin is logged and skipped)."""
    host = plugin_host()
    if not host.hook.search_neighbours.get_hookimpls():
        return {}
    found: dict[str, float] = {}
    answers = host.call_isolated(
        "search_neighbours", source=source, text=text, locale=locale, limit=limit
    )
    for answer in answers:
        for key, similarity in _pairs(answer):
            found[key] = max(found.get(key, 0.0), similarity)
    return _indexed(source, locale, facet, found) if found else {}


def _pairs(answer: object) -> Iterator[tuple[str, float]]:
    """The well-formed ``(key, similarity)`` pairs of an answer, similarity clamped to [0, 1]."""
    if not isinstance(answer, Iterable):
        return
    for item in answer:
        if not (isinstance(item, tuple | list) and len(item) == 2 and isinstance(item[0], str)):
            continue
        key, similarity = item
        if isinstance(similarity, int | float) and math.isfinite(similarity):
            yield key, min(1.0, max(0.0, float(similarity)))


def _indexed(
    source: str, locale: str | None, facet: str | None, found: dict[str, float]
) -> dict[str, float]:
    query = sa.select(SearchDocument.doc_key).where(
        SearchDocument.source == source, SearchDocument.doc_key.in_(list(found))
    )
    if locale:
        query = query.where(SearchDocument.locale == locale)
    if facet:
        query = query.where(SearchDocument.facet == facet)
    held = set(db.session.scalars(query))
    return {key: similarity for key, similarity in found.items() if key in held}


def blend(
    keys: list[str], scores: list[float], near: Mapping[str, float], weight: float
) -> list[tuple[str, float]]:
    """The lexical candidates (``keys`` with their negative-is-better ``scores``) and the
    neighbours (``{key: similarity}``) in one ranking, best first, as ``(key, score)`` with
    scores from -1 (best) to 0, negative-is-better like the backends'."""
    lexical = _scaled({key: -score for key, score in zip(keys, scores, strict=True)})
    similar = _scaled(dict(near))
    blended = {
        key: (1 - weight) * lexical.get(key, 0.0) + weight * similar.get(key, 0.0)
        for key in lexical.keys() | similar.keys()
    }
    return sorted(((key, -score) for key, score in blended.items()), key=lambda kv: (kv[1], kv[0]))


def _scaled(scores: dict[str, float]) -> dict[str, float]:
    """Higher-is-better scores scaled to [0, 1] over these candidates (all 1 when equal)."""
    if not scores:
        return {}
    low, high = min(scores.values()), max(scores.values())
    span = high - low
    return {key: (value - low) / span if span else 1.0 for key, value in scores.items()}


def page(ranked: Ranked, near: Mapping[str, float], limit: int, offset: int) -> Ranked:
    """One page of the blend of a window of lexical candidates and the neighbours. The total
    counts the lexical matches and the neighbours among the window's candidates."""
    ordered = blend(ranked.keys, ranked.scores, near, weight())
    shown = ordered[offset : offset + limit]
    total = max(ranked.total, len(ordered))
    reachable = None if ranked.reachable is None else max(ranked.reachable, len(ordered))
    return Ranked([key for key, _ in shown], [score for _, score in shown], total, reachable)
