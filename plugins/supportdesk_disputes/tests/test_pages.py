"""The dispute's pages: who sees what, the decision page, the appeal, the overview."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import Status, utcnow
from supportdesk_disputes import disputes
from supportdesk_disputes.models import APPEAL, Decision


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def decide(dispute, agent, outcome="keep", rule=None):
    return disputes.decide(dispute, agent=agent, outcome=outcome, rule=rule)


def seller_page(dispute) -> str:
    return f"/disputes/{dispute.ticket.ref}"


def decision_page(dispute) -> str:
    return f"/staff/disputes/{dispute.ticket.ref}"


# --- who sees what ---------------------------------------------------------------------------


def test_another_seller_gets_404_on_every_page_of_someone_elses_dispute(
    client, login, seller, other_seller, feedback_agent, file
):
    dispute = file(seller)
    decide(dispute, feedback_agent)
    login(client, other_seller)
    assert client.get(seller_page(dispute)).status_code == 404
    posted = client.post(seller_page(dispute) + "/appeal", data={"text": "Mine now"})
    assert posted.status_code == 404
    assert client.get(f"/cases/{dispute.ticket.ref}").status_code == 404
    assert dispute.appealed_at is None
    assert other_seller.email not in text(client.get("/disputes"))
    assert dispute.ticket.ref not in text(client.get("/disputes"))


def test_sellers_only_see_their_own_disputes_in_their_list(
    client, login, seller, other_seller, file
):
    mine, theirs = file(seller, order_id="A-1"), file(other_seller, order_id="B-2")
    login(client, seller)
    page = text(client.get("/disputes"))
    assert mine.ticket.ref in page and theirs.ticket.ref not in page


def test_unknown_references_are_404(client, login, seller, feedback_agent):
    login(client, seller)
    assert client.get("/disputes/SD-0000-0000").status_code == 404
    assert client.get("/disputes/not-a-ref").status_code == 404
    login(client, feedback_agent)
    assert client.get("/staff/disputes/SD-0000-0000").status_code == 404


def test_staff_pages_are_refused_to_sellers_and_to_agents_of_other_queues(
    client, login, seller, fraud_agent, file
):
    dispute = file(seller)
    assert client.get(decision_page(dispute)).status_code == 302  # sign in first
    login(client, seller)
    assert client.get(decision_page(dispute)).status_code == 403
    assert client.get("/staff/disputes").status_code == 403
    login(client, fraud_agent)
    assert client.get(decision_page(dispute)).status_code == 404
    assert client.post(decision_page(dispute), data={"outcome": "keep"}).status_code == 404
    assert dispute.decisions == []
    assert dispute.ticket.ref not in text(client.get("/staff/disputes"))


def test_the_menu_leads_sellers_and_staff_to_their_pages(client, login, seller, agent):
    login(client, seller)
    assert 'href="/disputes"' in text(client.get("/"))
    login(client, agent)
    assert 'href="/staff/disputes"' in text(client.get("/"))


# --- the case pages --------------------------------------------------------------------------


def test_the_case_pages_show_the_dispute_and_lead_to_its_pages(
    client, login, seller, feedback_agent, file
):
    dispute = file(seller, feedback_text="Idiot seller <script>")
    login(client, feedback_agent)
    raw = client.get(f"/staff/cases/{dispute.ticket.ref}").get_data(as_text=True)
    assert "Idiot seller &lt;script&gt;" in raw and "<script>" not in raw  # escaped
    staff_case = html.unescape(raw)
    assert "Disputed feedback" in staff_case
    assert "Obscene or abusive language" in staff_case  # the assistant's suggestion
    assert f'href="{decision_page(dispute)}"' in staff_case
    login(client, seller)
    seller_case = text(client.get(f"/cases/{dispute.ticket.ref}"))
    assert "Disputed feedback" in seller_case and f'href="{seller_page(dispute)}"' in seller_case


# --- the decision page ---------------------------------------------------------------------


def test_an_agent_of_the_queue_decides_on_the_decision_page(
    client, login, seller, feedback_agent, file
):
    dispute = file(seller, feedback_text="Call me on 06 12 34 56 78", reason="personal_info")
    login(client, feedback_agent)
    page = text(client.get(decision_page(dispute)))
    assert "The seller's personal information" in page and "06 12 34 56 78" in page
    assert "The buyer is describing another order." in page  # the seller's explanation
    assert '<option selected value="personal_info">' in page  # the seller's reason is likely
    response = client.post(
        decision_page(dispute),
        data={"outcome": "remove", "rule": "personal_info", "comment": "Thanks for telling us."},
    )
    assert response.status_code == 303
    assert "Decision recorded (removed)" in text(client.get(response.headers["Location"]))
    assert dispute.final.outcome == "remove" and dispute.ticket.status == Status.RESOLVED


def test_a_decision_that_breaks_the_rules_is_shown_at_its_field(
    client, login, seller, feedback_agent, file
):
    dispute = file(seller)
    login(client, feedback_agent)
    response = client.post(
        decision_page(dispute), data={"outcome": "remove", "rule": "fulfilled_by_marketplace"}
    )
    assert response.status_code == 400
    assert "is struck through, not removed" in text(response)
    assert client.post(decision_page(dispute), data={}).status_code == 400
    assert dispute.decisions == []


def test_the_same_agent_is_refused_the_appeal_on_the_page(
    client, login, seller, feedback_agent, second_agent, file
):
    dispute = file(seller)
    decide(dispute, feedback_agent)
    disputes.appeal(dispute, seller=seller, text="Please look again")
    login(client, feedback_agent)
    page = text(client.get(decision_page(dispute)))
    assert "its appeal must be decided by another agent" in page
    assert 'name="outcome"' not in page
    refused = client.post(decision_page(dispute), data={"outcome": "remove", "rule": "other"})
    assert refused.status_code == 403
    assert "You made the first decision on this dispute" in text(refused)
    assert dispute.decision(APPEAL) is None
    login(client, second_agent)
    assert "Decide on appeal" in text(client.get(decision_page(dispute)))
    done = client.post(decision_page(dispute), data={"outcome": "remove", "rule": "other"})
    assert done.status_code == 303
    assert dispute.final.stage == APPEAL and dispute.final.agent_id == second_agent.id


# --- the seller's dispute page and the appeal ----------------------------------------------


def test_the_seller_appeals_from_the_dispute_page(client, login, seller, feedback_agent, file):
    dispute = file(seller)
    login(client, seller)
    assert "No decision yet." in text(client.get(seller_page(dispute)))
    decide(dispute, feedback_agent)
    page = text(client.get(seller_page(dispute)))
    assert "Decision: Kept" in page and "you can appeal once, until" in page
    assert client.post(seller_page(dispute) + "/appeal", data={"text": " "}).status_code == 400
    response = client.post(seller_page(dispute) + "/appeal", data={"text": "It is abusive."})
    assert response.status_code == 303
    page = text(client.get(response.headers["Location"]))
    assert "Your appeal is sent" in page
    assert "You have already appealed this decision" in page and 'name="text"' not in page
    assert dispute.ticket.status == Status.OPEN


def test_a_late_appeal_is_refused_with_its_reason(client, login, seller, feedback_agent, file):
    dispute = file(seller)
    decide(dispute, feedback_agent)
    db.session.execute(sa.update(Decision).values(decided_at=utcnow() - timedelta(days=31)))
    db.session.commit()
    login(client, seller)
    assert "The time to appeal this decision ended on" in text(client.get(seller_page(dispute)))
    response = client.post(seller_page(dispute) + "/appeal", data={"text": "Too late?"})
    assert response.status_code == 409
    assert "The time to appeal this decision ended on" in text(response)
    assert dispute.appealed_at is None


def test_the_appeal_form_is_protected_against_cross_site_posts(make_app, make_user):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        seller = make_user()
        agent = make_user("agent", queues=["feedback"])
        dispute = disputes.file_dispute(
            seller,
            explanation="Rude",
            order_id="A-1",
            feedback_date=utcnow().date(),
            rating=1,
            feedback_text="Bad",
            reason="other",
        )
        decide(dispute, agent)
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = seller.get_id()
        assert client.post(seller_page(dispute) + "/appeal", data={"text": "x"}).status_code == 400
        with client.session_transaction() as session:
            session["_user_id"] = agent.get_id()
        assert client.post(decision_page(dispute), data={"outcome": "keep"}).status_code == 400
        assert dispute.appealed_at is None


# --- the overview ----------------------------------------------------------------------------


@pytest.fixture
def decided(seller, feedback_agent, second_agent, file):
    """Four disputes: removed, kept then struck through on appeal, kept, and waiting."""
    removed = file(seller, order_id="A-1", reason="obscene")
    decide(removed, feedback_agent, "remove", rule="obscene")
    appealed = file(seller, order_id="A-2", reason="fulfilled_by_marketplace")
    decide(appealed, feedback_agent, "keep")
    disputes.appeal(appealed, seller=seller, text="It was their delivery")
    decide(appealed, second_agent, "strike")
    kept = file(seller, order_id="A-3", reason="obscene")
    decide(kept, feedback_agent, "keep")
    waiting = file(seller, order_id="A-4", reason="product_review")
    return {"removed": removed, "appealed": appealed, "kept": kept, "waiting": waiting}


def test_the_overview_counts_disputes_by_reason_acceptance_and_time(
    client, login, feedback_agent, decided
):
    from supportdesk_disputes import statistics

    result = statistics.figures(90)
    assert (result.filed, result.decided, result.granted, result.waiting) == (4, 3, 2, 1)
    assert result.acceptance_rate == pytest.approx(2 / 3)
    assert (result.appeals, result.appeals_decided, result.appeals_changed) == (1, 1, 1)
    rows = {row.reason: (row.filed, row.decided, row.granted) for row in result.by_reason}
    assert rows["obscene"] == (2, 2, 1) and rows["product_review"] == (1, 0, 0)
    assert rows["fulfilled_by_marketplace"] == (1, 1, 1) and rows["other"] == (0, 0, 0)
    assert dict(statistics.outcome_counts(result)) == {"remove": 1, "strike": 1, "keep": 1}
    assert len(result.hours_to_decision) == 3 and result.median_hours < 1

    login(client, feedback_agent)
    page = text(client.get("/staff/disputes"))
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"' in page
    assert "Disputes by reason" in page and "67%" in page
    assert f'href="{decision_page(decided["waiting"])}"' in page  # waiting for a decision
    assert decision_page(decided["kept"]) not in page
    assert client.get("/staff/disputes?days=7").status_code == 200  # unknown period: default


def test_the_overview_keeps_to_the_period(app, decided):
    from supportdesk_disputes import statistics
    from supportdesk_disputes.models import Dispute

    db.session.execute(
        sa.update(Dispute)
        .where(Dispute.id == decided["waiting"].id)
        .values(created_at=utcnow() - timedelta(days=45))
    )
    db.session.commit()
    assert statistics.figures(30).filed == 3
    assert statistics.figures(90).filed == 4
    assert statistics.figures(None).filed == 4
