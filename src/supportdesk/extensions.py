"""The Flask extensions the desk uses, created once and bound to an application by ``init_app``.

A host application may already use some of them; ``init_extensions`` then shares the host's
instance (Flask-Login, Flask-Babel, CSRF) or keeps the desk's apart (Flask-SQLAlchemy).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase

from .i18n import TRANSLATIONS_DIR, install_template_gettext


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
