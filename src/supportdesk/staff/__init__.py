"""The staff side of the desk: queues, the case workspace and the dashboard."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, abort

from ..accounts import current_user, login_required
from ..permissions import may

bp = Blueprint("staff", __name__, url_prefix="/staff")


def staff_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Signed-in staff only: anonymous visitors go to sign-in, sellers get 403."""

    @wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not may(current_user, "view", "staff"):
            abort(403)
        return view(*args, **kwargs)

    return wrapper


from . import canned, dashboard, queues, workspace  # noqa: E402, F401  (each adds its routes to bp)
