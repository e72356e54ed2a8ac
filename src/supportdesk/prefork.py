"""Memory shared with the workers of a preforking server.

Under ``gunicorn --preload`` (or any server that builds the application once, then forks its
workers), a worker shares the parent's memory pages until it writes to them. Two things would
write to nearly all of them and copy them into every worker:

* SQLAlchemy configures its mappers at the first query of each process: done at start-up
  instead, the workers inherit the result;
* the garbage collector's full passes write to every container object a process holds: the
  objects a worker inherits are frozen in it (:func:`gc.freeze`), so its collections skip
  them. The parent is not frozen: its own garbage is still collected.
"""

from __future__ import annotations

import functools
import gc
import os

from sqlalchemy.orm import configure_mappers


def share_with_forked_workers() -> None:
    """Called once the desk is built: its models and plugins are loaded."""
    configure_mappers()
    _freeze_inherited_objects_after_fork()


@functools.cache
def _freeze_inherited_objects_after_fork() -> None:
    """Once per process, however many applications it builds (a test session builds many)."""
    os.register_at_fork(after_in_child=gc.freeze)
