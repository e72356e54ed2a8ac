"""The JSON API under ``/api/v1``: bearer tokens or the browser session, errors as
``application/problem+json`` (RFC 9457) with a stable ``type`` for each kind of error.

Plugins add their own endpoints with a blueprint whose ``url_prefix`` starts with ``/api/v1``;
:func:`problem` and :func:`is_api_request` make their errors look like the core's.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, json, request

API_PREFIX = "/api/v1"
PROBLEM_BASE = "https://supportdesk.invalid/problems/"

bp = Blueprint("api", __name__, url_prefix=API_PREFIX)

#: Stable problem types by HTTP status, for errors that have no more specific type.
DEFAULT_TYPES = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation-error",
    429: "rate-limited",
    500: "server-error",
}


def is_api_request() -> bool:
    """True for requests to the API, whatever prefix the desk is mounted under."""
    prefix = current_app.extensions["supportdesk"].url_prefix
    return request.path.startswith(prefix + API_PREFIX + "/") or request.path == prefix + API_PREFIX


def problem(
    status: int,
    title: str,
    *,
    kind: str | None = None,
    detail: str | None = None,
    errors: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """An ``application/problem+json`` response; ``errors`` maps fields to messages."""
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + (kind or DEFAULT_TYPES.get(status, "error")),
        "title": title,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype="application/problem+json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


# The modules below add their hooks and routes to ``bp``.
from . import auth, openapi, tickets  # noqa: E402, F401
