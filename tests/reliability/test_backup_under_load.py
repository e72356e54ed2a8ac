"""``supportdesk backup`` taken while sellers file cases into gunicorn: the copy passes its
checks, restores into a new instance with ``supportdesk restore``, holds every case the desk had
acknowledged before the backup started (with its file), and the restored desk serves: a seller
signs in, opens a case, downloads its attachment and files a new case. SQLite only (PostgreSQL
is backed up with ``pg_dump``)."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import threading
import time
from contextlib import closing
from datetime import datetime

import pytest

from .checks import assert_clean_run, missing_cases, stored_cases
from .clients import SHORT_LOAD_SECONDS, Browser, Load, file_by_form, seller_client
from .processes import Desk, Gunicorn, needs_sqlite

pytestmark = [pytest.mark.reliability, needs_sqlite]

#: Two sellers per gunicorn worker process: each worker always has the next request waiting.
SELLERS = 8


def test_a_backup_taken_under_load_restores_every_acknowledged_case(desk, tmp_path, report):
    sellers = desk.accounts("seller", SELLERS, label="seller", tokens=True)
    server = Gunicorn(desk, workers=4)
    load = Load()
    copy = tmp_path / "backup"
    backup: dict = {}

    def back_up() -> None:
        time.sleep(SHORT_LOAD_SECONDS * 0.4)
        load.deadline = float("inf")  # the load goes on while the backup runs...
        backup["started"] = time.monotonic()
        backup["clock"] = time.time() - backup["started"]  # wall clock minus monotonic
        backup["acknowledged"] = load.acknowledged(before=backup["started"])
        try:
            backup["done"] = desk.cli("backup", str(copy))
        finally:
            backup["finished"] = time.monotonic()
            load.deadline = backup["finished"] + SHORT_LOAD_SECONDS * 0.2  # ... and a while after

    thread = threading.Thread(target=back_up)
    thread.start()
    load.run(
        [seller_client(server.base, s.email, s.password, s.token) for s in sellers],
        SHORT_LOAD_SECONDS,
    )
    thread.join(timeout=300)
    server.stop()

    assert_clean_run(load, {"gunicorn": server.output()})
    done = backup["done"]
    assert done.returncode == 0, done.stdout + done.stderr
    assert "integrity_check: ok" in done.stdout and "foreign_key_check: ok" in done.stdout
    manifest = json.loads((copy / "manifest.json").read_text())
    snapshot = datetime.fromisoformat(manifest["snapshot_at"]).timestamp() - backup["clock"]
    assert load.started_at < snapshot < load.ended_at, "the backup did not run under load"
    assert any(f.finished_at > snapshot for f in load.filings if f.opened), "no case after it"
    acknowledged = backup["acknowledged"]
    assert acknowledged, "no case was acknowledged before the backup started"

    restored = Desk(tmp_path / "restored")  # a new instance folder, no SECRET_KEY of its own
    restored.folder.mkdir()
    answer = restored.cli("restore", str(copy))
    assert answer.returncode == 0, answer.stdout + answer.stderr
    with closing(sqlite3.connect(restored.instance / "supportdesk.db")) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    wrong = missing_cases(restored.url, restored.attachments, load, acknowledged, exact=False)
    assert not wrong, "\n".join(wrong[:20]) + f"\n({len(wrong)} in all)"

    server = Gunicorn(restored, workers=2, name="restored")
    filing = next(f for f in acknowledged.values() if f.channel == "form")
    seller = sellers[int(filing.subject.split("-")[1])]
    browser = Browser(server.base, load.exchanges)
    assert browser.sign_in(seller.email, seller.password)
    page = browser.get(f"/cases/{filing.ref}", label="restored case")
    assert page is not None and filing.subject in page.text
    link = re.search(r'href="(/files/\d+)"', page.text)
    assert link, "the restored case shows no attachment"
    download = browser.get(link.group(1), label="restored attachment")
    assert hashlib.sha256(download.body).hexdigest() == filing.sha256
    after = file_by_form(browser, f"{load.prefix}-99-after-restore")
    assert after.opened
    assert after.subject in stored_cases(restored.url, load.prefix)
    server.stop()
    assert_clean_run(load, {"restored": server.output()})
    report(
        f"backup of {manifest['counts']['cases']} cases and {len(manifest['files'])} files copied "
        f"in {manifest['duration_seconds']:.2f} s under load; the {len(acknowledged)} cases "
        f"acknowledged before it started all restored with their files"
    )
