"""The desk beside a peer, django-helpdesk 2.6.1, on the same machine, with the same data size,
the same gunicorn settings, the same SQLite pragmas and the same load client.

The peer is built by its harness, ``../shared/peer_djhelpdesk/`` next to the repository
(``BENCH_PEER_DIR`` to point elsewhere): ``setup.sh`` makes its virtualenv, project and seeded
database; the result is cached under ``/tmp`` by the hash of the harness's files and the size.
The load client is the harness's own, ``dhbench.run_closed_loop``, imported from its folder.
Without the harness the benchmark says so and exits 0.

Rows, each run desk and peer alternately, ``BENCH_ROUNDS`` times, medians of the rates:
filing a case, the first staff queue page, a deep page, case keyword search, the help/KB page;
then the workers' memory. Targets: filing >= 2x the peer's rate, queue page and case search
>= 20x. ``BENCH_TARGETS=report`` (the default) prints a missed target and exits 0;
``BENCH_TARGETS=enforce`` fails on it; a server error or a lost case fails either way.

    python -m tests.benchmarks.bench_peer

Environment: ``BENCH_CASES`` (cases on each side, default 100,000), ``BENCH_SECONDS`` (per
run, default 10), ``BENCH_ROUNDS`` (default 2), ``BENCH_CONC`` (client threads of the filing
row, default 4), ``BENCH_WORKERS``, ``BENCH_PEER_DIR``, ``BENCH_PEER_CACHE``.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import statistics
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from gunicorn import __version__ as gunicorn_version

from supportdesk import search
from supportdesk.extensions import db
from supportdesk.models import Ticket
from supportdesk.pagination import encode_cursor
from supportdesk.tickets import CASE_SOURCE
from tests.servers import GunicornServer, server_environment

from . import bench_http, bench_queue_pages, peer
from .http_load import Client, children, cpu_ms, memory
from .peer import DESK_FORM, PEER_DIR, PEER_WORD, Side, filing, get, probe, server_errors

REPO = bench_http.REPO
CASES = int(os.environ.get("BENCH_CASES", 100_000))
SECONDS = float(os.environ.get("BENCH_SECONDS", 10))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 2))
FILING_CONC = int(os.environ.get("BENCH_CONC", 4))
TARGETS = os.environ.get("BENCH_TARGETS", "report")
MAX_REQUESTS = 200_000
#: As the harness: 90,000 deep, or 90 % of the cases when there are fewer.
DEEP = 90_000 if CASES >= 90_025 else int(CASES * 0.9)
#: The peer's busy timeout ("timeout": 20 in the settings setup.sh writes), given to the desk.
BUSY_TIMEOUT_MS = 20_000
#: As many help articles per language as the peer seeds knowledge-base items (200).
ARTICLES = 400
#: In about 1 case in 18, as the peer's PEER_WORD in its tickets (see case_body).
DESK_WORD = "parcel"
TOPICS = ("parcel", "refund", "payout", "listing", "invoice", "return", "courier", "commission",
          "account", "photos", "stock", "voucher", "review", "label", "customs", "warranty",
          "tracking", "dispute")  # fmt: skip
DETAILS = (
    "The buyer wrote to me twice this week.",
    "I have the proof of postage from the shop.",
    "It worked fine until the last update.",
    "Could you check what happened?",
    "This is the third time this month.",
    "The order page shows nothing new.",
    "I need an answer before the weekend.",
)


# --- the desk: the HTTP benchmark's data, cases with a message each, indexed ------------------


def case_body(rng: random.Random, number: int) -> str:
    """A seller's first message: one topic of 18 (so each topic word is in about 1 case in 18,
    as the peer's "printer"), and two or three sentences."""
    topic = rng.choice(TOPICS)
    details = " ".join(rng.sample(DETAILS, rng.randint(2, 3)))
    return f"Hello, I have a question about the {topic} of order {number}. {details}\n\nThanks!"


def prepare_desk() -> tuple[Path, Flask, dict]:
    """The HTTP benchmark's desk at CASES cases and ARTICLES articles, the cases given their
    messages and search documents, the peer's busy timeout; returns the instance folder, the
    app and what the pages must show."""
    folder, _url, app = bench_http.prepare_desk(articles=ARTICLES, cases=CASES)
    with app.test_request_context():
        bench_queue_pages.add_messages_and_index(case_body)
        bench_queue_pages.check_index_rows()
        newest = sa.select(Ticket.id, Ticket.ref).order_by(Ticket.id.desc())
        boundary = db.session.execute(newest.offset(DEEP - 1).limit(2)).all()
        matches = search.matching(CASE_SOURCE, DESK_WORD, locale="any")
        found = db.session.scalar(sa.select(sa.func.count()).select_from(matches.subquery()))
        db.engine.dispose()
    with (folder / "config.py").open("a", encoding="utf-8") as config:
        config.write(f"SUPPORTDESK_SQLITE_BUSY_TIMEOUT_MS = {BUSY_TIMEOUT_MS}\n")
    facts = {
        "deep_url": f"{bench_http.QUEUE_URL}?status=all&cursor={encode_cursor([boundary[0].id])}",
        "deep_ref": boundary[1].ref,
        "matches": found,
    }
    return folder, app, facts


@dataclass
class Row:
    number: int
    title: str
    sent: str
    target: float | None
    desk: Side
    peer: Side
    extra: Side | None = None  # the peer's HTML page (queue row), the floor (filing row)

    @property
    def ratio(self) -> float:
        return self.desk.median("rps") / self.peer.median("rps")

    @property
    def problems(self) -> list[str]:
        sides = [self.desk, self.peer] + ([self.extra] if self.extra else [])
        return [f"{side.label}: {p}" for side in sides for p in side.problems]


def desk_rows(
    agent_name: str, desk: GunicornServer, floor: GunicornServer, app: Flask, facts: dict
) -> dict[str, Side]:
    """Sign in through the real forms, with dhbench's User-Agent; check each page once."""

    class Browser(Client):
        AGENT = agent_name

    seller, agent = Browser(desk.base), Browser(desk.base)
    seller.sign_in(bench_http.FILER, bench_http.PASSWORD)
    csrf = seller.contact_token()
    seller.check_filing(csrf)
    agent.sign_in(bench_http.AGENT, bench_http.PASSWORD)
    cookie, form = (
        agent.cookie_header(),
        filing("/contact", seller.cookie_header(), csrf, DESK_FORM, FILING_CONC),
    )
    search_url = f"/staff/search?q={DESK_WORD}"
    sides = {
        "queue": Side("desk", desk, get(bench_http.QUEUE_URL, cookie), 200),
        "deep": Side("desk", desk, get(facts["deep_url"], cookie), 200),
        "search": Side("desk", desk, get(search_url, cookie), 200),
        "help": Side("desk", desk, get("/help?lang=en", seller.cookie_header()), 200),
        "filing": Side(
            "desk", desk, form, 303,
            stored=lambda tag: bench_http.stored_cases(app, f"contact-form:bench{tag}x"),
        ),
        "floor": Side("floor", floor, form, 303),
    }  # fmt: skip
    probe(sides["queue"], lambda: agent.check_page(bench_http.QUEUE_URL, "SD-B"))
    probe(sides["deep"], lambda: agent.check_page(facts["deep_url"], facts["deep_ref"]))
    probe(sides["search"], lambda: agent.check_page(search_url, "SD-B"))
    probe(sides["help"], lambda: seller.check_page("/help?lang=en", "help-categories"))
    return sides


# --- measuring --------------------------------------------------------------------------------


def run(dh, side: Side, tag: str) -> None:
    spec = side.spec(tag)
    cpu_before = cpu_ms(side.server.pid)
    result = dh.run_closed_loop("127.0.0.1", side.server.port, spec, SECONDS, MAX_REQUESTS)
    result["cpu_ms"] = (cpu_ms(side.server.pid) - cpu_before) / max(1, result["requests"])
    side.runs.append(result)
    answered = result[f"c{side.status // 100}"]
    if answered != result["requests"] or result["errors"]:
        classes = ", ".join(f"{k[1]}xx {result[k]}" for k in ("c2", "c3", "c4", "c5"))
        side.problems.append(
            f"{result['requests'] - answered} of {result['requests']} answered other than "
            f"{side.status} ({classes}); {result['errors']} connection errors"
        )
    if side.stored is not None and (stored := side.stored(tag)) != answered:
        side.problems.append(f"{answered} filings answered {side.status}, {stored} cases stored")


def measure(dh, row: Row) -> None:
    """A warm-up of each side, then desk, peer (and the extra) alternately, ROUNDS times; a
    side whose page did not answer is left out."""
    sides = [side for side in (row.desk, row.peer, row.extra) if side and not side.problems]
    if row.problems:
        print(f"  row {row.number}: {'; '.join(row.problems)}", flush=True)
    for side in sides:
        dh.warm_up("127.0.0.1", side.server.port, side.spec(f"w{row.number}{os.getpid()}"))
    for number in range(ROUNDS):
        for index, side in enumerate(sides):
            run(dh, side, f"r{row.number}{index}{number}p{os.getpid()}")
    print(f"  measured row {row.number}: {row.title}", flush=True)


def report(rows: list[Row]) -> bool:
    """The table; True when every target is met."""
    print(
        f"\n{'row':<34} {'desk rps':>9} {'peer rps':>9} {'desk/peer':>9}  {'target':<7} result"
        f"   p50 ms desk | peer   CPU ms/request desk | peer"
    )
    met = True
    for row in sorted(rows, key=lambda r: r.number):
        desk, peer = row.desk, row.peer
        verdict = "-"
        if row.target is not None:
            passed = row.ratio >= row.target and not row.problems
            met &= passed
            verdict = "PASS" if passed else "FAIL"
        target = f">= {row.target:g}" if row.target is not None else "none"
        print(
            f"{row.number} {row.title:<32} {desk.median('rps'):9.1f} {peer.median('rps'):9.2f} "
            f"{row.ratio:9.2f}  {target:<7} {verdict:<6} {desk.median('p50_ms'):8.1f} | "
            f"{peer.median('p50_ms'):<8.1f} {desk.median('cpu_ms'):9.1f} | {peer.median('cpu_ms'):.1f}"
        )
        print(f"    {row.sent}")
        runs = [", ".join(f"{r['rps']:.2f}" for r in side.runs) or "-" for side in (desk, peer)]
        print(f"    runs, rps: desk {runs[0]}; peer {runs[1]}")
        if row.extra and row.extra.label == "peer HTML":
            html = row.extra.median("rps")
            view = 1 / (1 / html + 1 / peer.median("rps"))
            print(
                f"    peer's HTML page /tickets/ (no rows: they come from the JSON): {html:.1f} rps; "
                f"a page view, HTML then JSON: {view:.2f} views/s; desk / that: "
                f"{desk.median('rps') / view:.1f}"
            )
        elif row.extra:
            floor = row.extra.median("rps")
            print(
                f"    floor (floor.py: one ORM row committed, nothing checked; its own pragmas: "
                f"WAL, busy 5 s, synchronous FULL): {floor:.1f} rps; desk = {desk.median('rps') / floor:.2f} x floor"
            )
        for problem in row.problems:
            print(f"    !! {problem}")
    return met


def report_memory(desk: GunicornServer, peer: GunicornServer) -> None:
    print(f"\nmemory after the loads, MiB (mean of {bench_http.WORKERS} workers)")
    print(f"{'':<14} {'RSS':>6} {'PSS':>6} {'USS':>6}")
    uss = {}
    for server in (desk, peer):
        workers = [memory(pid) for pid in children(server.pid)]
        rss, pss, used = (statistics.fmean(w[k] for w in workers) / 1024 for k in bench_http.KEYS)
        print(f"{server.name + ' worker':<14} {rss:6.1f} {pss:6.1f} {used:6.1f}")
        uss[server.name] = used
    print(
        f"worker USS (the pages only that worker holds: what one more worker costs), "
        f"desk / peer: {uss[desk.name] / uss[peer.name]:.2f}x (no target)"
    )


def journal_mode(database: Path) -> str:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        return conn.execute("PRAGMA journal_mode").fetchone()[0]


def rows_of(
    desk: dict[str, Side], peer: dict[str, Side], facts: dict, peer_facts: dict
) -> list[Row]:
    queue = bench_http.QUEUE_URL
    return [
        Row(1, f"filing a case (c={FILING_CONC})",
            "desk: POST /contact, a signed-in seller's contact form (multipart, CSRF) -> 303; "
            "peer: POST /tickets/submit/, its public form (multipart, CSRF) -> 302",
            2, desk["filing"], peer["filing"], desk["floor"]),
        Row(2, "staff queue, first page (c=1)",
            f"desk: GET {queue}, its HTML with 25 open cases; peer: the datatables JSON of "
            f"/tickets/ (UI default: open + reopened, {peer_facts['queue']:,} match), start=0",
            20, desk["queue"], peer["queue"], peer["html"]),
        Row(3, f"deep page, {DEEP:,} deep (c=1)",
            "desk: the queue, all statuses, by its keyset cursor; peer: datatables JSON, all "
            f"statuses ({peer_facts['deep']:,}), start={DEEP}",
            None, desk["deep"], peer["deep"]),
        Row(4, "case keyword search (c=1)",
            f"desk: GET /staff/search?q={DESK_WORD} ({facts['matches']:,} cases match, the 25 "
            f"newest shown, a page as the peer's); peer: nav-bar search '{PEER_WORD}', "
            f"datatables JSON start=0 ({peer_facts['search']:,} match)",
            20, desk["search"], peer["search"]),
        Row(5, "help / KB home (c=1)",
            f"desk: GET /help?lang=en ({ARTICLES // 2} English articles); peer: GET /kb/ "
            "(8 categories, 200 items)",
            None, desk["help"], peer["help"]),
    ]  # fmt: skip


def print_settings(peer_info: dict) -> None:
    versions = peer_info["versions"]
    print(
        f"desk: supportdesk, gunicorn {gunicorn_version}; peer: django-helpdesk "
        f"{versions['django-helpdesk']}, Django {versions['Django']}, gunicorn "
        f"{versions['gunicorn']} (its own virtualenv); Python {sys.version.split()[0]}, SQLite "
        f"{sqlite3.sqlite_version}; {os.cpu_count()} cores\n"
        f"gunicorn, the same for both: {' '.join(bench_http.GUNICORN_SETTINGS)}\n"
        f"  ({bench_http.SETTINGS_WHY}; the peer allows --preload too: Django builds its "
        "application in the master without opening its database)\n"
        f"SQLite, the same for both: journal_mode=WAL, synchronous=NORMAL, busy timeout "
        f"{BUSY_TIMEOUT_MS // 1000} s, write transactions BEGIN IMMEDIATE\n"
        f"client: dhbench.run_closed_loop, imported from {PEER_DIR}/dhbench.py (Python, closed "
        "loop, a new connection per request, 'Connection: close'); c=1 for the pages as dhbench "
        f"does, c={FILING_CONC} for the filing; {SECONDS:g} s per run, {ROUNDS} runs of each "
        "side, desk and peer alternately, medians, after a warm-up of each\n"
        f"data: {CASES:,} cases on each side (desk: bench_queue_pages' cases, each with a "
        "message and its search document; peer: seed.py's tickets, each with a follow-up)"
    )


def measure_all(dh, built: Path, folder: Path, app: Flask, facts: dict) -> tuple:
    """Start the three servers, check each page once, load them and report: the rows, whether
    every target is met, the tracebacks the servers logged and the peer's database."""
    env = server_environment(
        SUPPORTDESK_INSTANCE=str(folder), FLOOR_DATABASE=str(folder / "floor.db")
    )
    settings = bench_http.GUNICORN_SETTINGS
    with ExitStack() as stack:
        desk = stack.enter_context(GunicornServer(settings, env, folder, name="desk", cwd=REPO))
        floor_app = "tests.benchmarks.floor:app"
        floor = stack.enter_context(
            GunicornServer(settings, env, folder, app=floor_app, name="floor", cwd=REPO)
        )
        peer_server, database = peer.start_peer(built, folder, stack, settings)
        peer_sides, peer_facts = peer.peer_rows(dh, peer_server, database, DEEP, FILING_CONC)
        desk_sides = desk_rows(peer.user_agent(dh), desk, floor, app, facts)
        rows = rows_of(desk_sides, peer_sides, facts, peer_facts)
        print("servers up and checked; measuring", flush=True)
        for row in rows[1:] + rows[:1]:  # the filings last: the pages see N cases
            measure(dh, row)
        met = report(rows)
        report_memory(desk, peer_server)
        errors = sum(server_errors(server) for server in (desk, peer_server, floor))
    return rows, met, errors, database


def main() -> int:
    started = time.monotonic()
    if not peer.available():
        print(f"bench_peer skipped: no peer harness in {PEER_DIR} (BENCH_PEER_DIR sets it)")
        return 0
    if os.environ.pop("SUPPORTDESK_TEST_DATABASE_URL", None):
        print("the peer runs on SQLite only: so does the desk here")
    dh = peer.load_client()
    built = peer.built_peer(CASES)
    print_settings(json.loads((built / "setup_info.json").read_text()))
    print(f"preparing the desk: {CASES:,} cases, {ARTICLES} help articles", flush=True)
    folder, app, facts = prepare_desk()
    try:
        rows, met, errors, database = measure_all(dh, built, folder, app, facts)
    except BaseException:
        print(f"the servers' logs and the databases are kept in {folder}")
        raise
    modes = {journal_mode(folder / "bench.db"), journal_mode(database)}
    failed = errors or modes != {"wal"} or any(row.problems for row in rows)
    if errors:
        print(f"\n!! the servers logged {errors} errors (tracebacks, worker timeouts)")
    if modes != {"wal"}:
        print(f"\n!! journal modes: {modes}")
    elapsed = time.monotonic() - started
    print(f"\nall targets {'met' if met else 'NOT met'}; wall time {elapsed:.0f} s")
    if failed:
        print(f"a server error or a lost case: the logs and databases are kept in {folder}")
        return 1
    shutil.rmtree(folder, ignore_errors=True)
    if not met and TARGETS != "enforce":
        print(f"(BENCH_TARGETS={TARGETS}: a missed target is printed, not a failure)")
        return 0
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
