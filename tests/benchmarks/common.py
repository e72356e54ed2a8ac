"""Shared pieces for the benchmarks: a throw-away desk, timing and percentiles."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from supportdesk import create_app
from supportdesk.extensions import db
from supportdesk.search import schema as search_schema


def benchmark_app(name: str, folder: Path | None = None, *, keep: bool = False) -> Flask:
    """A desk on a fresh SQLite file, or on an emptied PostgreSQL database when
    ``SUPPORTDESK_TEST_DATABASE_URL`` is set. ``keep`` opens the data a previous run left in
    ``folder`` (or in the PostgreSQL database) as it is: generating it can take minutes."""
    folder = folder or Path(tempfile.mkdtemp(prefix=f"supportdesk-{name}-"))
    folder.mkdir(parents=True, exist_ok=True)
    url = os.environ.get("SUPPORTDESK_TEST_DATABASE_URL") or f"sqlite:///{folder / 'bench.db'}"
    if not keep:
        for leftover in folder.glob("bench.db*"):
            leftover.unlink()
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "benchmark",
            "SUPPORTDESK_INSTANCE_PATH": str(folder),
            "SQLALCHEMY_DATABASE_URI": url,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        if url.startswith("postgresql") and not keep:
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        db.create_all()
        with db.engine.begin() as conn:
            search_schema.install(conn)
    return app


def timings(calls: list[Callable[[], object]], warmup: int = 5) -> list[float]:
    """Milliseconds for each call (after a few warm-up calls)."""
    for call in calls[:warmup]:
        call()
    result = []
    for call in calls:
        started = time.perf_counter()
        call()
        result.append((time.perf_counter() - started) * 1000)
    return result


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(values: list[float]) -> str:
    return f"p50 {percentile(values, 50):8.2f} ms   p95 {percentile(values, 95):8.2f} ms   mean {statistics.fmean(values):8.2f} ms"


def analyse_db() -> None:
    with db.engine.begin() as conn:
        conn.execute(sa.text("ANALYZE"))
