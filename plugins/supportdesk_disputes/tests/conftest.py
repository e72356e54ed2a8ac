"""Dispute fixtures: agents of the feedback queue, valid form input, and a dispute filed through
the service (``file``), as the form files it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from supportdesk.models import Role, User, utcnow
from supportdesk_disputes import disputes
from supportdesk_disputes.models import Dispute


@pytest.fixture
def feedback_agent(make_user) -> User:
    return make_user(Role.AGENT, email="fay@example.com", name="Fay Feedback", queues=["feedback"])


@pytest.fixture
def second_agent(make_user) -> User:
    return make_user(Role.AGENT, email="sid@example.com", name="Sid Second", queues=["feedback"])


@pytest.fixture
def fraud_agent(make_user) -> User:
    """An agent of another queue: feedback disputes are not theirs to see."""
    return make_user(Role.AGENT, email="fred@example.com", name="Fred Fraud", queues=["fraud"])


def days_ago(days: int) -> str:
    return (utcnow() - timedelta(days=days)).date().isoformat()


def feedback_input(**overrides: Any) -> dict[str, Any]:
    """What a seller types for a feedback that may be disputed and suggests no reason."""
    values = {
        "order_id": "402-1234567",
        "feedback_date": days_ago(10),
        "rating": "1",
        "feedback_text": "Never again, the worst experience I have had.",
        "reason": "other",
    }
    return {**values, **overrides}


def form_input(**overrides: Any) -> dict[str, Any]:
    """The dispute form's fields, as posted."""
    return {"explanation": "The buyer is describing another order.", **feedback_input(**overrides)}


@pytest.fixture
def file(app) -> Callable[..., Dispute]:
    """``file(seller, rating="2", …)``: a dispute filed through the service."""

    def filing(seller: User, **overrides: Any) -> Dispute:
        explanation = overrides.pop("explanation", "The buyer is describing another order.")
        return disputes.file_dispute(seller, explanation=explanation, **feedback_input(**overrides))

    return filing
