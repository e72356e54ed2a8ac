"""Developer tooling for the message catalogues: extract, merge, compile.

English is the source language (msgids are English and shown as they are, so there is no ``en``
catalogue); every other language of ``SUPPORTDESK_LANGUAGES`` has a catalogue in
``translations/<locale>/LC_MESSAGES/messages.po``, compiled next to it as ``messages.mo`` (the
``.mo`` is committed: it ships in the wheel).

``supportdesk i18n-update`` (or :func:`update_catalogs`) re-extracts every string with the
mapping in ``babel.cfg``, writes ``messages.pot``, merges it into each ``.po`` (keeping existing
translations; a reworded string gets its old translation marked fuzzy) and compiles the
``.mo``. The test ``tests/core/test_translations.py`` uses :func:`extract_messages` to refuse a
string without a French translation.

This works from a checkout (``babel.cfg`` two levels above ``src/supportdesk``); Babel is
imported lazily, so the running desk never loads the extraction machinery.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .config import DESK_DEFAULTS
from .i18n import TRANSLATIONS_DIR

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

#: The language the msgids are written in.
SOURCE_LOCALE = "en"
#: Languages that have a catalogue: every desk language but the source one.
LOCALES: tuple[str, ...] = tuple(
    code for code in DESK_DEFAULTS["SUPPORTDESK_LANGUAGES"] if code != SOURCE_LOCALE
)
DOMAIN = "messages"
#: Translation functions, as in babel.cfg (repeated for Babel versions that ignore it there).
KEYWORDS = [
    "_",
    "gettext",
    "ngettext:1,2",
    "lazy_gettext",
    "_l",
    "lazy_ngettext:1,2",
    "pgettext:1c,2",
    "lazy_pgettext:1c,2",
    "npgettext:1c,2,3",
    "lazy_npgettext:1c,2,3",
]
#: A source comment starting with this tag reaches the translators: ``# TRANSLATORS: …``.
COMMENT_TAGS = ("TRANSLATORS:",)
PROJECT = "supportdesk"
COPYRIGHT = "the supportdesk contributors"
#: gettext's usual plural rules (CLDR's may add forms that translators never need here).
PLURAL_FORMS = {"fr": "nplurals=2; plural=(n > 1);"}


def project_root() -> Path:
    """The checkout's root: the folder holding ``babel.cfg``, two levels above the package."""
    root = Path(__file__).resolve().parents[2]
    if not (root / "babel.cfg").is_file():
        raise click.ClickException(
            f"no babel.cfg in {root}: catalogues are updated from a source checkout of the "
            "desk, not from an installed package"
        )
    return root


def catalog_path(locale: str, translations_dir: Path = TRANSLATIONS_DIR) -> Path:
    return translations_dir / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract_messages(root: Path | None = None) -> Catalog:
    """Every translatable string of the sources, as a template catalogue (no translations)."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
    from babel.messages.frontend import parse_keywords, parse_mapping_cfg

    root = root or project_root()
    with (root / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg, str(root / "babel.cfg"))
    catalog = Catalog(
        project=PROJECT, domain=DOMAIN, charset="utf-8", fuzzy=False, copyright_holder=COPYRIGHT
    )
    for filename, lineno, message, comments, context in extract_from_dir(
        str(root),
        method_map,
        options_map,
        keywords={**DEFAULT_KEYWORDS, **parse_keywords(KEYWORDS)},
        comment_tags=COMMENT_TAGS,
        strip_comment_tags=True,
    ):
        catalog.add(
            message,
            None,
            [(Path(filename).as_posix(), lineno)],
            auto_comments=comments,
            context=context,
        )
    return catalog


def new_catalog(locale: str) -> Catalog:
    from babel import Locale
    from babel.messages.catalog import Catalog

    catalog = Catalog(
        locale=locale,
        domain=DOMAIN,
        project=PROJECT,
        charset="utf-8",
        fuzzy=False,
        copyright_holder=COPYRIGHT,
        language_team=f"{Locale.parse(locale).english_name} <{COPYRIGHT}>",
        last_translator=COPYRIGHT,
    )
    if locale in PLURAL_FORMS:
        catalog.mime_headers = [("Plural-Forms", PLURAL_FORMS[locale])]
    return catalog


@dataclass
class LocaleReport:
    locale: str
    translated: int = 0
    missing: list[str] = field(default_factory=list)
    fuzzy: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)


@dataclass
class UpdateReport:
    messages: int
    pot_written: bool
    locales: list[LocaleReport]


def is_translated(message) -> bool:
    strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
    return bool(strings) and all(strings)


def msgid_text(message) -> str:
    msgid = message.id[0] if isinstance(message.id, (list, tuple)) else message.id
    return f"{message.context}|{msgid}" if message.context else msgid


def render_po(catalog: Catalog, **options) -> bytes:
    from babel.messages.pofile import write_po

    buffer = io.BytesIO()
    # File names without line numbers: the catalogue does not change each time code moves.
    write_po(buffer, catalog, width=100, include_lineno=False, **options)
    return buffer.getvalue()


def render_mo(catalog: Catalog) -> bytes:
    from babel.messages.mofile import write_mo

    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


def write_if_changed(path: Path, content: bytes) -> bool:
    if path.is_file() and path.read_bytes() == content:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return True


def write_catalog(path: Path, catalog: Catalog, **options) -> bool:
    """Write ``catalog`` unless only its creation date would change (no churn in git)."""
    from babel.messages.pofile import read_po

    if path.is_file():
        with path.open("rb") as old_file:
            old = read_po(old_file)
        fresh_date = catalog.creation_date
        catalog.creation_date = old.creation_date
        if render_po(catalog, **options) == path.read_bytes():
            return False
        catalog.creation_date = fresh_date
    return write_if_changed(path, render_po(catalog, **options))


def update_catalogs(
    root: Path | None = None,
    translations_dir: Path = TRANSLATIONS_DIR,
    locales: Iterable[str] = LOCALES,
) -> UpdateReport:
    """Extract into ``messages.pot``, merge into each locale's ``.po`` and compile its ``.mo``."""
    from babel.messages.pofile import read_po

    template = extract_messages(root)
    pot_written = write_catalog(translations_dir / f"{DOMAIN}.pot", template, ignore_obsolete=True)
    reports = []
    for locale in locales:
        po_path = catalog_path(locale, translations_dir)
        if po_path.is_file():
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file, locale=locale, domain=DOMAIN)
        else:
            catalog = new_catalog(locale)
        catalog.update(template)
        # Removed strings are dropped, not kept as `#~` entries: git has their history, and a
        # reworded string already gets its old translation as a fuzzy suggestion.
        catalog.obsolete.clear()
        report = LocaleReport(locale)
        for message in list(catalog)[1:]:
            if not is_translated(message):
                report.missing.append(msgid_text(message))
            elif message.fuzzy:
                report.fuzzy.append(msgid_text(message))
            else:
                report.translated += 1
        if write_catalog(po_path, catalog, ignore_obsolete=True):
            report.written.append(po_path)
        with po_path.open("rb") as po_file:
            compiled = render_mo(read_po(po_file, locale=locale, domain=DOMAIN))
        mo_path = po_path.with_suffix(".mo")
        if write_if_changed(mo_path, compiled):
            report.written.append(mo_path)
        reports.append(report)
    return UpdateReport(messages=len(template), pot_written=pot_written, locales=reports)


@click.command("i18n-update")
def i18n_update_command() -> None:
    """Extract the translatable strings, update every catalogue (.po) and compile it (.mo)."""
    report = update_catalogs()
    root = project_root()
    pot = TRANSLATIONS_DIR / f"{DOMAIN}.pot"
    state = "written" if report.pot_written else "unchanged"
    click.echo(f"{pot.relative_to(root)}: {report.messages} messages ({state})")
    incomplete = False
    for loc in report.locales:
        click.echo(
            f"{loc.locale}: {loc.translated} translated, {len(loc.fuzzy)} fuzzy, "
            f"{len(loc.missing)} untranslated"
        )
        for path in loc.written:
            click.echo(f"  wrote {path.relative_to(root)}")
        for label, msgids in (
            ("untranslated", loc.missing),
            ("fuzzy (check, then unflag)", loc.fuzzy),
        ):
            for msgid in msgids:
                click.echo(f"  {label}: {msgid}")
        incomplete = incomplete or bool(loc.missing or loc.fuzzy)
    if incomplete:
        po_files = ", ".join(
            str(catalog_path(loc.locale).relative_to(root)) for loc in report.locales
        )
        click.echo(f"Translate the entries above in {po_files}, then run this command again.")


def register(cli: click.Group) -> None:
    """Add the catalogue commands to the ``supportdesk`` command group."""
    cli.add_command(i18n_update_command)
