"""The Flask extensions the desk uses, created once and bound to an application by ``init_app``.

A host application may already use some of them; ``init_extensions`` then shares the host's
instance (Flask-Login, Flask-Babel, CSRF) or keeps the desk's apart (Flask-SQLAlchemy).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flask_babel
from flask import Flask, g, has_app_context
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase

from .i18n import TRANSLATIONS_DIR


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def init_database(app: Flask) -> None:
    """Bind ``db``; beside a host's own Flask-SQLAlchemy the desk keeps its engines apart."""
    host_db = app.extensions.pop("sqlalchemy", None)
    try:
        db.init_app(app)
    finally:
        app.extensions["supportdesk_sqlalchemy"] = db
        if host_db is not None:
            # Flask-SQLAlchemy refuses a second instance only by this key; its engines are
            # kept per instance, so the host's sessions and the desk's never mix.
            app.extensions["sqlalchemy"] = host_db


def install_template_gettext(app: Flask) -> None:
    """Flask-Babel's template functions, each looking up the request's catalogue once instead
    of on every call: a queue page translates a few hundred strings, and each of Flask-Babel's
    own lookups goes through several context-local proxies."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )


def request_translations() -> Any:
    """Flask-Babel's translations for the current locale, kept beside its locale in
    Flask-Babel's per-request state; a changed locale (``flask_babel.refresh()``, a language
    switch) is a new locale object, so it is looked up again."""
    try:
        state = g._flask_babel
        locale, translations = state.desk_translations
        if locale is state.babel_locale:
            return translations
    except (AttributeError, RuntimeError):  # not yet looked up, or outside an application
        pass
    translations = flask_babel.get_translations()
    state = g._flask_babel if has_app_context() and hasattr(g, "_flask_babel") else None
    if state is not None and hasattr(state, "babel_locale"):
        state.desk_translations = (state.babel_locale, translations)
    return translations


def init_extensions(app: Flask, locale_selector: Callable[[], str | None]) -> None:
    init_database(app)
    if "csrf" not in app.extensions:
        csrf.init_app(app)
    if not hasattr(app, "login_manager"):
        login_manager.init_app(app)
    if "babel" in app.extensions:
        # Share the host's Babel: add the desk's catalogues to the folders it searches.
        app.extensions["babel"].translation_directories.append(str(TRANSLATIONS_DIR))
    else:
        app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
        babel.init_app(app, locale_selector=locale_selector)
        install_template_gettext(app)
    limiter.init_app(app)
