"""The fraud team's list, riskiest first with keyset pages, and the evidence pack."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
import sqlalchemy as sa

from supportdesk.attachments import Upload
from supportdesk.extensions import db
from supportdesk.models import Status, Ticket
from supportdesk.tickets import add_note, history, reply, transition

from .conftest import EML, PDF, PNG, text


def listed(page: str) -> list[str]:
    return re.findall(r'class="staff-ref"><a href="/staff/fraud/(SD-[0-9A-Z-]+)"', page)


def next_link(page: str) -> str | None:
    found = re.search(r'<a href="([^"]+)" rel="next">', page)
    return found.group(1).replace("&amp;", "&") if found else None


@pytest.fixture
def scored(report, seller):
    """Reports scoring 0, 35, 20, 35 and 10, in that order of filing."""
    amounts = [None, "2000", "650", "5000", "100"]
    return [report(seller, party=None, amount=a, currency="EUR" if a else None) for a in amounts]


def test_the_list_puts_the_riskiest_first_then_the_newest(make_app, login, scored, fraud_agent):
    client = login(make_app(SUPPORTDESK_PAGE_SIZE=2).test_client(), fraud_agent)
    order, url = [], "/staff/fraud"
    while url:
        page = text(client.get(url))
        order += listed(page)
        url = next_link(page)
    expected = [scored[3], scored[1], scored[2], scored[4], scored[0]]
    assert order == [t.ref for t in expected]
    assert client.get("/staff/fraud?cursor=garbage").status_code == 200


def test_closed_reports_are_in_all_only(client, login, scored, fraud_agent, admin):
    transition(scored[1], actor=admin, status=Status.CLOSED)
    login(client, fraud_agent)
    assert scored[1].ref not in listed(text(client.get("/staff/fraud")))
    assert scored[1].ref in listed(text(client.get("/staff/fraud?status=all")))


def test_other_cases_are_not_listed(client, login, report, seller, fraud_agent, agent):
    from supportdesk.tickets import open_ticket

    contact = open_ticket(seller=seller, type_key="contact", subject="x", body="y")
    login(client, agent)
    assert contact.ref not in text(client.get("/staff/fraud"))


# --- the evidence pack ------------------------------------------------------------------------


@pytest.fixture
def case_with_evidence(report, seller, fraud_agent):
    ticket = report(
        seller,
        description="Paid then reversed.",
        amount="650",
        currency="EUR",
        attachments=[Upload("../../etc/passwd.pdf", PDF), Upload("proof.png", PNG)],
    )
    reply(
        ticket,
        actor=seller,
        body="Here is the email.",
        attachments=[Upload("proof.png", PNG), Upload("mail.eml", EML)],
    )
    add_note(
        ticket,
        actor=fraud_agent,
        body="Secret team note",
        attachments=[Upload("internal.png", PNG)],
    )
    reply(ticket, actor=fraud_agent, body="Thank you, we are looking into it.")
    return ticket


def test_the_pack_holds_the_timeline_the_messages_and_the_original_files(
    client, login, case_with_evidence, fraud_agent
):
    ticket = case_with_evidence
    login(client, fraud_agent)
    response = client.get(f"/staff/fraud/{ticket.ref}/evidence.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and f"evidence-{ticket.ref}.zip" in disposition
    assert response.headers["Cache-Control"] == "private, no-store"
    pack = zipfile.ZipFile(io.BytesIO(response.get_data()))
    assert sorted(pack.namelist()) == [
        "attachments/001-passwd.pdf",
        "attachments/001-proof.png",
        "attachments/002-mail.eml",
        "attachments/002-proof.png",
        "messages/001.txt",
        "messages/002.txt",
        "messages/003.txt",
        "timeline.html",
        "timeline.json",
    ]
    assert pack.read("attachments/001-passwd.pdf") == PDF
    assert pack.read("attachments/002-mail.eml") == EML
    timeline = json.loads(pack.read("timeline.json"))
    assert timeline["ref"] == ticket.ref and timeline["fields"]["amount"] == "650.00"
    assert timeline["risk"] == {"score": ticket.risk_score, "reasons": ticket.risk_reasons}
    assert [m["author"]["role"] for m in timeline["messages"]] == ["seller", "seller", "staff"]
    assert timeline["messages"][1]["attachments"][1]["file"] == "attachments/002-mail.eml"
    assert [e["kind"] for e in timeline["events"]] == [e.kind for e in history(ticket)]
    assert [e["kind"] for e in timeline["events"]][:4] == ["opened", "replied", "noted", "replied"]
    html = pack.read("timeline.html").decode()
    assert "Paid then reversed." in html and "650.00 EUR at stake" in html
    assert "From: Sam Seller (seller)" in pack.read("messages/001.txt").decode()
    everything = b"".join(pack.read(name) for name in pack.namelist())
    assert b"Secret team note" not in everything  # internal notes stay in the desk
    assert not any("internal" in name for name in pack.namelist())


def test_the_pack_carries_the_outcome(client, login, report, seller, fraud_agent):
    ticket = report(seller)
    login(client, fraud_agent)
    client.post(f"/staff/fraud/{ticket.ref}", data={"outcome": "confirmed"})
    pack = zipfile.ZipFile(
        io.BytesIO(client.get(f"/staff/fraud/{ticket.ref}/evidence.zip").get_data())
    )
    timeline = json.loads(pack.read("timeline.json"))
    assert timeline["outcome"] == "confirmed"
    assert timeline["events"][-1]["data"] == {"changes": {"outcome": [None, "confirmed"]}}
    assert "Fraud confirmed" in pack.read("timeline.html").decode()


def test_a_missing_file_is_named_in_the_timeline(client, login, case_with_evidence, fraud_agent):
    from supportdesk.attachments import path_of
    from supportdesk.models import Attachment

    first = db.session.scalar(sa.select(Attachment).order_by(Attachment.id))
    path_of(first.storage_name).unlink()
    login(client, fraud_agent)
    pack = zipfile.ZipFile(
        io.BytesIO(client.get(f"/staff/fraud/{case_with_evidence.ref}/evidence.zip").get_data())
    )
    assert "attachments/001-passwd.pdf" not in pack.namelist()
    assert json.loads(pack.read("timeline.json"))["messages"][0]["attachments"][0]["file"] is None


def test_unknown_references_are_404(client, login, fraud_agent):
    login(client, fraud_agent)
    for url in ("/staff/fraud/SD-0000-0000", "/staff/fraud/nonsense/evidence.zip"):
        assert client.get(url).status_code == 404


def test_the_tickets_are_untouched_by_a_download(client, login, case_with_evidence, fraud_agent):
    before = db.session.scalar(sa.select(Ticket.version).where(Ticket.id == case_with_evidence.id))
    login(client, fraud_agent)
    client.get(f"/staff/fraud/{case_with_evidence.ref}/evidence.zip")
    after = db.session.scalar(sa.select(Ticket.version).where(Ticket.id == case_with_evidence.id))
    assert before == after
