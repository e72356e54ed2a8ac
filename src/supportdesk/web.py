"""The desk's web shell: one parent blueprint per application, holding the core blueprints and
the plugins' ones, with the shared page context, error pages and security headers."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException

from .accounts import current_user
from .api import is_api_request, problem
from .hookspecs import Link
from .i18n import LANGUAGE_NAMES, languages, share_wtforms_messages
from .i18n import gettext as _
from .plugins import plugin_host

ERROR_CODES = (400, 403, 404, 405, 413, 429, 500)
DEFAULT_SLOT_PRIORITY = 100


def make_desk_blueprint(app: Flask, *, standalone: bool) -> Blueprint:
    """Build the parent blueprint ``desk``; every desk endpoint is ``desk.<blueprint>.<view>``."""
    from .admin import bp as admin_bp
    from .api import bp as api_bp
    from .auth import bp as auth_bp
    from .core import bp as core_bp
    from .downloads import bp as files_bp
    from .seller import bp as seller_bp
    from .staff import bp as staff_bp

    desk = Blueprint("desk", __name__, static_folder="static", static_url_path="/_desk/static")
    for child in (core_bp, auth_bp, seller_bp, staff_bp, admin_bp, files_bp, api_bp):
        desk.register_blueprint(child)
    # Standalone, the desk owns the whole application (its 404 for unknown URLs included);
    # mounted, it answers only for its own pages and leaves the host's alone.
    owner: Flask | Blueprint = app if standalone else desk
    owner.context_processor(page_context)
    owner.after_request(security_headers)
    owner.before_request(refuse_nul_bytes)
    owner.before_request(share_wtforms_messages)
    for code in ERROR_CODES:
        owner.register_error_handler(code, render_error)
    return desk


#: What an address keeps as it is: a value made only of these needs no quoting.
_AS_IS = re.compile(r"[A-Za-z0-9_.~-]+")
_PLACEHOLDER = "0placeholder0"


def url_builder(endpoint: str, name: str, **values: Any) -> Callable[[str], str]:
    """``url_for(endpoint, name=value, **values)`` for the many rows of a list (a case's
    reference, an article's slug): the address is built once with a placeholder, and each row's
    value put in its place; a value the address would quote is built the usual way."""
    pattern = url_for(endpoint, **values, **{name: _PLACEHOLDER})

    def url(value: str) -> str:
        if _AS_IS.fullmatch(value):
            return pattern.replace(_PLACEHOLDER, value, 1)
        return url_for(endpoint, **values, **{name: value})

    return url


def current_actor() -> Any:
    """The signed-in desk user, or None."""
    return current_user if current_user and current_user.is_authenticated else None


def menu() -> dict[str, list[Link]]:
    """Navigation links from every plugin, grouped by section and sorted."""
    groups: dict[str, list[Link]] = {}
    for links in plugin_host().call_isolated("menu_links", actor=current_actor(), request=request):
        for link in links:
            groups.setdefault(link.section, []).append(link)
    return {
        section: sorted(links, key=lambda link: (link.order, str(link.label)))
        for section, links in groups.items()
    }


def slot(name: str, **context: Any) -> Markup:
    """Render a named template slot: every plugin's pieces by priority (lowest first, stable),
    each escaped unless Markup."""
    results = plugin_host().call_isolated("template_slot", slot=name, context=context)
    pieces = [
        slot_piece(piece)
        for result in results
        for piece in (result if isinstance(result, list) else [result])
    ]
    return Markup("").join(escape(html) for _priority, html in sorted(pieces, key=lambda p: p[0]))


def slot_piece(piece: Any) -> tuple[int, Any]:
    """``(priority, html)`` of one slot piece: a string, a ``(priority, html)`` tuple or an
    object with ``html`` and ``priority`` (:class:`~supportdesk.hookspecs.SlotContent`)."""
    if isinstance(piece, tuple):
        priority, html = piece
        return int(priority), html
    if hasattr(piece, "priority") and hasattr(piece, "html"):
        return int(piece.priority), piece.html
    return DEFAULT_SLOT_PRIORITY, piece


def page_context() -> dict[str, Any]:
    return {
        "actor": current_actor(),
        "menu": menu,
        "slot": slot,
        "current_locale": str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"]),
        "language_names": {code: LANGUAGE_NAMES.get(code, code) for code in languages()},
        "site_name": current_app.config["SUPPORTDESK_SITE_NAME"] or _("Seller support"),
    }


def refuse_nul_bytes() -> None:
    """A NUL byte is never part of honest input, and PostgreSQL refuses to store one: answer
    400 at the door rather than fail deep inside a transaction."""
    for values in (request.args, request.form):
        for _name, items in values.lists():
            if any("\x00" in value for value in items):
                abort(400)
    for upload in request.files.values():
        if upload.filename and "\x00" in upload.filename:
            abort(400)


def security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    )
    return response


ERROR_TITLES = {
    400: lambda: _("The request could not be understood"),
    403: lambda: _("You may not open this page"),
    404: lambda: _("Page not found"),
    405: lambda: _("This action is not possible here"),
    413: lambda: _("The upload is too large"),
    429: lambda: _("Too many requests"),
    500: lambda: _("Something went wrong on our side"),
}
ERROR_TEXTS = {
    400: lambda: _("Please go back, check what you entered and try again."),
    403: lambda: _(
        "Your account does not give access to this page. Sign in with another account if you have one."
    ),
    404: lambda: _(
        "The page does not exist, or you may not see it. Check the address, or go back to the start."
    ),
    405: lambda: _("Go back to the previous page and use the buttons it offers."),
    413: lambda: _(
        "The files you sent are larger than allowed. Send smaller files, or fewer at a time."
    ),
    429: lambda: _(
        "You have made too many requests in a short time. Please wait a moment and try again."
    ),
    500: lambda: _("The error has been recorded. Please try again in a few minutes."),
}


def render_error(error: Exception) -> Response | tuple[str, int, dict[str, str]]:
    code = error.code if isinstance(error, HTTPException) and error.code else 500
    code = code if code in ERROR_TITLES else 500
    headers: dict[str, str] = {}
    if code == 429 and isinstance(error, HTTPException) and error.response is not None:
        retry = error.response.headers.get("Retry-After")
        if retry:
            headers["Retry-After"] = retry
    if code == 500:
        current_app.logger.exception(
            "unhandled error", exc_info=getattr(error, "original_exception", error)
        )
    if is_api_request():
        return problem(code, ERROR_TITLES[code](), headers=headers)
    html = render_template(
        "desk/error.html", code=code, title=ERROR_TITLES[code](), text=ERROR_TEXTS[code]()
    )
    return html, code, headers


def is_safe_next(target: str | None) -> bool:
    """Only a path on this site may be a redirect target (after sign-in, a language choice, a
    case taken). Browsers read ``\\`` as ``/`` and drop tabs and line breaks, so
    ``/\\evil.example`` and ``/<tab>/evil.example`` lead to another site; a line break would
    also end the ``Location`` header. Neither is ever part of a path the desk makes."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc
