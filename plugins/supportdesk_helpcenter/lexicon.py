"""The help search's lexicon: words sellers use for what the help pages call otherwise.

Each language has the lines shipped in ``lexicon/<locale>.txt`` (versioned with the desk: the
``# version:`` line of its header) and the lines admins add (``LexiconEntry``, from the
lexicon page or the failed-queries report), read after them. The format is described in
:mod:`supportdesk.search.lexicon`. A built lexicon is kept per process and language, and made
again when an entry changes here or, for the entries other processes add, after a minute.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app

from supportdesk import FieldErrors
from supportdesk.database import write_transaction
from supportdesk.extensions import db
from supportdesk.i18n import gettext as _
from supportdesk.search.lexicon import SYNONYM_WEIGHT, Lexicon, LexiconError, parse_rule

from .models import LOCALES, LexiconEntry

FOLDER = Path(__file__).with_name("lexicon")
CACHE_SECONDS = 60.0
MAX_LINE = 500

_built: dict[tuple[str, str], tuple[float, Lexicon]] = {}


@dataclass(frozen=True)
class Shipped:
    version: str
    lines: list[str]


def shipped(locale: str) -> Shipped:
    """The lines shipped with the desk for ``locale``, and their version."""
    path = FOLDER / f"{locale}.txt"
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    version = next(
        (ln.split(":", 1)[1].strip() for ln in lines if ln.lower().startswith("# version:")), ""
    )
    return Shipped(version, lines)


def entries(locale: str) -> list[LexiconEntry]:
    return list(
        db.session.scalars(
            sa.select(LexiconEntry).where(LexiconEntry.locale == locale).order_by(LexiconEntry.id)
        )
    )


def for_locale(locale: str) -> Lexicon | None:
    """The lexicon of ``locale`` (None for a language the help centre does not have): the
    shipped lines' (built once a process), under the admins' lines read again each minute."""
    if locale not in LOCALES:
        return None
    key = (str(db.engine.url), locale)
    built = _built.get(key)
    if built is None or time.monotonic() - built[0] > CACHE_SECONDS:
        weight = synonym_weight(current_app.config)
        base = shipped_lexicon(locale, weight)
        added = [entry.line for entry in entries(locale)]
        lexicon = Lexicon(added, locale, weight, base=base) if added else base
        built = _built[key] = (time.monotonic(), lexicon)
    return built[1]


@functools.cache
def shipped_lexicon(locale: str, weight: float = SYNONYM_WEIGHT) -> Lexicon:
    """The shipped lines of ``locale``, built once a process: some 15 ms and 0.8 MiB a
    language, which each minute's rebuild of the admins' lines no longer pays. A server that
    forks its workers builds them before the first fork (:func:`build_shipped`), so that the
    workers share them."""
    return Lexicon(shipped(locale).lines, locale, weight)


def build_shipped(app: Flask) -> None:
    """The shipped lexicons of ``app``'s weight, built now: a preforking server's parent does,
    for all its workers (the ``prepare_for_workers`` hook)."""
    for locale in LOCALES:
        shipped_lexicon(locale, synonym_weight(app.config))


def synonym_weight(config: Mapping[str, Any]) -> float:
    return float(config.get("SUPPORTDESK_HELP_SYNONYM_WEIGHT", SYNONYM_WEIGHT))


def forget() -> None:
    _built.clear()


def check_line(line: str) -> str | None:
    """What is wrong with ``line`` as a lexicon rule, in the reader's language; None if right."""
    text = (line or "").strip()
    if not text or text.startswith("#"):
        return _("Write two words or more, separated by commas (or “words => meaning”).")
    if len(text) > MAX_LINE:
        return _("A line is limited to %(n)d characters.", n=MAX_LINE)
    try:
        parse_rule(text)
    except LexiconError:
        return _(
            "Write terms separated by commas, with at most one “=>”, and no empty term:"
            " “refund, money back” or “scam => fraud”."
        )
    return None


def add_entry(locale: str, line: str, *, origin: str = "admin", user_id: int | None = None):
    """Save one rule for ``locale`` (``FieldErrors`` on ``line`` or ``locale`` if wrong)."""
    if locale not in LOCALES:
        raise FieldErrors({"locale": _("The language must be en or fr.")})
    if problem := check_line(line):
        raise FieldErrors({"line": problem})
    with write_transaction():
        entry = LexiconEntry(locale=locale, line=line.strip(), origin=origin, created_by_id=user_id)
        db.session.add(entry)
    forget()
    return entry


def remove_entry(entry_id: int) -> bool:
    """Delete an admin's rule; False when there is none with that id."""
    with write_transaction():
        entry = db.session.get(LexiconEntry, entry_id)
        if entry is None:
            return False
        db.session.delete(entry)
    forget()
    return True
