"""Web safety, with CSRF on as in production:

* every state-changing route (each rule of ``app.url_map`` that accepts POST, PUT, PATCH or
  DELETE) refuses a request without a CSRF token, with a forged one and with another session's,
  and changes nothing; the same request with its own session's token goes through. A bearer
  token needs no CSRF token (no cookie, so no forgery); the API with the session does;
* no GET changes the database, for a seller, an agent, an admin and a visitor;
* forms and the API ignore the fields they do not declare (no mass assignment);
* ``next`` redirects stay on the desk, whatever the address is dressed as;
* every kind of response carries the security headers, and the session cookie is HttpOnly,
  SameSite=Lax, and Secure when the desk is reached over HTTPS (directly, or through a proxy
  the desk is told to trust), never because a client says so.
"""

from __future__ import annotations

import html
import io
import logging
import re
import uuid
from collections.abc import Callable
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from supportdesk.accounts import create_token, create_user, password_reset_token
from supportdesk.app import ConfigurationError, create_app
from supportdesk.extensions import db
from supportdesk.models import Message, Queue, Role, Ticket, User
from supportdesk.testing import base_config
from supportdesk_helpcenter.models import HelpSearch

from .routes import ROUTES, WRITE_METHODS, Probe, path, rule_methods
from .world import (
    ADMIN,
    ANONYMOUS,
    OTHER_SELLER,
    PASSWORD,
    SEARCH_WORD,
    TEAM_AGENT,
    VICTIM,
    World,
    changes,
    client_for,
    days_ago,
    fraud_steps,
    populate,
    snapshot,
)

TOKEN_FIELD = re.compile(
    r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"'
)
#: Writes a GET may make, by route and table: the help search adds a row for each search
#: (staff's excepted) for the staff's analytics, "what sellers look for and do not find"
#: (``ADDS_ROWS``); opening an article from a search's results sets, in that search's row, the
#: article it led to (those columns only). Nothing else.
ADDS_ROWS = "rows added"
CLICK = frozenset({"clicked_slug", "clicked_at"})
ANALYTICS: dict[str, dict[str, str | frozenset[str]]] = {
    "/help/search": {"help_searches": ADDS_ROWS},
    "/api/v1/help/search": {"help_searches": ADDS_ROWS},
    "/help/<slug>": {"help_searches": CLICK},
}


def column_allowances(rule: str) -> dict[str, frozenset[str]]:
    return {t: c for t, c in ANALYTICS.get(rule, {}).items() if isinstance(c, frozenset)}


@pytest.fixture(scope="module")
def desk(desk_factory) -> Flask:
    return desk_factory(WTF_CSRF_ENABLED=True, SUPPORTDESK_SELF_REGISTRATION=True)


@pytest.fixture(scope="module")
def world(desk: Flask) -> World:
    return populate(desk)


def csrf_token(client: FlaskClient) -> str:
    """The token of the client's session, as a page of the desk gives it to its forms."""
    page = client.get("/").get_data(as_text=True)
    found = TOKEN_FIELD.search(page)
    assert found, "no CSRF token on the start page"
    return found.group(1) or found.group(2)


def with_token(kwargs: dict[str, Any], token: str | None, api: bool) -> dict[str, Any]:
    """The request's arguments carrying ``token``: a form field, or the API's header."""
    kwargs = dict(kwargs)
    if token is None:
        return kwargs
    if api:
        kwargs["headers"] = {**kwargs.get("headers", {}), "X-CSRFToken": token}
    else:
        kwargs["data"] = {**kwargs.get("data", {}), "csrf_token": token}
    return kwargs


def post_form(client: FlaskClient, url: str, **kwargs: Any) -> Any:
    """A form sent as a browser sends it: with the CSRF token its session was given."""
    return client.post(url, **with_token(kwargs, csrf_token(client), api=False))


def sign_up(desk: Flask) -> User:
    """A new seller account of its own."""
    with desk.app_context():
        return detached(
            create_user(f"seller-{uuid.uuid4().hex[:12]}@example.com", password=PASSWORD)
        )


def detached(user: User) -> User:
    """``user`` loaded and let go of its session, to be read after the context ends."""
    db.session.refresh(user)
    db.session.expunge(user)
    return user


def signed_in(desk: Flask, user: User) -> FlaskClient:
    client = desk.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    return client


def fetch(desk: Flask, query: Callable[[], Any]) -> Any:
    with desk.app_context():
        return query()


# --- CSRF -------------------------------------------------------------------------------------


def write_probe(rule: str, method: str) -> tuple[Probe, str]:
    """The probe and actor of a write that goes through with a valid token: its owner, else
    one who may write through it for themselves."""
    for probe in ROUTES[rule]:
        if probe.covers(method) and probe.owner is not None:
            return probe, probe.owner
    probe = next(p for p in ROUTES[rule] if p.covers(method) and p.passers)
    return probe, min(probe.passers)


def csrf_refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "flask_wtf.csrf"]


def test_every_write_needs_its_own_sessions_token(desk: Flask, caplog: pytest.LogCaptureFixture):
    """Per write, in the table's order (each owner's write finds the state it needs): refused
    without a token, with a forged one and with another session's, nothing written; accepted
    with its own."""
    caplog.set_level(logging.INFO, logger="flask_wtf.csrf")
    world = populate(desk, name="csrf")
    accepted = rule_methods(desk)
    stranger = csrf_token(client_for(desk, world, OTHER_SELLER))  # a valid token, of another
    tokens = {"no": None, "a forged": stranger[::-1], "another session's": stranger}
    failures: list[str] = []
    for rule in ROUTES:
        for method in sorted(accepted[rule] & set(WRITE_METHODS)):
            probe, actor = write_probe(rule, method)
            api = rule.startswith("/api/v1/")
            url = path(rule, probe.fill(world))
            where = f"{method} {rule} as {actor}"
            before = snapshot(desk)
            for name, token in tokens.items():
                client = client_for(desk, world, actor)
                caplog.clear()
                kwargs = with_token(probe.request(world, method), token, api)
                response = client.open(url, method=method, **kwargs)
                expected = (403,) if api else (400,)
                if response.status_code not in expected or not csrf_refusals(caplog):
                    failures.append(f"{where} with {name} token: {response.status_code}")
                if diff := changes(before, after := snapshot(desk)):
                    failures.append(f"{where} with {name} token wrote: {diff}")
                before = after
            client = client_for(desk, world, actor)
            kwargs = with_token(probe.request(world, method), csrf_token(client), api)
            caplog.clear()
            response = client.open(url, method=method, **kwargs)
            if csrf_refusals(caplog) or response.status_code not in (200, 201, 302, 303):
                failures.append(f"{where} with its token: {response.status_code}")
            elif probe.writes and not changes(before, snapshot(desk)):
                failures.append(f"{where} with its token: {response.status_code}, nothing written")
    assert not failures, "\n".join(failures)


def test_a_bearer_token_needs_no_csrf_token_and_the_session_does(desk: Flask, world: World):
    seller = sign_up(desk)
    token = fetch(desk, lambda: create_token(db.session.merge(seller)))
    new_case = {
        "type": "contact",
        "subject": "Through a script",
        "body": "Hello",
        "fields": {"topic": "payments", "reply_language": "en"},
    }
    by_token = desk.test_client().post(
        "/api/v1/tickets", json=new_case, headers={"Authorization": f"Bearer {token}"}
    )
    assert by_token.status_code == 201, by_token.get_data(as_text=True)
    browser = signed_in(desk, seller)
    refused = browser.post("/api/v1/tickets", json=new_case)
    assert refused.status_code == 403
    assert refused.mimetype == "application/problem+json"
    assert refused.get_json()["type"].endswith("/csrf-failed")
    allowed = browser.post(
        "/api/v1/tickets", json=new_case, headers={"X-CSRFToken": csrf_token(browser)}
    )
    assert allowed.status_code == 201
    count = fetch(
        desk,
        lambda: db.session.scalar(sa.select(sa.func.count()).where(Ticket.seller_id == seller.id)),
    )
    assert count == 2


def test_a_visitors_contact_form_without_a_token_keeps_only_their_draft(desk: Flask):
    """By design the contact form keeps what a visitor wrote while their session ended (it
    asks them to sign in, then fills the form again): no case, no row, whatever they post."""
    before = snapshot(desk)
    response = desk.test_client().post(
        "/contact", data={"subject": "Help", "body": "My payout", "topic": "payments"}
    )
    assert response.status_code == 303
    assert "draft=" in response.headers["Location"]
    assert not changes(before, snapshot(desk))


# --- no GET writes, and the headers of every page ------------------------------------------


def security_header_problems(response: Any) -> list[str]:
    headers, problems = response.headers, []
    policy = headers.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    if directives.get("frame-ancestors") != ["'none'"]:
        problems.append(f"frame-ancestors in {policy!r}")
    scripts = directives.get("script-src", directives.get("default-src"))
    if scripts is None or "'unsafe-inline'" in scripts or "*" in scripts:
        problems.append(f"scripts in {policy!r}")
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("X-Content-Type-Options")
    if headers.get("Referrer-Policy") not in ("same-origin", "no-referrer", "strict-origin"):
        problems.append(f"Referrer-Policy {headers.get('Referrer-Policy')!r}")
    return problems


@pytest.mark.parametrize("actor", [VICTIM, TEAM_AGENT, ADMIN, ANONYMOUS])
def test_no_get_changes_the_database(desk: Flask, world: World, actor: str):
    """Every GET route, with its variables filled from the route table, as a seller, an agent,
    an admin and a visitor: a snapshot of every table (rows, as text) before and after each;
    only the help search's analytics may add rows, to its own table. Every answer carries the
    security headers too."""
    failures: list[str] = []
    before = snapshot(desk)
    for rule, methods in sorted(rule_methods(desk).items()):
        if "GET" not in methods:
            continue
        for probe in ROUTES[rule]:
            if not probe.covers("GET"):
                continue
            client = client_for(desk, world, actor)
            columns = column_allowances(rule)
            others_before = snapshot(desk, without=columns) if columns else None
            response = client.get(path(rule, probe.fill(world)), **probe.request(world, "GET"))
            where = f"GET {rule} as {actor} ({response.status_code})"
            if response.status_code >= 500:
                failures.append(where)
            if problems := security_header_problems(response):
                failures.append(f"{where}: {problems}")
            after = snapshot(desk)
            others_after = snapshot(desk, without=columns) if columns else None
            for table, diff in changes(before, after).items():
                allowed = ANALYTICS.get(rule, {}).get(table)
                if allowed == ADDS_ROWS:
                    fine = set(before[table]) <= set(after[table])
                else:  # only the allowed columns of existing rows changed
                    fine = table in columns and others_before[table] == others_after[table]
                if not fine:
                    failures.append(f"{where} changed {table}: {diff}")
            before = after
    assert not failures, "\n".join(failures)


def test_the_help_search_records_what_sellers_look_for(desk: Flask, world: World):
    """The one write a GET may make happens, for sellers only: the allowance above is for a
    write that is really there."""

    def searches() -> int:
        return len(snapshot(desk)["help_searches"])

    before = searches()
    assert client_for(desk, world, VICTIM).get(f"/help/search?q={SEARCH_WORD}").status_code == 200
    assert searches() == before + 1
    assert (
        client_for(desk, world, TEAM_AGENT).get(f"/help/search?q={SEARCH_WORD}").status_code == 200
    )
    assert searches() == before + 1  # staff trying the search do not skew the analytics


def test_opening_an_article_records_the_click_of_the_searchers_own_search(
    desk: Flask, world: World
):
    """The click allowance is for a write that is really there, in the searcher's row only:
    another seller, a visitor or staff naming the victim's search write nothing."""

    def clicked() -> list[Any]:
        return fetch(
            desk,
            lambda: db.session.scalars(
                sa.select(HelpSearch.clicked_slug).order_by(HelpSearch.id)
            ).all(),
        )

    def search_id() -> int:
        def add() -> int:
            search = HelpSearch(query="payout", normalised="payout", locale="en")
            search.seller_id = world.users[VICTIM]
            db.session.add(search)
            db.session.commit()
            return search.id

        return fetch(desk, add)

    victims = search_id()
    article = f"/help/{world.published_slug}?lang=en&from={victims}"
    before = clicked()
    for actor in (OTHER_SELLER, ANONYMOUS, TEAM_AGENT):
        assert client_for(desk, world, actor).get(article).status_code == 200
    assert clicked() == before
    assert client_for(desk, world, VICTIM).get(article).status_code == 200
    assert clicked() != before and world.published_slug in clicked()


# --- mass assignment --------------------------------------------------------------------------


def case_of(desk: Flask, seller: User) -> dict[str, Any]:
    """The seller's newest case, as the columns an attacker would like to set."""

    def read() -> dict[str, Any]:
        ticket = db.session.scalar(
            sa.select(Ticket).where(Ticket.seller_id == seller.id).order_by(Ticket.id.desc())
        )
        return {
            "type": ticket.type_key,
            "status": ticket.status,
            "priority": ticket.priority,
            "assignee": ticket.assignee_id,
            "queue": ticket.queue.key,
            "seller": ticket.seller_id,
            "fields": dict(ticket.fields or {}),
            "risk": ticket.risk_score,
            "ref": ticket.ref,
            "messages": [(m.author_id, m.internal) for m in ticket.messages],
        }

    return fetch(desk, read)


@pytest.fixture
def extras(desk: Flask, world: World) -> dict[str, str]:
    """Fields no form declares, set to what an attacker would want."""
    fraud_queue = fetch(
        desk, lambda: db.session.scalar(sa.select(Queue.id).where(Queue.key == "fraud"))
    )
    return {
        "status": "resolved",
        "seller_id": str(world.users[OTHER_SELLER]),
        "role": "admin",
        "priority": "urgent",
        "assignee_id": str(world.users[TEAM_AGENT]),
        "queue_id": str(fraud_queue),
        "is_staff": "y",
        "active": "n",
        "internal": "y",
        "author_id": str(world.users[TEAM_AGENT]),
        "type_key": "fraud_report",
        "risk_score": "-100",
        "outcome": "unfounded",
        "decision": "remove",
        "published": "y",
        "helpful_yes": "999",
        "session_version": "99",
        "ref": "SD-AAAA-AAAA",
    }


def test_registration_takes_no_role(desk: Flask, extras: dict[str, str]):
    client = desk.test_client()
    response = post_form(
        client,
        "/register",
        data={
            "name": "Eve",
            "email": "eve@example.com",
            "password": "long enough password",
            "confirm": "long enough password",
            **extras,
        },
    )
    assert response.status_code == 302
    eve = fetch(
        desk,
        lambda: db.session.scalar(sa.select(User).where(User.email == "eve@example.com")),
    )
    assert (eve.role, eve.active, eve.session_version) == (Role.SELLER, True, 1)
    assert fetch(desk, lambda: db.session.get(User, eve.id).queues) == []
    assert client.get("/staff/").status_code == 403


def test_the_contact_form_takes_only_its_fields(desk: Flask, extras: dict[str, str]):
    seller = sign_up(desk)
    client = signed_in(desk, seller)
    form = {
        "topic": "payments",
        "subject": "Where is my payout",
        "body": "It is late.",
        "reply_language": "en",
        "idempotency_key": "m" * 24,
        "choice": "new",
    }
    response = post_form(client, "/contact", data={**form, **extras})
    assert response.status_code == 303, response.get_data(as_text=True)
    case = case_of(desk, seller)
    assert case["type"] == "contact" and case["queue"] == "seller_support"
    assert (case["status"], case["priority"], case["assignee"]) == ("new", "normal", None)
    assert case["seller"] == seller.id and case["ref"] != extras["ref"]
    assert case["fields"] == {"topic": "payments", "reply_language": "en"}
    assert case["messages"] == [(seller.id, False)] and case["risk"] >= 0


def test_the_fraud_intake_takes_only_its_fields(desk: Flask, extras: dict[str, str]):
    seller = sign_up(desk)
    client = signed_in(desk, seller)
    for step, values in fraud_steps("Paid, then reversed.", "Jo Smith42").items():
        response = post_form(
            client, f"/fraud/report/{step}", data={**values, **extras, "go": "next"}
        )
        assert response.status_code == 302, (step, response.get_data(as_text=True)[-2000:])
    evidence = {**extras, "evidence": (io.BytesIO(b"what I saw\n"), "seen.txt")}
    response = post_form(client, "/fraud/report/evidence", data=evidence)
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    case = case_of(desk, seller)
    assert case["type"] == "fraud_report" and case["queue"] == "fraud"
    assert (case["status"], case["priority"], case["assignee"]) == ("new", "normal", None)
    assert "outcome" not in case["fields"] and case["seller"] == seller.id
    assert case["messages"] == [(seller.id, False)]


def test_the_guarantee_claim_takes_only_its_fields(desk: Flask, extras: dict[str, str]):
    seller = sign_up(desk)
    client = signed_in(desk, seller)
    coverage = {"order_kind": "marketplace", "order_date": days_ago(3), "go": "next"}
    assert post_form(client, "/fraud/report/coverage", data=coverage).status_code == 302
    claim = {"order_id": "402-1", "claim_reason": "not_received", "description": "Lost."}
    response = post_form(client, "/fraud/claim", data={**claim, **extras})
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    case = case_of(desk, seller)
    assert case["type"] == "guarantee_claim"
    assert (case["status"], case["priority"], case["assignee"]) == ("new", "normal", None)
    assert set(case["fields"]) == {"claim_reason", "order_date"}


def test_a_dispute_takes_only_its_fields(desk: Flask, extras: dict[str, str]):
    seller = sign_up(desk)
    client = signed_in(desk, seller)
    dispute = {
        "order_id": "ORDER-55",
        "feedback_date": days_ago(1),
        "rating": "1",
        "feedback_text": "Slow parcel",
        "reason": "other",
        "explanation": "It was on time.",
    }
    response = post_form(client, "/disputes/new", data={**dispute, **extras})
    assert response.status_code == 303, response.get_data(as_text=True)[-2000:]
    case = case_of(desk, seller)
    assert case["type"] == "feedback_dispute" and "decision" not in case["fields"]
    assert (case["status"], case["priority"], case["seller"]) == ("new", "normal", seller.id)


def test_replies_and_notes_take_only_their_fields(
    desk: Flask, world: World, extras: dict[str, str]
):
    seller = sign_up(desk)
    seller_client = signed_in(desk, seller)
    form = {
        "topic": "orders",
        "subject": "A question",
        "body": "Hello",
        "reply_language": "en",
        "idempotency_key": "r" * 24,
        "choice": "new",
    }
    assert post_form(seller_client, "/contact", data=form).status_code == 303
    ref = case_of(desk, seller)["ref"]
    assert (
        post_form(seller_client, f"/cases/{ref}/reply", data={"body": "More", **extras}).status_code
        == 302
    )
    agent = client_for(desk, world, TEAM_AGENT)
    staff_reply = {"reply-body": "Answer", "reply-send": "Send reply", **extras}
    assert post_form(agent, f"/staff/cases/{ref}/reply", data=staff_reply).status_code == 302
    note = {"note-body": "Between us", **{**extras, "internal": "n", "note-internal": "n"}}
    assert post_form(agent, f"/staff/cases/{ref}/note", data=note).status_code == 302
    case = case_of(desk, seller)
    team = world.users[TEAM_AGENT]
    assert case["messages"] == [(seller.id, False), (seller.id, False), (team, False), (team, True)]
    assert (case["priority"], case["queue"], case["assignee"]) == ("normal", "seller_support", None)
    assert case["seller"] == seller.id and case["type"] == "contact"
    assert post_form(seller_client, f"/cases/{ref}/close", data=extras).status_code == 302
    rated = post_form(seller_client, f"/cases/{ref}/rate", data={"rating": "4", **extras})
    assert rated.status_code == 302
    assert case_of(desk, seller)["status"] == "closed"


def test_staff_forms_take_only_their_fields(desk: Flask, world: World, extras: dict[str, str]):
    admin = client_for(desk, world, ADMIN)
    canned = {"title": "Thanks", "body": "Thank you.", "locale": "", "queue": "", "id": "1"}
    assert post_form(admin, "/staff/canned/new", data=canned).status_code == 302
    article = {
        "slug": "mass-assignment",
        "locale": "en",
        "title": "Drafted",
        "category": "orders",
        "body": "Text.",
        "save": "Save",
        "body_html": "<script>alert(1)</script>",
        **extras,
    }
    agent = client_for(desk, world, TEAM_AGENT)
    assert post_form(agent, "/help/manage/new", data=article).status_code == 302

    def stored() -> tuple[Any, ...]:
        from supportdesk_helpcenter.models import Article

        row = db.session.scalar(sa.select(Article).where(Article.slug == "mass-assignment"))
        original = db.session.get(type(row), world.article_id)
        return row.published, row.helpful_yes, "<script" in row.body_html, original.title

    published, helpful, script, original_title = fetch(desk, stored)
    assert (published, helpful, script) == (False, 0, False)
    assert "Unreleased" in original_title


def test_settings_forms_take_only_their_fields(desk: Flask, extras: dict[str, str]):
    """The language switch and the new password of a reset link: the account's language and
    password change, nothing else of it."""
    seller = sign_up(desk)
    client = signed_in(desk, seller)
    changed = {"locale": "fr", "email": "taken@example.com", "name": "Renamed", **extras}
    assert post_form(client, "/language", data=changed).status_code == 302
    link = fetch(desk, lambda: password_reset_token(db.session.get(User, seller.id)))
    password = {"password": "another long password", "confirm": "another long password"}
    response = post_form(
        desk.test_client(), f"/password-reset/{link}", data={**password, **changed}
    )
    assert response.status_code == 303, response.get_data(as_text=True)[-2000:]
    user = fetch(desk, lambda: detached(db.session.get(User, seller.id)))
    assert (user.locale, user.email, user.name, user.role, user.active) == (
        "fr",
        seller.email,
        seller.name,
        Role.SELLER,
        True,
    )
    assert user.check_password("another long password")
    assert user.session_version == seller.session_version + 1  # not the 99 it was sent


def test_the_api_never_applies_undeclared_keys(desk: Flask, world: World, extras: dict[str, str]):
    seller = sign_up(desk)
    headers = {
        "Authorization": f"Bearer {fetch(desk, lambda: create_token(db.session.merge(seller)))}"
    }
    client = desk.test_client()
    body = {
        "type": "contact",
        "subject": "Via the API",
        "body": "Hello",
        "fields": {"topic": "payments", "reply_language": "en"},
        "status": "resolved",
        "priority": "urgent",
        "seller_id": world.users[OTHER_SELLER],
        "assignee_id": world.users[TEAM_AGENT],
        "queue_id": 1,
        "risk_score": -100,
        "ref": "SD-AAAA-AAAA",
        "internal": True,
    }
    created = client.post("/api/v1/tickets", json=body, headers=headers)
    assert created.status_code in (201, 400, 422), created.get_data(as_text=True)
    if created.status_code == 201:
        case = case_of(desk, seller)
        assert (case["status"], case["priority"], case["assignee"]) == ("new", "normal", None)
        assert case["seller"] == seller.id and case["ref"] != "SD-AAAA-AAAA"
        assert case["queue"] == "seller_support" and case["messages"] == [(seller.id, False)]
    staff_field = {**body, "fields": {"topic": "payments", "reply_language": "en", "outcome": "x"}}
    assert client.post("/api/v1/tickets", json=staff_field, headers=headers).status_code in (
        400,
        422,
    )
    ref = case_of(desk, seller)["ref"]
    other = world.refs["contact"]
    message = {
        "body": "More",
        "author_id": world.users[TEAM_AGENT],
        "ticket_id": other,
        "via": "email",
    }
    added = client.post(f"/api/v1/tickets/{ref}/messages", json=message, headers=headers)
    assert added.status_code in (201, 400, 422), added.get_data(as_text=True)
    as_note = client.post(
        f"/api/v1/tickets/{ref}/messages", json={"body": "x", "internal": True}, headers=headers
    )
    assert as_note.status_code == 422
    authors = fetch(
        desk,
        lambda: db.session.execute(
            sa.select(Message.author_id, Message.internal, Message.via)
            .join(Ticket)
            .where(Ticket.ref == ref)
        ).all(),
    )
    assert all(author == seller.id and not internal for author, internal, _via in authors)
    assert all(via != "email" for _author, _internal, via in authors)


# --- next= ------------------------------------------------------------------------------------

HOSTILE_TARGETS = [
    "https://evil.example",
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "http:evil.example",
    "javascript:alert(1)",
    "%2F%2Fevil.example",
    "/%2F/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "\t//evil.example",
    "/\r\nSet-Cookie: planted=1",
    " //evil.example",
    "///evil.example",
    "https:/\\evil.example",
]


def lands_on_the_desk(response: Any) -> bool:
    """Where a browser goes with this redirect: browsers drop tabs and line breaks and read
    ``\\`` as ``/`` before they resolve the address against the page's."""
    location = response.headers.get("Location", "")
    planted = any("planted" in cookie for cookie in response.headers.getlist("Set-Cookie"))
    if response.status_code not in (301, 302, 303) or planted:
        return False
    cleaned = re.sub(r"[\t\n\r]", "", location).strip().replace("\\", "/")
    target = urlsplit(urljoin("http://localhost/sign-in", cleaned))
    return target.scheme == "http" and target.netloc == "localhost"


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_sign_in_redirects_only_to_the_desk(desk: Flask, target: str):
    user = sign_up(desk)
    for how in ("form", "query"):
        client = desk.test_client()
        data = {"email": user.email, "password": PASSWORD}
        if how == "form":
            response = post_form(client, "/sign-in", data={**data, "next": target})
        else:
            page = client.get("/sign-in", query_string={"next": target})
            assert page.status_code == 200
            # The sign-in form's own field (the language switch has a "next" too).
            hidden = re.search(r'id="next" name="next"[^>]*value="([^"]*)"', page.text)
            sent = html.unescape(hidden.group(1)) if hidden else ""
            response = post_form(client, "/sign-in", data={**data, "next": sent})
        assert lands_on_the_desk(response), (
            how,
            response.status_code,
            response.headers.get("Location"),
        )


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_other_redirects_only_to_the_desk(desk: Flask, world: World, target: str):
    seller = signed_in(desk, sign_up(desk))
    response = post_form(seller, "/language", data={"locale": "en", "next": target})
    assert lands_on_the_desk(response), response.headers.get("Location")
    agent = client_for(desk, world, TEAM_AGENT)
    response = post_form(
        agent, f"/staff/cases/{world.refs['contact_twin']}/take", data={"next": target}
    )
    assert lands_on_the_desk(response), response.headers.get("Location")


def test_a_relative_next_is_followed(desk: Flask, world: World):
    user = sign_up(desk)
    response = post_form(
        desk.test_client(),
        "/sign-in",
        data={"email": user.email, "password": PASSWORD, "next": "/cases?filter=open"},
    )
    assert response.headers["Location"] == "/cases?filter=open"
    response = post_form(signed_in(desk, user), "/language", data={"locale": "en", "next": "/help"})
    assert response.headers["Location"] == "/help"


# --- headers and cookies -------------------------------------------------------------------


def test_every_kind_of_response_carries_the_security_headers(desk: Flask, world: World):
    bearer = {"Authorization": f"Bearer {world.tokens[TEAM_AGENT]}"}
    team = client_for(desk, world, TEAM_AGENT)
    anonymous = desk.test_client()
    answers = {
        "HTML page": anonymous.get("/"),
        "HTML 404": anonymous.get("/no-such-page"),
        "HTML 405": anonymous.delete("/help"),
        "HTML 400 (CSRF)": anonymous.post("/language", data={"locale": "fr"}),
        "redirect": anonymous.get("/cases"),
        "static file": anonymous.get("/_desk/static/desk.css"),
        "JSON API": anonymous.get("/api/v1/tickets", headers=bearer),
        "problem 404": anonymous.get("/api/v1/tickets/SD-0000-0000", headers=bearer),
        "problem 405": anonymous.delete("/api/v1/tickets", headers=bearer),
        "problem 400": anonymous.get("/api/v1/help/search"),
        "problem 401": anonymous.get("/api/v1/tickets"),
        "attachment": team.get(f"/files/{world.files['contact']}"),
        "evidence pack": team.get(f"/staff/fraud/{world.refs['fraud_report']}/evidence.zip"),
    }
    statuses = {name: response.status_code for name, response in answers.items()}
    assert statuses == {
        "HTML page": 200,
        "HTML 404": 404,
        "HTML 405": 405,
        "HTML 400 (CSRF)": 400,
        "redirect": 302,
        "static file": 200,
        "JSON API": 200,
        "problem 404": 404,
        "problem 405": 405,
        "problem 400": 400,
        "problem 401": 401,
        "attachment": 200,
        "evidence pack": 200,
    }
    problems = {name: security_header_problems(r) for name, r in answers.items()}
    assert {name: p for name, p in problems.items() if p} == {}


def cookies_set(response: Any) -> dict[str, SimpleCookie]:
    found = {}
    for header in response.headers.getlist("Set-Cookie"):
        cookie = SimpleCookie()
        cookie.load(header)
        for name, morsel in cookie.items():
            found[name] = morsel
    return found


def sign_in(app: Flask, user: User, base_url: str = "http://localhost", **headers: str) -> Any:
    """Through the form, as a browser: the page that holds it is its ``Referer`` (which
    Flask-WTF requires over HTTPS), on the address the browser sees."""
    client = app.test_client()
    page = client.get("/sign-in", base_url=base_url, headers=headers)
    token = TOKEN_FIELD.search(page.get_data(as_text=True))
    scheme = headers.get("X-Forwarded-Proto") or urlsplit(base_url).scheme
    referer = {"Referer": f"{scheme}://{urlsplit(base_url).netloc}/sign-in"}
    return client.post(
        "/sign-in",
        base_url=base_url,
        headers={**headers, **referer},
        data={
            "email": user.email,
            "password": PASSWORD,
            "csrf_token": token.group(1) or token.group(2),
        },
    )


def file_by_token(app: Flask, token: str, **headers: str) -> Any:
    """A contact case filed through the API with ``token``, sent with ``headers`` (a proxy's):
    the ``Location`` of the answer shows the address the desk believes it is served on."""
    return app.test_client().post(
        "/api/v1/tickets",
        json={
            "type": "contact",
            "subject": "s",
            "body": "b",
            "fields": {"topic": "payments", "reply_language": "en"},
        },
        headers={"Authorization": f"Bearer {token}", **headers},
    )


def test_the_session_cookie_is_httponly_lax_and_not_secure_on_plain_http(desk: Flask):
    response = sign_in(desk, sign_up(desk))
    assert response.status_code == 302
    cookies = cookies_set(response)
    # The only cookie the desk sets: the language, the CSRF token and the sign-in live in it
    # (no remember-me cookie).
    assert set(cookies) == {"session"}
    session = cookies["session"]
    assert session["httponly"] and session["samesite"] == "Lax"
    assert not session["secure"]  # the quick start runs on http://localhost


def test_the_session_cookie_is_secure_over_https(desk: Flask):
    response = sign_in(desk, sign_up(desk), base_url="https://localhost")
    assert response.status_code == 302
    session = cookies_set(response)["session"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"


def test_behind_a_trusted_proxy_https_is_believed(desk_factory: Callable[..., Flask]):
    proxied = desk_factory(WTF_CSRF_ENABLED=True, SUPPORTDESK_TRUSTED_PROXIES=1)
    with proxied.app_context():
        user = create_user("proxied@example.com", password=PASSWORD)
        token = create_token(user)
        user = detached(user)
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    response = sign_in(proxied, user, **https)
    assert response.status_code == 302
    assert cookies_set(response)["session"]["secure"]
    created = file_by_token(proxied, token, **https)
    assert created.headers["Location"].startswith("https://")


def test_a_forged_forwarded_proto_changes_nothing_without_a_trusted_proxy(
    desk: Flask, world: World
):
    forged = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}
    response = sign_in(desk, sign_up(desk), **forged)
    assert response.status_code == 302
    assert not cookies_set(response)["session"]["secure"]
    created = file_by_token(desk, world.tokens[OTHER_SELLER], **forged)
    assert created.headers["Location"].startswith("http://localhost/")


@pytest.mark.parametrize("hops", [-1, "two", True, 1.5])
def test_a_nonsense_number_of_proxies_stops_the_start(tmp_path, hops: Any):
    with pytest.raises(ConfigurationError, match="SUPPORTDESK_TRUSTED_PROXIES"):
        create_app({**base_config(tmp_path), "SUPPORTDESK_TRUSTED_PROXIES": hops})


def test_the_number_of_proxies_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SUPPORTDESK_TRUSTED_PROXIES", "2")
    app = create_app(base_config(tmp_path))
    assert app.config["SUPPORTDESK_TRUSTED_PROXIES"] == 2
    assert app.wsgi_app.x_proto == 2


def test_a_rate_limited_answer_carries_the_security_headers_too(
    desk_factory: Callable[..., Flask],
):
    """Last in the module: Flask-Limiter keeps one switch for every application, and this desk
    turns it on."""
    limited = desk_factory(RATELIMIT_ENABLED=True, SUPPORTDESK_API_RATE_LIMIT="1 per minute")
    with limited.app_context():
        token = create_token(create_user("limited@example.com"))
    client = limited.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/tickets", headers=bearer).status_code == 200
    refused = client.get("/api/v1/tickets", headers=bearer)
    assert refused.status_code == 429 and refused.mimetype == "application/problem+json"
    assert security_header_problems(refused) == []
