"""Helpers for the API tests: bearer headers and problem checks."""

from __future__ import annotations

import pytest

from supportdesk.accounts import create_token
from supportdesk.api import PROBLEM_BASE
from supportdesk.tickets import open_ticket

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def problem(response, status: int, kind: str) -> dict:
    """Assert ``response`` is a problem of ``kind`` at ``status``; return its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["type"] == PROBLEM_BASE + kind
    assert body["status"] == status
    assert body["title"]
    return body


def new_case(seller, **kwargs):
    defaults = {"type_key": "contact", "subject": "Payment missing", "body": "Order 123 unpaid"}
    return open_ticket(seller=seller, **{**defaults, **kwargs})


@pytest.fixture
def bearer():
    """``bearer(user, scope="write")`` → headers carrying a new token of ``user``."""

    def make(user, scope: str = "write") -> dict[str, str]:
        return {"Authorization": f"Bearer {create_token(user, scope=scope)}"}

    return make
