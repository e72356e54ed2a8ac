"""Enqueue webhook rows and deliver them: a JSON POST signed with the URL's own secret."""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from typing import Any

from flask import Flask, current_app

from supportdesk import plugin_config
from supportdesk.database import write_transaction
from supportdesk.mail.render import Undeliverable
from supportdesk.models import Outbox, Ticket
from supportdesk.outbox import enqueue_to_address

CHANNEL = "webhook"
SIGNATURE_HEADER = "X-Supportdesk-Signature"
DEFAULTS: dict[str, Any] = {"endpoints": [], "timeout": 10}


def endpoints(app: Flask) -> dict[str, str]:
    """``{url: secret}`` from the settings; ``ValueError`` for a malformed entry."""
    found = {}
    for entry in plugin_config(app, "webhooks", DEFAULTS)["endpoints"]:
        url, secret = entry.get("url"), entry.get("secret")
        if not (isinstance(url, str) and url.startswith(("http://", "https://")) and secret):
            raise ValueError(f"webhook endpoint needs an http(s) url and a secret: {entry!r}")
        found[url] = str(secret)
    return found


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def enqueue_event(event: str, ticket: Ticket, **details: Any) -> None:
    """One row per endpoint, in its own transaction (event hooks run after the commit)."""
    urls = endpoints(current_app)
    if not urls:
        return
    body = {
        "event": event,
        "ref": ticket.ref,
        "type": ticket.type_key,
        "status": ticket.status,
        **details,
    }
    with write_transaction():
        for url in urls:
            enqueue_to_address(
                event, ticket=ticket, address=url, locale=None, channel=CHANNEL, body=body
            )


def deliver(row: Outbox) -> None:
    """POST the row's body; a 4xx other than 408/429 is given up, anything else retried."""
    secret = endpoints(current_app).get(row.recipient)
    if secret is None:
        raise Undeliverable(f"{row.recipient} is no longer a configured endpoint")
    body = json.dumps(row.payload["body"], sort_keys=True).encode()
    request = urllib.request.Request(  # noqa: S310 (configured http(s) URLs only)  # nosec B310
        row.recipient,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, body)},
    )
    timeout = float(plugin_config(current_app, "webhooks", DEFAULTS)["timeout"])
    try:
        with urllib.request.urlopen(request, timeout=timeout):  # noqa: S310 (same URL)  # nosec B310
            pass
    except urllib.error.HTTPError as exc:
        if 400 <= exc.code < 500 and exc.code not in (408, 429):
            raise Undeliverable(f"{row.recipient} answered {exc.code}") from exc
        raise
