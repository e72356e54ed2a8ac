"""The ``supportdesk`` command group (the same commands answer ``flask --app supportdesk``)."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import FlaskGroup, ScriptInfo, run_command, with_appcontext
from werkzeug.serving import run_simple

from . import i18n_catalog, migrate
from .accounts import create_token, create_user, find_user
from .app import check_secret, create_app
from .backup import backup_command, restore_command
from .extensions import db
from .mail.cli import ingest_email_command, worker_command
from .models import Queue, Role
from .plugins import plugin_host


def register_commands(app: Flask) -> None:
    """Add the core commands to the application's CLI."""
    for command in (
        reindex_command,
        init_command,
        demo_command,
        create_user_command,
        create_token_command,
        revoke_token_command,
        plugins_command,
        db_group,
        worker_command,
        ingest_email_command,
        backup_command,
        restore_command,
    ):
        app.cli.add_command(command)
    i18n_catalog.register(app.cli)


def write_instance_config(instance: Path) -> bool:
    """Create the instance folder and a ``config.py`` with a random secret; False if present."""
    instance.mkdir(parents=True, exist_ok=True)
    config_file = instance / "config.py"
    if config_file.exists():
        return False
    config_file.write_text(
        "# Settings of this deployment; environment variables SUPPORTDESK_* override them.\n"
        f"SECRET_KEY = {secrets.token_hex(32)!r}\n"
    )
    config_file.chmod(0o600)
    return True


def initialise(app: Flask) -> None:
    """Instance folder, secret key, database schema: everything a first start needs."""
    instance = Path(app.config["SUPPORTDESK_INSTANCE_PATH"])
    if write_instance_config(instance):
        click.echo(f"Created {instance / 'config.py'} with a new secret key.")
        namespace: dict[str, str] = {}
        exec((instance / "config.py").read_text(), namespace)  # noqa: S102 (the file we just wrote)  # nosec B102
        app.config["SECRET_KEY"] = namespace["SECRET_KEY"]
    migrate.upgrade(app)
    with app.app_context():
        for ttype in app.extensions["supportdesk"].ticket_types.values():
            if db.session.scalar(sa.select(Queue).where(Queue.key == ttype.queue)) is None:
                db.session.add(Queue(key=ttype.queue, name=str(ttype.label)))
        db.session.commit()
    click.echo(f"Database ready: {app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]}")


@click.command("init")
@with_appcontext
def init_command() -> None:
    """Create the instance folder (with a random SECRET_KEY) and create or migrate the database."""
    initialise(current_app._get_current_object())


DEMO_USERS = [
    ("seller@example.com", Role.SELLER, "Demo Seller"),
    ("agent@example.com", Role.AGENT, "Demo Agent"),
    ("admin@example.com", Role.ADMIN, "Demo Admin"),
]


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--serve/--no-serve", default=True, help="Start the web server afterwards.")
@with_appcontext
def demo_command(host: str, port: int, serve: bool) -> None:
    """Initialise, create demo users (printing their passwords), load demo content, and serve."""
    app = current_app._get_current_object()
    initialise(app)
    queue_keys = [q.key for q in db.session.scalars(sa.select(Queue))]
    click.echo("Demo accounts (passwords are new on every run):")
    for email, role, name in DEMO_USERS:
        password = secrets.token_urlsafe(9)
        user = find_user(email)
        if user is None:
            user = create_user(
                email, role=role, name=name, queues=queue_keys if role == Role.AGENT else []
            )
        user.set_password(password)
        db.session.commit()
        click.echo(f"  {role:<7} {email:<22} {password}")
    plugin_host(app).call_isolated("load_demo_content", app=app)
    db.session.commit()
    if serve:
        click.echo(f"Serving on http://{host}:{port}/  (Ctrl+C to stop)")
        # Not app.run(): inside a Flask CLI command it only prints that it is ignored.
        run_simple(host, port, app, use_reloader=False, use_debugger=False, threaded=True)


@click.command("create-user")
@click.argument("email")
@click.option(
    "--role", type=click.Choice([r.value for r in Role]), default="seller", show_default=True
)
@click.option("--password", help="Without it a random password is made and printed.")
@click.option("--name", default="")
@click.option("--queue", "queues", multiple=True, help="Queue key an agent works (repeatable).")
@click.option("--locale", type=click.Choice(["en", "fr"]))
@with_appcontext
def create_user_command(
    email: str,
    role: str,
    password: str | None,
    name: str,
    queues: tuple[str, ...],
    locale: str | None,
) -> None:
    """Create an account."""
    shown = password or secrets.token_urlsafe(12)
    try:
        user = create_user(
            email, role=role, password=shown, name=name, locale=locale, queues=list(queues)
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Created {user.role} {user.email}")
    if not password:
        click.echo(f"Password: {shown}")


@click.command("create-token")
@click.argument("email")
@click.option("--scope", type=click.Choice(["read", "write"]), default="write", show_default=True)
@click.option("--name", default="", help="A note on what the token is for.")
@with_appcontext
def create_token_command(email: str, scope: str, name: str) -> None:
    """Print a new API bearer token for EMAIL (shown this once only)."""
    user = find_user(email)
    if user is None:
        raise click.ClickException(f"no account for {email}")
    click.echo(create_token(user, scope=scope, name=name))


@click.command("revoke-token")
@click.argument("email")
@click.option("--token", help="The token to revoke; without it every token of EMAIL is revoked.")
@with_appcontext
def revoke_token_command(email: str, token: str | None) -> None:
    """Revoke API tokens of EMAIL (one, or all)."""
    from .accounts import revoke_tokens

    user = find_user(email)
    if user is None:
        raise click.ClickException(f"no account for {email}")
    count = revoke_tokens(user, token)
    if token and not count:
        raise click.ClickException("no such active token for this account")
    click.echo(f"{count} token(s) revoked.")


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@with_appcontext
def plugins_command(as_json: bool) -> None:
    """List plugins: name, version, source, status, health, hooks, blueprints and failures."""
    infos = [i for i in plugin_host().loaded() if i.name != "core"]
    if as_json:
        click.echo(json.dumps([i.as_dict() for i in infos], indent=2))
        return
    for info in infos:
        click.echo(f"{info.name} {info.version} ({info.source}) {info.status}")
        if info.error:
            click.echo(f"    error: {info.error}")
        click.echo(f"    health: {info.health}")
        if info.failures and not info.paused:
            click.echo(f"    failures in a row: {info.failures}; last error: {info.last_error}")
        if info.hooks:
            click.echo(f"    hooks: {', '.join(info.hooks)}")
        if info.blueprints:
            click.echo(f"    blueprints: {', '.join(info.blueprints)}")


@click.command("reindex")
@click.option("--source", "only", multiple=True, help="Rebuild only this source (repeatable).")
@with_appcontext
def reindex_command(only: tuple[str, ...]) -> None:
    """Rebuild the search index from the records themselves (cases, help articles, …)."""
    from . import search
    from .database import write_transaction

    sources = current_app.extensions["supportdesk"].search_sources
    for name in only or sorted(sources):
        if name not in sources:
            raise click.ClickException(
                f"no search source {name!r}; known: {', '.join(sorted(sources))}"
            )
        done = 0
        with write_transaction():
            search.clear(name)
            for document in sources[name].documents():
                search.index(document)
                done += 1
                if done % 1000 == 0:
                    click.echo(f"{name}: {done} documents…", err=True)
        click.echo(f"{name}: {done} documents indexed.")


@click.group("db")
def db_group() -> None:
    """Database migrations (the core's and every plugin's)."""


@db_group.command("upgrade")
@click.argument("revision", default="heads")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Upgrade the database to REVISION (default: every head)."""
    migrate.upgrade(current_app._get_current_object(), revision)
    click.echo("Database upgraded.")


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Downgrade the database to REVISION."""
    migrate.downgrade(current_app._get_current_object(), revision)


@db_group.command("current")
@with_appcontext
def db_current() -> None:
    """Show the revisions the database is at."""
    migrate.current(current_app._get_current_object())


@db_group.command("history")
@with_appcontext
def db_history() -> None:
    """List every revision."""
    migrate.history(current_app._get_current_object())


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--autogenerate", is_flag=True)
@click.option("--head", default="core@head", show_default=True, help="Branch to extend.")
@click.option("--branch-label", help="Label of a new branch (a plugin's first revision).")
@click.option("--version-path", help="Folder to write into (a plugin's migrations folder).")
@with_appcontext
def db_revision(
    message: str, autogenerate: bool, head: str, branch_label: str | None, version_path: str | None
) -> None:
    """Write a new revision file."""
    migrate.revision(
        current_app._get_current_object(),
        message,
        autogenerate=autogenerate,
        head=head,
        branch_label=branch_label,
        version_path=version_path,
    )


def _checked_run(ctx: click.Context, /, **kwargs) -> None:
    """``flask run``, after refusing a default secret outside debug mode."""
    app = ctx.ensure_object(ScriptInfo).load_app()
    check_secret(app)
    ctx.invoke(run_command, **kwargs)


run = click.Command(
    "run",
    params=run_command.params,
    help=run_command.help,
    callback=click.pass_context(_checked_run),
)

main = FlaskGroup(name="supportdesk", create_app=create_app, help="The supportdesk command line.")
main.add_command(run)
