"""Search quality: the labelled queries of ``queries.json`` against the engine and against a
plain LIKE baseline, scored with hit@3 and nDCG@10.

Run it with ``pytest plugins/supportdesk_helpcenter/tests/test_search_quality.py -s`` to see
the table; the test fails below the target hit@3.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from supportdesk import search
from supportdesk.extensions import db
from supportdesk.search.analysis import query_words
from supportdesk_helpcenter.articles import SOURCE
from supportdesk_helpcenter.models import Article

QUERIES = Path(__file__).with_name("queries.json")


@dataclass
class Scores:
    hit3: float
    ndcg10: float
    by_kind: dict[str, float]
    misses: list[str]


def load_queries() -> list[dict]:
    return json.loads(QUERIES.read_text(encoding="utf-8"))


def engine_ranking(query: str, lang: str) -> list[str]:
    return search.search(SOURCE, query, locale=lang, limit=10).keys


def like_ranking(query: str, lang: str) -> list[str]:
    """The baseline: articles whose title or body contains the query's words (LIKE), ranked by
    how many words they contain."""
    words = query_words(query, lang)
    if not words:
        return []
    hits = [
        sa.case(
            (
                sa.or_(
                    sa.func.lower(Article.title).like(f"%{w}%"),
                    sa.func.lower(Article.body).like(f"%{w}%"),
                ),
                1,
            ),
            else_=0,
        )
        for w in words
    ]
    matched = sum(hits[1:], hits[0]).label("matched")
    rows = db.session.execute(
        sa.select(Article.slug, matched)
        .where(Article.locale == lang, Article.published.is_(True))
        .order_by(sa.desc("matched"), Article.slug)
        .limit(10)
    ).all()
    return [slug for slug, count in rows if count > 0]


def ndcg(ranking: list[str], relevant: list[str], k: int = 10) -> float:
    """Graded: the first relevant slug counts 2, the others 1."""
    gains = {slug: (2 if i == 0 else 1) for i, slug in enumerate(relevant)}
    dcg = sum(gains.get(slug, 0) / math.log2(pos + 2) for pos, slug in enumerate(ranking[:k]))
    ideal = sum(
        g / math.log2(pos + 2) for pos, g in enumerate(sorted(gains.values(), reverse=True)[:k])
    )
    return dcg / ideal if ideal else 0.0


def evaluate(rank: Callable[[str, str], list[str]], queries: list[dict]) -> Scores:
    hits, gains, per_kind, misses = 0, 0.0, defaultdict(list), []
    for item in queries:
        ranking = rank(item["q"], item["lang"])
        hit = any(slug in item["relevant"] for slug in ranking[:3])
        hits += hit
        gains += ndcg(ranking, item["relevant"])
        per_kind[item["kind"]].append(hit)
        if not hit:
            misses.append(
                f"{item['lang']} {item['kind']:<10} {item['q']!r} → {ranking[:3]} (wanted {item['relevant']})"
            )
    count = len(queries)
    by_kind = {kind: sum(v) / len(v) for kind, v in sorted(per_kind.items())}
    return Scores(hits / count, gains / count, by_kind, misses)


def report(engine: Scores, baseline: Scores, count: int, backend: str) -> str:
    lines = [
        f"search quality on {count} labelled queries ({backend})",
        f"{'':<12}{'engine':>10}{'LIKE':>10}",
        f"{'hit@3':<12}{engine.hit3:>10.3f}{baseline.hit3:>10.3f}",
        f"{'nDCG@10':<12}{engine.ndcg10:>10.3f}{baseline.ndcg10:>10.3f}",
    ]
    for kind in engine.by_kind:
        lines.append(
            f"{'hit@3 ' + kind:<24}{engine.by_kind[kind]:>10.3f}{baseline.by_kind.get(kind, 0):>10.3f}"
        )
    lines.append(f"engine misses ({len(engine.misses)}):")
    lines += [f"  {m}" for m in engine.misses]
    return "\n".join(lines)
