"""The help search answers the labelled queries: hit@3 >= 0.85, and better than LIKE."""

from __future__ import annotations

from pathlib import Path

import pytest

from supportdesk.extensions import db
from supportdesk_helpcenter import articles, files
from supportdesk_helpcenter.tests.quality import harness

DEMO = Path(__file__).parents[1] / "demo_articles"
TARGET_HIT3 = 0.85


@pytest.fixture
def demo_help(app):
    imported, errors = files.import_folder(DEMO, articles.save)
    assert errors == []
    assert imported >= 60
    return app


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
