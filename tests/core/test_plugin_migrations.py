"""A plugin's tables come from its own migration branch, on `supportdesk db upgrade` only."""

from __future__ import annotations

import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.testing import database_url_for_tests, reset_postgres_schema
from tests.plugins import tabled


def _tables(app) -> set[str]:
    with app.app_context():
        return set(sa.inspect(db.engine).get_table_names())


def test_a_plugin_s_tables_appear_only_with_db_upgrade(make_app, tmp_path):
    url = database_url_for_tests() or f"sqlite:///{tmp_path / 'migrated.db'}"
    app = make_app(plugins=[tabled], SQLALCHEMY_DATABASE_URI=url, create_tables=False)
    with app.app_context():
        reset_postgres_schema()
    assert "tabled_things" not in _tables(app)
    app.test_client().get("/")  # serving pages never migrates
    assert "tabled_things" not in _tables(app)

    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    tables = _tables(app)
    assert {"tabled_things", "tickets", "help_articles"} <= tables
    with app.app_context():
        heads = set(db.session.scalars(sa.text("SELECT version_num FROM alembic_version")))
    assert "tabled_0001" in heads
