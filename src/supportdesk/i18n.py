"""Languages: the interface speaks French and English.

The locale is, in order: the signed-in user's preference, the choice made with the language
switch (kept in the session), the browser's ``Accept-Language``, the default.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app, request, session
from flask_login import current_user

TRANSLATIONS_DIR = Path(__file__).parent / "translations"
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}


def languages() -> list[str]:
    return list(current_app.config["SUPPORTDESK_LANGUAGES"])


def select_locale() -> str | None:
    """Flask-Babel's locale selector for the desk."""
    if not request:
        return None
    supported = languages()
    user = current_user if current_app.login_manager else None
    preferred = getattr(user, "locale", None) if user and user.is_authenticated else None
    for candidate in (preferred, session.get("locale")):
        if candidate in supported:
            return candidate
    return (
        request.accept_languages.best_match(supported) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )
