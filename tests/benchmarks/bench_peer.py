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

import fcntl
import hashlib
import json
import os
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from gunicorn import __version__ as gunicorn_version

from supportdesk import search
from supportdesk.extensions import db
from supportdesk.models import Message, SearchDocument, SearchTerm, Ticket
from supportdesk.pagination import encode_cursor
from supportdesk.search.analysis import words
from supportdesk.search.backends import scope_text
from supportdesk.tickets import CASE_SOURCE, case_document
from tests.servers import GunicornServer, server_environment

from . import bench_http
from .common import analyse_db
from .http_load import Client, children, cpu_ms, memory

REPO = bench_http.REPO
PEER_DIR = Path(os.environ.get("BENCH_PEER_DIR") or REPO.parent / "shared" / "peer_djhelpdesk")
PEER_CACHE = Path(os.environ.get("BENCH_PEER_CACHE", "/tmp/supportdesk-bench-peer"))  # noqa: S108
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
PEER_WORD, DESK_WORD = "printer", "parcel"  # each in about 1 case in 18 (see case_body)
PEER_USER = os.environ.get("PEER_DH_ADMIN_USER", "admin")
PEER_PASSWORD = os.environ.get("PEER_DH_ADMIN_PASS", "bench-Pa33w0rd")
#: ``queue`` of a dhbench filing spec whose body is the desk's contact form.
DESK_FORM = "supportdesk-contact"
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


# --- the peer: built by its harness, cached ---------------------------------------------------


def harness_key() -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in PEER_DIR.iterdir() if p.is_file()):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return f"{digest.hexdigest()[:16]}-{CASES}"


def built_peer() -> Path:
    """The peer's folder (``venv``, ``proj``, ``db.sqlite3``, ``setup_info.json``): from the
    cache, or built by ``setup.sh`` (then cached) when the harness or the size changed."""
    built = PEER_CACHE / harness_key()
    PEER_CACHE.mkdir(parents=True, exist_ok=True)
    with (PEER_CACHE / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another run may be building the same one
        if not (built / "peer_dh" / "setup_info.json").exists():
            building = built.with_name(built.name + ".building")
            shutil.rmtree(building, ignore_errors=True)
            building.mkdir()
            started = time.monotonic()
            run_setup(building)
            shutil.rmtree(built, ignore_errors=True)
            building.rename(built)
            print(f"peer built in {time.monotonic() - started:.0f} s, cached in {built}")
        else:
            print(f"peer from the cache: {built} (same harness files, {CASES:,} tickets)")
    return built / "peer_dh"


def run_setup(building: Path) -> None:
    """``setup.sh`` writes to /tmp/peer_dh: in a mount namespace of its own, /tmp is
    ``building``, so that another engineer's /tmp/peer_dh is left alone; without one, it
    builds /tmp/peer_dh, as its README says, and the result is copied. Its phases are shown,
    its whole output kept in ``setup.log``."""
    command = ["bash", str(PEER_DIR / "setup.sh"), str(CASES)]
    probe = ["unshare", "--mount", "true"]
    isolated = (
        shutil.which("unshare") and subprocess.run(probe, capture_output=True).returncode == 0
    )
    if isolated:
        mount = 'mount --bind "$0" /tmp && exec "$@"'
        command = [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            mount,
            str(building),
            *command,
        ]
    log = building / "setup.log"
    with (
        log.open("w") as output,
        subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        ) as setup,
    ):
        for line in setup.stdout:
            output.write(line)
            if line.startswith(("==", "   ->", "setup done")):
                print(f"  setup.sh: {line.strip()}", flush=True)
    if setup.returncode:
        raise RuntimeError(f"setup.sh failed ({setup.returncode}):\n{log.read_text()[-3000:]}")
    if not isolated:
        shutil.copytree("/tmp/peer_dh", building / "peer_dh", symlinks=True)  # noqa: S108


class PeerServer(GunicornServer):
    """gunicorn in the peer's virtualenv (``GunicornServer`` runs this interpreter's)."""

    def __init__(self, python: Path, *args, **kwargs):
        ours, sys.executable = sys.executable, str(python)
        try:
            super().__init__(*args, **kwargs)
        finally:
            sys.executable = ours


def start_peer(peer: Path, folder: Path, stack: ExitStack) -> tuple[PeerServer, Path]:
    """The peer on a copy of its seeded database (so that each run starts at N tickets), with
    the settings setup.sh wrote, only the database's path changed."""
    database = folder / "peer.sqlite3"
    shutil.copyfile(peer / "db.sqlite3", database)
    settings = folder / "peer_settings"
    settings.mkdir()
    (settings / "bench_peer_settings.py").write_text(
        "from dhproj.settings import *  # noqa: F403\n"
        f"DATABASES['default']['NAME'] = {str(database)!r}  # noqa: F405\n"
    )
    env = server_environment(DJANGO_SETTINGS_MODULE="bench_peer_settings", PYTHONPATH=str(settings))
    server = PeerServer(
        peer / "venv" / "bin" / "python",
        bench_http.GUNICORN_SETTINGS,
        env,
        folder,
        app="dhproj.wsgi:application",
        name="peer",
        cwd=peer / "proj",
    )
    stack.callback(server.stop)
    return server.wait_until_answers("/hello/"), database


# --- the desk: the HTTP benchmark's data, cases with a message each, indexed ------------------


def case_body(rng: random.Random, number: int) -> str:
    """A seller's first message: one topic of 18 (so each topic word is in about 1 case in 18,
    as the peer's "printer"), and two or three sentences."""
    topic = rng.choice(TOPICS)
    details = " ".join(rng.sample(DETAILS, rng.randint(2, 3)))
    return f"Hello, I have a question about the {topic} of order {number}. {details}\n\nThanks!"


def document_row(document: search.Document) -> dict:
    """The row ``search.index`` writes for ``document``, for an insert in bulk (one at a time,
    100,000 take minutes); ``check_index_rows`` compares the two on every run."""
    store = search.backend()
    return {
        "source": document.source,
        "doc_key": document.key,
        "locale": document.locale,
        "title": store.stored_text(document.title, document.locale),
        "tags": store.stored_text(" ".join(document.tags), document.locale),
        "body": store.stored_text(document.body, document.locale),
        "body_text": store.kept_body_text(document.body),
        "facet": document.facet,
        "scope": scope_text(document.source, document.locale, document.facet),
        "terms": " ".join(
            sorted(set(words(f"{document.title} {' '.join(document.tags)} {document.body}")))
        ),
    }


def add_messages_and_index(batch: int = 5_000) -> None:
    """Each case gets its first message and its search document, as filing it would give."""
    rng = random.Random(20261207)
    counts: Counter = Counter()
    rows = db.session.execute(
        sa.select(
            Ticket.id, Ticket.ref, Ticket.subject, Ticket.seller_id, Ticket.created_at
        ).order_by(Ticket.id)
    ).all()
    for first in range(0, len(rows), batch):
        messages, documents = [], []
        for number, (ticket_id, ref, subject, seller_id, created) in enumerate(
            rows[first : first + batch], first
        ):
            body = case_body(rng, number)
            message = {"ticket_id": ticket_id, "author_id": seller_id, "body": body}
            messages.append({**message, "internal": False, "via": "web", "created_at": created})
            document = search.Document(
                source=CASE_SOURCE,
                key=str(ticket_id),
                locale="any",
                title=subject,
                tags=[ref, "", "contact"],
                body=body,
            )
            documents.append(document_row(document))
            counts.update(documents[-1]["terms"].split())
        db.session.execute(Message.__table__.insert(), messages)
        db.session.execute(SearchDocument.__table__.insert(), documents)
        db.session.commit()
    db.session.execute(
        SearchTerm.__table__.insert(),
        [
            {"source": CASE_SOURCE, "locale": "any", "term": t, "doc_count": n}
            for t, n in counts.items()
        ],
    )
    db.session.commit()
    analyse_db()


def check_index_rows() -> None:
    """The bulk rows are the service's: a case indexed again by ``search.index``, from the case
    itself (``tickets.case_document``), keeps every column of its row but the time."""
    ticket = db.session.scalar(sa.select(Ticket).order_by(Ticket.id.desc()).limit(1))
    row = db.session.scalar(
        sa.select(SearchDocument).where(
            SearchDocument.source == CASE_SOURCE, SearchDocument.doc_key == str(ticket.id)
        )
    )
    columns = [c.key for c in SearchDocument.__table__.columns if c.key != "updated_at"]
    bulk = {column: getattr(row, column) for column in columns}
    search.index(case_document(ticket))  # rewrites that row in place
    differ = [column for column in columns if getattr(row, column) != bulk[column]]
    db.session.rollback()
    if differ:
        raise RuntimeError(f"bench_peer's bulk index rows differ from search.index in {differ}")


def prepare_desk() -> tuple[Path, Flask, dict]:
    """The HTTP benchmark's desk at CASES cases and ARTICLES articles, the cases given their
    messages and search documents, the peer's busy timeout; returns the instance folder, the
    app and what the pages must show."""
    folder, _url, app = bench_http.prepare_desk(articles=ARTICLES, cases=CASES)
    with app.test_request_context():
        add_messages_and_index()
        check_index_rows()
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


# --- the client: dhbench's, given the desk's contact form -------------------------------------


def desk_filing_body(boundary: str, csrf: str, tag: str, number: int) -> bytes:
    """The contact form as a browser sends it (as ``wrk_requests.lua`` does): multipart, the
    fields in page order, an empty file input, a new idempotency key each time."""
    fields = [
        ("csrf_token", csrf),
        ("idempotency_key", f"bench{tag}x{number:010d}"),
        ("held", ""),
        ("topic", "shipping"),
        ("order_id", ""),
        ("subject", f"Parcel shown as delivered but not received {number}"),
        (
            "body",
            "Hello, a buyer says the parcel never arrived although the tracking shows it "
            "as delivered two days ago. I have the proof of postage. What should I do next?",
        ),
        ("attachments", None),
        ("reply_language", "en"),
        ("seen_suggestions", "1"),
    ]
    parts = []
    for name, value in fields:
        disposition = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"'
        if value is None:
            parts.append(
                f'{disposition}; filename=""\r\nContent-Type: application/octet-stream\r\n\r\n\r\n'
            )
        else:
            parts.append(f"{disposition}\r\n\r\n{value}\r\n")
    return ("".join(parts) + f"--{boundary}--\r\n").encode()


def load_client():
    """dhbench from the harness's folder. It builds the peer's form itself (``submit_body``);
    a spec whose ``queue`` is DESK_FORM gets the desk's form instead, with the same headers."""
    sys.path.insert(0, str(PEER_DIR))
    import dhbench

    peer_body = dhbench.submit_body

    def submit_body(csrf: str, queue: str, tag: str, number: int) -> bytes:
        if queue == DESK_FORM:
            return desk_filing_body(dhbench.BOUNDARY, csrf, tag, number)
        return peer_body(csrf, queue, tag, number)

    dhbench.submit_body = submit_body
    return dhbench


def user_agent(dh) -> str:
    """The User-Agent dhbench sends: the desk's sessions are bound to the browser that signed in."""
    request = dh.build_request("127.0.0.1", 80, {"path": "/"}, 0).decode()
    return re.search(r"\r\nUser-Agent: ([^\r]+)", request).group(1)


def get(path: str, cookie: str = "") -> Callable[[str], dict]:
    return lambda tag: {"path": path, "conc": 1, "cookie": cookie}


def filing(path: str, cookie: str, csrf: str, queue: str) -> Callable[[str], dict]:
    return lambda tag: {
        "path": path, "conc": FILING_CONC, "method": "POST", "body": "submit",
        "cookie": cookie, "csrf": csrf, "queue": queue, "tag": tag,
    }  # fmt: skip


@dataclass
class Side:
    label: str
    server: GunicornServer
    spec: Callable[[str], dict]  # a run's tag -> a dhbench spec
    status: int
    stored: Callable[[str], int] | None = None  # cases stored with a run's tag (filings)
    runs: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def median(self, key: str) -> float:
        return statistics.median(run[key] for run in self.runs) if self.runs else float("nan")


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


def peer_datatables(staff, list_path: str) -> str:
    """The datatables URL the staff list page embeds (its rows come from it)."""
    page = staff.get(list_path)
    found = re.search(r"(/datatables_ticket_list/[A-Za-z0-9+/=]+)", page.text)
    if page.status != 200 or not found:
        raise RuntimeError(f"peer {list_path}: {page.status}, no datatables URL")
    return found.group(1)


def datatables_page(url: str, start: int) -> str:
    """What DataTables (serverSide, no order) asks for one page of 25."""
    query = {"draw": 1, "start": start, "length": 25, "search[value]": "", "search[regex]": "false"}
    return f"{url}?{urllib.parse.urlencode(query)}"


def peer_rows(dh, peer: GunicornServer, database: Path) -> tuple[dict[str, Side], dict]:
    """Sign in as dhbench does, find the datatables URLs, check each page once."""
    anon, staff = dh.Session("127.0.0.1", peer.port), dh.Session("127.0.0.1", peer.port)
    form = anon.get("/tickets/submit/")
    csrf = dh.csrf_from_html(form.text)
    queue = re.search(r'<option value="(\d+)"[^>]*>\s*Support', form.text).group(1)
    token = dh.csrf_from_html(staff.get("/login/").text)
    login = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "username": PEER_USER, "password": PEER_PASSWORD}
    )
    answer = staff.request(
        "POST", "/login/", login, {"Content-Type": "application/x-www-form-urlencoded"}
    )
    if answer.status != 302 or "sessionid" not in staff.cookies:
        raise RuntimeError(f"peer staff sign-in answered {answer.status}")
    all_statuses = peer_datatables(
        staff, "/tickets/?" + "&".join(f"status={s}" for s in range(1, 6))
    )
    paths = {
        "queue": datatables_page(peer_datatables(staff, "/tickets/"), 0),
        "deep": datatables_page(all_statuses, DEEP),
        "search": datatables_page(
            peer_datatables(staff, f"/tickets/?q={PEER_WORD}&search_type=header"), 0
        ),
    }
    cookie = staff.cookie_header()
    tagged = "SELECT COUNT(*) FROM helpdesk_ticket WHERE title LIKE ?"
    sides = {name: Side("peer", peer, get(path, cookie), 200) for name, path in paths.items()}
    facts = {}
    for name, path in paths.items():
        page = probe(sides[name], lambda path=path: staff.get(path))
        data = json.loads(page.body) if page and page.status == 200 else {}
        if page and not data.get("data"):
            raise RuntimeError(f"peer {name} page: {page.status}, no rows")
        facts[name] = data.get("recordsFiltered", 0)
    if "Printing" not in anon.get("/kb/").text:
        raise RuntimeError("the peer's /kb/ does not list the seeded categories")
    sides["html"] = Side("peer HTML", peer, get("/tickets/", cookie), 200)
    sides["help"] = Side("peer", peer, get("/kb/"), 200)
    sides["filing"] = Side(
        "peer",
        peer,
        filing("/tickets/submit/", anon.cookie_header(), csrf, queue),
        302,
        stored=lambda tag: dh.db_scalar(database, tagged, (f"%[{tag} %",)),
    )
    return sides, facts


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
        filing("/contact", seller.cookie_header(), csrf, DESK_FORM),
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


def probe(side: Side, check: Callable[[], object]) -> object:
    """One request before the load. A page that does not answer within the client's timeout
    is reported and not loaded; its worker is left to gunicorn's timeout, waited for, so that
    it does not take a core from the measurements."""
    started = time.monotonic()
    try:
        return check()
    except TimeoutError:
        waited = time.monotonic() - started
        side.problems.append(f"no answer to a first request within {waited:.0f} s: not measured")
        deadline = time.monotonic() + 150
        while "WORKER TIMEOUT" not in side.server.output() and time.monotonic() < deadline:
            time.sleep(1)
        return None


def server_errors(server: GunicornServer) -> int:
    """Tracebacks, and requests gunicorn stopped at its timeout (they log none)."""
    return server.tracebacks() + server.output().count("WORKER TIMEOUT")


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
            f"desk: GET /staff/search?q={DESK_WORD} ({facts['matches']:,} cases match, 50 newest "
            f"shown); peer: nav-bar search '{PEER_WORD}', datatables JSON start=0 "
            f"({peer_facts['search']:,} match)",
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


def measure_all(dh, peer: Path, folder: Path, app: Flask, facts: dict) -> tuple:
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
        peer_server, database = start_peer(peer, folder, stack)
        peer_sides, peer_facts = peer_rows(dh, peer_server, database)
        desk_sides = desk_rows(user_agent(dh), desk, floor, app, facts)
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
    if not (PEER_DIR / "setup.sh").exists():
        print(f"bench_peer skipped: no peer harness in {PEER_DIR} (BENCH_PEER_DIR sets it)")
        return 0
    if os.environ.pop("SUPPORTDESK_TEST_DATABASE_URL", None):
        print("the peer runs on SQLite only: so does the desk here")
    dh = load_client()
    peer = built_peer()
    print_settings(json.loads((peer / "setup_info.json").read_text()))
    print(f"preparing the desk: {CASES:,} cases, {ARTICLES} help articles", flush=True)
    folder, app, facts = prepare_desk()
    try:
        rows, met, errors, database = measure_all(dh, peer, folder, app, facts)
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
