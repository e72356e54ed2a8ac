"""Attachment downloads: always a download, behind the one permission check."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from supportdesk import attachments as files
from supportdesk.attachments import Upload
from supportdesk.extensions import db
from supportdesk.models import Attachment, Message
from supportdesk.tickets import add_note, open_ticket

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def case_with_file(seller, data=PNG, filename="proof.png"):
    ticket = open_ticket(
        seller=seller,
        type_key="contact",
        subject="Payment missing",
        body="See the proof",
        attachments=[Upload(filename, data)],
    )
    return ticket, db.session.scalar(sa.select(Attachment).where(Attachment.ticket_id == ticket.id))


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def stored_files(app) -> list[Path]:
    return list(Path(app.config["SUPPORTDESK_ATTACHMENT_DIR"]).glob("*"))


def test_the_seller_downloads_their_own_file_as_a_download(app, client, login, seller):
    _, attachment = case_with_file(seller)
    login(client, seller)
    response = client.get(f"/files/{attachment.id}")
    assert response.status_code == 200
    assert response.data == PNG
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "proof.png" in response.headers["Content-Disposition"]
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    csp = response.headers["Content-Security-Policy"]
    assert "sandbox" in csp and "default-src 'none'" in csp
    assert "no-store" in response.headers["Cache-Control"]


def test_a_text_file_is_a_download_too(app, client, login, seller):
    _, attachment = case_with_file(seller, b"plain words", "notes.txt")
    login(client, seller)
    response = client.get(f"/files/{attachment.id}")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.mimetype == "text/plain"


def test_anonymous_visitors_are_sent_to_sign_in(app, client, seller):
    _, attachment = case_with_file(seller)
    response = client.get(f"/files/{attachment.id}")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_another_seller_gets_404(app, client, login, seller, other_seller):
    _, attachment = case_with_file(seller)
    login(client, other_seller)
    assert client.get(f"/files/{attachment.id}").status_code == 404
    assert client.get("/files/999999").status_code == 404


def test_an_agent_outside_the_queue_gets_404_inside_it_the_file(
    app, client, login, seller, agent, make_user
):
    _, attachment = case_with_file(seller)
    outsider = make_user("agent", queues=["fraud"])
    login(client, outsider)
    assert client.get(f"/files/{attachment.id}").status_code == 404
    login(client, agent)
    assert client.get(f"/files/{attachment.id}").status_code == 200


def test_a_file_of_an_internal_note_is_for_staff_only(app, client, login, seller, agent, admin):
    ticket, _ = case_with_file(seller)
    note = add_note(
        ticket, actor=agent, body="Forged?", attachments=[Upload("analysis.txt", b"looks forged")]
    )
    attachment = note.attachments[0]
    login(client, seller)
    assert client.get(f"/files/{attachment.id}").status_code == 404
    page = client.get(f"/cases/{ticket.ref}").get_data(as_text=True)
    assert "analysis.txt" not in page and f"/files/{attachment.id}" not in page
    for staff in (agent, admin):
        login(client, staff)
        response = client.get(f"/files/{attachment.id}")
        assert response.status_code == 200 and response.data == b"looks forged"


def test_a_file_missing_from_disk_is_a_404(app, client, login, seller):
    _, attachment = case_with_file(seller)
    files.path_of(attachment.storage_name).unlink()
    login(client, seller)
    assert client.get(f"/files/{attachment.id}").status_code == 404


@pytest.mark.parametrize(
    ("filename", "data", "error"),
    [
        ("big.png", PNG + b"\x00" * (1024 * 1024), "big.png is larger than 1 MB."),
        ("page.html", b"<!doctype html><script>alert(1)</script>", "not an accepted kind of file"),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "not an accepted kind"),
    ],
)
def test_an_oversize_or_html_upload_is_refused_at_the_field_and_nothing_saved(
    make_app, make_user, filename, data, error
):
    app = make_app(SUPPORTDESK_ATTACHMENT_MAX_BYTES=1024 * 1024)
    with app.app_context():
        seller = make_user()
        ticket = open_ticket(seller=seller, type_key="contact", subject="s", body="b")
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = seller.get_id()
        before = count(Message)
        response = client.post(
            f"/cases/{ticket.ref}/reply",
            data={"body": "Keep this text", "attachments": [(io.BytesIO(data), filename)]},
        )
        page = response.get_data(as_text=True)
        assert response.status_code == 400
        assert '<p class="error" id="attachments-error">' in page and error in page
        assert "Keep this text</textarea>" in page
        assert count(Message) == before and count(Attachment) == 0
        assert stored_files(app) == []


def test_a_request_above_the_upload_limit_is_a_413_page(make_app, make_user):
    app = make_app(
        MAX_CONTENT_LENGTH=200_000,
        SUPPORTDESK_ATTACHMENT_MAX_BYTES=10_000,
        PROPAGATE_EXCEPTIONS=False,
    )
    with app.app_context():
        seller = make_user()
        ticket = open_ticket(seller=seller, type_key="contact", subject="s", body="b")
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = seller.get_id()
        response = client.post(
            f"/cases/{ticket.ref}/reply",
            data={"body": "x", "attachments": [(io.BytesIO(PNG * 4000), "big.png")]},
        )
        assert response.status_code == 413
        assert "The upload is too large" in response.get_data(as_text=True)
        assert count(Message) == 1
