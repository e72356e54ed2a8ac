"""Who is calling the API: a bearer token (CSRF-exempt, read or write scope) or the browser
session (CSRF token in ``X-CSRFToken`` on every write). Rate limits are per token or user."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import current_app, g, request
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFError

from ..accounts import current_user, hash_token, owns_login, user_for_token
from ..extensions import csrf, db, limiter
from ..i18n import gettext as _
from ..models import ApiToken
from . import bp, problem

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Endpoints anyone may read without signing in.
PUBLIC_ENDPOINTS = frozenset({"openapi_document"})

# Bearer requests cannot be forged by another site; session writes are checked in
# ``authenticate`` below, so Flask-WTF's own blanket check stays off for the API.
csrf.exempt(bp)


def bearer_token() -> str | None:
    """The token of an ``Authorization: Bearer …`` header, or None when there is none."""
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip()


def unauthorized(detail: str | None = None) -> Any:
    return problem(
        401,
        _("Authentication is required: send a bearer token or sign in."),
        kind="unauthorized",
        detail=detail,
        headers={"WWW-Authenticate": 'Bearer realm="supportdesk"'},
    )


def _use_as_current_user(user: Any) -> None:
    # The token decides who is asking, even beside a session cookie.
    if owns_login():
        g._login_user = user
    else:
        g.supportdesk_actor = user


@bp.before_request
def authenticate() -> Any:
    endpoint = (request.endpoint or "").rsplit(".", 1)[-1]
    if endpoint in PUBLIC_ENDPOINTS:
        return None
    token = bearer_token()
    if token is not None:
        user = user_for_token(token) if token else None
        if user is None:
            return unauthorized(_("The token is not valid, or it was revoked."))
        _use_as_current_user(user)
        g.api_scope = db.session.scalar(
            sa.select(ApiToken.scope).where(ApiToken.token_hash == hash_token(token))
        )
    else:
        if not current_user.is_authenticated:
            return unauthorized()
        g.api_scope = "write"
        if request.method not in SAFE_METHODS and current_app.config.get("WTF_CSRF_ENABLED"):
            try:
                csrf.protect()
            except CSRFError:
                return problem(
                    403,
                    _("The CSRF token is missing or invalid; send it in the X-CSRFToken header."),
                    kind="csrf-failed",
                )
    if request.method not in SAFE_METHODS and g.api_scope != "write":
        return problem(
            403,
            _("This token may only read; use a token with the write scope."),
            kind="insufficient-scope",
        )
    return None


def rate_limit_key() -> str:
    token = bearer_token()
    if token:
        return "api-token:" + hash_token(token)
    if current_user.is_authenticated:
        return f"api-user:{current_user.id}"
    return "api-ip:" + (get_remote_address() or "")


def rate_limit_value() -> str:
    return current_app.config["SUPPORTDESK_API_RATE_LIMIT"]


#: Decorator for every API view: one shared budget per token or user across the whole API.
rate_limited: Callable[[Callable[..., Any]], Callable[..., Any]] = limiter.shared_limit(
    rate_limit_value, scope="supportdesk-api", key_func=rate_limit_key
)
