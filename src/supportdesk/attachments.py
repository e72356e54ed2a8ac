"""Attachment intake and storage: size cap, type sniffed from the content, generated names.

Files live under the instance's ``attachments/`` folder, outside any static folder, named by a
random token; what the uploader called the file is kept only as metadata.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from .i18n import gettext as _
from .ticket_types import FieldErrors

#: Content types accepted, each recognised by its first bytes.
SIGNATURES: list[tuple[bytes, str]] = [
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
]


@dataclass(frozen=True)
class Upload:
    """A file as it arrives from a form, the API or an email."""

    filename: str
    data: bytes


def sniff(data: bytes) -> str | None:
    """The content type the bytes really are, or None when it is not one we accept."""
    for magic, content_type in SIGNATURES:
        if data.startswith(magic):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\x00" in text:
        return None
    head = text[:2048].lower()
    if any(h in head for h in ("<html", "<script", "<svg", "<!doctype")):
        return None
    if _looks_like_email(text):
        return "message/rfc822"
    return "text/plain"


def _looks_like_email(text: str) -> bool:
    header_block = text.split("\n\n", 1)[0].splitlines()[:40]
    names = {line.split(":", 1)[0].strip().lower() for line in header_block if ":" in line}
    return {"from", "subject"} <= names or {"from", "date"} <= names


def safe_filename(name: str) -> str:
    """Keep a name readable but harmless: no path, no control characters, bounded length."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>|:*?').strip(" .")
    return name[:200] or "attachment"


def storage_folder() -> Path:
    folder = Path(current_app.config["SUPPORTDESK_ATTACHMENT_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def human_size(size: int) -> str:
    """``512 KB``, ``10 MB``: sizes as people read them."""
    if size >= 1024 * 1024:
        return (
            f"{size / (1024 * 1024):.0f} MB"
            if size % (1024 * 1024) == 0
            else f"{size / (1024 * 1024):.1f} MB"
        )
    return f"{max(1, size // 1024)} KB"


def check(uploads: list[Upload], field: str = "attachments") -> list[tuple[Upload, str]]:
    """Validate every upload before anything is written; returns ``(upload, content type)``.
    The same rules hold for the web forms, the API and inbound email."""
    limit = current_app.config["SUPPORTDESK_ATTACHMENT_MAX_BYTES"]
    most = current_app.config["SUPPORTDESK_MAX_ATTACHMENTS"]
    if len(uploads) > most:
        raise FieldErrors({field: _("You can attach at most %(n)d files.", n=most)})
    checked = []
    for upload in uploads:
        if len(upload.data) > limit:
            raise FieldErrors(
                {
                    field: _(
                        "%(name)s is larger than %(size)s.",
                        name=safe_filename(upload.filename),
                        size=human_size(limit),
                    )
                }
            )
        if not upload.data:
            raise FieldErrors({field: _("%(name)s is empty.", name=safe_filename(upload.filename))})
        content_type = sniff(upload.data)
        if content_type is None:
            raise FieldErrors(
                {
                    field: _(
                        "%(name)s is not an accepted kind of file (images, PDF, text, saved emails).",
                        name=safe_filename(upload.filename),
                    )
                }
            )
        checked.append((upload, content_type))
    return checked


def write(data: bytes) -> tuple[str, str]:
    """Store the bytes under a new random name; returns ``(storage name, sha256)``."""
    storage_name = secrets.token_urlsafe(24)
    (storage_folder() / storage_name).write_bytes(data)
    return storage_name, hashlib.sha256(data).hexdigest()


def path_of(storage_name: str) -> Path:
    return storage_folder() / storage_name


def discard(storage_names: list[str]) -> None:
    """Remove files whose database rows were never committed."""
    for name in storage_names:
        path_of(name).unlink(missing_ok=True)
