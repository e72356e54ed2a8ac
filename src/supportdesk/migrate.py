"""Database migrations: Alembic, with the core's history and one branch per plugin.

The core's revisions live in ``migrations/versions``; a plugin returns the folder of its own
through ``register_migrations`` and labels its first revision with its name. ``upgrade`` goes
to every head, so the core and every installed plugin are brought up to date together.

Alembic is imported when a migration command runs, not with the desk: it weighs about 10 MB
that a web worker never uses.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from flask import Flask

from .plugins import plugin_host

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(app: Flask) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    locations = [MIGRATIONS_DIR / "versions"]
    for _plugin, folder in plugin_host(app).call_startup("register_migrations", app=app):
        locations.append(Path(folder))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", ":".join(str(p) for p in locations))
    config.attributes["app"] = app
    return config


def _commands() -> ModuleType:
    from alembic import command

    return command


def upgrade(app: Flask, revision: str = "heads") -> None:
    """Bring the database to ``revision`` (default: the newest of the core and every plugin)."""
    with app.app_context():
        _commands().upgrade(alembic_config(app), revision)


def downgrade(app: Flask, revision: str) -> None:
    with app.app_context():
        _commands().downgrade(alembic_config(app), revision)


def current(app: Flask) -> None:
    with app.app_context():
        _commands().current(alembic_config(app), verbose=False)


def history(app: Flask) -> None:
    with app.app_context():
        _commands().history(alembic_config(app))


def revision(
    app: Flask,
    message: str,
    *,
    autogenerate: bool,
    head: str = "core@head",
    branch_label: str | None = None,
    version_path: str | None = None,
) -> None:
    """Write a new revision file (for developers of the desk and of plugins)."""
    with app.app_context():
        _commands().revision(
            alembic_config(app),
            message=message,
            autogenerate=autogenerate,
            head=head,
            branch_label=branch_label,
            version_path=version_path,
        )
