"""What a seller sent, held between two steps of the form.

* A seller's files, while the form asks them something first (did one of these articles answer
  you? add to the case already open for this order?) or shows an error: a browser cannot fill
  a file input again, so the files wait here and the form carries their token.
* An anonymous visitor's draft (text only), while they sign in: signing in starts a fresh
  session, so the draft cannot wait in the session; its token travels in the ``next`` address.

Held things live beside the attachments (the same storage, which every app process shares),
in ``contact-held/<token>/``, and are removed once used, or after :data:`KEEP_FOR`.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from flask import current_app

from supportdesk.attachments import Upload

FOLDER = "contact-held"
KEEP_FOR = timedelta(days=1)
MANIFEST = "manifest.json"
TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")


@dataclass
class Held:
    owner_id: int | None
    fields: dict[str, str] = field(default_factory=dict)
    files: list[Upload] = field(default_factory=list)


def _root() -> Path:
    return Path(current_app.config["SUPPORTDESK_ATTACHMENT_DIR"]) / FOLDER


def _folder(token: str | None) -> Path | None:
    """The folder of a well-formed token (anything else could be a path): None otherwise."""
    if not token or not TOKEN.fullmatch(token):
        return None
    return _root() / token


def hold(
    *, owner_id: int | None, fields: dict[str, str] | None = None, files: Sequence[Upload] = ()
) -> str:
    """Keep ``fields`` and ``files`` for ``owner_id`` (None: an anonymous draft); returns the
    token that gives them back."""
    purge_expired()
    token = secrets.token_urlsafe(24)
    folder = _root() / token
    folder.mkdir(parents=True)
    for number, upload in enumerate(files):
        (folder / f"{number}.part").write_bytes(upload.data)
    manifest = {
        "owner_id": owner_id,
        "fields": fields or {},
        "files": [upload.filename for upload in files],
    }
    # Written last: a folder without its manifest is never read back half-made.
    (folder / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    return token


def load(token: str | None, owner_id: int | None) -> Held | None:
    """What ``token`` holds, if it holds something of ``owner_id``'s; None otherwise (unknown,
    expired, someone else's, or removed meanwhile by a request sent twice)."""
    folder = _folder(token)
    if folder is None:
        return None
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        if manifest.get("owner_id") != owner_id:
            return None
        files = [
            Upload(str(name), (folder / f"{number}.part").read_bytes())
            for number, name in enumerate(manifest.get("files", []))
        ]
    except (OSError, ValueError):
        return None
    fields = {str(k): str(v) for k, v in (manifest.get("fields") or {}).items()}
    return Held(owner_id=owner_id, fields=fields, files=files)


def drop(token: str | None, owner_id: int | None) -> None:
    """Remove what ``token`` holds, if it is ``owner_id``'s: the token comes back from the
    browser, and another seller's token must not delete their files."""
    folder = _folder(token)
    if folder is None:
        return
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if manifest.get("owner_id") == owner_id:
        shutil.rmtree(folder, ignore_errors=True)


def purge_expired() -> None:
    """Remove what nobody came back for (a seller who closed the page, a visitor who never
    signed in)."""
    root = _root()
    if not root.is_dir():
        return
    oldest = time.time() - KEEP_FOR.total_seconds()
    for folder in root.iterdir():
        try:
            expired = folder.stat().st_mtime < oldest
        except OSError:
            continue
        if expired:
            shutil.rmtree(folder, ignore_errors=True)
