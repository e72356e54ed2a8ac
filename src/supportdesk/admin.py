"""Pages for administrators of the desk: the installed plugins and their health."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from .accounts import current_user, login_required
from .permissions import may
from .plugins import plugin_host

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/plugins")
@login_required
def plugins() -> str:
    """Every plugin: version, source, status, health (paused after failures), hooks, blueprints."""
    if not may(current_user, "view", "admin"):
        abort(403)
    infos = [info for info in plugin_host().loaded() if info.name != "core"]
    return render_template("desk/admin/plugins.html", infos=infos)
