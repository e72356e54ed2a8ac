"""Workers forked from a built desk (gunicorn --preload) share its memory instead of copying it."""

from __future__ import annotations

import ctypes
import gc
import os
import subprocess
import sys
import traceback
from pathlib import Path

import pytest

from supportdesk import hookimpl, prefork
from supportdesk_helpcenter import lexicon
from supportdesk_helpcenter.models import LOCALES


def _in_forked_child(report) -> str:
    """Fork, run ``report()`` in the child and return what it wrote."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, and leave without running the parent's cleanup
        try:
            try:
                answer = str(report())
            except BaseException:  # the parent's assertion shows what went wrong
                answer = traceback.format_exc()
            os.write(write, answer.encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as answer:
        text = answer.read()
    os.waitpid(pid, 0)
    return text


def test_a_forked_worker_keeps_the_desks_objects_out_of_its_collections(app):
    frozen_before = gc.get_freeze_count()
    prefork._before_fork()  # what the fork does first: the count below is of what it inherits
    gc.collect()
    gc.disable()  # no collection between the count and the fork
    try:
        tracked = len(gc.get_objects())
        frozen_in_child = int(_in_forked_child(gc.get_freeze_count))
    finally:
        gc.enable()

    # Everything the worker inherited is frozen: its collections never write to those pages.
    # (A few temporaries, such as the list get_objects returned, are gone by the fork.)
    assert frozen_in_child >= tracked - 100
    # The parent is left as it was: its own garbage is still collected.
    assert gc.get_freeze_count() == frozen_before


def test_the_models_are_ready_when_the_desk_is_built(tmp_path):
    """Done at start-up, once, rather than by each worker's first request."""
    code = (
        "import sqlalchemy as sa\n"
        "from supportdesk import create_app\n"
        "from supportdesk.models import Ticket\n"
        "create_app({'TESTING': True, 'SECRET_KEY': 'x', 'SUPPORTDESK_INSTANCE_PATH': "
        f"{str(tmp_path)!r}}})\n"
        "print(sa.inspect(Ticket).configured)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "True"


def _compiles_and_catalogues(app) -> str:
    """In a forked worker: how many templates and catalogues its first pages had to build
    (the sign-in page in English and in French, the help centre's home in French)."""
    from supportdesk.extensions import babel

    compiled = []
    original = app.jinja_env.compile
    app.jinja_env.compile = lambda *args, **kwargs: (
        compiled.append(args) or original(*args, **kwargs)
    )
    catalogues = babel.domain_instance.cache
    before = len(catalogues)
    client = app.test_client()
    pages = [
        client.get("/sign-in"),
        client.get("/sign-in", headers={"Accept-Language": "fr"}),
        client.get("/help", headers={"Accept-Language": "fr"}),
    ]
    french = "Mot de passe" in pages[1].get_data(as_text=True)
    statuses = [page.status_code for page in pages]
    return f"{statuses} {french} {len(compiled)} {len(catalogues) - before}"


def test_a_forked_worker_renders_its_first_pages_with_what_the_parent_built(app):
    assert _in_forked_child(lambda: _compiles_and_catalogues(app)) == "[200, 200, 200] True 0 0"


def test_a_desk_that_never_forks_compiles_only_what_it_renders(make_app):
    """The tests and the command line do not pay for a fork that never comes."""
    desk = make_app()
    assert len(desk.jinja_env.cache) == 0


def test_a_template_that_does_not_compile_does_not_stop_the_workers(make_app, caplog):
    desk = make_app()
    templates = Path(desk.config["SUPPORTDESK_INSTANCE_PATH"]) / "templates"
    templates.mkdir(exist_ok=True)
    (templates / "broken.html").write_text("{% if %}", encoding="utf-8")

    answer = _in_forked_child(lambda: desk.test_client().get("/sign-in").status_code)

    assert answer == "200"
    assert "broken.html does not compile" in caplog.text


class PreparesForWorkers:
    name = "prepares_for_workers"

    def __init__(self):
        self.calls = 0

    @hookimpl
    def prepare_for_workers(self, app):
        self.calls += 1


class FailsToPrepare:
    name = "fails_to_prepare"

    @hookimpl
    def prepare_for_workers(self, app):
        raise RuntimeError("nothing to share today")


def test_plugins_prepare_for_the_workers_in_the_parent_and_a_failing_one_is_skipped(
    make_app, caplog
):
    """The help centre's shipped lexicons are built before the fork (the workers share them);
    another plugin's hook runs once, in the parent; one that raises is logged, and the workers
    still answer."""
    prepares = PreparesForWorkers()
    desk = make_app(plugins=[prepares, FailsToPrepare()])
    lexicon.shipped_lexicon.cache_clear()

    def first_page_of_a_worker() -> str:
        built = lexicon.shipped_lexicon.cache_info().currsize
        return f"{built} {desk.test_client().get('/sign-in').status_code}"

    assert _in_forked_child(first_page_of_a_worker) == f"{len(LOCALES)} 200"
    assert prepares.calls == 1
    assert "plugin fails_to_prepare failed in hook prepare_for_workers" in caplog.text


def _libc():
    libc = ctypes.CDLL(None)
    if not hasattr(libc, "mallinfo2"):
        pytest.skip("glibc 2.33 or later")
    libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    return libc


_FRAGMENTED_HEAP = """
import ctypes, os, sys
from pathlib import Path
from supportdesk import prefork

libc = ctypes.CDLL(None)
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
libc.memset.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t]

def uss():
    rows = Path("/proc/self/smaps_rollup").read_text().splitlines()[1:]
    fields = dict(line.split(":", 1) for line in rows)
    return sum(int(fields[name].split()[0]) for name in ("Private_Clean", "Private_Dirty"))

holes = [libc.malloc(64) for _ in range(80_000)]
for pointer in holes[::2]:
    libc.free(pointer)
if sys.argv[1] == "fill":
    prefork.fill_free_heap_chunks()
read, write = os.pipe()
if os.fork() == 0:
    before = uss()
    for _ in range(40_000):
        libc.memset(libc.malloc(64), 1, 64)
    os.write(write, str(uss() - before).encode())
    os._exit(0)
os.close(write)
print(os.read(read, 100).decode())
"""


def test_a_worker_allocates_in_fresh_memory_not_in_pages_shared_with_its_parent():
    """With the parent's free chunks taken before the fork, the worker's small allocations come
    from new pages side by side, instead of from holes on pages it then copies whole (a heap
    with 40,000 holes between live chunks, as a built desk leaves, then 40,000 allocations in
    the worker; each in a fresh interpreter, whatever this one's heap holds)."""
    _libc()
    costs = {}
    for mode in ("keep", "fill"):
        run = [sys.executable, "-c", _FRAGMENTED_HEAP, mode]
        costs[mode] = int(subprocess.run(run, capture_output=True, text=True, check=True).stdout)
    allocated = 40_000 * 80 // 1024  # KiB, with each chunk's header
    assert costs["fill"] < 1.5 * allocated, costs
    assert costs["fill"] < 0.7 * costs["keep"], costs


def test_the_fork_hook_takes_the_free_chunks_of_a_built_desk(make_app):
    """The 10,000 holes (2 MB) this test makes in the heap are gone after the fork hook. (Only
    the calling thread's heap is filled: a process that ran other threads, as a test runner
    may, keeps the free chunks of theirs; a server's parent runs none.) Without the warm-up,
    whose own allocations would take some."""
    app = make_app(SUPPORTDESK_WARM_UP_WORKERS=False)
    libc = _libc()
    libc.mallinfo2.restype = prefork._MallInfo2

    def free_chunks() -> str:
        holes = [libc.malloc(200) for _ in range(20_000)]
        for pointer in holes[::2]:
            libc.free(pointer)
        info = libc.mallinfo2()
        before = info.fordblks - info.keepcost
        prefork._unprepared.add(app)
        prefork._before_fork()
        info = libc.mallinfo2()
        return f"{before} {info.fordblks - info.keepcost}"

    before, after = map(int, _in_forked_child(free_chunks).split())
    assert before > 2_000_000 and before - after > 1_900_000, (before, after)


def _requests_seen(app) -> list[str]:
    seen: list[str] = []
    app.before_request(lambda: seen.append(__import__("flask").request.full_path) and None)
    return seen


def test_the_parent_warms_up_on_pages_that_write_nothing(make_app, caplog):
    """The pages the parent answers before its first fork read the database and write nothing,
    leave no connection open for the workers to inherit, and count against no rate limit."""
    from supportdesk.accounts import create_user
    from supportdesk.extensions import db
    from supportdesk.models import Queue

    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="1 per hour")
    with app.app_context():
        db.session.add(Queue(key="seller_support", name="Seller support"))
        db.session.commit()
        create_user("agent@example.com", role="agent", password="x" * 12, queues=["seller_support"])
    seen = _requests_seen(app)
    statuses = []
    app.after_request(lambda response: statuses.append(response.status_code) or response)
    statements: list[str] = []
    with app.app_context():
        engine = db.engine
    sa_event = __import__("sqlalchemy").event
    sa_event.listen(engine, "before_cursor_execute", lambda c, cur, st, *a: statements.append(st))
    prefork._unprepared.add(app)
    prefork._before_fork()
    # Each page, in English and French, and an agent's queue and a case search, as that agent;
    # The help centre names its pages through the warm_up_pages hook.
    pages = {
        "/sign-in?",
        "/help?",
        "/help/search?q=how+do+I+get+paid+for+an+order&page=2",
        "/staff/queues/seller_support?",
        "/staff/search?q=order+refund",
    }
    assert sorted(seen) == sorted([*pages, *pages])  # each in English and in French
    assert "/staff/queues/seller_support?" in seen and statuses == [200] * len(seen)
    assert any(s.lstrip().upper().startswith("SELECT") for s in statements)
    writes = [s for s in statements if s.split()[0].upper() in ("INSERT", "UPDATE", "DELETE")]
    assert writes == []
    assert engine.pool.checkedin() == 0 and engine.pool.checkedout() == 0
    assert not [r for r in caplog.records if r.levelname in ("WARNING", "ERROR")]
    client = app.test_client()  # a visitor's first page is their first, whatever the limit
    assert client.get("/help").status_code == 200
    assert client.get("/help").status_code == 429


def test_a_desk_not_migrated_yet_is_not_warmed(make_app, caplog):
    from supportdesk import migrate
    from supportdesk.testing import reset_postgres_schema

    app = make_app(create_tables=False)
    with app.app_context():
        reset_postgres_schema()  # on PostgreSQL, the other tests' tables are gone too
    seen = _requests_seen(app)
    prefork._unprepared.add(app)
    prefork._before_fork()
    assert seen == []
    assert not [r for r in caplog.records if r.levelname in ("WARNING", "ERROR")]
    migrate.upgrade(app)  # the tables the next tests (and this one's clean-up) expect


def test_a_desk_told_not_to_is_not_warmed(make_app):
    app = make_app(SUPPORTDESK_WARM_UP_WORKERS=False)
    seen = _requests_seen(app)
    prefork._unprepared.add(app)
    prefork._before_fork()
    assert seen == []


def test_plugins_name_their_warm_up_pages_and_a_failing_one_is_skipped(make_app, caplog):
    from flask import url_for

    class Named:
        @hookimpl
        def warm_up_pages(self, app):
            return [url_for("desk.auth.sign_in", next="/contact")]

    class Broken:
        @hookimpl
        def warm_up_pages(self, app):
            raise RuntimeError("no pages today")

    app = make_app(plugins=[Named(), Broken()])
    seen = _requests_seen(app)
    prefork._unprepared.add(app)
    prefork._before_fork()
    assert seen.count("/sign-in?next=/contact") == 2  # in English and in French
    assert "/help?" in seen  # the help centre's pages still
    assert "no pages today" in caplog.text
