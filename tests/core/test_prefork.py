"""Workers forked from a built desk (gunicorn --preload) share its memory instead of copying it."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import traceback
from pathlib import Path

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
