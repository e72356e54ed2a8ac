"""Languages: the interface speaks French and English.

The locale is, in order: the signed-in user's preference, the choice made with the language
switch (kept in the session), the browser's ``Accept-Language``, the default.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import flask_babel
from babel import dates, support
from flask import Flask, current_app, g, has_app_context, request, session
from flask_babel import LazyString, get_locale
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup
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


def install_template_gettext(app: Flask) -> None:
    """The templates' ``_``, ``gettext``, ``ngettext``, ``pgettext`` and ``npgettext``, and
    Flask-Babel's ``datetimeformat`` filter, each looking up the request's catalogue once a
    request instead of once a call (a queue page translates a few hundred strings).

    They behave as Jinja's "newstyle" gettext (a translation is a format string of its keyword
    arguments, escaped where the template autoescapes; ``{% trans %}`` blocks are compiled that
    way), but are called directly: Jinja's own go through two more calls, and inside a loop
    through a copy of the template's context for each string."""
    app.jinja_env.filters["datetimeformat"] = datetimeformat
    # {% trans %} blocks then hand their variables to gettext, which formats them.
    app.jinja_env.newstyle_gettext = True  # type: ignore[attr-defined]
    app.jinja_env.globals.update(
        _=_template_gettext,
        gettext=_template_gettext,
        ngettext=_template_ngettext,
        pgettext=_template_pgettext,
        npgettext=_template_npgettext,
    )


def _formatted(eval_ctx: EvalContext, text: str, variables: dict[str, Any]) -> str:
    if eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 (the catalogue's text, as Jinja's gettext)  # nosec B704
    # Always a format string, as Jinja's newstyle gettext: "%%" is a percent sign.
    return text % variables if variables or "%" in text else text


@pass_eval_context
def _template_gettext(eval_ctx: EvalContext, string: str, /, **variables: Any) -> str:
    return _formatted(eval_ctx, request_translations().ugettext(string), variables)


@pass_eval_context
def _template_ngettext(
    eval_ctx: EvalContext, singular: str, plural: str, num: int, /, **variables: Any
) -> str:
    variables.setdefault("num", num)
    text = request_translations().ungettext(singular, plural, num)
    return _formatted(eval_ctx, text, variables)


@pass_eval_context
def _template_pgettext(
    eval_ctx: EvalContext, context: str, string: str, /, **variables: Any
) -> str:
    variables.setdefault("context", context)
    return _formatted(eval_ctx, request_translations().upgettext(context, string), variables)


@pass_eval_context
def _template_npgettext(
    eval_ctx: EvalContext, context: str, singular: str, plural: str, num: int, /, **variables: Any
) -> str:
    variables.setdefault("context", context)
    variables.setdefault("num", num)
    text = request_translations().unpgettext(context, singular, plural, num)
    return _formatted(eval_ctx, text, variables)


def request_translations() -> Any:
    """Flask-Babel's translations for the current locale, looked up once a request."""
    return _for_request_locale("desk_translations", flask_babel.get_translations)


def _for_request_locale(name: str, look_up: Callable[[], Any]) -> Any:
    """What ``look_up`` gives for the request's locale, kept beside that locale in Flask-Babel's
    per-request state; a changed locale (``flask_babel.refresh()``, ``force_locale``, a
    language switch) is a new locale object, so it is looked up again."""
    try:
        state = g._flask_babel
        locale, value = getattr(state, name)
        if locale is state.babel_locale:
            return value
    except (AttributeError, RuntimeError):  # not yet looked up, or outside an application
        pass
    value = look_up()
    state = g._flask_babel if has_app_context() and hasattr(g, "_flask_babel") else None
    if state is not None and hasattr(state, "babel_locale"):
        setattr(state, name, (state.babel_locale, value))
    return value


def gettext(string: str, /, **variables: Any) -> str:
    """Flask-Babel's ``gettext``, with the request's catalogue looked up once a request
    (:func:`request_translations`) instead of once a string: the same translation, a quarter
    of the cost. The desk's code and plugins import it as ``_``."""
    text = request_translations().ugettext(string)
    return text % variables if variables else text


def lazy_gettext(string: str, /, **variables: Any) -> LazyString:
    """Flask-Babel's ``lazy_gettext`` through :func:`gettext`: the labels of forms, menus and
    lists, translated where they are shown (imported as ``_l``)."""
    return LazyString(gettext, string, **variables)


def datetimeformat(value: datetime | None = None, format: str | None = None) -> str:
    """Flask-Babel's ``datetimeformat`` filter (``format_datetime``: the named formats of its
    ``date_formats`` setting, rebased to the user's time zone), with the request's locale and
    time zone read once a request instead of once a call, each format's patterns parsed once
    a process, and the last dates shown kept as written: a case list shows a deadline on every
    row, the same ones at each reload, and Babel spends some 100,000 instructions on each."""
    locale, tzinfo = _for_request_locale(
        "desk_formatting", lambda: (flask_babel.get_locale(), flask_babel.get_timezone())
    )
    pattern = flask_babel._get_format("datetime", format)
    if value is None:
        return _written_datetime(datetime.now(UTC), pattern, locale, tzinfo)
    if not isinstance(value, datetime):
        return dates.format_datetime(value, pattern, tzinfo=tzinfo, locale=locale)
    return _remembered_datetime(value, pattern, locale, tzinfo)


def _written_datetime(value: datetime, pattern: str, locale: Any, tzinfo: Any) -> str:
    """``value`` as Babel's ``format_datetime`` writes it (a naive value is in UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if tzinfo is not None:
        value = value.astimezone(tzinfo)
    joined, first, second = _datetime_patterns(locale, pattern)
    if joined is None:
        return first.apply(value, locale)
    # As Babel's format_datetime for a named format: the time and the date, each in the
    # locale's pattern for that length, put into the locale's way of joining them.
    day = value.date()
    return joined.replace("{0}", first.apply(value.timetz(), locale, reference_date=day)).replace(
        "{1}", second.apply(day, locale)
    )


#: The same moment, format, language and zone always reads the same: a few thousand of them
#: (some 200 KB) cover the lists a worker serves again and again.
_remembered_datetime = functools.lru_cache(maxsize=2048)(_written_datetime)


@functools.lru_cache(maxsize=64)
def _datetime_patterns(locale: Any, pattern: str) -> tuple[str | None, Any, Any]:
    """For a named format ("short", "medium", …): the locale's way of joining a time and a
    date, and its parsed time and date patterns; for a pattern of one's own, that pattern."""
    if pattern in ("full", "long", "medium", "short"):
        return (
            dates.get_datetime_format(pattern, locale=locale).replace("'", ""),
            dates.parse_pattern(dates.get_time_format(pattern, locale=locale)),
            dates.parse_pattern(dates.get_date_format(pattern, locale=locale)),
        )
    return None, dates.parse_pattern(pattern), None
