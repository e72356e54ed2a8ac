"""Requests per second of whole HTTP requests under gunicorn, beside the stack's floor served
with the same settings in the same run, and the memory of their workers.

The floor (``floor.py``) is the least a Flask + Flask-SQLAlchemy application on this stack does:
for a POST it reads the signed session cookie, parses the multipart form, inserts one ORM row
and commits (SQLite in WAL mode, as the desk), then answers 303; a GET it answers with a short
string. No application that files a case or shows a page on this stack is faster.

Measured: filing a case through the contact form (a signed-in seller's multipart POST, which
answers 303 to the confirmation page), the help search page at 10,000 generated articles
(rotating through the labelled queries of the search quality harness, easy and hard), and a
staff queue page holding 10,000 cases (an agent signed in). Targets: each >= 0.4x the floor's
rate, which is the rate at which the floor files (about 5 ms of worker CPU a request), and a
desk worker's unique memory (USS) <= 1.25x a floor worker's. The comparison with django-helpdesk is ``bench_peer``.
A last row, with no target, mixes them as sellers do: a signed-in seller's three help searches,
then a filing, on every connection; its CPU per request is set beside what the same requests
cost in the rows that load one page (the searches there are a visitor's), where a cache that
one kind of request empties for the other shows.

Both applications run at the same time under identical gunicorn settings; ``wrk`` loads one of
them at a time, the desk's page and the floor's filing alternately (A B A B), with the same
connections, threads, duration and client (``wrk_requests.lua``). The figures are
medians. A run fails on any response other than the page's own status (303 for the filing, 200
for the pages), on a filing run whose stored cases do not match its 303s, and on any error in
the servers' logs. Beside the rates, the CPU time the workers spent per request is shown: it is
less sensitive to whatever else the machine runs.

    python -m tests.benchmarks.bench_http

Environment: ``BENCH_SECONDS`` (per run, default 10), ``BENCH_ROUNDS`` (runs of each side,
default 2), ``BENCH_WORKERS``, ``BENCH_CONNECTIONS``, ``BENCH_TARGETS=report`` (a missed target
is printed, not a failure), ``SUPPORTDESK_TEST_DATABASE_URL`` (PostgreSQL instead of SQLite).
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import Flask
from gunicorn import __version__ as gunicorn_version

from supportdesk.accounts import create_user
from supportdesk.extensions import db
from supportdesk.models import Queue, Ticket
from supportdesk_helpcenter.tests.quality import harness
from tests.servers import GunicornServer

from . import bench_help_search, bench_queue_pages
from .common import benchmark_app
from .http_load import Client, WrkResult, contact_form, memory, worker_memory, wrk

#: The servers run from the repository, where ``tests.benchmarks.floor`` is importable.
REPO = Path(__file__).parents[2]
ARTICLES = 10_000
CASES = 10_000
SECONDS = int(os.environ.get("BENCH_SECONDS", 10))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 2))
WARMUP_SECONDS = 2
CORES = os.cpu_count() or 1
#: gunicorn's documented starting point: two workers per core, plus one.
WORKERS = int(os.environ.get("BENCH_WORKERS", 2 * CORES + 1))
SETTINGS_WHY = (
    "sync workers (gunicorn's default: the requests are short and spend their time in Python, "
    "where threads of one process would share one interpreter lock); 2 x cores + 1 of them, "
    "so that a core has work while a worker waits on the database; --preload, as the desk "
    "should be deployed: built once, the workers forked from it share its memory"
)
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", 2 * WORKERS))
WRK_THREADS = min(2, CONNECTIONS)
GUNICORN_SETTINGS = [
    "--worker-class",
    "sync",
    "--workers",
    str(WORKERS),
    "--preload",
    "--timeout",
    "120",
    "--log-level",
    "warning",
]
PASSWORD = "bench-password-1"
FILER = "filer@bench.example"
AGENT = "agent@bench.example"
QUEUE_URL = "/staff/queues/seller_support"
KEY_PREFIX = "contact-form:bench"
MEMORY_TARGET = 1.25
#: Each page's rate against the floor's.
RATE_TARGET = 0.4
#: The mixed load: a filing after every three help searches, each connection.
FILING_EVERY = 4
KEYS = ("rss", "pss", "uss")


@dataclass
class Measurement:
    name: str
    target: float | None
    desk: list[WrkResult] = field(default_factory=list)
    floor: list[WrkResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def desk_rps(self) -> float:
        return statistics.median(r.rps for r in self.desk)

    @property
    def floor_rps(self) -> float:
        return statistics.median(r.rps for r in self.floor)

    @property
    def ratio(self) -> float:
        return self.desk_rps / self.floor_rps

    def cpu(self, side: str) -> float:
        return statistics.median(r.cpu_ms_per_request for r in getattr(self, side))

    @property
    def passed(self) -> bool:
        return not self.problems and (self.target is None or self.ratio >= self.target)


# --- the data ---------------------------------------------------------------------------------


def prepare_desk(articles: int = ARTICLES, cases: int = CASES) -> tuple[Path, str, Flask]:
    """A desk with ``articles`` generated articles and a queue of ``cases`` cases (10,000 of
    each unless told); returns its instance folder (holding the ``config.py`` gunicorn's desk
    reads), its database URL and the app used to count cases afterwards."""
    app = benchmark_app("http")
    folder = Path(app.config["SUPPORTDESK_INSTANCE_PATH"])
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with app.test_request_context():
        bench_help_search.generate(articles, random.Random(20261126))
        queue = Queue(key="seller_support", name="Seller support")
        db.session.add(queue)
        db.session.commit()
        create_user(AGENT, role="agent", password=PASSWORD, queues=["seller_support"])
        create_user(FILER, password=PASSWORD)
        owner = create_user("seller@bench.example", password=PASSWORD)
        bench_queue_pages.CASES = cases
        bench_queue_pages.fill(queue.id, owner.id)
        if db.engine.dialect.name == "postgresql":
            # As autovacuum leaves a live database: index-only scans need the visibility map.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        db.engine.dispose()
    settings = {
        "SECRET_KEY": "benchmark-secret-key-0123456789abcdef",
        "SQLALCHEMY_DATABASE_URI": url,
        # The form's limit (5 an hour) would turn the load into 429s after five cases.
        "SUPPORTDESK_CONTACT_RATE_LIMIT": "100000000 per hour",
    }
    (folder / "config.py").write_text(
        "".join(f"{key} = {value!r}\n" for key, value in settings.items()), encoding="utf-8"
    )
    return folder, url, app


def stored_cases(app: Flask, prefix: str = KEY_PREFIX) -> int:
    """Cases filed through the contact form with an idempotency key starting ``prefix``."""
    with app.app_context(), db.engine.connect() as conn:
        return conn.scalar(
            sa.select(sa.func.count())
            .select_from(Ticket)
            .where(Ticket.idempotency_key.like(f"{prefix}%"))
        )


def search_paths() -> list[str]:
    """The labelled queries of the search quality harness, easy and hard alternately (the hard
    ones, long questions in everyday words, cost more: the lexicon expands them)."""
    easy, hard = harness.load_queries(), harness.load_queries(harness.HARD_QUERIES)
    mixed = [query for pair in zip(easy, hard, strict=False) for query in pair]
    return ["/help/search?" + urlencode({"q": q["q"], "lang": q["lang"]}) for q in mixed]


# --- running ----------------------------------------------------------------------------------


@dataclass
class Page:
    """What one measurement loads: its name, the settings of ``wrk_requests.lua`` for a run
    (given the run's name: each filing run sends keys of its own) and the status the desk
    answers."""

    name: str
    settings: Callable[[str], dict[str, str]]
    status: int
    #: Cases stored so far (the filing): counted around each desk run.
    stored: Callable[[], int] | None = None
    #: Filings among help searches: its 303s are counted apart (see ``wrk_requests.lua``).
    mixed: bool = False
    #: Compared with the floor's rate, at least this (None: shown, no target).
    target: float | None = RATE_TARGET


def run(server: GunicornServer, page: Page, name: str, status: int, seconds: int) -> WrkResult:
    settings = {**page.settings(name), "BENCH_EXPECTED": str(status)}
    return wrk(server, settings, seconds=seconds, threads=WRK_THREADS, connections=CONNECTIONS)


def measure(
    page: Page, floor_filing: Page, desk: GunicornServer, floor: GunicornServer
) -> Measurement:
    """A short warm-up of each, then the desk's page and the floor's filing alternately,
    ROUNDS times: every row is compared with the floor's one rate, that of a filing."""
    measurement = Measurement(page.name, page.target)
    run(desk, page, "warm", page.status, WARMUP_SECONDS)
    run(floor, floor_filing, "warm", 303, WARMUP_SECONDS)
    for number in range(ROUNDS):
        before = page.stored() if page.stored else 0
        result = run(desk, page, str(number), page.status, SECONDS)
        if page.stored:
            check_stored(measurement, result, page.stored() - before, page.mixed)
        measurement.desk.append(result)
        measurement.floor.append(run(floor, floor_filing, f"f{number}", 303, SECONDS))
    for server, results in (("desk", measurement.desk), ("floor", measurement.floor)):
        measurement.problems += [f"{server}: {p}" for r in results for p in r.problems()]
    return measurement


def check_stored(
    measurement: Measurement, result: WrkResult, stored: int, mixed: bool = False
) -> None:
    """Every 303 wrk saw is a stored case; a few more may be stored, answered after wrk
    stopped counting (at most one per connection). Among searches, every POST sent but those
    few is a 303 (a form shown again with an error would be a 200)."""
    answered = result.redirected if mixed else result.expected
    measurement.notes.append(
        f"run {len(measurement.desk) + 1}: {answered} POSTs answered 303, {stored} cases stored"
        + (f", {result.expected - answered} searches answered 200" if mixed else "")
    )
    if not answered <= stored <= answered + CONNECTIONS:
        measurement.problems.append(f"{answered} POSTs answered 303 but {stored} cases were stored")
    if mixed and not result.posted - CONNECTIONS <= answered <= result.posted:
        measurement.problems.append(f"{result.posted} POSTs sent but {answered} answered 303")


def filing_settings(
    cookie: str, csrf: str, mode: str = "filing", paths: Sequence[str] = ()
) -> Callable[[str], dict[str, str]]:
    """Each run's idempotency keys its own: a key sent again files no case (the first is
    shown), so the mixed load's runs are told apart from the filing row's."""
    tag = "" if mode == "filing" else mode
    boundary = "----supportdeskbench4f9a1c"
    return lambda run: {
        "BENCH_MODE": mode,
        "BENCH_PATHS": "\n".join(paths),
        "BENCH_FILING_EVERY": str(FILING_EVERY),
        "BENCH_COOKIE": cookie,
        "BENCH_BOUNDARY": boundary,
        "BENCH_FORM": contact_form(boundary, csrf, f"bench{tag}{run}x@N@", "@N@"),
    }


def pages(desk: GunicornServer, app: Flask) -> list[Page]:
    """Sign in through the real forms, check that each page answers as a browser sees it, and
    describe the three measurements."""
    seller = Client(desk.base)
    seller.sign_in(FILER, PASSWORD)
    csrf = seller.contact_token()
    seller.check_filing(csrf)
    agent = Client(desk.base)
    agent.sign_in(AGENT, PASSWORD)
    agent.check_page(QUEUE_URL, "SD-B")
    visitor = Client(desk.base)
    paths = search_paths()
    visitor.check_page(paths[0], "<mark>")
    return [
        Page(
            "case filing (POST /contact)",
            filing_settings(seller.cookie_header(), csrf),
            303,
            stored=lambda: stored_cases(app),
        ),
        Page(
            f"help search ({ARTICLES:,} articles)",
            lambda run: {
                "BENCH_MODE": "get",
                "BENCH_COOKIE": visitor.cookie_header(),
                "BENCH_PATHS": "\n".join(paths),
            },
            200,
        ),
        Page(
            f"staff queue page ({CASES:,} cases)",
            lambda run: {
                "BENCH_MODE": "get",
                "BENCH_COOKIE": agent.cookie_header(),
                "BENCH_PATHS": QUEUE_URL,
            },
            200,
        ),
        Page(
            f"mixed: {FILING_EVERY - 1} help searches, 1 filing",
            filing_settings(seller.cookie_header(), csrf, "mixed", paths),
            200,
            stored=lambda: stored_cases(app),
            mixed=True,
            target=None,
        ),
    ]


def note_mixed(measurements: list[Measurement]) -> None:
    """What the mixed load cost beside what its requests cost alone: a cache that one kind of
    request empties for the other shows here, not in the rows that load one page."""
    filing, search, *_rest, mixed = measurements
    alone = (filing.cpu("desk") + (FILING_EVERY - 1) * search.cpu("desk")) / FILING_EVERY
    mixed.notes.append(
        f"CPU ms/request {mixed.cpu('desk'):.2f}; the same requests in the rows above, alone: "
        f"{alone:.2f} ({mixed.cpu('desk') / alone:.2f}x)"
    )


def report(measurements: list[Measurement]) -> None:
    print(
        f"\n{'measurement':<34} {'desk rps':>9} | {'floor rps':>9} | ratio | target  | result"
        f"   (CPU ms/request desk | floor)"
    )
    for m in measurements:
        verdict = ("PASS" if m.passed else "FAIL") if m.target is not None else "-"
        target = f">= {m.target:.2f}" if m.target is not None else "none   "
        print(
            f"{m.name:<34} {m.desk_rps:9.1f} | {m.floor_rps:9.1f} | {m.ratio:5.3f} | "
            f"{target} | {verdict:<6}   ({m.cpu('desk'):6.2f} | {m.cpu('floor'):5.2f})"
        )
        runs = ", ".join(f"{d.rps:.0f}/{f.rps:.0f}" for d, f in zip(m.desk, m.floor, strict=True))
        print(f"{'':<4}runs, desk/floor rps: {runs}")
        for note in m.notes:
            print(f"{'':<4}{note}")
        for problem in m.problems:
            print(f"{'':<4}!! {problem}")


def main() -> int:
    if not shutil.which("wrk"):
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    print(
        f"gunicorn {gunicorn_version}, the same settings for both applications: "
        f"{' '.join(GUNICORN_SETTINGS)}\n({SETTINGS_WHY})\n"
        f"wrk: {WRK_THREADS} threads, {CONNECTIONS} connections, {SECONDS} s per run, "
        f"{ROUNDS} runs of each (desk, floor, alternately; medians), {WARMUP_SECONDS} s "
        f"warm-up; {CORES} cores"
    )
    print(f"preparing {ARTICLES:,} help articles and a queue of {CASES:,} cases", flush=True)
    folder, url, app = prepare_desk()
    print(f"database: {url.rsplit('@', 1)[-1]}", flush=True)
    env = {**os.environ, "SUPPORTDESK_INSTANCE": str(folder)}
    if url.startswith("postgresql"):
        env["FLOOR_DATABASE_URL"] = url
    else:
        env["FLOOR_DATABASE"] = str(folder / "floor.db")
    floor_app = "tests.benchmarks.floor:app"
    with (
        GunicornServer(GUNICORN_SETTINGS, env, folder, name="desk", cwd=REPO) as desk,
        GunicornServer(
            GUNICORN_SETTINGS, env, folder, app=floor_app, name="floor", cwd=REPO
        ) as floor,
    ):
        rows = pages(desk, app)
        measurements = [measure(page, rows[0], desk, floor) for page in rows]
        note_mixed(measurements)
        report(measurements)
        memory_ok = report_memory(desk, floor)
        errors = desk.tracebacks() + floor.tracebacks()
    if errors:
        print(f"\n!! the servers logged {errors} errors")
    ok = memory_ok and not errors and all(m.passed for m in measurements)
    if errors or any(m.problems for m in measurements):
        print(f"\nthe servers' logs and the database are kept in {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"\nall targets {'met' if ok else 'NOT met'}")
    if errors or any(m.problems for m in measurements):
        return 1
    if not ok and os.environ.get("BENCH_TARGETS") == "report":
        print("(BENCH_TARGETS=report: a missed target is printed, not a failure)")
        return 0
    return 0 if ok else 1


def report_memory(desk: GunicornServer, floor: GunicornServer) -> bool:
    """Each worker's memory after the load; the mean USS is compared: see the README."""
    print(f"\nmemory after the load, MiB (workers: mean of {WORKERS})")
    print(f"{'':<24} {'RSS':>6} {'PSS':>6} {'USS':>6}")
    uss = {}
    for server in (desk, floor):
        workers = worker_memory(server.pid)
        for label, rows in (("worker", workers), ("master", [memory(server.pid)])):
            rss, pss, used = (statistics.fmean(row[key] for row in rows) / 1024 for key in KEYS)
            print(f"{server.name + ' ' + label:<24} {rss:6.1f} {pss:6.1f} {used:6.1f}")
            uss.setdefault(server.name, used)
    ratio = uss[desk.name] / uss[floor.name]
    ok = ratio <= MEMORY_TARGET
    print(
        "compared: USS, the pages only that worker holds, which is what one more worker costs "
        "(with --preload a worker shares the master's pages: RSS counts them in full, PSS in "
        "part)"
    )
    print(
        f"worker memory (USS) desk / floor: {ratio:.2f}x | target <= {MEMORY_TARGET} | "
        f"{'PASS' if ok else 'FAIL'}"
    )
    return ok


if __name__ == "__main__":
    sys.exit(main())
