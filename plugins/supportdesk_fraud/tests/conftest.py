"""Fraud plugin fixtures: the fraud team and an agent outside it, a signed-in seller, the
intake walked through its pages, and reports opened through the ticket service."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import Role, Ticket, User, utcnow
from supportdesk.tickets import open_ticket

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"0" * 64
EML = (
    b"From: Buyer <buyer@example.net>\r\n"
    b"To: seller@example.com\r\n"
    b"Subject: About your listing\r\n"
    b"Date: Mon, 3 Mar 2025 10:00:00 +0000\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"Hello, I do not use this site often. Write to me on WhatsApp: +33 6 12 34 56 78\r\n"
)


def days_ago(days: int) -> str:
    return (utcnow() - timedelta(days=days)).date().isoformat()


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def field_error(page: str, field: str) -> str | None:
    """The error the core's field macro (or the plugin's radio group) shows next to a field."""
    found = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', page, re.S)
    return found.group(1).strip() if found else None


def cases() -> list[Ticket]:
    return list(db.session.scalars(sa.select(Ticket).order_by(Ticket.id)))


@pytest.fixture
def fraud_agent(make_user) -> User:
    return make_user(Role.AGENT, email="fay@example.com", name="Fay Fraud", queues=["fraud"])


@pytest.fixture
def support_agent(make_user) -> User:
    """An agent of every queue but the fraud one: no fraud role."""
    return make_user(
        Role.AGENT,
        email="bob@example.com",
        name="Bob Support",
        queues=["seller_support", "guarantee", "feedback"],
    )


@pytest.fixture
def seller_client(client, login, seller):
    return login(client, seller)


#: What a seller answers on each step of a report about a payment paid outside the checkout.
ANSWERS: dict[str, dict[str, Any]] = {
    "coverage": {"order_kind": "outside", "order_date": ""},
    "category": {"category": "payment"},
    "contact": {"contacted": "y", "contacted_on": days_ago(3), "party_rating": "1"},
    "details": {
        "description": "The buyer paid by bank transfer, then the transfer was reversed.",
        "order_ids": "402-1234567\n402-7654321",
        "party": "Jo Smith42",
        "amount": "650",
        "currency": "EUR",
    },
}


def answers(step: str, **overrides: Any) -> dict[str, Any]:
    return {**ANSWERS[step], **overrides}


@pytest.fixture
def walk(seller_client) -> Callable[..., Any]:
    """``walk(until="details", category={...}, …)``: post Next on each step up to ``until``
    (included), with the default answers changed by the step-named overrides."""

    def go(until: str = "details", **changes: dict[str, Any]) -> Any:
        response = None
        for step in ("coverage", "category", "contact", "details"):
            data = {**answers(step, **changes.get(step, {})), "go": "next"}
            if step == "contact" and changes.get("category", {}).get("category") in (
                "off_platform",
                "account_takeover",
            ):
                continue
            response = seller_client.post(f"/fraud/report/{step}", data=data)
            assert response.status_code == 302, (step, text(response)[:3000])
            if step == until:
                break
        return response

    return go


@pytest.fixture
def report(app) -> Callable[..., Ticket]:
    """``report(seller, party="x", description=…, **fields)``: a fraud report opened through
    the ticket service, as the intake opens it."""

    def file(seller: User, description: str = "Paid, then reversed.", **fields: Any) -> Ticket:
        attachments = fields.pop("attachments", ())
        values = {"category": "payment", "party": "Jo Smith42", **fields}
        return open_ticket(
            seller=seller,
            type_key="fraud_report",
            subject="Fraud report",
            body=description,
            fields={k: v for k, v in values.items() if v is not None},
            attachments=attachments,
        )

    return file
