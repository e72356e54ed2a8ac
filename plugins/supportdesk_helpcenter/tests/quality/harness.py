"""Search quality: labelled queries (``queries.json``, and the harder ``hard_queries.json``)
against the help search as sellers get it, against plain BM25 with Snowball stemming (the core
search with no lexicon, no feedback and no typo correction) and against a LIKE baseline,
scored with hit@3 and nDCG@10.

Run it with ``pytest plugins/supportdesk_helpcenter/tests/test_search_quality.py -s`` to see
the table; the test fails below the target hit@3.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.search.analysis import analyse, query_words, stem
from supportdesk_helpcenter import searching
from supportdesk_helpcenter.models import Article

QUERIES = Path(__file__).with_name("queries.json")
HARD_QUERIES = Path(__file__).with_name("hard_queries.json")


@dataclass
class Scores:
    hit3: float
    ndcg10: float
    by_kind: dict[str, float]
    misses: list[str]


def load_queries(path: Path = QUERIES, split: str | None = None) -> list[dict]:
    """The labelled queries of ``path``; of one ``split`` ("dev", "test") when named."""
    queries = json.loads(path.read_text(encoding="utf-8"))
    return [q for q in queries if split is None or q.get("split") == split]


def engine_ranking(query: str, lang: str) -> list[str]:
    """What a seller gets: the help search with its lexicon and feedback."""
    results = searching.search_help(query, lang, per_page=10, log=False)
    return [hit.slug for hit in results.hits]


class PlainBM25:
    """The textbook baseline: Okapi BM25 (k1 1.2, b 0.75) over each published article's title
    and body as one text, folded and Snowball-stemmed as the engine does, any word matching;
    no fields, no lexicon, no typo correction. Built once per language from the database."""

    def __init__(self) -> None:
        self.built: dict[tuple[str, str], tuple[dict[str, Counter], dict[str, int], float]] = {}

    def _index(self, lang: str) -> tuple[dict[str, Counter], dict[str, int], float]:
        key = (str(db.engine.url), lang)
        if key not in self.built:
            rows = db.session.execute(
                sa.select(Article.slug, Article.title, Article.body).where(
                    Article.locale == lang, Article.published.is_(True)
                )
            )
            docs = {slug: Counter(analyse(f"{t} {b}", lang).split()) for slug, t, b in rows}
            df = Counter(word for counts in docs.values() for word in counts)
            average = sum(sum(c.values()) for c in docs.values()) / max(1, len(docs))
            self.built[key] = (docs, df, average)
        return self.built[key]

    def __call__(self, query: str, lang: str) -> list[str]:
        docs, df, average = self._index(lang)
        wanted = stem(query_words(query, lang), lang)
        scores = {}
        for slug, counts in docs.items():
            length = sum(counts.values())
            score = 0.0
            for word in wanted:
                tf = counts.get(word, 0)
                if tf:
                    idf = math.log(1 + (len(docs) - df[word] + 0.5) / (df[word] + 0.5))
                    score += idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / average))
            if score:
                scores[slug] = score
        return sorted(scores, key=lambda slug: (-scores[slug], slug))[:10]


bm25_ranking = PlainBM25()


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


def report(
    engine: Scores, baseline: Scores, count: int, backend: str, baseline_name: str = "LIKE"
) -> str:
    lines = [
        f"search quality on {count} labelled queries ({backend})",
        f"{'':<24}{'engine':>10}{baseline_name:>10}",
        f"{'hit@3':<24}{engine.hit3:>10.3f}{baseline.hit3:>10.3f}",
        f"{'nDCG@10':<24}{engine.ndcg10:>10.3f}{baseline.ndcg10:>10.3f}",
    ]
    for kind in engine.by_kind:
        lines.append(
            f"{'hit@3 ' + kind:<24}{engine.by_kind[kind]:>10.3f}{baseline.by_kind.get(kind, 0):>10.3f}"
        )
    lines.append(f"engine misses ({len(engine.misses)}):")
    lines += [f"  {m}" for m in engine.misses]
    return "\n".join(lines)
