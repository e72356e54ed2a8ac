"""Only the fraud team (the fraud queue's agents, and admins) sees fraud reports: any other
agent gets a 404 on every fraud URL and finds nothing of them in lists or search."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from supportdesk.attachments import Upload
from supportdesk.case_search import search_cases
from supportdesk.extensions import db
from supportdesk.models import Attachment, Queue, Ticket
from supportdesk.permissions import may, visible_tickets
from supportdesk.tickets import open_ticket

from .conftest import PDF, text

DESCRIPTION = "The buyer Zanzibarian asked for my card number"


@pytest.fixture
def fraud_case(report, seller, fraud_agent):
    ticket = report(
        seller,
        description=DESCRIPTION,
        order_ids=["402-5550001"],
        attachments=[Upload("receipt.pdf", PDF)],
    )
    db.session.execute(
        sa.update(Ticket).where(Ticket.id == ticket.id).values(order_id="402-5550001")
    )
    db.session.commit()
    return ticket


def evidence_of(ticket) -> Attachment:
    return db.session.scalar(sa.select(Attachment).where(Attachment.ticket_id == ticket.id))


def fraud_urls(ticket) -> list[str]:
    return [
        "/staff/fraud",
        f"/staff/fraud/{ticket.ref}",
        f"/staff/fraud/{ticket.ref}/evidence.zip",
        f"/staff/cases/{ticket.ref}",
        f"/files/{evidence_of(ticket).id}",
        "/staff/queues/fraud",
    ]


def searches(ticket) -> list[str]:
    return [
        ticket.ref,
        ticket.ref.replace("-", "").lower(),
        "Zanzibarian",
        "402-5550001",
        "seller@example.com",
    ]


def refs_on(client, url: str) -> str:
    return text(client.get(url))


def links_to(page: str, ticket) -> bool:
    return f"/cases/{ticket.ref}" in page or f"/staff/fraud/{ticket.ref}" in page


def test_an_agent_without_the_fraud_role_gets_404_on_every_fraud_url(
    client, login, fraud_case, support_agent
):
    login(client, support_agent)
    for url in fraud_urls(fraud_case):
        assert client.get(url).status_code == 404, url
    ref = fraud_case.ref
    for action, data in [
        ("reply", {"reply-body": "Hello"}),
        ("note", {"note-body": "Hm"}),
        ("status", {"status": "closed"}),
        ("take", {}),
    ]:
        assert client.post(f"/staff/cases/{ref}/{action}", data=data).status_code == 404, action
    assert client.post(f"/staff/fraud/{ref}", data={"outcome": "unfounded"}).status_code == 404
    db.session.refresh(fraud_case)
    assert (fraud_case.status, fraud_case.assignee_id, fraud_case.fields.get("outcome")) == (
        "new",
        None,
        None,
    )


def test_and_finds_nothing_of_them_in_lists_or_search(
    client, login, fraud_case, support_agent, report, seller
):
    contact = open_ticket(
        seller=seller, type_key="contact", subject="Payout", body="Zanzibarian payout"
    )
    login(client, support_agent)
    home = refs_on(client, "/staff/")
    assert "/staff/queues/fraud" not in home and "Fraud reports" not in home
    for key in ("seller_support", "guarantee", "feedback"):
        assert fraud_case.ref not in refs_on(client, f"/staff/queues/{key}?status=all")
    assert fraud_case.ref not in refs_on(client, "/staff/mine?status=all")
    for query in searches(fraud_case):
        response = client.get("/staff/search", query_string={"q": query})
        assert response.status_code == 200, query
        assert not links_to(text(response), fraud_case), query
        assert "Zanzibarian asked" not in text(response), query
        assert search_cases(support_agent, query) in ([], [contact]), query
    assert [t.id for t in search_cases(support_agent, "Zanzibarian")] == [contact.id]
    assert db.session.scalars(visible_tickets(support_agent)).all() == [contact]


def test_the_fraud_team_and_admins_see_them(client, login, fraud_case, fraud_agent, admin):
    for person in (fraud_agent, admin):
        login(client, person)
        for url in fraud_urls(fraud_case):
            assert client.get(url).status_code == 200, (person.email, url)
        found = text(client.get("/staff/search", query_string={"q": "Zanzibarian"}))
        assert links_to(found, fraud_case)
        assert [t.id for t in search_cases(person, "402-5550001")] == [fraud_case.id]


def test_a_report_stays_hidden_even_in_another_agents_queue(
    client, login, fraud_case, support_agent
):
    """The role decides, not only the queue: a report moved to the support queue (or an agent
    who left the fraud team with cases assigned) shows nothing."""
    support = db.session.scalar(sa.select(Queue).where(Queue.key == "seller_support"))
    db.session.execute(
        sa.update(Ticket)
        .where(Ticket.id == fraud_case.id)
        .values(queue_id=support.id, assignee_id=support_agent.id)
    )
    db.session.commit()
    assert not may(support_agent, "view", fraud_case)
    login(client, support_agent)
    assert fraud_case.ref not in refs_on(client, "/staff/queues/seller_support?status=all")
    assert fraud_case.ref not in refs_on(client, "/staff/mine?status=all")
    assert client.get(f"/staff/cases/{fraud_case.ref}").status_code == 404
    assert client.get(f"/files/{evidence_of(fraud_case).id}").status_code == 404


def test_the_seller_sees_their_own_report_and_nobody_else_does(
    client, login, fraud_case, seller, other_seller
):
    login(client, seller)
    assert client.get(f"/cases/{fraud_case.ref}").status_code == 200
    assert client.get(f"/files/{evidence_of(fraud_case).id}").status_code == 200
    assert client.get("/staff/fraud").status_code == 403
    assert client.get(f"/staff/fraud/{fraud_case.ref}/evidence.zip").status_code == 403
    login(client, other_seller)
    assert client.get(f"/cases/{fraud_case.ref}").status_code == 404
    assert client.get(f"/files/{evidence_of(fraud_case).id}").status_code == 404


def test_guarantee_claims_belong_to_the_guarantee_queue(
    client, login, seller, support_agent, fraud_agent
):
    claim = open_ticket(seller=seller, type_key="guarantee_claim", subject="Claim", body="Lost")
    login(client, support_agent)
    assert client.get(f"/staff/cases/{claim.ref}").status_code == 200
    assert client.get(f"/staff/fraud/{claim.ref}/evidence.zip").status_code == 200
    assert client.get(f"/staff/fraud/{claim.ref}").status_code == 404  # not a fraud report
    login(client, fraud_agent)
    assert client.get(f"/staff/cases/{claim.ref}").status_code == 404
    assert client.get(f"/fraud/claims/{claim.ref}/countdown").status_code == 404


def test_menu_links_follow_the_role(client, login, seller, support_agent, fraud_agent):
    login(client, seller)
    assert 'href="/fraud/report"' in refs_on(client, "/")
    login(client, fraud_agent)
    assert 'href="/staff/fraud"' in refs_on(client, "/")
    login(client, support_agent)
    assert "/staff/fraud" not in refs_on(client, "/")


def test_linked_reports_link_only_to_what_the_viewer_may_see(
    client, login, report, seller, other_seller, fraud_agent, admin
):
    first = report(seller, party="Jo Smith42")
    moved = report(other_seller, party="jo smith42")
    current = report(other_seller, party="JO SMITH 42")
    elsewhere = Queue(key="elsewhere", name="Elsewhere")
    db.session.add(elsewhere)
    db.session.flush()
    db.session.execute(sa.update(Ticket).where(Ticket.id == moved.id).values(queue_id=elsewhere.id))
    db.session.commit()
    login(client, fraud_agent)
    page = text(client.get(f"/staff/fraud/{current.ref}"))
    assert "This party appears in 1 other report:" in page
    assert first.ref in page and moved.ref not in page
    workspace = text(client.get(f"/staff/cases/{current.ref}"))
    assert "This party appears in 1 other report:" in workspace and first.ref in workspace
    login(client, admin)
    page = text(client.get(f"/staff/fraud/{current.ref}"))
    assert "This party appears in 2 other reports:" in page
    assert first.ref in page and moved.ref in page
    login(client, seller)
    assert "other report" not in text(client.get(f"/cases/{first.ref}"))
