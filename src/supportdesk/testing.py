"""Test fixtures for the desk and for plugin authors, offered as a pytest plugin.

Installed with the package (entry point ``pytest11``), so a plugin's own test suite gets them
without a conftest. Each test gets a fresh database: a new SQLite file, or, when
``SUPPORTDESK_TEST_DATABASE_URL`` is set, that PostgreSQL database, emptied after the test.

Fixtures:

``make_app(plugins=[...], create_tables=True, **config)``
    Build a desk (strict plugins, CSRF and rate limits off) with extra configuration; the
    modules or objects in ``plugins`` are registered beside the installed plugins; with
    ``create_tables=False`` the database is left empty, to test migrations.
``app``
    A desk with the installed plugins, its application context open for the whole test.
``client``
    ``app.test_client()``; each request starts with an empty ``g``, as in a real server.
``make_user(role="seller", email=None, password=..., queues=(), **fields)``
    Create an account (``role``: ``seller``, ``agent`` or ``admin``).
``seller``, ``other_seller``, ``agent`` (member of every queue), ``admin``
    Ready-made accounts.
``login(client, user)``
    Sign ``user`` in on ``client`` without the form; returns the client.
``register_plugin(plugin, ..., **config)``
    ``make_app`` with these plugins loaded: the usual start of a plugin's own test.

For a fixture of a wider scope (a desk per module, a desk behind a live server):
``build_test_app(settings, create_tables=True)`` builds the desk ``make_app`` builds from
``base_config(folder)`` and more settings, and ``dispose_test_app(app)`` undoes it.

Example, in a plugin package's tests::

    import my_plugin

    def test_my_page(register_plugin, login, make_user):
        app = register_plugin(my_plugin, SUPPORTDESK_PLUGIN_MY_PLUGIN={"level": 2})
        client = login(app.test_client(), make_user())
        assert client.get("/my-plugin/").status_code == 200
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient

from .app import create_app
from .extensions import db
from .models import Role, User
from .search import schema as search_schema

TEST_DATABASE_ENV = "SUPPORTDESK_TEST_DATABASE_URL"


class DeskClient(FlaskClient):
    """A test client whose requests start with an empty ``g``.

    The ``app`` fixture keeps an application context open for the whole test (so tests can use
    the database directly), and Flask reuses that context for the client's requests: without
    this, the signed-in user and the locale cached in ``g`` would leak from one request into
    the next, which never happens in a real server.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if has_app_context():
            for key in list(g):
                g.pop(key)
        return super().open(*args, **kwargs)


def database_url_for_tests() -> str | None:
    return os.environ.get(TEST_DATABASE_ENV) or None


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist, give each worker a PostgreSQL database of its own (``<name>_gw0``,
    created on first use), so that workers never empty each other's tables. The variable is
    changed for the whole worker process, so servers and commands a test starts inherit it."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    url = database_url_for_tests()
    if worker and url and url.startswith("postgresql"):
        os.environ[TEST_DATABASE_ENV] = worker_database(url, worker)


def worker_database(url: str, worker: str) -> str:
    """The URL of ``url``'s database suffixed with ``worker``, creating that database if needed."""
    base = sa.engine.make_url(url)
    name = f"{base.database}_{worker}"
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            exists = conn.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if not exists:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def base_config(tmp_path: Path) -> dict[str, Any]:
    instance = tmp_path / "instance"
    instance.mkdir(exist_ok=True)
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SUPPORTDESK_INSTANCE_PATH": str(instance),
        "SQLALCHEMY_DATABASE_URI": database_url_for_tests() or f"sqlite:///{instance / 'test.db'}",
        "SUPPORTDESK_STRICT_PLUGINS": True,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SUPPORTDESK_PASSWORD_HASH": "pbkdf2:sha256:1000",
    }


def empty_database() -> None:
    """Drop every row (PostgreSQL) so the next test starts clean without recreating tables."""
    db.session.remove()
    tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


def reset_postgres_schema() -> None:
    """Start from a database with no tables at all (to test ``init`` and migrations).
    The next ``make_app`` recreates the tables the other tests expect."""
    db.session.remove()
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")


@pytest.fixture(scope="session", autouse=True)
def _fresh_postgres_schema() -> None:
    """On PostgreSQL, start the run from an empty schema so that tables left by an older
    version of the models never hide a change (SQLite tests use a new file per test)."""
    url = database_url_for_tests()
    if url and url.startswith("postgresql"):
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        engine.dispose()


def build_test_app(settings: dict[str, Any], create_tables: bool = True) -> Flask:
    """``create_app(settings)`` as every fixture hands it out: its test client empties ``g``
    between requests, and (unless ``create_tables`` is false) its tables and search index
    exist. For fixtures of another scope (a desk per module, a live server); undo it with
    ``dispose_test_app``."""
    app = create_app(settings)
    app.test_client_class = DeskClient
    if create_tables:
        with app.app_context():
            db.create_all()
            with db.engine.begin() as connection:
                search_schema.install(connection)
    return app


def dispose_test_app(app: Flask) -> None:
    """Leave nothing of ``app`` behind: on PostgreSQL, where the next desk uses the same
    database, its rows are emptied; its session and its engine's connections are closed."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            empty_database()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Build a desk with extra configuration: ``make_app(SUPPORTDESK_SELF_REGISTRATION=True)``.
    ``plugins=[module, …]`` registers plugins alongside the installed ones; with
    ``create_tables=False`` the database is left empty (to test migrations)."""
    built: list[Flask] = []

    def factory(plugins: list[Any] = (), create_tables: bool = True, **config: Any) -> Flask:
        settings = {**base_config(tmp_path), **config}
        if plugins:
            settings["SUPPORTDESK_EXTRA_PLUGINS"] = [
                *settings.get("SUPPORTDESK_EXTRA_PLUGINS", ()),
                *plugins,
            ]
        app = build_test_app(settings, create_tables=create_tables)
        built.append(app)
        return app

    yield factory
    for app in built:
        dispose_test_app(app)


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Iterator[Flask]:
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def factory(
        role: str = Role.SELLER,
        email: str | None = None,
        password: str = "correct horse battery",  # noqa: S107 (test accounts)
        queues: list[str] = (),
        **fields: Any,
    ) -> User:
        from .accounts import create_user

        email = email or f"{role}{next(counter)}@example.com"
        return create_user(email, role=role, password=password, queues=list(queues), **fields)

    return factory


@pytest.fixture
def seller(make_user: Callable[..., User]) -> User:
    return make_user(Role.SELLER, email="seller@example.com", name="Sam Seller")


@pytest.fixture
def other_seller(make_user: Callable[..., User]) -> User:
    return make_user(Role.SELLER, email="other@example.com", name="Olga Other")


@pytest.fixture
def agent(make_user: Callable[..., User], app: Flask) -> User:
    queues = sorted({t.queue for t in app.extensions["supportdesk"].ticket_types.values()})
    return make_user(Role.AGENT, email="agent@example.com", name="Ada Agent", queues=queues)


@pytest.fixture
def admin(make_user: Callable[..., User]) -> User:
    return make_user(Role.ADMIN, email="admin@example.com", name="Ann Admin")


@pytest.fixture
def login() -> Callable[[FlaskClient, User], FlaskClient]:
    """Sign ``user`` in on ``client`` without going through the form."""

    def sign_in(client: FlaskClient, user: User) -> FlaskClient:
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        return client

    return sign_in


@pytest.fixture
def register_plugin(make_app: Callable[..., Flask]) -> Callable[..., Flask]:
    """``register_plugin(module_or_object, **config)`` builds a desk with that plugin loaded."""

    def build(*plugins: Any, **config: Any) -> Flask:
        return make_app(plugins=list(plugins), **config)

    return build


def at_once(*calls: Callable[[threading.Barrier], None], timeout: float = 60) -> None:
    """Run each call in its own thread, all started together, and wait for them; each gets a
    barrier shared by all (to meet at a chosen point, as racing requests would). The first
    error raised in any thread is raised here; the others then stop at the barrier."""
    barrier = threading.Barrier(len(calls), timeout=timeout)
    failures: list[BaseException] = []

    def run(call: Callable[[threading.Barrier], None]) -> None:
        try:
            call(barrier)
        except BaseException as exc:
            failures.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
