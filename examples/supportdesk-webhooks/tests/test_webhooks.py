"""The webhooks plugin against a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import entry_points

import pytest
import sqlalchemy as sa
import supportdesk_webhooks

from supportdesk.extensions import db
from supportdesk.mail.sender import OutboxWorker
from supportdesk.models import Outbox, utcnow
from supportdesk.tickets import open_ticket, reply

SECRET = "s3cret"  # noqa: S105 (a test endpoint's key)


class Receiver(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.received: list[tuple[dict, str, bytes]] = []
        self.answers: list[int] = []  # status codes to answer first; then 204

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append(
            (json.loads(body), self.headers["X-Supportdesk-Signature"], body)
        )
        self.send_response(self.server.answers.pop(0) if self.server.answers else 204)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def receiver():
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def webhooks_app(make_app, receiver):
    """A desk with the plugin: from its entry point once installed, else registered here."""
    installed = entry_points(group="supportdesk.plugins", name="webhooks")
    settings = {
        "SUPPORTDESK_PLUGIN_WEBHOOKS": {"endpoints": [{"url": receiver.url, "secret": SECRET}]}
    }
    return (
        make_app(**settings) if installed else make_app(plugins=[supportdesk_webhooks], **settings)
    )


def _send(clock=utcnow) -> None:
    OutboxWorker(clock=clock).run(once=True)


def test_case_events_are_posted_signed(webhooks_app, receiver, make_user):
    with webhooks_app.app_context():
        seller = make_user()
        ticket = open_ticket(seller=seller, type_key="contact", subject="Hi", body="Help")
        reply(ticket, actor=seller, body="More")
        ref = ticket.ref
        _send()
    events = [body["event"] for body, _sig, _raw in receiver.received]
    assert events[0] == "ticket.opened" and "message.added" in events
    for body, signature, raw in receiver.received:
        expected = hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
        assert signature == f"sha256={expected}"
        assert body["ref"] == ref


def test_a_failed_delivery_is_retried_with_backoff(webhooks_app, receiver, make_user):
    receiver.answers = [500]
    with webhooks_app.app_context():
        open_ticket(seller=make_user(), type_key="contact", subject="Hi", body="Help")
        _send()
        row = db.session.scalar(sa.select(Outbox).where(Outbox.channel == "webhook"))
        assert (row.status, row.attempts) == ("pending", 1)
        assert row.next_attempt_at > utcnow()
        later = utcnow() + timedelta(days=1)
        _send(clock=lambda: later)
        db.session.expire_all()
        assert db.session.get(Outbox, row.id).status == "sent"
    assert len(receiver.received) == 2


def test_a_refusing_endpoint_is_given_up_and_logged(webhooks_app, receiver, make_user):
    receiver.answers = [410]
    with webhooks_app.app_context():
        open_ticket(seller=make_user(), type_key="contact", subject="Hi", body="Help")
        _send()
    result = webhooks_app.test_cli_runner().invoke(args=["webhooks", "log"])
    assert result.exit_code == 0, result.output
    assert "failed attempts=1 ticket.opened" in result.output
    assert "answered 410" in result.output


def test_a_malformed_endpoint_stops_the_desk(make_app):
    from supportdesk.plugins import PluginError

    installed = entry_points(group="supportdesk.plugins", name="webhooks")
    plugins = [] if installed else [supportdesk_webhooks]
    with pytest.raises(PluginError, match="needs an http"):
        make_app(plugins=plugins, SUPPORTDESK_PLUGIN_WEBHOOKS={"endpoints": [{"url": "ftp://x"}]})
