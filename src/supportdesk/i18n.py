"""Languages: the interface speaks French and English.

The locale is, in order: the signed-in user's preference, the choice made with the language
switch (kept in the session), the browser's ``Accept-Language``, the default.
"""

from __future__ import annotations

import functools
from pathlib import Path

from babel import support
from flask import current_app, request, session
from flask_babel import get_locale
from wtforms.i18n import messages_path

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


class WtformsMessages:
    """WTForms' own messages ("This field is required.") in the page's language.

    Flask-WTF reads WTForms' catalogue from disk again for every request that builds a form
    unless the request already holds one as ``wtforms_translations``: :func:`share_wtforms_messages`
    puts this there, which reads each language's catalogue once per process."""

    def ugettext(self, string: str) -> str:
        return _wtforms_catalogue(str(get_locale())).ugettext(string)

    def ungettext(self, singular: str, plural: str, n: int) -> str:
        return _wtforms_catalogue(str(get_locale())).ungettext(singular, plural, n)


WTFORMS_MESSAGES = WtformsMessages()


@functools.cache
def _wtforms_catalogue(locale: str) -> support.NullTranslations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


def share_wtforms_messages() -> None:
    """A ``before_request`` function: see :class:`WtformsMessages`."""
    request.wtforms_translations = WTFORMS_MESSAGES
