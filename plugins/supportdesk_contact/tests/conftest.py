"""Contact form fixtures: a signed-in seller's client, what a seller types, help articles to
suggest, and readers for the pages the form answers with."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import Ticket

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"0" * 64
ORDER = "4021-5583-1176"
KEY = "form-key-0123456789abcdef"


def form_input(**overrides: Any) -> dict[str, Any]:
    """The contact form's fields as a seller posts them (the key as the form page gives it)."""
    values = {
        "topic": "payments",
        "order_id": "",
        "subject": "Payout missing",
        "body": "My payout of last week has not arrived on my bank account.",
        "reply_language": "en",
        "idempotency_key": KEY,
        "seen_suggestions": "1",
    }
    return {**values, **overrides}


def hidden(html: str, name: str) -> str:
    """The value of a hidden field of the page."""
    found = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', html)
    assert found, f"no hidden field {name!r}"
    return found.group(1)


def field_error(html: str, field: str) -> str | None:
    """The error shown next to a field (the macro gives it the id ``<field>-error``)."""
    found = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', html, re.S)
    return found.group(1).strip() if found else None


def count_cases() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Ticket))


def only_case() -> Ticket:
    return db.session.scalars(sa.select(Ticket)).one()


@pytest.fixture
def seller_client(client, login, seller):
    return login(client, seller)


@pytest.fixture
def help_articles(app):
    """A few published help articles in both languages, for the help centre to suggest."""

    pages = [
        (
            "payouts",
            "en",
            "When your payouts arrive",
            "Payouts are sent to your bank account every week. A missing payout is often a bank holiday.",
        ),
        (
            "payouts",
            "fr",
            "Quand arrivent vos virements",
            "Les virements partent chaque semaine vers votre compte bancaire.",
        ),
        (
            "refund-a-buyer",
            "en",
            "Refund a buyer",
            "Refund a buyer from the order page: a full or a partial refund.",
        ),
        (
            "late-deliveries",
            "en",
            "Late deliveries",
            "When a parcel is late, check the tracking number with the carrier.",
        ),
    ]
    publish_help(app, [(slug, locale, title, body) for slug, locale, title, body in pages])


def publish_help(app, pages) -> None:
    """Publish help articles the way a marketplace does, through `supportdesk import-articles`
    (the contact form knows the help centre only through the suggest_articles hook)."""
    folder = Path(tempfile.mkdtemp(prefix="help-"))
    for slug, locale, title, body in pages:
        (folder / locale).mkdir(exist_ok=True)
        (folder / locale / f"{slug}.md").write_text(
            f"---\nslug: {slug}\nlocale: {locale}\ntitle: {title}\ncategory: payments\n"
            f"tags: []\nrelated: []\n---\n{body}\n",
            encoding="utf-8",
        )
    result = app.test_cli_runner().invoke(args=["import-articles", str(folder)])
    assert result.exit_code == 0, result.output
