"""``supportdesk backup`` and ``supportdesk restore``: a copy that restores into a new instance,
and the refusals that keep an operator from losing data. (The backup taken while gunicorn is
under load is in ``tests/reliability/test_backup_under_load.py``.)"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import Result
from flask import Flask

from supportdesk.attachments import Upload, path_of
from supportdesk.extensions import db
from supportdesk.models import Attachment, Ticket
from supportdesk.testing import database_url_for_tests
from supportdesk.tickets import open_ticket

sqlite_only = pytest.mark.skipif(database_url_for_tests() is not None, reason="SQLite backups")
postgres_only = pytest.mark.skipif(database_url_for_tests() is None, reason="PostgreSQL desks")

PROOF = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40


def file_a_case(seller) -> Ticket:
    return open_ticket(
        seller=seller,
        type_key="contact",
        subject="Payout missing",
        body="The proof is attached.",
        attachments=[Upload("proof.png", PROOF)],
    )


@pytest.fixture
def backed_up(app, seller, tmp_path):
    """A desk with one case and its file, backed up into ``tmp_path / "backup"``."""
    ticket = file_a_case(seller)
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "backup")])
    assert result.exit_code == 0, result.output
    return ticket.ref, tmp_path / "backup", result.output


def restore_elsewhere(
    make_app: Callable[..., Flask], folder: Path, other: Path
) -> tuple[Flask, Result]:
    """``supportdesk restore FOLDER`` into a new, empty instance in ``other``, as an operator
    moving the desk to another machine does; the restored desk and the command's result."""
    restored = make_app(
        SUPPORTDESK_INSTANCE_PATH=str(other),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{other / 'desk.db'}",
        create_tables=False,
    )
    with restored.app_context():  # the command runs in the app whose context is current
        result = restored.test_cli_runner().invoke(args=["restore", str(folder)])
    return restored, result


@sqlite_only
def test_a_backup_is_checked_and_described_by_its_manifest(backed_up):
    _ref, folder, output = backed_up
    assert "database: " in output and "pages (100%)" in output  # progress, step by step
    assert "integrity_check: ok" in output and "foreign_key_check: ok" in output
    assert "attachment files: 1 of 1 present with their checksum" in output
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["counts"] == {"cases": 1, "messages": 1, "attachments": 1, "accounts": 1}
    stored = [name for name in manifest["files"] if name.startswith("attachments/")]
    assert [manifest["files"][name] for name in stored] == [hashlib.sha256(PROOF).hexdigest()]
    assert folder.stat().st_mode & 0o077 == 0  # personal data and the secret: owner only
    with closing(sqlite3.connect(folder / "supportdesk.db")) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one whole file


@sqlite_only
def test_a_backup_restores_into_a_new_instance(backed_up, make_app, tmp_path):
    ref, folder, _output = backed_up
    other = tmp_path / "elsewhere"
    restored, result = restore_elsewhere(make_app, folder, other)
    assert result.exit_code == 0, result.output
    with restored.app_context():
        ticket = db.session.scalar(sa.select(Ticket).where(Ticket.ref == ref))
        attachment = db.session.scalar(
            sa.select(Attachment).where(Attachment.ticket_id == ticket.id)
        )
        assert path_of(attachment.storage_name).read_bytes() == PROOF
        assert str(other) in str(path_of(attachment.storage_name))


@sqlite_only
def test_a_damaged_backup_is_refused(backed_up, make_app, tmp_path):
    _ref, folder, _output = backed_up
    (stored,) = (folder / "attachments").iterdir()
    stored.write_bytes(b"%PDF-not the file that was backed up")
    other = tmp_path / "elsewhere"
    _restored, result = restore_elsewhere(make_app, folder, other)
    assert result.exit_code != 0
    assert "missing or damaged" in result.output
    assert not (other / "desk.db").exists()


@sqlite_only
def test_restore_does_not_replace_data_unless_forced(app, backed_up, seller):
    _ref, folder, _output = backed_up
    file_a_case(seller)  # a second case, made after the backup
    result = app.test_cli_runner().invoke(args=["restore", str(folder)])
    assert result.exit_code != 0 and "already holds data (cases: 2, accounts: 1)" in result.output
    assert db.session.scalar(sa.select(sa.func.count(Ticket.id))) == 2
    forced = app.test_cli_runner().invoke(args=["restore", "--force", str(folder)])
    assert forced.exit_code == 0, forced.output
    db.session.remove()
    assert db.session.scalar(sa.select(sa.func.count(Ticket.id))) == 1


@sqlite_only
def test_a_backup_goes_into_a_new_or_empty_folder_only(app, tmp_path):
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "notes.txt").write_text("keep me")
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "used")])
    assert result.exit_code != 0 and "not an empty folder" in result.output
    assert (tmp_path / "used" / "notes.txt").read_text() == "keep me"


@postgres_only
def test_a_postgresql_desk_is_pointed_at_pg_dump(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "backup")])
    assert result.exit_code != 0
    assert "pg_dump" in result.output and "attachment folder" in result.output
    assert not (tmp_path / "backup").exists()
