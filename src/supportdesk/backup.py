"""``supportdesk backup`` and ``supportdesk restore``: an online copy of an SQLite desk.

The database is copied with SQLite's backup API, a few hundred pages per step, while the desk
keeps serving and writing. The copy runs inside one read transaction held on the source for the
whole backup: in WAL mode that pins one snapshot, so the desk's writers go on undisturbed and the
steps never start over. (Without it, every commit by another connection restarts the backup from
its first page, and under steady load it never finishes.)

The attachment files are copied after that snapshot. A file is written before the row that
names it is committed, and a committed attachment is never deleted, so every file the copied
database names is on disk by then. The copy is checked (``integrity_check``,
``foreign_key_check``, every attachment row's file present with its SHA-256) and a manifest
records when it was taken, the schema revisions, the counts and a checksum of every file.

``restore`` puts such a folder back into a stopped instance, through the same backup API (so a
stale ``-wal`` file next to the target cannot mix old pages into it), after checking every
checksum. PostgreSQL deployments use ``pg_dump`` and ``pg_restore`` instead (see README.md).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from . import attachments, migrate
from .extensions import db
from .models import Attachment, Message, Ticket, User

DATABASE_FILE = "supportdesk.db"
ATTACHMENTS = "attachments"
INSTANCE_CONFIG = "config.py"
MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1
STEP_PAGES = 256

POSTGRES_REFUSAL = (
    "supportdesk backup copies SQLite databases only, and this desk runs on {dialect}. Back it "
    "up with the server's own tools: `pg_dump --format=custom --file=desk.dump DATABASE` "
    "(consistent while the desk runs; `pg_restore --clean --if-exists --dbname=DATABASE "
    "desk.dump` restores it), then copy the attachment folder {attachments}. See README.md, "
    "Backups."
)

Progress = Callable[[int, int], None]


class BackupError(click.ClickException):
    """The backup or the restore cannot go on; the message says why and what to do."""


def sqlite_path(app: Flask) -> Path:
    """The desk's SQLite file, or a clear refusal for any other database."""
    with app.app_context():
        url = db.engine.url
    if url.get_backend_name() != "sqlite":
        raise BackupError(
            POSTGRES_REFUSAL.format(
                dialect=url.get_backend_name(), attachments=app.config["SUPPORTDESK_ATTACHMENT_DIR"]
            )
        )
    if not url.database or url.database == ":memory:":
        raise BackupError("the database is in memory: there is nothing on disk to back up")
    return Path(url.database).resolve()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def copy_database(source: Path, target: Path, *, step_pages: int, progress: Progress) -> str:
    """Copy ``source`` into ``target`` page by page from one snapshot; returns its time."""
    busy_ms = int(current_app.config["SUPPORTDESK_SQLITE_BUSY_TIMEOUT_MS"])
    with (
        closing(sqlite3.connect(source, isolation_level=None)) as src,
        closing(sqlite3.connect(target, isolation_level=None)) as dst,
    ):
        src.execute(f"PRAGMA busy_timeout = {busy_ms}")
        dst.execute(f"PRAGMA busy_timeout = {busy_ms}")
        src.execute("BEGIN")
        src.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the snapshot starts here
        snapshot_at = datetime.now(UTC).isoformat()
        src.backup(
            dst,
            pages=step_pages,
            progress=lambda _status, remaining, total: progress(total - remaining, total),
        )
        src.execute("COMMIT")
    return snapshot_at


def copy_tree(source: Path, target: Path) -> dict[str, str]:
    """Copy every regular file under ``source``; returns ``{relative path: sha256}``. A file
    that goes away meanwhile (a contact form's held draft, dropped) is passed over."""
    copied: dict[str, str] = {}
    if not source.is_dir():
        return copied
    for folder, _dirs, names in os.walk(source):
        for name in names:
            path = Path(folder) / name
            relative = path.relative_to(source)
            if path.is_symlink():
                continue
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            try:
                shutil.copyfile(path, target / relative)
            except FileNotFoundError:
                continue
            copied[relative.as_posix()] = sha256_of(target / relative)
    return copied


def database_problems(path: Path) -> list[str]:
    """What ``integrity_check`` and ``foreign_key_check`` find in the database at ``path``."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        integrity = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        problems = [f"integrity_check: {line}" for line in integrity if line != "ok"]
        problems += [
            f"foreign_key_check: {table} row {rowid} names a missing row of {parent}"
            for table, rowid, parent, _fk in conn.execute("PRAGMA foreign_key_check")
        ]
    return problems


def attachment_problems(path: Path, files: dict[str, str]) -> tuple[int, list[str]]:
    """Every attachment row of the database at ``path`` against the copied files."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        rows = conn.execute(
            f"SELECT storage_name, sha256 FROM {Attachment.__tablename__}"  # noqa: S608 (our name)  # nosec B608
        ).fetchall()
    problems = []
    for storage_name, sha256 in rows:
        found = files.get(storage_name)
        if found is None:
            problems.append(f"attachment file {storage_name} is missing")
        elif found != sha256:
            problems.append(f"attachment file {storage_name} does not match its checksum")
    return len(rows), problems


def facts(path: Path) -> dict[str, Any]:
    """Schema revisions and counts of the database at ``path``, for the manifest."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        revisions = (
            sorted(row[0] for row in conn.execute("SELECT version_num FROM alembic_version"))
            if "alembic_version" in tables
            else []
        )
        counts = {
            label: conn.execute(f"SELECT count(*) FROM {model.__tablename__}").fetchone()[0]  # noqa: S608 (our table names)  # nosec B608
            for label, model in (
                ("cases", Ticket),
                ("messages", Message),
                ("attachments", Attachment),
                ("accounts", User),
            )
        }
    return {"schema_revisions": revisions, "counts": counts}


def progress_printer(label: str) -> Progress:
    """Report a copy's progress on stderr about every tenth of the way, and at the end."""
    shown = {"tenth": -1}

    def report(done: int, total: int) -> None:
        tenth = 10 if total == 0 else done * 10 // total
        if tenth > shown["tenth"]:
            shown["tenth"] = tenth
            click.echo(f"{label}: {done}/{total} pages ({tenth * 10}%)", err=True)

    return report


def write_backup(app: Flask, dest: Path, *, step_pages: int = STEP_PAGES) -> dict[str, Any]:
    """Back the desk up into the new folder ``dest``; returns the manifest."""
    source = sqlite_path(app)
    if not source.is_file():
        raise BackupError(f"there is no database at {source}: run `supportdesk init` first")
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"{dest} exists and is not an empty folder: choose a new one")
    dest.mkdir(parents=True, exist_ok=True)
    dest.chmod(0o700)  # the copy holds personal data and the secret key
    started = time.monotonic()
    click.echo(f"Backing up {source} into {dest}")
    snapshot_at = copy_database(
        source, dest / DATABASE_FILE, step_pages=step_pages, progress=progress_printer("database")
    )
    with closing(sqlite3.connect(dest / DATABASE_FILE)) as conn:
        conn.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
    files = {
        f"{ATTACHMENTS}/{name}": digest
        for name, digest in copy_tree(attachments.storage_folder(), dest / ATTACHMENTS).items()
    }
    click.echo(f"attachments folder: {len(files)} files copied")
    config_file = Path(app.config["SUPPORTDESK_INSTANCE_PATH"]) / INSTANCE_CONFIG
    if config_file.is_file():
        shutil.copyfile(config_file, dest / INSTANCE_CONFIG)
        (dest / INSTANCE_CONFIG).chmod(0o600)
        files[INSTANCE_CONFIG] = sha256_of(dest / INSTANCE_CONFIG)
    checks = check_copy(dest, files)
    manifest = {
        "format": MANIFEST_FORMAT,
        "created_at": datetime.now(UTC).isoformat(),
        "snapshot_at": snapshot_at,
        "duration_seconds": round(time.monotonic() - started, 3),
        "source": {
            "database": str(source),
            "attachments": app.config["SUPPORTDESK_ATTACHMENT_DIR"],
        },
        **facts(dest / DATABASE_FILE),
        "database": {
            "file": DATABASE_FILE,
            "bytes": (dest / DATABASE_FILE).stat().st_size,
            "sha256": sha256_of(dest / DATABASE_FILE),
        },
        "files": files,
        "checks": checks,
    }
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def check_copy(dest: Path, files: dict[str, str]) -> dict[str, Any]:
    """Run the checks on the copy and say what each found."""
    problems = database_problems(dest / DATABASE_FILE)
    stored = {name.removeprefix(f"{ATTACHMENTS}/"): digest for name, digest in files.items()}
    count, missing = attachment_problems(dest / DATABASE_FILE, stored)
    integrity = [p for p in problems if p.startswith("integrity_check")]
    foreign = [p for p in problems if p.startswith("foreign_key_check")]
    click.echo(f"integrity_check: {'ok' if not integrity else 'FAILED'}")
    click.echo(f"foreign_key_check: {'ok' if not foreign else 'FAILED'}")
    click.echo(f"attachment files: {count - len(missing)} of {count} present with their checksum")
    for problem in [*problems, *missing][:50]:
        click.echo(f"  {problem}", err=True)
    return {
        "integrity_check": integrity or "ok",
        "foreign_key_check": foreign or "ok",
        "attachments": missing or "ok",
    }


@click.command("backup")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--step-pages",
    default=STEP_PAGES,
    show_default=True,
    type=click.IntRange(1),
    help="Database pages copied per step.",
)
@with_appcontext
def backup_command(dest: Path, step_pages: int) -> None:
    """Copy the SQLite database (online: the desk may keep running), the attachment files and
    the instance's config.py into the new folder DEST, then check the copy."""
    manifest = write_backup(current_app._get_current_object(), dest, step_pages=step_pages)
    counts = manifest["counts"]
    if any(value != "ok" for value in manifest["checks"].values()):
        raise BackupError(f"the copy in {dest} failed its checks (see above and {MANIFEST})")
    click.echo(
        f"Backup written to {dest} in {manifest['duration_seconds']:.1f} s: {counts['cases']} "
        f"cases, {counts['messages']} messages, {counts['attachments']} attachments ({MANIFEST})."
    )


def read_manifest(source: Path) -> dict[str, Any]:
    """The manifest of the backup in ``source``, after checking every file against it."""
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{source} is not a supportdesk backup: {exc}") from exc
    if manifest.get("format") != MANIFEST_FORMAT:
        raise BackupError(f"{source / MANIFEST} has an unknown format")
    expected = {DATABASE_FILE: manifest["database"]["sha256"], **manifest["files"]}
    for name, digest in expected.items():
        path = source / name
        if not path.is_file() or sha256_of(path) != digest:
            raise BackupError(f"{path} is missing or damaged: its checksum is not the manifest's")
    if problems := database_problems(source / DATABASE_FILE):
        raise BackupError(f"the backed-up database fails its checks: {problems[0]}")
    return manifest


def occupied(target: Path) -> str | None:
    """What the database at ``target`` holds that a restore would replace, if anything."""
    if not target.is_file():
        return None
    with closing(sqlite3.connect(f"file:{target}?mode=ro", uri=True)) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        found = {
            label: conn.execute(f"SELECT count(*) FROM {model.__tablename__}").fetchone()[0]  # noqa: S608 (our table names)  # nosec B608
            for label, model in (("cases", Ticket), ("accounts", User))
            if model.__tablename__ in tables
        }
    held = [f"{label}: {n}" for label, n in found.items() if n]
    return f"data ({', '.join(held)})" if held else None


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
@with_appcontext
def restore_command(source: Path, force: bool) -> None:
    """Put the backup in SOURCE back into this instance; stop the desk and its workers first."""
    app = current_app._get_current_object()
    target = sqlite_path(app)
    manifest = read_manifest(source)
    click.echo(f"Backup of {manifest['created_at']}: checksums and database checks ok")
    if (held := occupied(target)) and not force:
        raise BackupError(
            f"{target} already holds {held}; stop the desk and its workers, then run again "
            "with --force to replace them"
        )
    db.session.remove()
    db.engine.dispose()
    target.parent.mkdir(parents=True, exist_ok=True)
    copy_database(
        source / DATABASE_FILE, target, step_pages=STEP_PAGES, progress=progress_printer("database")
    )
    with closing(sqlite3.connect(target)) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
    restored = copy_tree(source / ATTACHMENTS, attachments.storage_folder())
    click.echo(f"attachments folder: {len(restored)} files restored")
    config_file = Path(app.config["SUPPORTDESK_INSTANCE_PATH"]) / INSTANCE_CONFIG
    if (source / INSTANCE_CONFIG).is_file():
        if not config_file.exists():
            shutil.copyfile(source / INSTANCE_CONFIG, config_file)
            config_file.chmod(0o600)
            click.echo(f"{config_file} restored (with the backed-up SECRET_KEY)")
        elif config_file.read_bytes() != (source / INSTANCE_CONFIG).read_bytes():
            click.echo(f"{config_file} kept; the backed-up one is {source / INSTANCE_CONFIG}")
    if manifest["schema_revisions"]:
        migrate.upgrade(app)
    counts = manifest["counts"]
    click.echo(
        f"Restored into {target}: {counts['cases']} cases, {counts['messages']} messages, "
        f"{counts['attachments']} attachments. Start the desk."
    )
