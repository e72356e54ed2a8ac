"""The questions the form asks before a case is opened: "did one of these articles answer you?"
and "add this to the case already open for this order?"."""

from __future__ import annotations

import io
import logging

import sqlalchemy as sa

from supportdesk import hookimpl
from supportdesk.extensions import db
from supportdesk.models import Message, Status, Ticket
from supportdesk.tickets import open_ticket, transition

from .conftest import ORDER, PNG, count_cases, form_input, hidden, only_case, publish_help

# --- suggestions -----------------------------------------------------------------------------


def test_suggestions_come_as_json_from_the_help_centre(seller_client, help_articles):
    data = seller_client.get("/contact/suggestions?q=my payout is missing").get_json()
    first = data["suggestions"][0]
    assert first["title"] == "When your payouts arrive"
    assert first["url"].startswith("/help/payouts")
    assert "<" not in first["snippet"]  # plain text: the script never parses HTML
    assert len(data["suggestions"]) <= 3


def test_suggestions_follow_the_page_language(seller_client, help_articles):
    data = seller_client.get(
        "/contact/suggestions?q=virement", headers={"Accept-Language": "fr"}
    ).get_json()
    assert [s["title"] for s in data["suggestions"]] == ["Quand arrivent vos virements"]


def test_at_most_three_suggestions_and_none_for_too_little(seller_client, help_articles, app):
    publish_help(app, [(f"refund-{n}", "en", f"Refund case {n}", "refund") for n in range(5)])
    assert len(seller_client.get("/contact/suggestions?q=refund").get_json()["suggestions"]) == 3
    assert seller_client.get("/contact/suggestions?q=r").get_json() == {"suggestions": []}


def test_without_the_script_suggestions_come_after_a_first_submit(seller_client, help_articles):
    typed = form_input(subject="Payout missing", body="My payout has not arrived.")
    del typed["seen_suggestions"]
    asked = seller_client.post("/contact", data=typed)
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and count_cases() == 0
    assert "Did one of these answer you?" in html
    assert 'href="/help/payouts' in html
    assert 'name="seen_suggestions" value="1"' in html and "No, send my message" in html
    assert "My payout has not arrived." in html  # the form is still filled in
    sent = seller_client.post("/contact", data={**typed, "seen_suggestions": "1"})
    assert sent.status_code == 303 and count_cases() == 1


def test_files_wait_while_the_seller_reads_the_suggestions(seller_client, help_articles):
    typed = form_input(subject="Payout missing")
    del typed["seen_suggestions"]
    asked = seller_client.post(
        "/contact",
        data={**typed, "attachments": [(io.BytesIO(PNG), "statement.png")]},
        content_type="multipart/form-data",
    )
    html = asked.get_data(as_text=True)
    assert "Files attached: statement.png" in html
    sent = seller_client.post(
        "/contact", data={**typed, "held": hidden(html, "held"), "seen_suggestions": "1"}
    )
    assert sent.status_code == 303
    assert [a.filename for a in only_case().messages[0].attachments] == ["statement.png"]


def test_without_the_help_centre_there_are_no_suggestions_and_no_error(make_app, login):
    app = make_app(SUPPORTDESK_DISABLED_PLUGINS=["helpcenter"])
    with app.app_context():
        from supportdesk.accounts import create_user

        client = login(app.test_client(), create_user("n@example.com", password="pw"))
        assert client.get("/contact/suggestions?q=payout").get_json() == {"suggestions": []}
        typed = form_input()
        del typed["seen_suggestions"]
        assert client.post("/contact", data=typed).status_code == 303
        assert count_cases() == 1


class BrokenSuggester:
    """A plugin whose suggestions fail: the seller still reaches support."""

    name = "broken_suggester"

    @hookimpl
    def suggest_articles(self, text, locale, limit):
        raise RuntimeError("search is down")


def test_a_failing_suggestion_plugin_never_blocks_the_seller(register_plugin, login, caplog):
    app = register_plugin(BrokenSuggester())
    with app.app_context():
        from supportdesk.accounts import create_user

        client = login(app.test_client(), create_user("b@example.com", password="pw"))
        typed = form_input()
        del typed["seen_suggestions"]
        with caplog.at_level(logging.ERROR):
            assert client.post("/contact", data=typed).status_code == 303
            assert client.get("/contact/suggestions?q=payout").status_code == 200
        assert "broken_suggester" in caplog.text
        assert count_cases() == 1


# --- a case already open for the same order ----------------------------------------------------


def case_for_order(seller, order_id=ORDER, subject="Payout for this order"):
    return open_ticket(
        seller=seller, type_key="contact", subject=subject, body="First message", order_id=order_id
    )


def test_an_open_case_for_the_order_is_offered_instead(seller_client, seller):
    first = case_for_order(seller)
    asked = seller_client.post("/contact", data=form_input(order_id="402155831176"))
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and count_cases() == 1
    assert "You already have an open case about order 402155831176" in html
    assert f'href="/cases/{first.ref}"' in html
    assert f'name="choice" value="add:{first.ref}"' in html
    assert 'name="choice" value="new"' in html
    assert "My payout of last week has not arrived" in html


def test_adding_to_the_open_case_replies_there_with_the_files(seller_client, seller):
    first = case_for_order(seller)
    typed = form_input(order_id=ORDER, subject="Still no payout")
    asked = seller_client.post(
        "/contact",
        data={**typed, "attachments": [(io.BytesIO(PNG), "bank.png")]},
        content_type="multipart/form-data",
    )
    token = hidden(asked.get_data(as_text=True), "held")
    added = seller_client.post(
        "/contact", data={**typed, "held": token, "choice": f"add:{first.ref}"}
    )
    assert added.status_code == 303 and added.headers["Location"] == f"/cases/{first.ref}"
    assert count_cases() == 1
    db.session.expire_all()
    last = first.messages[-1]
    assert last.body.startswith("Still no payout\n\nMy payout of last week")
    assert [a.filename for a in last.attachments] == ["bank.png"]
    page = seller_client.get(added.headers["Location"]).get_data(as_text=True)
    assert f"Your message was added to case {first.ref}." in page
    # Sent again (a double click), it is not added twice.
    again = seller_client.post(
        "/contact", data={**typed, "held": token, "choice": f"add:{first.ref}"}
    )
    assert again.headers["Location"] == f"/cases/{first.ref}"
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Message).where(Message.ticket_id == first.id)
        )
        == 2
    )


def test_or_a_new_case_is_opened_anyway(seller_client, seller):
    case_for_order(seller)
    sent = seller_client.post("/contact", data=form_input(order_id=ORDER, choice="new"))
    assert sent.status_code == 303 and count_cases() == 2


def test_only_the_sellers_own_open_cases_count(seller_client, seller, other_seller, agent):
    case_for_order(other_seller)  # someone else's
    closed = case_for_order(seller)
    transition(closed, actor=agent, status=Status.CLOSED)
    sent = seller_client.post("/contact", data=form_input(order_id=ORDER))
    assert sent.status_code == 303 and count_cases() == 3


def test_a_case_that_cannot_take_the_message_is_refused(seller_client, seller, other_seller):
    theirs = case_for_order(other_seller)
    mine = case_for_order(seller)
    refused = seller_client.post(
        "/contact", data=form_input(order_id=ORDER, choice=f"add:{theirs.ref}")
    )
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "This case cannot take your message any more." in html
    assert f'value="add:{mine.ref}"' in html and theirs.ref not in html
    assert len(db.session.get(Ticket, theirs.id).messages) == 1
