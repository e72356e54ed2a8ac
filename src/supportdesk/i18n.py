"""Languages: the interface speaks French and English.

The locale is, in order: the signed-in user's preference, the choice made with the language
switch (kept in the session), the browser's ``Accept-Language``, the default.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app, request, session

TRANSLATIONS_DIR = Path(__file__).parent / "translations"
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}


def languages() -> list[str]:
    return list(current_app.config["SUPPORTDESK_LANGUAGES"])


def select_locale() -> str | None:
    """Flask-Babel's locale selector for the desk."""
    if not request:
        return None
    supported = languages()
    from .accounts import current_user  # here: accounts needs the extensions, which need us

    preferred = current_user.locale if current_user.is_authenticated else None
    for candidate in (preferred, session.get("locale")):
        if candidate in supported:
            return candidate
    return (
        request.accept_languages.best_match(supported) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )
