"""Ticket types: what a plugin declares about the cases it brings in.

A type validates its own extra fields; the ticket service calls ``clean_fields`` before anything
is written, so an invalid case is never half-saved.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from flask import current_app
from flask_babel import LazyString

from .i18n import gettext as _

if TYPE_CHECKING:
    from .models import User
    from .rate_limits import FilingLimit


class FieldErrors(ValueError):
    """Raised with ``{field: message}`` when a case's input is invalid."""

    def __init__(self, errors: Mapping[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


@dataclass(frozen=True)
class SlaPolicy:
    """Targets counted from the case's opening, in open hours of the desk's business calendar
    (``SUPPORTDESK_BUSINESS_HOURS``) or, with ``business_hours=False``, around the clock."""

    first_response: timedelta | None = timedelta(hours=8)
    resolution: timedelta | None = timedelta(hours=40)
    business_hours: bool = True


@dataclass(frozen=True)
class ExtraField:
    """A field a type adds to its cases, stored in ``Ticket.fields``.

    ``clean`` turns the raw value into the stored one or raises ``ValueError`` whose text is the
    message shown next to the field.
    """

    name: str
    label: str | LazyString
    required: bool = False
    clean: Callable[[Any], Any] | None = None
    # Set by staff once the case is open (``tickets.update_fields``), never by who opens it.
    staff_only: bool = False


@dataclass
class TicketType:
    """A kind of case. ``key`` is public and stable (``contact``, ``fraud_report``, …)."""

    key: str
    label: str | LazyString
    queue: str
    form_class: type | None = None
    # Opened only through the plugin's own guided form (its eligibility rules live there):
    # the JSON API and other generic entry points refuse it.
    own_intake: bool = False
    # The queue's name as people read it (translated); the first type naming it wins.
    queue_label: str | LazyString | None = None
    extra_fields: list[ExtraField] = field(default_factory=list)
    sla: SlaPolicy = field(default_factory=SlaPolicy)
    # Who may see cases of this type besides the seller who filed them; None: the queue's agents.
    visible_to: Callable[[User], bool] | None = None
    # Template that shows the extra fields on the case page (seller and staff).
    fields_template: str | None = None
    # How many cases of this type one seller may file; every way of filing counts against it
    # (the plugin's form through ``filing_limit.limit``, the JSON API by itself). None: no limit.
    filing_limit: FilingLimit | None = None
    # The extra field in which the seller chooses the language of the answers: mail to the
    # seller about such a case speaks it rather than the account's language. None: no choice.
    reply_language_field: str | None = None
    plugin: str | None = None

    def clean_fields(
        self, raw: Mapping[str, Any] | None, *, partial: bool = False
    ) -> dict[str, Any]:
        """Validate ``raw`` against the declared extra fields; unknown names are refused.

        Opening a case checks every field and refuses ``staff_only`` ones; ``partial=True``
        (a change through ``tickets.update_fields``) checks only the fields given."""
        raw = dict(raw or {})
        errors: dict[str, str] = {}
        cleaned: dict[str, Any] = {}
        accepted = {f.name for f in self.extra_fields if partial or not f.staff_only}
        for name in sorted(set(raw) - accepted):
            errors[name] = _("This field is not accepted here.")
        for spec in self.extra_fields:
            if spec.name not in accepted or (partial and spec.name not in raw):
                continue
            value = raw.get(spec.name)
            if value in (None, "", []):
                if spec.required:
                    errors[spec.name] = _("This field is required.")
                continue
            try:
                cleaned[spec.name] = spec.clean(value) if spec.clean else value
            except (TypeError, ValueError) as exc:
                errors[spec.name] = str(exc) or _("This value is not valid.")
        if errors:
            raise FieldErrors(errors)
        return cleaned


def clean_rating(value: Any) -> int:
    """A 1-to-5 rating, for the extra fields of any type that asks for one."""
    try:
        rating = int(value)
    except (TypeError, ValueError):
        rating = 0
    if isinstance(value, bool) or not 1 <= rating <= 5:
        raise ValueError(_("Choose a rating from 1 to 5."))
    return rating


#: A date "today" in another time zone than the desk's may already be tomorrow here.
FUTURE_SLACK = timedelta(days=1)


def clean_past_date(value: Any, future_message: str | None = None) -> str:
    """A date (ISO ``YYYY-MM-DD``, or a ``date``) that is not in the future; stored as ISO."""
    from .models import utcnow

    if isinstance(value, date):
        day = value
    else:
        try:
            day = date.fromisoformat(str(value).strip())
        except ValueError:
            raise ValueError(_("Give the date as year-month-day, e.g. 2024-05-31.")) from None
    if day > utcnow().date() + FUTURE_SLACK:
        raise ValueError(future_message or _("The date cannot be in the future."))
    return day.isoformat()


def ticket_types() -> dict[str, TicketType]:
    """The current application's ticket types by key, as the plugins registered them."""
    return current_app.extensions["supportdesk"].ticket_types


def get_ticket_type(key: str) -> TicketType:
    """The type registered under ``key``; ``FieldErrors`` on ``type`` when there is none."""
    ttype = ticket_types().get(key)
    if ttype is None:
        raise FieldErrors({"type": _("Unknown case type.")})
    return ttype


def type_label(type_key: str) -> str:
    """The type's translated label, or its key when the plugin that brought it is gone."""
    ttype = ticket_types().get(type_key)
    return str(ttype.label) if ttype is not None else type_key
