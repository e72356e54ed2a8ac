"""Help search latency at 10,000 and 100,000 articles: the engine beside a plain LIKE search.

Articles are generated from the words of the demo help pages (same vocabulary, same word
frequencies), half in English and half in French; the queries are the labelled queries of the
quality harness, half from the easy set and half from the hard one (long questions, everyday
words: the lexicon expands them, so they cost more). Target at 100,000 articles: engine p95 <= 25 ms in process and >= 12x faster
than LIKE.

    python -m tests.benchmarks.bench_help_search [SIZE ...] [--keep DIR]

``--keep /tmp/help-bench`` keeps each generated database (SQLite: one file per size under DIR;
PostgreSQL: the test database, which holds one size at a time) and reuses it on the next run
when it was generated for the same index schema.
"""

from __future__ import annotations

import argparse
import hashlib
import random
from collections import Counter
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from supportdesk.extensions import db
from supportdesk.models import SearchDocument, SearchTerm, utcnow
from supportdesk.search import backend
from supportdesk.search import schema as search_schema
from supportdesk.search.analysis import words
from supportdesk.search.backends import scope_text
from supportdesk_helpcenter import files, searching
from supportdesk_helpcenter.articles import SOURCE
from supportdesk_helpcenter.models import Article
from supportdesk_helpcenter.rendering import plain_text
from supportdesk_helpcenter.tests.quality import harness

from .common import analyse_db, benchmark_app, percentile, summary, timings

DEMO = Path(__file__).parents[2] / "plugins" / "supportdesk_helpcenter" / "demo_articles"
SIZES = [10_000, 100_000]
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
    store = backend()
    prepare = store.stored_text
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
                    "body_text": store.kept_body_text(body),
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


def kept_shape(size: int) -> str:
    """What kept articles depend on: their number, the database and the index's shape."""
    shape = [str(size), str(db.engine.url), *search_schema.SQLITE_DDL, *search_schema.POSTGRES_DDL]
    shape += SearchDocument.__table__.columns.keys()
    return hashlib.sha256("\n".join(shape).encode()).hexdigest()


def desk_with_articles(size: int, keep: Path | None) -> Flask:
    """A desk holding ``size`` generated articles: those a previous run kept (generated for
    the same index), or new ones."""
    name = f"help-{size}"
    marker = keep / name / "generated" if keep is not None else None
    if marker is not None and marker.exists():
        app = benchmark_app(name, marker.parent, keep=True)
        with app.app_context():
            # The PostgreSQL database holds the size generated last, whatever the markers say.
            count = db.session.scalar(sa.select(sa.func.count()).select_from(Article))
            if marker.read_text() == kept_shape(size) and count == size:
                print(f"\nreusing the {size:,} articles kept in {marker.parent}")
                return app
            db.engine.dispose()
    app = benchmark_app(name, marker.parent if marker is not None else None)
    with app.app_context():
        generate(size, random.Random(20261126 + size))
        if marker is not None:
            marker.write_text(kept_shape(size))
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=SIZES, metavar="SIZE")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="keep and reuse the databases")
    options = parser.parse_args()
    easy, hard = harness.load_queries(), harness.load_queries(harness.HARD_QUERIES)
    rng = random.Random(20261126)
    sample = [rng.choice(easy if i % 2 else hard) for i in range(QUERY_COUNT)]
    rows = []
    for size in options.sizes:
        app = desk_with_articles(size, options.keep)
        with app.test_request_context():
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
        print(f"    easy set queries   {summary(engine[1::2])}")
        print(f"    hard set queries   {summary(engine[0::2])}")
        print(f"  LIKE    {summary(like)}")
        print(f"  LIKE p95 / engine p95 = {ratio:.1f}x")
    size, _dialect, engine, _like, ratio = rows[-1]
    ok = percentile(engine, 95) <= 25 and ratio >= 12
    print(
        f"\ntarget at {size:,} articles: engine p95 <= 25 ms and >= 12x LIKE: {'met' if ok else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
