"""Workers forked from a built desk (gunicorn --preload) share its memory instead of copying it."""

from __future__ import annotations

import gc
import os
import subprocess
import sys


def _in_forked_child(report) -> str:
    """Fork, run ``report()`` in the child and return what it wrote."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, and leave without running the parent's cleanup
        try:
            os.write(write, str(report()).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as answer:
        text = answer.read()
    os.waitpid(pid, 0)
    return text


def test_a_forked_worker_keeps_the_desks_objects_out_of_its_collections(app):
    frozen_before = gc.get_freeze_count()
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
