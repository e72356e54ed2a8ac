"""Abuse limits: sign-in, password reset, case filing (every way), fraud reports and disputes
answer 429 with ``Retry-After`` after the configured count, and not for another seller,
address or account; with Redis the count is shared by every process.

The first part runs in process (memory counters, small counts). The second starts real server
processes (gunicorn) on one database and talks to them over HTTP from several loopback
addresses (127.0.0.x, a different client address each): two processes on one Redis count one
total; without Redis each counts alone; with Redis gone the desk keeps answering.
"""

from __future__ import annotations

import http.client
import io
import json
import os
import re
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import redis
import sqlalchemy as sa
from flask import Flask
from limits.storage import MemoryStorage

from supportdesk import ConfigurationError
from supportdesk.accounts import create_token, create_user
from supportdesk.config import settings_from_env
from supportdesk.extensions import db
from supportdesk.models import Outbox, Ticket, User, utcnow
from supportdesk.plugins import PluginError
from supportdesk.rate_limits import MemoryCounters
from tests.servers import GunicornServer, free_port, server_environment

PASSWORD = "correct horse battery"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
#: Redis for the cross-process tests: database 3 of the local server unless told otherwise.
REDIS_URL = os.environ.get("SUPPORTDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/3")


def limited_desk(make_app: Callable[..., Flask], **limits: Any) -> Flask:
    """A desk with rate limits on (the test configuration switches them off)."""
    return make_app(RATELIMIT_ENABLED=True, **limits)


def from_address(address: str) -> dict[str, Any]:
    return {"environ_base": {"REMOTE_ADDR": address}}


def retry_after(response) -> int:
    value = int(response.headers["Retry-After"])
    assert value > 0
    return value


def count(model) -> int:
    db.session.commit()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def signed_in(app: Flask, user: User):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
    return client


# --- sign-in -----------------------------------------------------------------------------------


def sign_in(client, email: str, password: str = "wrong guess", address: str = "10.0.0.1"):  # noqa: S107
    data = {"email": email, "password": password}
    return client.post("/sign-in", data=data, **from_address(address))


def test_sign_in_per_address(make_app):
    app = limited_desk(make_app, SUPPORTDESK_LOGIN_RATE_LIMIT="3 per minute")
    with app.app_context():
        client = app.test_client()
        codes = [sign_in(client, f"guess{n}@example.com").status_code for n in range(4)]
        assert codes == [200, 200, 200, 429]
        refused = sign_in(client, "typed@example.com")
        retry_after(refused)
        page = refused.get_data(as_text=True)
        assert "Too many requests" in page and "Please try again in 1 minute." in page
        assert 'value="typed@example.com"' in page  # what was typed is kept…
        assert "wrong guess" not in page  # …but never a password
        # Another address is not affected.
        assert sign_in(client, "guess@example.com", address="10.0.0.2").status_code == 200


def test_sign_in_per_account_stops_a_guess_spread_over_many_addresses(make_app):
    app = limited_desk(
        make_app,
        SUPPORTDESK_LOGIN_RATE_LIMIT="100 per minute",
        SUPPORTDESK_LOGIN_ACCOUNT_RATE_LIMIT="3 per hour",
    )
    with app.app_context():
        victim = create_user("victim@example.com", password=PASSWORD)
        create_user("neighbour@example.com", password=PASSWORD)
        client = app.test_client()
        # The owner signing in does not count: only failures do.
        for n in range(5):
            assert sign_in(client, victim.email, PASSWORD, f"10.1.0.{n}").status_code == 302
        guesses = [sign_in(client, " Victim@Example.com", address=f"10.2.0.{n}") for n in range(3)]
        assert [g.status_code for g in guesses] == [200, 200, 200]
        stopped = sign_in(client, victim.email, PASSWORD, "10.2.0.99")  # even the right one
        assert stopped.status_code == 429
        retry_after(stopped)
        assert "Please try again in 60 minutes." in stopped.get_data(as_text=True)
        french = client.post(
            "/sign-in",
            data={"email": victim.email, "password": "x"},
            headers={"Accept-Language": "fr"},
            **from_address("10.2.0.100"),
        )
        assert french.status_code == 429
        assert "Trop de requêtes" in french.get_data(as_text=True)
        assert "Veuillez réessayer dans 60 minutes." in french.get_data(as_text=True)
        # Another account is not affected, nor is an unknown address treated differently.
        assert sign_in(client, "neighbour@example.com", PASSWORD, "10.2.0.1").status_code == 302
        nobody = [sign_in(client, "nobody@example.com", address=f"10.3.0.{n}") for n in range(4)]
        assert [g.status_code for g in nobody] == [200, 200, 200, 429]


# --- password reset ----------------------------------------------------------------------------


def ask_for_reset(client, email: str, address: str = "10.0.0.1"):
    return client.post("/password-reset", data={"email": email}, **from_address(address))


def test_password_reset_per_address(make_app):
    app = limited_desk(make_app, SUPPORTDESK_PASSWORD_RESET_RATE_LIMIT="3 per hour")
    with app.app_context():
        client = app.test_client()
        codes = [ask_for_reset(client, f"user{n}@example.com").status_code for n in range(4)]
        assert codes == [303, 303, 303, 429]
        refused = ask_for_reset(client, "kept@example.com")
        retry_after(refused)
        page = refused.get_data(as_text=True)
        assert "Too many requests" in page and 'value="kept@example.com"' in page
        assert ask_for_reset(client, "user9@example.com", "10.0.0.2").status_code == 303


def test_password_reset_per_email_address_known_or_not(make_app):
    app = limited_desk(
        make_app,
        SUPPORTDESK_PASSWORD_RESET_RATE_LIMIT="100 per hour",
        SUPPORTDESK_PASSWORD_RESET_EMAIL_RATE_LIMIT="2 per hour",
    )
    with app.app_context():
        create_user("known@example.com", password=PASSWORD)
        client = app.test_client()
        for email in ("known@example.com", "unknown@example.com"):  # the same count for both
            answers = [ask_for_reset(client, email, f"10.4.{len(email)}.{n}") for n in range(3)]
            assert [a.status_code for a in answers] == [303, 303, 429], email
            retry_after(answers[-1])
        assert count(Outbox) == 2  # two mails, however often the address was asked for
        assert ask_for_reset(client, "other@example.com", "10.4.0.1").status_code == 303


# --- case filing: the contact form and the API, one counter --------------------------------------


def contact_form(n: int, **changes: str) -> dict[str, str]:
    values = {
        "topic": "payments",
        "subject": f"Payout missing {n}",
        "body": f"My payout number {n} has not arrived.",
        "reply_language": "en",
        "idempotency_key": f"contact-form-key-{n:012d}",
        "seen_suggestions": "1",
    }
    return {**values, **changes}


def api_case(client, token: str, n: int, **changes: Any):
    body = {"type": "contact", "subject": f"API case {n}", "body": "Sent by our tool.", **changes}
    return client.post("/api/v1/tickets", json=body, headers={"Authorization": f"Bearer {token}"})


def test_the_contact_form_and_the_api_share_the_sellers_filing_counter(make_app):
    app = limited_desk(make_app, SUPPORTDESK_CONTACT_RATE_LIMIT="3 per hour")
    with app.app_context():
        seller = create_user("busy@example.com", password=PASSWORD)
        other = create_user("other@example.com", password=PASSWORD)
        token, other_token = create_token(seller), create_token(other)
        web, api = signed_in(app, seller), app.test_client()
        assert web.post("/contact", data=contact_form(1)).status_code == 303
        # Refused input and a replayed Idempotency-Key do not count.
        assert api_case(api, token, 0, subject="").status_code == 422
        replay = {"Authorization": f"Bearer {token}", "Idempotency-Key": "same-call-1"}
        body = {"type": "contact", "subject": "Retried", "body": "Sent twice."}
        codes = [api.post("/api/v1/tickets", json=body, headers=replay).status_code for _ in "12"]
        assert codes == [201, 201]
        assert web.post("/contact", data=contact_form(2)).status_code == 303
        over = api_case(api, token, 4)
        assert over.status_code == 429
        assert over.mimetype == "application/problem+json"
        assert over.get_json()["type"].endswith("/rate-limited")
        retry_after(over)
        over_form = web.post("/contact", data=contact_form(5, body="Kept words."))
        assert over_form.status_code == 429 and "Kept words." in over_form.get_data(as_text=True)
        retry_after(over_form)
        assert count(Ticket) == 3
        # Another seller, from the same address, files as usual.
        assert api_case(api, other_token, 6).status_code == 201


# --- fraud reports and guarantee claims ----------------------------------------------------------


def days_ago(days: int) -> str:
    return (utcnow() - timedelta(days=days)).date().isoformat()


REPORT_STEPS = {
    "coverage": {"order_kind": "outside", "order_date": ""},
    "category": {"category": "payment"},
    "contact": {"contacted": "y", "contacted_on": days_ago(3), "party_rating": "1"},
    "details": {
        "description": "The buyer paid by bank transfer, then the transfer was reversed.",
        "order_ids": "402-1234567",
        "party": "Jo Smith42",
        "amount": "650",
        "currency": "EUR",
    },
}


def fill_report(client) -> None:
    for step, answers in REPORT_STEPS.items():
        saved = client.post(f"/fraud/report/{step}", data={**answers, "go": "next"})
        assert saved.status_code == 302, step


def send_report(client, files=(("proof.png", PNG),)):
    evidence = [(io.BytesIO(data), name) for name, data in files]
    return client.post(
        "/fraud/report/evidence",
        data={"go": "next", "evidence": evidence},
        content_type="multipart/form-data",
    )


def send_claim(client, description: str):
    client.post(
        "/fraud/report/coverage",
        data={"order_kind": "marketplace", "go": "next", "order_date": days_ago(5)},
    )
    return client.post(
        "/fraud/claim",
        data={
            "order_id": "402-1111111",
            "claim_reason": "not_received",
            "description": description,
            "evidence": [(io.BytesIO(PNG), "tracking.png")],
            "go": "next",
        },
        content_type="multipart/form-data",
    )


def test_fraud_reports_and_claims_count_only_when_filed(make_app):
    app = limited_desk(make_app, SUPPORTDESK_FRAUD_REPORT_RATE_LIMIT="2 per day")
    with app.app_context():
        seller = create_user("fraud.victim@example.com", password=PASSWORD)
        other = create_user("other.victim@example.com", password=PASSWORD)
        client = signed_in(app, seller)
        fill_report(client)
        refused = send_report(client, files=(("page.html", b"<html>x</html>"),))
        assert refused.status_code == 400  # not filed: not counted
        assert send_report(client).status_code == 302
        assert send_claim(client, "The parcel never came.").status_code == 302
        # Over the limit, the steps are still saved: only sending is refused.
        fill_report(client)
        over = send_report(client)
        assert over.status_code == 429
        retry_after(over)
        page = over.get_data(as_text=True)
        assert "You have filed as many reports and claims as we accept" in page
        assert "The buyer paid by bank transfer" in page  # the draft, shown for sending later
        over_claim = send_claim(client, "Typed while over the limit.")
        assert over_claim.status_code == 429
        assert "Typed while over the limit." in over_claim.get_data(as_text=True)
        kept = client.get("/fraud/claim").get_data(as_text=True)
        assert "Typed while over the limit." in kept  # kept in the draft too
        assert count(Ticket) == 2
        other_client = signed_in(app, other)
        fill_report(other_client)
        assert send_report(other_client).status_code == 302


# --- feedback disputes ---------------------------------------------------------------------------


def dispute_form(order_id: str) -> dict[str, str]:
    return {
        "order_id": order_id,
        "feedback_date": days_ago(10),
        "rating": "1",
        "feedback_text": "Never again, the worst experience I have had.",
        "reason": "other",
        "explanation": "The buyer is describing another order.",
    }


def test_disputes_per_seller(make_app):
    app = limited_desk(make_app, SUPPORTDESK_DISPUTE_RATE_LIMIT="2 per day")
    with app.app_context():
        seller = create_user("disputer@example.com", password=PASSWORD)
        other = create_user("calm@example.com", password=PASSWORD)
        client = signed_in(app, seller)
        answers = [client.post("/disputes/new", data=dispute_form(f"A-{n}")) for n in "123"]
        assert [answer.status_code for answer in answers] == [303, 303, 429]
        retry_after(answers[-1])
        assert count(Ticket) == 2
        other_client = signed_in(app, other)
        assert other_client.post("/disputes/new", data=dispute_form("B-1")).status_code == 303


# --- settings --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "setting",
    [
        "SUPPORTDESK_LOGIN_RATE_LIMIT",
        "SUPPORTDESK_LOGIN_ACCOUNT_RATE_LIMIT",
        "SUPPORTDESK_PASSWORD_RESET_RATE_LIMIT",
        "SUPPORTDESK_PASSWORD_RESET_EMAIL_RATE_LIMIT",
        "SUPPORTDESK_API_RATE_LIMIT",
        "SUPPORTDESK_FRAUD_REPORT_RATE_LIMIT",
    ],
)
@pytest.mark.parametrize("value", ["often", "", "0 per minute", 5])
def test_a_rate_that_cannot_be_read_stops_the_start(make_app, setting, value):
    refused = (ConfigurationError, PluginError)  # a plugin's setting fails its start-up hook
    with pytest.raises(refused, match=f"{setting} must be a rate such as '5 per hour'"):
        make_app(**{setting: value})


def test_memory_counters_start_no_thread_and_give_back_expired_ones(make_app, monkeypatch):
    """In memory, the counters of one process: the limit still refuses at its count, counting
    starts no thread (limits' own started one at nearly every count), and an expired counter's
    memory is given back by a later count."""
    app = limited_desk(make_app, SUPPORTDESK_LOGIN_RATE_LIMIT="3 per minute")
    assert app.config["RATELIMIT_STORAGE_URI"] == "supportdesk-memory://"
    client = app.test_client()
    time.sleep(0.05)  # the storage's first timer, started when it was made, has run
    timers_before = {t for t in threading.enumerate() if isinstance(t, threading.Timer)}
    statuses = []
    for _ in range(4):
        time.sleep(0.015)  # farther apart than limits' 10 ms timer
        statuses.append(client.post("/sign-in", data={"email": "x@example.com"}).status_code)
        started = {t for t in threading.enumerate() if isinstance(t, threading.Timer)}
        assert started <= timers_before
    assert statuses[-1] == 429 and 429 not in statuses[:3]

    counters = MemoryCounters()
    counters.incr("soon-gone", expiry=0.01)
    time.sleep(0.02)
    monkeypatch.setattr(counters, "SWEEP_SECONDS", 0.0)
    counters.incr("another", expiry=60)
    assert "soon-gone" not in counters.storage and counters.get("another") == 1


def test_memory_counters_rest_on_what_limits_calls_before_counting():
    """:class:`MemoryCounters` replaces limits' private expiry scheduling: a limits release
    that renames it must fail here, not bring the threads back unseen."""
    assert callable(getattr(MemoryStorage, "_MemoryStorage__schedule_expiry", None))
    assert callable(getattr(MemoryStorage, "_MemoryStorage__expire_events", None))


def test_the_redis_settings_from_the_environment(make_app):
    settings = settings_from_env(
        {
            "SUPPORTDESK_REDIS_URL": "redis://cache:6379/2",
            "SUPPORTDESK_RATELIMIT_KEY_PREFIX": "1234",  # a prefix of digits stays a string
        }
    )
    assert settings == {
        "RATELIMIT_STORAGE_URI": "redis://cache:6379/2",
        "RATELIMIT_KEY_PREFIX": "1234",
    }
    app = make_app(**settings)
    # A Redis that stops answering holds a request one second, not the system's TCP time-out.
    assert app.config["RATELIMIT_STORAGE_OPTIONS"] == {
        "socket_connect_timeout": 1.0,
        "socket_timeout": 1.0,
    }


# --- real processes ------------------------------------------------------------------------------


class Answer:
    def __init__(self, status: int, headers: http.client.HTTPMessage, body: bytes):
        self.status, self.headers, self.text = status, headers, body.decode("utf-8", "replace")


class Browser:
    """A client over real HTTP with its own cookies, from its own loopback address: the
    server sees 127.0.0.x as the client's address, as it would see another machine's."""

    def __init__(self, address: str = "127.0.0.1"):
        self.address = address
        self.cookies: dict[str, str] = {}

    def request(
        self,
        port: int,
        method: str,
        path: str,
        *,
        form: dict[str, str] | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        sent = dict(headers or {})
        payload = None
        if form is not None:
            payload = urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            payload = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection = http.client.HTTPConnection(
            "127.0.0.1", port, timeout=30, source_address=(self.address, 0)
        )
        try:
            connection.request(method, path, body=payload, headers=sent)
            response = connection.getresponse()
            answer = Answer(response.status, response.headers, response.read())
        finally:
            connection.close()
        for header in answer.headers.get_all("Set-Cookie") or ():
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return answer

    def page_token(self, port: int, path: str) -> str:
        page = self.request(port, "GET", path)
        assert page.status == 200, (path, page.status)
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)

    def sign_in(self, port: int, email: str, password: str) -> Answer:
        token = self.page_token(port, "/sign-in")
        form = {"csrf_token": token, "email": email, "password": password}
        return self.request(port, "POST", "/sign-in", form=form)


def start_desk_server(folder: Path, settings: dict[str, str]) -> GunicornServer:
    """``gunicorn 'supportdesk:create_app()'`` in a process of its own, with an instance folder
    of its own and only the given ``SUPPORTDESK_*`` settings."""
    instance = Path(tempfile.mkdtemp(prefix="instance-", dir=folder))
    env = server_environment(SUPPORTDESK_INSTANCE=str(instance), **settings)
    options = ["--workers", "1", "--threads", "2", "--timeout", "60"]
    return GunicornServer(options, env, folder, name="server")


@pytest.fixture
def shared_database(make_app) -> Iterator[Flask]:
    """The database the server processes share (SQLite file or the PostgreSQL test database),
    with its tables, and the test's own desk on it to create accounts."""
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def start_servers(
    shared_database: Flask, tmp_path: Path
) -> Iterator[Callable[..., list[GunicornServer]]]:
    started: list[GunicornServer] = []

    def start(count: int, **settings: str) -> list[GunicornServer]:
        common = {
            "SUPPORTDESK_SECRET_KEY": "cross-process-secret",
            "SUPPORTDESK_DATABASE_URL": shared_database.config["SQLALCHEMY_DATABASE_URI"],
            "SUPPORTDESK_PASSWORD_HASH": "pbkdf2:sha256:1000",
        }
        servers = [start_desk_server(tmp_path, {**common, **settings}) for _ in range(count)]
        started.extend(servers)
        for server in servers:
            server.wait_until_answers()
        return servers

    yield start
    for server in started:
        log = server.stop(timeout=15)
        assert "Traceback" not in log, log  # no request failed inside the desk


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A Redis database that answers, and a key prefix no other run uses; its keys go after."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis at {REDIS_URL} does not answer ({exc}): set SUPPORTDESK_TEST_REDIS_URL")
    prefix = f"sd-test-{uuid.uuid4().hex[:12]}"
    yield prefix
    for key in client.scan_iter(match=f"*{prefix}*"):
        client.delete(key)


def redis_settings(prefix: str, **limits: str) -> dict[str, str]:
    return {
        "SUPPORTDESK_REDIS_URL": REDIS_URL,
        "SUPPORTDESK_RATELIMIT_KEY_PREFIX": prefix,
        **limits,
    }


def wrong_sign_in(browser: Browser, port: int, email: str) -> int:
    return browser.sign_in(port, email, "wrong guess").status


def test_two_processes_count_one_sign_in_total_through_redis(
    start_servers, redis_prefix, shared_database
):
    create_user("victim@example.com", password=PASSWORD)
    first, second = start_servers(
        2,
        **redis_settings(
            redis_prefix,
            SUPPORTDESK_LOGIN_RATE_LIMIT="4 per minute",
            SUPPORTDESK_LOGIN_ACCOUNT_RATE_LIMIT="3 per hour",
        ),
    )
    ports = [first.port, second.port] * 3
    # Per address: one client alternating between the processes gets 4 tries in all, not 4
    # per process (each process saw only 2 of them, or 3 at the refusal).
    guesser = Browser("127.0.0.2")
    codes = [
        wrong_sign_in(guesser, port, f"guess{n}@example.com") for n, port in enumerate(ports[:5])
    ]
    assert codes == [200, 200, 200, 200, 429]
    refused = guesser.sign_in(second.port, "guess@example.com", "x")
    assert refused.status == 429 and int(refused.headers["Retry-After"]) > 0
    assert wrong_sign_in(Browser("127.0.0.3"), first.port, "guess@example.com") == 200
    # Per account: guesses from many addresses, spread over both processes.
    codes = [
        wrong_sign_in(Browser(f"127.0.1.{n}"), port, "victim@example.com")
        for n, port in enumerate(ports[:3], start=1)
    ]
    stopped = Browser("127.0.1.99").sign_in(second.port, "victim@example.com", PASSWORD)
    assert [*codes, stopped.status] == [200, 200, 200, 429]
    assert int(stopped.headers["Retry-After"]) > 0
    assert wrong_sign_in(Browser("127.0.1.100"), first.port, "other@example.com") == 200


def test_two_processes_count_one_filing_total_for_the_form_and_the_api(
    start_servers, redis_prefix, shared_database
):
    seller = create_user("busy@example.com", password=PASSWORD)
    other = create_user("other@example.com", password=PASSWORD)
    token, other_token = create_token(seller), create_token(other)
    first, second = start_servers(
        2, **redis_settings(redis_prefix, SUPPORTDESK_CONTACT_RATE_LIMIT="3 per hour")
    )
    browser = Browser("127.0.0.4")
    assert browser.sign_in(first.port, seller.email, PASSWORD).status == 302

    def by_form(port: int, n: int) -> Answer:
        page = browser.request(port, "GET", "/contact")
        fields = {
            name: re.search(rf'name="{name}" type="hidden" value="([^"]*)"', page.text).group(1)
            for name in ("csrf_token", "idempotency_key")
        }
        return browser.request(port, "POST", "/contact", form={**contact_form(n), **fields})

    def by_api(port: int, n: int, bearer: str = token) -> Answer:
        body = {"type": "contact", "subject": f"API case {n}", "body": "Sent by our tool."}
        return Browser("127.0.0.5").request(
            port,
            "POST",
            "/api/v1/tickets",
            body=body,
            headers={"Authorization": f"Bearer {bearer}"},
        )

    assert by_form(first.port, 1).status == 303
    assert by_api(second.port, 2).status == 201
    assert by_form(second.port, 3).status == 303
    over = by_api(first.port, 4)
    assert over.status == 429 and over.headers["Content-Type"] == "application/problem+json"
    assert int(over.headers["Retry-After"]) > 0
    over_form = by_form(second.port, 5)
    assert over_form.status == 429 and "My payout number 5 has not arrived." in over_form.text
    assert by_api(second.port, 6, other_token).status == 201
    assert count(Ticket) == 4


def test_without_redis_each_process_counts_alone(start_servers):
    first, second = start_servers(2, SUPPORTDESK_LOGIN_RATE_LIMIT="2 per minute")
    browser = Browser("127.0.0.6")
    ports = [first.port, second.port] * 3
    codes = [wrong_sign_in(browser, port, f"guess{n}@example.com") for n, port in enumerate(ports)]
    assert codes == [200, 200, 200, 200, 429, 429]


def test_a_redis_outage_weakens_the_limits_and_breaks_nothing(start_servers, shared_database):
    seller = create_user("steady@example.com", password=PASSWORD)
    token = create_token(seller)
    (server,) = start_servers(
        1,
        SUPPORTDESK_REDIS_URL=f"redis://127.0.0.1:{free_port()}/3",  # nobody listens there
        SUPPORTDESK_LOGIN_RATE_LIMIT="3 per minute",
    )
    browser = Browser("127.0.0.7")
    started = time.monotonic()
    codes = [wrong_sign_in(browser, server.port, f"guess{n}@example.com") for n in range(4)]
    assert codes == [200, 200, 200, 429]  # counted in the process's memory meanwhile
    assert time.monotonic() - started < 20
    assert Browser("127.0.0.8").sign_in(server.port, seller.email, PASSWORD).status == 302
    filed = Browser("127.0.0.9").request(
        server.port,
        "POST",
        "/api/v1/tickets",
        body={"type": "contact", "subject": "Still working", "body": "Redis is down."},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert filed.status == 201
    assert Browser().request(server.port, "GET", "/").status == 200
