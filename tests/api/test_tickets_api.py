"""Cases through /api/v1: open, list, read, reply, attach, move and claim."""

from __future__ import annotations

import io
import json

import pytest

from supportdesk.models import Status
from supportdesk.tickets import add_note, reply, transition

from .conftest import PNG, new_case, problem

NEW = {"type": "contact", "subject": "Payment missing", "body": "Order 42 was never paid."}


def test_open_a_case(client, seller, bearer):
    response = client.post(
        "/api/v1/tickets", json={**NEW, "order_id": "42", "fields": {}}, headers=bearer(seller)
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["ref"].startswith("SD-")
    assert body["status"] == "new" and body["type"] == "contact"
    assert body["subject"] == "Payment missing" and body["order_id"] == "42"
    assert body["created_at"] and body["url"].endswith(f"/cases/{body['ref']}")
    assert response.headers["Location"].endswith(f"/api/v1/tickets/{body['ref']}")
    case = client.get(response.headers["Location"], headers=bearer(seller)).get_json()
    assert case["messages"][0]["body"] == "Order 42 was never paid."
    assert case["messages"][0]["via"] == "api"


def test_an_idempotency_key_replays_the_first_answer(client, seller, bearer):
    headers = {**bearer(seller), "Idempotency-Key": "order-42-first-try"}
    first = client.post("/api/v1/tickets", json=NEW, headers=headers)
    again = client.post("/api/v1/tickets", json=NEW, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()
    assert first.headers["Location"] == again.headers["Location"]
    listed = client.get("/api/v1/tickets", headers=headers).get_json()["items"]
    assert len(listed) == 1
    other = client.post("/api/v1/tickets", json={**NEW, "subject": "Other"}, headers=headers)
    problem(other, 409, "idempotency-key-reused")
    problem(
        client.post("/api/v1/tickets", json=NEW, headers={**headers, "Idempotency-Key": "x" * 201}),
        422,
        "validation-error",
    )


def test_invalid_cases_are_validation_errors(client, seller, bearer):
    headers = bearer(seller)
    body = problem(
        client.post("/api/v1/tickets", json={"type": "nope", "subject": 3}, headers=headers),
        422,
        "validation-error",
    )
    assert set(body["errors"]) == {"subject", "body"}
    body = problem(
        client.post("/api/v1/tickets", json={**NEW, "type": "nope"}, headers=headers),
        422,
        "validation-error",
    )
    assert set(body["errors"]) == {"type"}
    # The type validates its own extra fields.
    body = problem(
        client.post(
            "/api/v1/tickets", json={**NEW, "fields": {"topic": "no-such-topic"}}, headers=headers
        ),
        422,
        "validation-error",
    )
    assert set(body["errors"]) == {"topic"}
    body = problem(
        client.post("/api/v1/tickets", json={**NEW, "fields": {"unknown": "x"}}, headers=headers),
        422,
        "validation-error",
    )
    assert set(body["errors"]) == {"unknown"}
    problem(
        client.post("/api/v1/tickets", data="subject=x", headers=headers),
        415,
        "unsupported-media-type",
    )
    problem(
        client.post(
            "/api/v1/tickets", data="[1]", content_type="application/json", headers=headers
        ),
        400,
        "bad-request",
    )


def test_the_list_pages_with_a_cursor_and_filters(client, seller, other_seller, bearer):
    mine = [new_case(seller, subject=f"Case {i}") for i in range(5)]
    new_case(other_seller)
    headers = bearer(seller)
    seen, cursor = [], None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/tickets", query_string=query, headers=headers).get_json()
        assert len(page["items"]) <= 2
        seen += [item["ref"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [t.ref for t in reversed(mine)]
    transition(mine[0], actor=seller, status=Status.CLOSED)  # a seller may close their case
    closed = client.get("/api/v1/tickets?status=closed", headers=headers).get_json()
    assert [i["ref"] for i in closed["items"]] == [mine[0].ref]
    assert client.get("/api/v1/tickets?type=fraud_report", headers=headers).get_json() == {
        "items": [],
        "next_cursor": None,
    }
    problem(client.get("/api/v1/tickets?cursor=garbage", headers=headers), 400, "bad-cursor")
    body = problem(
        client.get("/api/v1/tickets?limit=0&status=lost", headers=headers), 422, "validation-error"
    )
    assert set(body["errors"]) == {"limit", "status"}


def test_an_agent_lists_their_queues(client, seller, agent, make_user, bearer):
    case = new_case(seller)
    outsider = make_user("agent", queues=["elsewhere"])
    refs = [i["ref"] for i in client.get("/api/v1/tickets", headers=bearer(agent)).json["items"]]
    assert refs == [case.ref]
    assert client.get("/api/v1/tickets", headers=bearer(outsider)).json["items"] == []
    problem(client.get(f"/api/v1/tickets/{case.ref}", headers=bearer(outsider)), 404, "not-found")


def test_notes_are_for_staff_only(client, seller, agent, bearer):
    case = new_case(seller)
    add_note(case, actor=agent, body="Looks like fraud")
    reply(case, actor=agent, body="We are on it")
    seen_by_seller = client.get(f"/api/v1/tickets/{case.ref}", headers=bearer(seller)).json
    assert [m["body"] for m in seen_by_seller["messages"]] == ["Order 123 unpaid", "We are on it"]
    assert "assignee" not in seen_by_seller
    seen_by_agent = client.get(f"/api/v1/tickets/{case.ref}", headers=bearer(agent)).json
    assert [m["internal"] for m in seen_by_agent["messages"]] == [False, True, False]
    assert [m["author"] for m in seen_by_agent["messages"]] == ["seller", "staff", "staff"]


def test_replies_and_notes(client, seller, agent, bearer):
    case = new_case(seller)
    url = f"/api/v1/tickets/{case.ref}/messages"
    response = client.post(url, json={"body": "Any news?"}, headers=bearer(seller))
    assert response.status_code == 201
    assert response.json["body"] == "Any news?" and response.json["author"] == "seller"
    body = problem(
        client.post(
            url, json={"body": "x", "internal": True, "status": "resolved"}, headers=bearer(seller)
        ),
        422,
        "validation-error",
    )
    assert set(body["errors"]) == {"internal", "status"}
    problem(client.post(url, json={"body": "  "}, headers=bearer(seller)), 422, "validation-error")
    note = client.post(url, json={"body": "Check it", "internal": True}, headers=bearer(agent))
    assert note.status_code == 201 and note.json["internal"] is True
    answer = client.post(
        url, json={"body": "Paid now", "status": "resolved"}, headers=bearer(agent)
    )
    assert answer.status_code == 201
    case_json = client.get(f"/api/v1/tickets/{case.ref}", headers=bearer(seller)).json
    assert case_json["status"] == "resolved"
    assert [m["body"] for m in case_json["messages"]] == [
        "Order 123 unpaid",
        "Any news?",
        "Paid now",
    ]


def test_attachments_go_through_the_core_checks(client, seller, bearer):
    case = new_case(seller)
    url = f"/api/v1/tickets/{case.ref}/attachments"
    response = client.post(
        url,
        data={"file": (io.BytesIO(PNG), "proof.png"), "body": "The screenshot"},
        headers=bearer(seller),
    )
    assert response.status_code == 201, response.json
    attachment = response.json["attachments"][0]
    assert attachment["filename"] == "proof.png" and attachment["content_type"] == "image/png"
    assert attachment["url"].endswith(f"/files/{attachment['id']}")
    detail = client.get(f"/api/v1/tickets/{case.ref}", headers=bearer(seller)).json
    assert detail["messages"][-1]["attachments"] == [attachment]
    download = client.get(attachment["url"], headers=bearer(seller))
    assert download.status_code == 200 and download.data == PNG
    # Without a body, the message says which file was sent.
    plain = client.post(url, data={"file": (io.BytesIO(b"hello"), "a.txt")}, headers=bearer(seller))
    assert plain.status_code == 201 and "a.txt" in plain.json["body"]
    html = client.post(
        url, data={"file": (io.BytesIO(b"<html><script>"), "x.html")}, headers=bearer(seller)
    )
    assert "file" in problem(html, 422, "validation-error")["errors"]
    assert (
        "file"
        in problem(client.post(url, data={}, headers=bearer(seller)), 422, "validation-error")[
            "errors"
        ]
    )


def test_an_upload_over_the_request_limit_is_413(app, client, seller, bearer):
    case = new_case(seller)
    app.config["MAX_CONTENT_LENGTH"] = 1024  # set after start-up, which refuses so low a cap
    response = client.post(
        f"/api/v1/tickets/{case.ref}/attachments",
        data={"file": (io.BytesIO(PNG + b"\x00" * 4096), "big.png")},
        headers=bearer(seller),
    )
    problem(response, 413, "payload-too-large")


def test_status_changes_and_claims(client, seller, agent, make_user, bearer):
    case = new_case(seller)
    url = f"/api/v1/tickets/{case.ref}"
    moved = client.post(f"{url}/status", json={"status": "waiting"}, headers=bearer(agent))
    assert moved.status_code == 200 and moved.json["status"] == "waiting"
    problem(
        client.post(f"{url}/status", json={"status": "lost"}, headers=bearer(agent)),
        422,
        "validation-error",
    )
    # A seller may close their case, not put it on hold.
    problem(
        client.post(f"{url}/status", json={"status": "resolved"}, headers=bearer(seller)),
        403,
        "forbidden",
    )
    closed = client.post(f"{url}/status", json={"status": "closed"}, headers=bearer(seller))
    assert closed.json["status"] == "closed"
    problem(client.post(f"{url}/claim", headers=bearer(seller)), 403, "forbidden")
    assert client.post(f"{url}/claim", headers=bearer(agent)).status_code == 200
    queues = [q.key for q in agent.queues]
    rival = make_user("agent", queues=queues)
    body = problem(client.post(f"{url}/claim", headers=bearer(rival)), 409, "conflict")
    assert body["detail"]


@pytest.mark.parametrize("path", ["/api/v1/nothing-here", "/api/v1/tickets/SD-XXXX-XXXX"])
def test_unknown_addresses_are_404_problems(client, seller, bearer, path):
    problem(client.get(path, headers=bearer(seller)), 404, "not-found")


def test_a_wrong_method_is_a_405_problem(client, seller, bearer):
    problem(client.delete("/api/v1/tickets", headers=bearer(seller)), 405, "method-not-allowed")


def test_types_with_their_own_guided_form_cannot_be_opened_through_the_api(app, client, seller):
    from supportdesk.accounts import create_token

    token = create_token(seller)
    for type_key in ("fraud_report", "guarantee_claim", "feedback_dispute"):
        response = client.post(
            "/api/v1/tickets",
            json={"type": type_key, "subject": "Skip the rules", "body": "please"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 422
        assert "type" in response.get_json()["errors"]
    document = client.get("/api/v1/openapi.json").get_json()
    assert "fraud_report" not in json.dumps(document)
