"""The guarantee's response deadline as people read it: "1 day 3 h left", "overdue by 2 h".

Rendered on the server in the case pages (seller's and staff's); ``static/countdown.js`` asks
:func:`.views.claim_countdown` again every minute to keep it current while the page is open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import ngettext

from supportdesk.case_state import RUNNING
from supportdesk.i18n import gettext as _
from supportdesk.models import Ticket

LEFT = "left"
OVERDUE = "overdue"
STOPPED = "stopped"
ANSWERED = "answered"


@dataclass(frozen=True)
class Countdown:
    state: str
    text: str
    due: datetime | None


def duration_text(delta: timedelta) -> str:
    """Days and hours, or hours and minutes, or minutes (at least one)."""
    minutes_total = max(1, int(delta.total_seconds() // 60))
    days, minutes_left = divmod(minutes_total, 24 * 60)
    hours, minutes = divmod(minutes_left, 60)
    if days and hours:
        return ngettext("%(num)d day %(hours)d h", "%(num)d days %(hours)d h", days, hours=hours)
    if days:
        return ngettext("%(num)d day", "%(num)d days", days)
    if hours and minutes:
        return _("%(hours)d h %(minutes)d min", hours=hours, minutes=minutes)
    if hours:
        return _("%(hours)d h", hours=hours)
    return _("%(minutes)d min", minutes=minutes)


def countdown(ticket: Ticket, now: datetime) -> Countdown | None:
    """Where the first-response deadline stands; None when the case has none."""
    due = ticket.first_response_due
    if ticket.first_response_at is not None:
        return Countdown(ANSWERED, _("Answered"), due)
    if due is None:
        return None
    if ticket.status not in RUNNING and ticket.sla_paused_at is not None:
        left = due - ticket.sla_paused_at
        if left > timedelta(0):
            return Countdown(
                STOPPED, _("Clock stopped, %(time)s left", time=duration_text(left)), due
            )
        return Countdown(OVERDUE, _("overdue by %(time)s", time=duration_text(-left)), due)
    if due > now:
        return Countdown(LEFT, _("%(time)s left", time=duration_text(due - now)), due)
    return Countdown(OVERDUE, _("overdue by %(time)s", time=duration_text(now - due)), due)
