"""The authorisation matrix: every route of the desk, on every object of a victim seller, for
every kind of attacker, from ``app.url_map`` and the table in :mod:`.routes`.

* A route missing from the table fails, naming it: a new route cannot slip in unchecked.
* Attackers (anonymous, another seller, agents outside the case's queue, an agent without the
  fraud role, and whoever else the table names) get 403 or 404 (anonymous visitors: the
  sign-in page, or 401 from the API) for every method the route accepts, HEAD as GET; their
  writes change no row of the database.
* No response to anyone, refused or served, holds a marker of an object that actor may not
  read: lists, searches and downloads answer 200 without them; the victim never sees the
  internal note; nobody ever sees a bearer token.
* The owner, or the right agent, does get the data through the same entries, and their writes
  go through, so the refusals above cannot come from routes that are simply broken.

CSRF is off here (``supportdesk.testing``'s base configuration): it is the web-safety suite's.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask

from .routes import ROUTES, VARIABLE, WRITE_METHODS, Probe, path, rule_methods
from .world import (
    ANONYMOUS,
    VISIBLE,
    World,
    changes,
    client_for,
    leaked,
    populate,
    snapshot,
    text_of,
    victim_state,
)

API_PREFIX = "/api/v1/"
#: What an owner's successful request answers: a page, a created object, or a redirect.
DONE = (200, 201, 302, 303)


@pytest.fixture(scope="module")
def desk(desk_factory) -> Flask:
    # Registration on: its form is one more route whose fields must not reach anyone's account.
    return desk_factory(SUPPORTDESK_SELF_REGISTRATION=True)


@pytest.fixture(scope="module")
def world(desk: Flask) -> World:
    return populate(desk)


def modes(rule: str) -> tuple[str, ...]:
    """The API is tried with a bearer token and with the browser session; pages with the session."""
    return ("session", "bearer") if rule.startswith(API_PREFIX) else ("session",)


def call(
    app: Flask, world: World, actor: str, rule: str, method: str, probe: Probe, mode: str
) -> Any:
    kwargs = probe.request(world, method)
    if mode == "bearer":
        client = app.test_client()
        token = world.tokens.get(actor, "sdk_forged-token-of-nobody")
        kwargs["headers"] = {"Authorization": f"Bearer {token}"}
    else:
        client = client_for(app, world, actor)
    url = path(rule, probe.fill(world))
    response = client.open(url, method=method, **kwargs)
    response.sent = f"{url} {kwargs.get('query_string')} {kwargs.get('data')} {kwargs.get('json')}"
    return response


def is_refusal(response: Any, actor: str, rule: str, probe: Probe) -> bool:
    if response.status_code in probe.refusal:
        return True
    if actor != ANONYMOUS:
        return False
    if rule.startswith(API_PREFIX):
        return response.status_code == 401
    location = urlsplit(response.headers.get("Location", ""))
    return response.status_code == 302 and location.path == "/sign-in"


def check(
    world: World, actor: str, rule: str, method: str, probe: Probe, mode: str, response: Any
) -> list[str]:
    """What is wrong with ``actor``'s answer: a server error, a marker they may not see, a
    refusal that did not happen, a list or public page that did not open."""
    where = f"{method} {rule} as {actor} ({mode})"
    status, failures = response.status_code, []
    if status >= 500:
        failures.append(f"{where}: {status}")
    if found := leaked(world, actor, response, response.sent):
        failures.append(f"{where}: answered {status} with {found}")
    if actor in probe.refused and not is_refusal(response, actor, rule, probe):
        failures.append(f"{where}: not refused ({status})")
    elif actor not in probe.refused and method == "GET" and actor in probe.ok and status != 200:
        failures.append(f"{where}: {status}, expected the page")
    return failures


def calls(app: Flask, rule: str) -> Iterator[tuple[str, Probe]]:
    for method in sorted(rule_methods(app)[rule]):
        for probe in ROUTES[rule]:
            if probe.covers(method):
                yield method, probe


def test_every_route_is_in_the_table(desk: Flask):
    accepted = rule_methods(desk)
    missing = sorted(set(accepted) - set(ROUTES))
    assert not missing, f"routes without an entry in tests/security/routes.py: {missing}"
    stale = sorted(set(ROUTES) - set(accepted))
    assert not stale, f"entries in tests/security/routes.py for routes that are gone: {stale}"
    uncovered = [
        f"{method} {rule}"
        for rule, methods in accepted.items()
        for method in methods
        if not any(
            p.covers(method) and (p.refused or p.ok or p.passers or p.owner) for p in ROUTES[rule]
        )
    ]
    assert not uncovered, f"methods the table says nothing about: {uncovered}"
    # A route that takes an object names who must be refused, or says it is public.
    unguarded = [
        rule
        for rule in accepted
        if VARIABLE.search(rule) and not any(p.refused or p.ok for p in ROUTES[rule])
    ]
    assert not unguarded, f"routes with a variable and no attacker named: {unguarded}"


@pytest.mark.parametrize("rule", sorted(ROUTES))
def test_attackers_are_refused_and_nobody_sees_what_is_not_theirs(
    desk: Flask, world: World, rule: str
):
    failures: list[str] = []
    baseline = None  # the database as the last refused write left it, while nothing else ran
    for method, probe in calls(desk, rule):
        writing = method in WRITE_METHODS
        for actor in actors_of(world, probe, writing):
            for mode in modes(rule):
                where = f"{method} {rule} as {actor} ({mode})"
                guarded = writing and actor in probe.refused
                before = (baseline or snapshot(desk)) if guarded else None
                mine = victim_state(desk, world) if writing and actor in probe.passers else None
                response = call(desk, world, actor, rule, method, probe, mode)
                failures += check(world, actor, rule, method, probe, mode, response)
                baseline = None
                if before is not None:
                    baseline = snapshot(desk)
                    if diff := changes(before, baseline):
                        failures.append(f"{where}: refused, yet the database changed: {diff}")
                elif mine is not None and (diff := changes(mine, victim_state(desk, world))):
                    failures.append(f"{where}: the victim's objects changed: {diff}")
        # HEAD is answered by the GET view: the first attacker's HEAD is refused alike.
        if method == "GET" and probe.refused:
            actor = min(probe.refused)
            for mode in modes(rule):
                head = call(desk, world, actor, rule, "HEAD", probe, mode)
                if not is_refusal(head, actor, rule, probe):
                    failures.append(f"HEAD {rule} as {actor} ({mode}): {head.status_code}")
    assert not failures, "\n".join(failures)


def actors_of(world: World, probe: Probe, writing: bool) -> list[str]:
    """Who tries the probe: for a write, the attackers and the passers; for a read, everyone
    (each must see only what is theirs), or only the owner when the address is itself the
    secret that makes them the owner (a password reset link)."""
    if writing:
        return sorted(probe.refused | probe.passers)
    if probe.secret:
        return [probe.owner]
    return sorted(world.users.keys() | {ANONYMOUS})


def test_the_owner_gets_the_data(desk: Flask, world: World):
    """The same entries, for the actor they serve: the page, with the markers the table names."""
    failures, read = [], set()  # the objects read back
    for rule in ROUTES:
        for method, probe in calls(desk, rule):
            if method != "GET" or probe.owner is None:
                continue
            for mode in modes(rule):
                response = call(desk, world, probe.owner, rule, method, probe, mode)
                where = f"GET {rule} as {probe.owner} ({mode})"
                text = text_of(response)
                missing = [world.marker(*m) for m in probe.shows if world.marker(*m) not in text]
                if response.status_code != 200 or missing:
                    failures.append(f"{where}: {response.status_code}, {missing} not shown")
                read |= {obj for obj, _part in probe.shows}
    assert not failures, "\n".join(failures)
    # Every object of the world is read back by someone, but the token (shown to nobody, ever)
    # and the contact form's held files (sent back with the form, never shown by a page).
    assert read == set(VISIBLE) - {"token", "held"}


def test_the_owners_writes_go_through(desk: Flask):
    """Each owner's write, in the table's order, on a world of its own (the victim's stays as
    the attacks found it): accepted, and, for a write, a row changed."""
    twin = populate(desk, name="twin")
    failures = []
    for rule in ROUTES:
        for method, probe in calls(desk, rule):
            if method not in WRITE_METHODS or probe.owner is None:
                continue
            before = snapshot(desk)
            response = call(desk, twin, probe.owner, rule, method, probe, "session")
            where = f"{method} {rule} as {probe.owner}"
            if response.status_code not in DONE or is_refusal(response, probe.owner, rule, probe):
                failures.append(f"{where}: {response.status_code} {text_of(response)[-300:]!r}")
            elif probe.writes and not changes(before, snapshot(desk)):
                failures.append(f"{where}: {response.status_code}, but nothing was written")
            if found := leaked(twin, probe.owner, response, response.sent):
                failures.append(f"{where}: answered with {found}")
    assert not failures, "\n".join(failures)
