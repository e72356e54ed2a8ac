"""Fifty agents press "Take this case" on one case at the same moment, each in their own signed-in
session, against gunicorn with several workers: exactly one gets it, every other one is told
that another agent has taken it. Runs on the configured database (SQLite or PostgreSQL)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from supportdesk.models import Event, Ticket

from .checks import assert_clean_run
from .clients import Browser, Load, hidden
from .processes import Gunicorn

pytestmark = pytest.mark.reliability

AGENTS = 50
LOST = "Another agent has already taken this case."


def test_of_fifty_agents_taking_one_case_exactly_one_wins(desk, report):
    owner = desk.accounts("seller", 1, label="owner")[0]
    agents = desk.accounts("agent", AGENTS, label="agent", agents_of="contact")
    (ref,) = desk.open_cases(owner, ["Payout missing for order 4021-5583-1176"])
    server = Gunicorn(desk, workers=4)
    load = Load()  # keeps every response
    together = threading.Barrier(AGENTS)
    outcomes: dict[int, str] = {}
    pressed: list[float] = []

    def take(agent) -> None:
        browser = Browser(server.base, load.exchanges)
        page = (
            browser.get(f"/staff/cases/{ref}", label="case page")
            if browser.sign_in(agent.email, agent.password)
            else None
        )
        token = hidden(page.text, "csrf_token") if page is not None and page.status == 200 else ""
        together.wait(timeout=300)
        pressed.append(time.monotonic())
        answer = browser.post_form(
            f"/staff/cases/{ref}/take",
            {"csrf_token": token, "next": ""},
            label="take",
            expect=(302,),
        )
        if answer is None or answer.status != 302:
            outcomes[agent.id] = f"answer {answer and answer.status}"
            return
        landing = browser.get(urlsplit(answer.headers["Location"]).path, label="after take")
        text = landing.text if landing is not None else ""
        outcomes[agent.id] = (
            "won" if f"You have taken {ref}." in text else "lost" if LOST in text else "unclear"
        )

    threads = [threading.Thread(target=take, args=(agent,)) for agent in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    server.stop()

    assert_clean_run(load, {"gunicorn": server.output()})
    assert Counter(outcomes.values()) == {"won": 1, "lost": AGENTS - 1}
    (winner,) = [agent_id for agent_id, outcome in outcomes.items() if outcome == "won"]
    engine = sa.create_engine(desk.url)
    with engine.connect() as conn:
        ticket_id, assignee = conn.execute(
            sa.select(Ticket.id, Ticket.assignee_id).where(Ticket.ref == ref)
        ).one()
        claims = conn.execute(
            sa.select(Event.actor_id).where(Event.ticket_id == ticket_id, Event.kind == "claimed")
        ).all()
    engine.dispose()
    assert assignee == winner
    assert claims == [(winner,)]
    report(
        f"{desk.url.split(':')[0]}: {AGENTS} takes sent within "
        f"{(max(pressed) - min(pressed)) * 1000:.0f} ms; one winner, {AGENTS - 1} told it was taken"
    )
