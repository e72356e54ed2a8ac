"""Attachment downloads, for sellers and staff alike, behind the one permission check."""

from __future__ import annotations

from flask import Blueprint, abort, send_file

from . import attachments as files
from .accounts import current_user, login_required
from .extensions import db
from .models import Attachment
from .permissions import may

bp = Blueprint("files", __name__, url_prefix="/files")


@bp.get("/<int:attachment_id>")
@login_required
def download(attachment_id: int):
    """Always a download, never rendered in the page: a hostile file cannot run as our site."""
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or not may(current_user, "view", attachment):
        abort(404)
    path = files.path_of(attachment.storage_name)
    if not path.is_file():
        abort(404)
    response = send_file(
        path,
        mimetype=attachment.content_type,
        as_attachment=True,
        download_name=attachment.filename,
        conditional=True,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    # ``frame-ancestors`` does not fall back to ``default-src``: no site may frame a file either.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; sandbox; frame-ancestors 'none'"
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
