"""Memory shared with the workers of a preforking server.

Under ``gunicorn --preload`` (or any server that builds the application once, then forks its
workers), a worker shares the parent's memory pages until it writes to them. What a worker
builds for itself, or writes to, it holds alone: every worker more costs that again.

* SQLAlchemy configures its mappers at the first query of each process: done at start-up
  instead, the workers inherit the result;
* the garbage collector's full passes write to every container object a process holds: the
  objects a worker inherits are frozen in it (:func:`gc.freeze`), so its collections skip
  them. The parent is not frozen: its own garbage is still collected;
* what each worker would otherwise build on its first pages, none of it read from the
  database (the compiled templates, each language's catalogues and Babel's locale data, the
  modules imported on first use), the parent builds just before it forks its first worker
  (:func:`prepare_for_workers`), and so do the plugins, through their
  ``prepare_for_workers`` hook. A process that never forks never pays for it: the tests, a
  server that builds the desk in each worker, the command line;
* then the parent answers a few pages that read the database and write nothing
  (:func:`warm_up`, ``SUPPORTDESK_WARM_UP_WORKERS``), and closes its connection again;
* last, the free chunks of the parent's C heap are taken (:func:`fill_free_heap_chunks`), so
  that a worker's own allocations come from memory of its own instead of landing, a few bytes
  each, on pages it shares with the parent, each of which it then copies whole.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import gc
import importlib
import logging
import os
import weakref
from datetime import UTC, datetime, timedelta
from typing import Any

import flask
import flask_babel
import sqlalchemy as sa
from flask import Flask
from flask_login import FlaskLoginClient
from jinja2 import TemplateError
from sqlalchemy.orm import configure_mappers

from . import i18n

log = logging.getLogger(__name__)

#: Imported on first use by the libraries themselves: WTForms' email validator imports its
#: checker when a form first validates an address, which encodes the domain as IDNA.
IMPORTED_ON_FIRST_USE = ("email_validator", "encodings.idna")

#: The desks built in this process and not yet prepared for a fork.
_unprepared: weakref.WeakSet[Flask] = weakref.WeakSet()
#: The desks that are applications of their own (``create_app``), not mounted in a host's.
_standalone: weakref.WeakSet[Flask] = weakref.WeakSet()


def share_with_forked_workers(app: Flask, *, standalone: bool = True) -> None:
    """Called once the desk is built: its models and plugins are loaded. A desk mounted in a
    host's application is not warmed up (:func:`warm_up`): the host's own request hooks would
    run, and may write."""
    configure_mappers()
    _unprepared.add(app)
    if standalone:
        _standalone.add(app)
    _install_fork_hooks()


@functools.cache
def _install_fork_hooks() -> None:
    """Once per process, however many applications it builds (a test session builds many)."""
    os.register_at_fork(before=_before_fork, after_in_child=gc.freeze)


def _before_fork() -> None:
    apps = list(_unprepared)
    if not apps:  # a later fork (a worker replaced): the first one prepared everything
        return
    for app in apps:
        _unprepared.discard(app)
        try:
            prepare_for_workers(app)
        except Exception:  # a worker then builds what is missing itself: slower, not wrong
            log.exception("could not prepare the desk for its workers")
        if app in _standalone and app.config["SUPPORTDESK_WARM_UP_WORKERS"]:
            warm_up(app)
    gc.collect()  # the garbage compiling left: the workers would freeze it, and keep it
    for app in apps:
        # After the collection: what the plugins build fills the room it freed, where the
        # workers' own first objects would otherwise land on pages they then copy.
        with app.app_context():
            app.extensions["supportdesk"].plugins.call_isolated("prepare_for_workers", app=app)
    fill_free_heap_chunks()


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd",
            "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost",
        )
    ]  # fmt: skip


#: The request sizes that take the free chunks, smallest first: a larger free chunk is split
#: to serve a smaller request, so these reach every size between them.
_FILL_SIZES = (16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 2048, 4096, 8192)
#: A size is done when this many requests in a row came from the heap's top, not a free chunk.
_FILL_DONE_AFTER = 16


def fill_free_heap_chunks() -> None:
    """Take the free chunks of the C heap (glibc's ``malloc``), never to give them back.

    A forked worker allocates wherever its parent's heap has room: in the free chunks left
    between the parent's live objects. Each small allocation there writes to a page the worker
    shares with its parent, and the kernel copies that page for the worker. With those chunks
    taken, the worker's allocations come from the heap's top, fresh pages of its own, side by
    side. Measured by forking the built desk: its first database connection copied 5.5 MiB
    instead of 3.2, and every worker kept 2.3 MiB less (about 1 MiB of chunks taken, in the
    parent alone, in some 30,000 requests, 0.15 s). Without glibc 2.33 or later (``mallinfo2``),
    nothing is done."""
    try:
        libc = ctypes.CDLL(None)
        mallinfo2, malloc = libc.mallinfo2, libc.malloc
    except (OSError, AttributeError):
        return
    mallinfo2.restype = _MallInfo2
    malloc.restype, malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]

    def in_free_chunks() -> int:
        info = mallinfo2()
        return int(info.fordblks - info.keepcost)  # the top of the heap is not a free chunk

    for size in _FILL_SIZES:
        from_top = 0
        while from_top < _FILL_DONE_AFTER:
            before = in_free_chunks()
            malloc(size)  # kept: a chunk handed back would be free again
            from_top = from_top + 1 if in_free_chunks() >= before else 0


def prepare_for_workers(app: Flask) -> None:
    """Build, in the process about to fork, what every worker would build on its first
    pages; nothing here reads or writes the database."""
    for name in IMPORTED_ON_FIRST_USE:
        with contextlib.suppress(ImportError):  # email_validator is optional to WTForms
            importlib.import_module(name)
    compile_templates(app)
    now = datetime.now(UTC)
    with app.app_context():
        languages = i18n.languages()
    for language in languages:
        with app.test_request_context(), flask_babel.force_locale(language):
            i18n.request_translations()
            i18n.WTFORMS_MESSAGES.ugettext("This field is required.")
            # Loads the language's Babel data and the patterns the pages format with.
            i18n.datetimeformat(now)
            flask_babel.format_date(now)
            flask_babel.format_timedelta(timedelta(hours=3), add_direction=True)
            flask_babel.format_decimal(1234.5)
            flask_babel.format_percent(0.25)


#: The case search the warm-up makes as an agent.
WARM_UP_SEARCH = "order refund"


def warm_up(app: Flask) -> None:
    """Answer a few pages in the process about to fork (the sign-in page, the pages plugins
    name in their ``warm_up_pages`` hook, and an agent's queue and a case search), pages that
    read the database and write nothing to it, so that what every worker's first pages would build or first touch is
    there already, shared: the code paths of a connection and of its statements, the search
    caches, the code the interpreter specialises as it runs it. The connection is closed
    again: each worker opens its own. These requests count against no rate limit. A desk whose
    database is not ready (not migrated yet) is not warmed: its workers build it all
    themselves, as without this.

    Measured under gunicorn (bench_http's settings and four rows of pages, two alternate runs):
    worker USS 35.2 / 35.1 -> 34.4 / 34.4 MiB with the visitor's pages, 33.2 / 32.8 with the
    agent's too. ``SUPPORTDESK_WARM_UP_WORKERS = False`` turns it off."""
    from .extensions import db
    from .rate_limits import WARM_UP

    try:
        with app.app_context():
            if not sa.inspect(db.engine).has_table("users"):
                return
            languages = i18n.languages()
        client = app.test_client()
        pages = [(client, path) for path in warm_up_paths(app)]
        if (agent := _an_agent_and_queue(app)) is not None:
            # Flask-Login's own test client: the agent is in its session, no sign-in written.
            staff = FlaskLoginClient(app, app.response_class, use_cookies=True, user=agent[0])
            pages += [(staff, path) for path in agent[1:]]
        for language in languages:
            for browser, path in pages:
                response = browser.get(
                    path, headers={"Accept-Language": language}, environ_base={WARM_UP: True}
                )
                if response.status_code >= 500:
                    log.warning("warming up the workers: %s answered %s", path, response.status)
                    return
    except Exception:  # the workers warm up by themselves: slower, not wrong
        log.exception("could not warm up the desk for its workers")
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()  # no connection crosses the fork


def warm_up_paths(app: Flask) -> list[str]:
    """The visitor's pages of the warm-up: the sign-in page, and what the plugins name
    (their ``warm_up_pages`` hook)."""
    with app.app_context(), app.test_request_context():
        named = app.extensions["supportdesk"].plugins.call_isolated("warm_up_pages", app=app)
        return [flask.url_for("desk.auth.sign_in"), *(path for paths in named for path in paths)]


def _an_agent_and_queue(app: Flask) -> tuple[Any, str, str] | None:
    """An active agent in a queue, the address of that queue and of a case search, for the
    staff pages of the warm-up; None on a desk with no agent in a queue yet."""
    from .extensions import db
    from .models import Role, User

    with app.app_context(), app.test_request_context():
        agent = db.session.scalar(
            sa.select(User)
            .where(User.role == Role.AGENT, User.active.is_(True), User.queues.any())
            .order_by(User.id)
            .limit(1)
        )
        if agent is None:
            return None
        return (
            agent,
            flask.url_for("desk.staff.queue", key=agent.queues[0].key),
            flask.url_for("desk.staff.search", q=WARM_UP_SEARCH),
        )


def compile_templates(app: Flask) -> None:
    """Every template the desk and its plugins can render, compiled into Jinja's cache."""
    env = app.jinja_env
    for name in env.list_templates():
        try:
            env.get_template(name)
        except TemplateError:  # shown when a page renders it, as it would be without this
            log.warning("template %s does not compile", name, exc_info=True)
