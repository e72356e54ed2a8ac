"""Help search latency at 10,000 and 100,000 articles: the engine beside a plain LIKE search.

Articles are generated from the words of the demo help pages (same vocabulary, same word
frequencies), half in English and half in French; the queries are the labelled queries of the
quality harness. Target at 100,000 articles: engine p95 <= 25 ms in process and >= 12x faster
than LIKE.
"""

from __future__ import annotations

import random
import sys
from collections import Counter
from pathlib import Path

import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import SearchDocument, SearchTerm, utcnow
from supportdesk.search import backend
from supportdesk.search.analysis import words
from supportdesk.search.backends import scope_text
from supportdesk_helpcenter import files, searching
from supportdesk_helpcenter.articles import SOURCE
from supportdesk_helpcenter.models import Article
from supportdesk_helpcenter.rendering import plain_text
from supportdesk_helpcenter.tests.quality import harness

from .common import analyse_db, benchmark_app, percentile, summary, timings

DEMO = Path(__file__).parents[2] / "plugins" / "supportdesk_helpcenter" / "demo_articles"
SIZES = [int(a) for a in sys.argv[1:]] or [10_000, 100_000]
QUERY_COUNT = 200
BATCH = 5_000


def vocabularies() -> dict[str, tuple[list[str], list[str]]]:
    """Per language: title words and body words of the demo articles, with repetitions."""
    result: dict[str, tuple[list[str], list[str]]] = {}
    for locale in ("en", "fr"):
        titles, bodies = [], []
        for path in sorted((DEMO / locale).glob("*.md")):
            data = files.parse(path.read_text(encoding="utf-8"), path)
            titles += data.title.split()
            bodies += plain_text(data.body).split()
        result[locale] = (titles, bodies)
    return result


def generate(count: int, rng: random.Random) -> None:
    """Insert ``count`` articles and their index rows in bulk (the per-article path is the
    same code, but a million single upserts would take the benchmark's whole budget)."""
    vocab = vocabularies()
    prepare = backend().stored_text
    term_counts: dict[tuple[str, str], Counter] = {
        ("en", SOURCE): Counter(),
        ("fr", SOURCE): Counter(),
    }
    now = utcnow()
    for start in range(0, count, BATCH):
        rows, docs = [], []
        for i in range(start, min(count, start + BATCH)):
            locale = "en" if i % 2 == 0 else "fr"
            title_words, body_words = vocab[locale]
            title = " ".join(rng.choices(title_words, k=rng.randint(4, 9))).capitalize()
            body = " ".join(rng.choices(body_words, k=rng.randint(120, 260)))
            slug = f"generated-{i}"
            rows.append(
                {
                    "slug": slug,
                    "locale": locale,
                    "title": title,
                    "body": body,
                    "body_html": "",
                    "category": "generated",
                    "tags": [],
                    "related": [],
                    "published": True,
                    "helpful_yes": 0,
                    "helpful_no": 0,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            distinct = set(words(f"{title} {body}"))
            term_counts[(locale, SOURCE)].update(distinct)
            docs.append(
                {
                    "source": SOURCE,
                    "doc_key": slug,
                    "locale": locale,
                    "title": prepare(title, locale),
                    "tags": "",
                    "body": prepare(body, locale),
                    "facet": "generated",
                    "scope": scope_text(SOURCE, locale, "generated"),
                    "terms": " ".join(sorted(distinct)),
                    "updated_at": now,
                }
            )
        db.session.execute(sa.insert(Article), rows)
        db.session.execute(sa.insert(SearchDocument), docs)
        db.session.commit()
    for (locale, source), counter in term_counts.items():
        db.session.execute(
            sa.insert(SearchTerm),
            [
                {"source": source, "locale": locale, "term": term, "doc_count": n}
                for term, n in counter.items()
            ],
        )
    db.session.commit()
    analyse_db()


def main() -> None:
    queries = harness.load_queries()
    rng = random.Random(20261126)
    sample = [rng.choice(queries) for _ in range(QUERY_COUNT)]
    rows = []
    for size in SIZES:
        app = benchmark_app(f"help-{size}")
        with app.test_request_context():
            generate(size, rng)
            answered = sum(
                1 for q in sample if searching.search_help(q["q"], q["lang"], log=False).hits
            )
            print(f"\n{size:,} articles: {answered} of {len(sample)} sampled queries have results")
            assert answered >= 0.8 * len(sample), (
                "the generated index does not answer: the benchmark would time nothing"
            )
            engine = timings(
                [lambda q=q: searching.search_help(q["q"], q["lang"], log=False) for q in sample]
            )
            like = timings(
                [
                    lambda q=q: harness.like_ranking(q["q"], q["lang"])
                    for q in sample[: QUERY_COUNT // 4]
                ],
                warmup=2,
            )
            dialect = db.engine.dialect.name
        ratio = percentile(like, 95) / percentile(engine, 95)
        rows.append((size, dialect, engine, like, ratio))
        print(f"\n{size:,} articles on {dialect}")
        print(f"  engine  {summary(engine)}")
        print(f"  LIKE    {summary(like)}")
        print(f"  LIKE p95 / engine p95 = {ratio:.1f}x")
    size, _dialect, engine, _like, ratio = rows[-1]
    ok = percentile(engine, 95) <= 25 and ratio >= 12
    print(
        f"\ntarget at {size:,} articles: engine p95 <= 25 ms and >= 12x LIKE: {'met' if ok else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
