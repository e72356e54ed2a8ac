"""The help search answers the labelled queries: the easy set (hit@3 >= 0.85, better than
LIKE) and the hard set, written the way sellers ask (hit@3 >= 0.90 overall and >= 0.80 for
every kind of query, and clearly above plain BM25 with stemming on paraphrases)."""

from __future__ import annotations

from pathlib import Path

import pytest

from supportdesk.extensions import db
from supportdesk_helpcenter import articles, files
from supportdesk_helpcenter.tests.quality import harness

DEMO = Path(__file__).parents[1] / "demo_articles"
TARGET_HIT3 = 0.85
HARD_TARGET_HIT3 = 0.90
HARD_TARGET_PER_KIND = 0.80
PARAPHRASE_GAIN = 0.08


@pytest.fixture
def demo_help(app):
    imported, errors = files.import_folder(DEMO, articles.save)
    assert errors == []
    assert imported >= 60
    with app.test_request_context():  # the results carry their articles' addresses
        yield app


def test_quality_against_the_labelled_queries(demo_help, capsys):
    queries = harness.load_queries()
    assert len(queries) >= 100
    engine = harness.evaluate(harness.engine_ranking, queries)
    baseline = harness.evaluate(harness.like_ranking, queries)
    with capsys.disabled():
        print("\n" + harness.report(engine, baseline, len(queries), db.engine.dialect.name))
    assert engine.hit3 >= TARGET_HIT3
    assert engine.hit3 > baseline.hit3
    assert engine.ndcg10 > baseline.ndcg10


def test_quality_against_the_hard_queries(demo_help, capsys):
    queries = harness.load_queries(harness.HARD_QUERIES)
    assert len(queries) >= 300
    engine = harness.evaluate(harness.engine_ranking, queries)
    baseline = harness.evaluate(harness.bm25_ranking, queries)
    with capsys.disabled():
        print(
            "\n"
            + harness.report(engine, baseline, len(queries), db.engine.dialect.name, "BM25+stem")
        )
        for split in ("dev", "test"):
            part = harness.load_queries(harness.HARD_QUERIES, split)
            scores = harness.evaluate(harness.engine_ranking, part)
            print(f"{split}: {len(part)} queries, hit@3 {scores.hit3:.3f}")
    if db.engine.dialect.name != "sqlite":
        # PostgreSQL ranks with ts_rank_cd, not the BM25F of the SQLite index: it must still
        # gain on paraphrases, and is held to the targets on SQLite.
        assert engine.by_kind["paraphrase"] > baseline.by_kind["paraphrase"]
        return
    assert engine.hit3 >= HARD_TARGET_HIT3
    assert min(engine.by_kind.values()) >= HARD_TARGET_PER_KIND, engine.by_kind
    gain = engine.by_kind["paraphrase"] - baseline.by_kind["paraphrase"]
    assert gain >= PARAPHRASE_GAIN
