"""Alembic environment: the desk's engine and metadata, taken from the running application."""

from __future__ import annotations

from alembic import context

from supportdesk.extensions import db
from supportdesk.search.schema import is_modelled

config = context.config


def run_migrations() -> None:
    engine = db.engine
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=db.metadata,
            render_as_batch=engine.dialect.name == "sqlite",
            compare_type=True,
            include_name=lambda name, type_, parent: is_modelled(
                name, type_, parent.get("table_name")
            ),
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run_migrations()
