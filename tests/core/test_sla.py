"""SLA clocks: business-hours arithmetic, the pause while a case waits on the seller, due states.

Expected moments are worked out by hand on the default calendar (Europe/Paris, Monday to
Friday, 09:00 to 18:00): a working day holds 9 open hours.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from supportdesk import ConfigurationError, tickets
from supportdesk.models import Status
from supportdesk.sla import BusinessCalendar, state
from supportdesk.tickets import open_ticket, reply, transition

PARIS = ZoneInfo("Europe/Paris")
HOUR = timedelta(hours=1)


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


@pytest.fixture
def desk_calendar() -> BusinessCalendar:
    return BusinessCalendar.from_config(None)


class Clock:
    """Stands in for the ticket service's ``utcnow``: the test moves time by hand."""

    def __init__(self, moment: datetime):
        self.now = moment

    def __call__(self) -> datetime:
        return self.now.astimezone(UTC)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock(paris(2025, 6, 13, 16, 0))  # a Friday afternoon
    monkeypatch.setattr(tickets, "utcnow", fake)
    return fake


def new_case(seller, type_key="contact"):
    return open_ticket(seller=seller, type_key=type_key, subject="Payout", body="Where is it?")


# Calendar arithmetic


def test_friday_evening_plus_one_hour_is_monday_morning(desk_calendar):
    assert desk_calendar.add(paris(2025, 6, 13, 17, 30), HOUR) == paris(2025, 6, 16, 9, 30)


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (paris(2025, 6, 14, 10, 0), 2, paris(2025, 6, 16, 11, 0)),  # Saturday: from Monday 9:00
        (paris(2025, 6, 17, 7, 0), 1, paris(2025, 6, 17, 10, 0)),  # before opening
        (paris(2025, 6, 17, 20, 0), 1, paris(2025, 6, 18, 10, 0)),  # after closing
        (paris(2025, 6, 17, 17, 0), 1, paris(2025, 6, 17, 18, 0)),  # due right at closing
        (paris(2025, 6, 11, 12, 0), 40, paris(2025, 6, 17, 16, 0)),  # 6+9+9, weekend, 9+7
    ],
)
def test_targets_count_only_open_hours(desk_calendar, start, hours, expected):
    assert desk_calendar.add(start, hours * HOUR) == expected
    assert desk_calendar.between(start, expected) == hours * HOUR


def test_holidays_are_skipped():
    christmas = BusinessCalendar.from_config({"holidays": ["2025-12-25", "2025-12-26"]})
    # Wednesday 17:00: one hour that day, Thursday and Friday off, then the weekend.
    assert christmas.add(paris(2025, 12, 24, 17, 0), 2 * HOUR) == paris(2025, 12, 29, 10, 0)
    assert christmas.between(paris(2025, 12, 24, 9, 0), paris(2025, 12, 29, 18, 0)) == 18 * HOUR


@pytest.mark.parametrize(
    ("start", "expected", "expected_utc"),
    [
        # Clocks go forward on Sunday 30 March 2025: 16:30 UTC on Friday, 07:30 UTC on Monday.
        (paris(2025, 3, 28, 17, 30), paris(2025, 3, 31, 9, 30), datetime(2025, 3, 31, 7, 30)),
        # Clocks go back on Sunday 26 October 2025: 15:30 UTC on Friday, 08:30 UTC on Monday.
        (paris(2025, 10, 24, 17, 30), paris(2025, 10, 27, 9, 30), datetime(2025, 10, 27, 8, 30)),
    ],
)
def test_a_dst_weekend_keeps_local_opening_hours(desk_calendar, start, expected, expected_utc):
    due = desk_calendar.add(start, HOUR)
    assert due == expected
    assert due.astimezone(UTC) == expected_utc.replace(tzinfo=UTC)
    assert desk_calendar.between(start, due) == HOUR


def test_an_end_of_midnight_closes_at_the_end_of_the_day():
    evenings = BusinessCalendar.from_config(
        {"days": list(range(7)), "start": "20:00", "end": "00:00"}
    )
    assert evenings.add(paris(2025, 6, 16, 23, 30), HOUR) == paris(2025, 6, 17, 20, 30)
    assert evenings.between(paris(2025, 6, 16, 19, 0), paris(2025, 6, 17, 1, 0)) == 4 * HOUR


def test_an_open_all_day_calendar_counts_the_short_dst_day_as_23_hours():
    always = BusinessCalendar.from_config(
        {"days": list(range(7)), "start": "00:00", "end": "00:00"}
    )
    saturday_noon, sunday_noon = paris(2025, 3, 29, 12, 0), paris(2025, 3, 30, 12, 0)
    assert always.between(saturday_noon, sunday_noon) == 23 * HOUR
    assert always.add(saturday_noon, 24 * HOUR) == paris(2025, 3, 30, 13, 0)
    assert always.between(sunday_noon, saturday_noon) == -23 * HOUR


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone 'Mars/Olympus_Mons' is not a known"),
        ({"days": [1, 7]}, "days is a non-empty list of numbers 0"),
        ({"days": []}, "days is a non-empty list"),
        ({"days": "mon-fri"}, "days is a non-empty list"),
        ({"start": "9h"}, "start '9h' is not a time"),
        ({"start": "18:00", "end": "09:00"}, r"end \(09:00\) must come after start \(18:00\)"),
        ({"holidays": ["25/12/2025"]}, "holidays is a list of dates .*, not '25/12/2025'"),
        ({"holidays": "2025-12-25"}, "holidays is a list of dates"),
        ({"holiday": ["2025-12-25"]}, "unknown setting.*'holiday'"),
        ("09:00-18:00", "must be a mapping"),
    ],
)
def test_bad_business_hours_stop_the_start_with_a_clear_message(make_app, hours, message):
    with pytest.raises(ConfigurationError, match=f"SUPPORTDESK_BUSINESS_HOURS.*{message}"):
        make_app(SUPPORTDESK_BUSINESS_HOURS=hours)


def test_bad_settings_from_the_environment_are_reported_too(make_app, monkeypatch):
    monkeypatch.setenv("SUPPORTDESK_BUSINESS_HOURS", '{"timezone": "Paris"}')
    with pytest.raises(ConfigurationError, match="timezone 'Paris' is not a known time zone"):
        make_app()
    monkeypatch.delenv("SUPPORTDESK_BUSINESS_HOURS")
    with pytest.raises(ConfigurationError, match="SUPPORTDESK_DUE_SOON_HOURS"):
        make_app(SUPPORTDESK_DUE_SOON_HOURS=-1)


# Clocks on cases


def test_the_first_reply_switches_the_running_deadline_to_resolution(app, clock, seller, agent):
    ticket = new_case(seller)  # Friday 16:00
    assert ticket.first_response_due == paris(2025, 6, 16, 15, 0)  # 2 h Friday + 6 h Monday
    assert ticket.resolution_due == paris(2025, 6, 20, 11, 0)  # 2 + 4 days of 9 + 2 hours
    assert ticket.next_due_at == ticket.first_response_due
    clock.now = paris(2025, 6, 16, 10, 0)
    reply(ticket, actor=agent, body="We are on it.")
    assert ticket.first_response_at == paris(2025, 6, 16, 10, 0)
    assert ticket.next_due_at == ticket.resolution_due == paris(2025, 6, 20, 11, 0)


def test_the_clock_stands_still_over_a_weekend_of_waiting(app, clock, seller, agent):
    ticket = new_case(seller)  # Friday 16:00, resolution due Friday 20 June 11:00
    clock.now = paris(2025, 6, 13, 17, 0)
    reply(ticket, actor=agent, body="Which order is it?")
    transition(ticket, actor=agent, status=Status.WAITING)
    assert ticket.sla_paused_at == paris(2025, 6, 13, 17, 0)
    assert ticket.next_due_at is None  # nothing runs while the seller has the ball
    clock.now = paris(2025, 6, 16, 10, 0)  # Monday: the pause cost Friday 17-18 and Monday 9-10
    reply(ticket, actor=seller, body="Order 42.")
    assert ticket.status == Status.OPEN and ticket.sla_paused_at is None
    assert ticket.resolution_due == ticket.next_due_at == paris(2025, 6, 20, 13, 0)


def test_a_pause_before_the_first_response_moves_that_deadline(app, clock, seller, agent):
    ticket = new_case(seller)  # first response due Monday 15:00
    clock.now = paris(2025, 6, 13, 17, 0)  # 1 of the 8 hours used
    transition(ticket, actor=agent, status=Status.WAITING)
    clock.now = paris(2025, 6, 17, 9, 0)  # Tuesday morning
    reply(ticket, actor=seller, body="Here is the screenshot.")
    assert ticket.first_response_due == ticket.next_due_at == paris(2025, 6, 17, 16, 0)


def test_a_first_response_given_during_the_pause_is_in_time(app, clock, seller, agent):
    ticket = new_case(seller)
    clock.now = paris(2025, 6, 13, 16, 30)  # 7.5 hours left
    transition(ticket, actor=agent, status=Status.WAITING)
    clock.now = paris(2025, 6, 17, 12, 0)
    reply(ticket, actor=agent, body="Any news?")  # the case keeps waiting
    assert ticket.status == Status.WAITING
    assert ticket.first_response_at == paris(2025, 6, 17, 12, 0)
    assert ticket.first_response_due == paris(2025, 6, 18, 10, 30)  # 6 h Tuesday + 1.5 h


def test_a_deadline_missed_before_the_pause_stays_missed(app, clock, seller, agent):
    ticket = new_case(seller)  # first response due Monday 15:00
    clock.now = paris(2025, 6, 16, 16, 0)
    transition(ticket, actor=agent, status=Status.WAITING)
    clock.now = paris(2025, 6, 18, 9, 0)
    reply(ticket, actor=seller, body="Hello?")
    assert ticket.first_response_due == ticket.next_due_at == paris(2025, 6, 16, 15, 0)
    assert state(ticket.next_due_at, clock()) == "overdue"


def test_a_resolved_case_reopened_later_goes_on_with_the_time_it_had_left(
    app, clock, seller, agent
):
    clock.now = paris(2025, 6, 16, 9, 0)  # Monday: resolution due Friday 13:00
    ticket = new_case(seller)
    clock.now = paris(2025, 6, 16, 10, 0)
    reply(ticket, actor=agent, body="Done.", status=Status.RESOLVED)
    clock.now = paris(2025, 6, 16, 11, 0)
    transition(ticket, actor=agent, status=Status.CLOSED)  # still 39 hours left
    assert ticket.resolved_at == paris(2025, 6, 16, 10, 0) < ticket.resolution_due
    clock.now = paris(2025, 6, 30, 9, 0)  # two weeks later the seller reopens it
    reply(ticket, actor=seller, body="It happened again.")
    assert ticket.status == Status.OPEN
    assert ticket.resolution_due == ticket.next_due_at == paris(2025, 7, 4, 12, 0)


def test_guarantee_claims_run_around_the_clock(app, clock, seller, agent):
    clock.now = paris(2025, 3, 28, 12, 0)  # Friday before the clocks go forward
    ticket = new_case(seller, "guarantee_claim")
    assert ticket.first_response_due == paris(2025, 3, 30, 13, 0)  # 48 real hours
    assert ticket.resolution_due == paris(2025, 4, 7, 13, 0)  # 10 days
    clock.now = paris(2025, 3, 29, 12, 0)
    transition(ticket, actor=agent, status=Status.WAITING)  # 24 hours left
    clock.now = paris(2025, 3, 31, 8, 0)
    reply(ticket, actor=seller, body="Tracking number attached.")
    assert ticket.first_response_due == ticket.next_due_at == paris(2025, 4, 1, 8, 0)


def test_due_states(make_app):
    now = datetime(2025, 6, 16, 12, 0, tzinfo=UTC)
    with make_app(SUPPORTDESK_DUE_SOON_HOURS=4).app_context():
        assert state(None, now) is None
        assert state(now - timedelta(minutes=1), now) == "overdue"
        assert state(now, now) == "overdue"
        assert state(now + 4 * HOUR, now) == "due_soon"
        assert state(now + 4 * HOUR + timedelta(seconds=1), now) is None
