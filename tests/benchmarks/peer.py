"""The peer of ``bench_peer``: django-helpdesk 2.6.1, built by its harness, started under
gunicorn, signed in as its staff, and the pages and form its users load found, as ``dhbench``
specs; with what both sides of a row share (``Side``, the specs, the first request).

The harness is ``../shared/peer_djhelpdesk/`` next to the repository (``BENCH_PEER_DIR`` to point
elsewhere): ``setup.sh`` makes its virtualenv, project and seeded database; the result is cached
under ``/tmp`` (``BENCH_PEER_CACHE``) by the hash of the harness's files and the size. The load
client is the harness's own, ``dhbench.run_closed_loop``, imported from its folder.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from tests.servers import GunicornServer, server_environment

from .http_load import contact_form

REPO = Path(__file__).parents[2]
PEER_DIR = Path(os.environ.get("BENCH_PEER_DIR") or REPO.parent / "shared" / "peer_djhelpdesk")
PEER_CACHE = Path(os.environ.get("BENCH_PEER_CACHE", "/tmp/supportdesk-bench-peer"))  # noqa: S108
PEER_USER = os.environ.get("PEER_DH_ADMIN_USER", "admin")
PEER_PASSWORD = os.environ.get("PEER_DH_ADMIN_PASS", "bench-Pa33w0rd")
#: ``queue`` of a dhbench filing spec whose body is the desk's contact form.
DESK_FORM = "supportdesk-contact"
#: The word of the peer's keyword search row: in about 1 ticket in 18 of seed.py's.
PEER_WORD = "printer"


def available() -> bool:
    return (PEER_DIR / "setup.sh").exists()


def harness_key(cases: int) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in PEER_DIR.iterdir() if p.is_file()):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return f"{digest.hexdigest()[:16]}-{cases}"


def built_peer(cases: int) -> Path:
    """The peer's folder (``venv``, ``proj``, ``db.sqlite3``, ``setup_info.json``): from the
    cache, or built by ``setup.sh`` (then cached) when the harness or the size changed."""
    built = PEER_CACHE / harness_key(cases)
    PEER_CACHE.mkdir(parents=True, exist_ok=True)
    with (PEER_CACHE / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another run may be building the same one
        if not (built / "peer_dh" / "setup_info.json").exists():
            building = built.with_name(built.name + ".building")
            shutil.rmtree(building, ignore_errors=True)
            building.mkdir()
            started = time.monotonic()
            run_setup(building, cases)
            shutil.rmtree(built, ignore_errors=True)
            building.rename(built)
            print(f"peer built in {time.monotonic() - started:.0f} s, cached in {built}")
        else:
            print(f"peer from the cache: {built} (same harness files, {cases:,} tickets)")
    return built / "peer_dh"


def run_setup(building: Path, cases: int) -> None:
    """``setup.sh`` writes to /tmp/peer_dh: in a mount namespace of its own, /tmp is
    ``building``, so that another engineer's /tmp/peer_dh is left alone; without one, it
    builds /tmp/peer_dh, as its README says, and the result is copied. Its phases are shown,
    its whole output kept in ``setup.log``."""
    command = ["bash", str(PEER_DIR / "setup.sh"), str(cases)]
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
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            # Started from /: in the mount namespace a checkout under /tmp is hidden, and the
            # shims of a Python version manager give up in a working folder that is gone.
            cwd="/",
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


def start_peer(
    peer: Path, folder: Path, stack: ExitStack, gunicorn_settings: list[str]
) -> tuple[GunicornServer, Path]:
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
    server = GunicornServer(
        gunicorn_settings,
        env,
        folder,
        app="dhproj.wsgi:application",
        name="peer",
        cwd=peer / "proj",
        python=peer / "venv" / "bin" / "python",
    )
    stack.callback(server.stop)
    return server.wait_until_answers("/hello/"), database


# --- the client: dhbench's, given the desk's contact form -------------------------------------


def load_client():
    """dhbench from the harness's folder. It builds the peer's form itself (``submit_body``);
    a spec whose ``queue`` is DESK_FORM gets the desk's form instead, with the same headers."""
    sys.path.insert(0, str(PEER_DIR))
    import dhbench

    peer_body = dhbench.submit_body

    def submit_body(csrf: str, queue: str, tag: str, number: int) -> bytes:
        if queue == DESK_FORM:
            return contact_form(
                dhbench.BOUNDARY, csrf, f"bench{tag}x{number:010d}", number
            ).encode()
        return peer_body(csrf, queue, tag, number)

    dhbench.submit_body = submit_body
    return dhbench


def user_agent(dh) -> str:
    """The User-Agent dhbench sends: the desk's sessions are bound to the browser that signed in."""
    request = dh.build_request("127.0.0.1", 80, {"path": "/"}, 0).decode()
    return re.search(r"\r\nUser-Agent: ([^\r]+)", request).group(1)


def get(path: str, cookie: str = "") -> Callable[[str], dict]:
    return lambda tag: {"path": path, "conc": 1, "cookie": cookie}


def filing(path: str, cookie: str, csrf: str, queue: str, conc: int) -> Callable[[str], dict]:
    return lambda tag: {
        "path": path, "conc": conc, "method": "POST", "body": "submit",
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


def peer_rows(
    dh, peer: GunicornServer, database: Path, deep: int, filing_conc: int
) -> tuple[dict[str, Side], dict]:
    """Sign in as dhbench does, find the datatables URLs (the first page, the page ``deep``
    rows down, the keyword search), check each page once."""
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
        "deep": datatables_page(all_statuses, deep),
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
        filing("/tickets/submit/", anon.cookie_header(), csrf, queue, filing_conc),
        302,
        stored=lambda tag: dh.db_scalar(database, tagged, (f"%[{tag} %",)),
    )
    return sides, facts
