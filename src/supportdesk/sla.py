"""SLA clocks on a business-hours calendar.

A target such as "first response within 8 hours" counts only the hours the desk is open (days,
hours, holidays, in the desk's time zone), unless the ticket type says its clock runs around the
clock. While a case waits on the seller the clock stops (and while it is resolved or closed, so a
reopened case is not overdue at once); when it moves again, the time that was left is counted on
from that moment. A deadline already missed when the clock stopped stays missed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app

from .config import DESK_DEFAULTS
from .ticket_types import SlaPolicy

DEFAULT_BUSINESS_HOURS: dict[str, Any] = DESK_DEFAULTS["SUPPORTDESK_BUSINESS_HOURS"]
#: A calendar with no open hour would make every deadline infinite; stop looking after this.
SEARCH_LIMIT_DAYS = 3 * 366


@dataclass(frozen=True)
class BusinessCalendar:
    timezone: ZoneInfo
    days: frozenset[int]
    start: time
    end: time
    holidays: frozenset[date]

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> BusinessCalendar:
        """Build from ``SUPPORTDESK_BUSINESS_HOURS``; raises ``ValueError`` saying what is wrong."""
        if config is not None and not isinstance(config, Mapping):
            raise ValueError(
                'SUPPORTDESK_BUSINESS_HOURS must be a mapping such as {"timezone": '
                '"Europe/Paris", "days": [0, 1, 2, 3, 4], "start": "09:00", "end": "18:00", '
                '"holidays": ["2025-12-25"]}'
            )
        unknown = sorted(set(config or {}) - set(DEFAULT_BUSINESS_HOURS))
        if unknown:
            raise ValueError(
                f"SUPPORTDESK_BUSINESS_HOURS: unknown setting(s) {', '.join(map(repr, unknown))}; "
                f"the settings are {', '.join(DEFAULT_BUSINESS_HOURS)}"
            )
        settings = {**DEFAULT_BUSINESS_HOURS, **(config or {})}
        start, end = _clock_time(settings["start"], "start"), _clock_time(settings["end"], "end")
        # "00:00" as the end means midnight at the end of the day, not its start.
        if end <= start and end != time(0):
            raise ValueError(
                f"SUPPORTDESK_BUSINESS_HOURS: end ({settings['end']}) must come after start "
                f'({settings["start"]}); write "00:00" for midnight'
            )
        return cls(
            timezone=_timezone(settings["timezone"]),
            days=_weekdays(settings["days"]),
            start=start,
            end=end,
            holidays=_holidays(settings["holidays"]),
        )

    def open_intervals(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Open periods (in UTC) from the local day of ``moment`` onwards."""
        day = moment.astimezone(self.timezone).date()
        for _ in range(SEARCH_LIMIT_DAYS):
            if day.weekday() in self.days and day not in self.holidays:
                opens = datetime.combine(day, self.start, self.timezone)
                closes = (
                    datetime.combine(day + timedelta(days=1), time(0), self.timezone)
                    if self.end == time(0)
                    else datetime.combine(day, self.end, self.timezone)
                )
                yield opens.astimezone(UTC), closes.astimezone(UTC)
            day += timedelta(days=1)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The moment when ``duration`` of open time has passed after ``start``."""
        left = duration
        for opens, closes in self.open_intervals(start):
            if closes <= start:
                continue
            begin = max(opens, start)
            if begin + left <= closes:
                return begin + left
            left -= closes - begin
        raise ValueError("business hours: the calendar has no open time")

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Open time from ``start`` to ``end`` (negative when ``end`` is earlier)."""
        if end < start:
            return -self.between(end, start)
        total = timedelta(0)
        for opens, closes in self.open_intervals(start):
            if opens >= end:
                break
            overlap = min(closes, end) - max(opens, start)
            if overlap > timedelta(0):
                total += overlap
        return total


def _clock_time(value: Any, name: str) -> time:
    try:
        return time.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(
            f'SUPPORTDESK_BUSINESS_HOURS: {name} {value!r} is not a time such as "09:00"'
        ) from None


def _timezone(value: Any) -> ZoneInfo:
    try:
        return ZoneInfo(value)
    except (TypeError, ValueError, ZoneInfoNotFoundError):
        raise ValueError(
            f"SUPPORTDESK_BUSINESS_HOURS: timezone {value!r} is not a known time zone such as "
            '"Europe/Paris"'
        ) from None


def _weekdays(value: Any) -> frozenset[int]:
    message = (
        "SUPPORTDESK_BUSINESS_HOURS: days is a non-empty list of numbers 0 (Monday) to 6 (Sunday)"
    )
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValueError(message)
    try:
        days = frozenset(int(d) for d in value)
    except (TypeError, ValueError):
        raise ValueError(message) from None
    if not days or not days <= set(range(7)):
        raise ValueError(message)
    return days


def _holidays(value: Any) -> frozenset[date]:
    message = 'SUPPORTDESK_BUSINESS_HOURS: holidays is a list of dates such as "2025-12-25"'
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValueError(message)
    holidays = set()
    for item in value:
        if isinstance(item, date) and not isinstance(item, datetime):
            holidays.add(item)
            continue
        try:
            holidays.add(date.fromisoformat(item))
        except (TypeError, ValueError):
            raise ValueError(f"{message}, not {item!r}") from None
    return frozenset(holidays)


def check_settings(config: Mapping[str, Any]) -> None:
    """Raise ``ValueError`` naming the setting when the SLA settings cannot work; run at start."""
    BusinessCalendar.from_config(config.get("SUPPORTDESK_BUSINESS_HOURS"))
    due_soon = config.get("SUPPORTDESK_DUE_SOON_HOURS")
    if isinstance(due_soon, bool) or not isinstance(due_soon, int | float) or due_soon < 0:
        raise ValueError(
            f"SUPPORTDESK_DUE_SOON_HOURS must be a number of hours (0 or more), not {due_soon!r}"
        )


def calendar() -> BusinessCalendar:
    return BusinessCalendar.from_config(current_app.config["SUPPORTDESK_BUSINESS_HOURS"])


def due_at(start: datetime, target: timedelta | None, policy: SlaPolicy) -> datetime | None:
    """When a target counted from ``start`` falls due under the policy's clock."""
    if target is None:
        return None
    return calendar().add(start, target) if policy.business_hours else start + target


def resume(
    due: datetime | None, paused_at: datetime, now: datetime, policy: SlaPolicy
) -> datetime | None:
    """Move a deadline on by the time the clock stood still (the open time that was left at the
    pause is counted again from ``now``). An already missed deadline stays where it was."""
    if due is None or due <= paused_at:
        return due
    if policy.business_hours:
        cal = calendar()
        return cal.add(now, cal.between(paused_at, due))
    return now + (due - paused_at)


def state(next_due_at: datetime | None, now: datetime) -> str | None:
    """``"overdue"``, ``"due_soon"`` (within ``SUPPORTDESK_DUE_SOON_HOURS``) or None."""
    if next_due_at is None:
        return None
    if next_due_at <= now:
        return "overdue"
    if next_due_at - now <= timedelta(hours=current_app.config["SUPPORTDESK_DUE_SOON_HOURS"]):
        return "due_soon"
    return None
