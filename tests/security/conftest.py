"""Fixtures of the security suites: a desk built once per module.

The attack suites send hundreds of requests at one populated desk; building it per test would
cost minutes. ``desk_factory`` builds desks that live for the whole module (a SQLite file of
their own, or the PostgreSQL test database emptied before and after), with the same settings
as ``supportdesk.testing``'s ``make_app`` plus what the caller gives. Nothing here is autouse:
each module chooses its own configuration.

On PostgreSQL every desk uses the one test database: rows made through one desk of a module
are seen by its others, so their data must not clash (distinct email addresses).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from supportdesk.extensions import db
from supportdesk.testing import base_config, build_test_app, dispose_test_app, empty_database


@pytest.fixture(scope="module")
def desk_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Flask]]:
    """``desk_factory(**config)``: a desk with every installed plugin and its tables, for the
    rest of the module. No application context stays open: each request gets its own."""
    built: list[Flask] = []

    def build(**config: Any) -> Flask:
        app = build_test_app({**base_config(tmp_path_factory.mktemp("desk")), **config})
        if not built:
            with app.app_context():
                if db.engine.dialect.name == "postgresql":
                    # One database for every desk of the run: start the module from empty
                    # rows, and let a module's later desks share them.
                    empty_database()
        built.append(app)
        return app

    yield build
    for app in built:
        dispose_test_app(app)
