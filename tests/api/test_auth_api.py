"""Who may call the API: bearer tokens with scopes, the session with CSRF, rate limits."""

from __future__ import annotations

import sqlalchemy as sa
from itsdangerous import URLSafeTimedSerializer

from supportdesk.accounts import create_token
from supportdesk.extensions import db
from supportdesk.models import ApiToken, utcnow

from .conftest import new_case, problem

NEW = {"type": "contact", "subject": "Payment missing", "body": "Order 42 was never paid."}


def test_no_credentials_is_401_with_a_bearer_challenge(client, seller):
    case = new_case(seller)
    for response in (
        client.get("/api/v1/tickets"),
        client.get(f"/api/v1/tickets/{case.ref}"),
        client.post("/api/v1/tickets", json=NEW),
    ):
        problem(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_wrong_or_revoked_token_is_401(client, seller):
    problem(
        client.get("/api/v1/tickets", headers={"Authorization": "Bearer sdk_nope"}),
        401,
        "unauthorized",
    )
    token = create_token(seller)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/tickets", headers=headers).status_code == 200
    row = db.session.scalar(sa.select(ApiToken).where(ApiToken.user_id == seller.id))
    assert row.token_hash != token and token not in row.token_hash  # stored hashed
    row.revoked_at = utcnow()
    db.session.commit()
    problem(client.get("/api/v1/tickets", headers=headers), 401, "unauthorized")


def test_a_read_token_reads_but_never_writes(client, seller, bearer):
    case = new_case(seller)
    headers = bearer(seller, scope="read")
    assert client.get("/api/v1/tickets", headers=headers).status_code == 200
    assert client.get(f"/api/v1/tickets/{case.ref}", headers=headers).status_code == 200
    writes = [
        ("/api/v1/tickets", NEW),
        (f"/api/v1/tickets/{case.ref}/messages", {"body": "hi"}),
        (f"/api/v1/tickets/{case.ref}/status", {"status": "closed"}),
        (f"/api/v1/tickets/{case.ref}/claim", None),
        (f"/api/v1/tickets/{case.ref}/attachments", None),
    ]
    for url, body in writes:
        problem(client.post(url, json=body, headers=headers), 403, "insufficient-scope")
    assert len(client.get(f"/api/v1/tickets/{case.ref}", headers=headers).json["messages"]) == 1


def csrf_token_for(client, app) -> str:
    """Put a CSRF secret in the client's session and return the token Flask-WTF expects."""
    raw = "a" * 40
    with client.session_transaction() as session:
        session["csrf_token"] = raw
    return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)


def test_the_session_works_with_a_csrf_header(make_app, login):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        from supportdesk.accounts import create_user

        seller = create_user("session@example.com")
        client = login(app.test_client(), seller)
        assert client.get("/api/v1/tickets").status_code == 200
        problem(client.post("/api/v1/tickets", json=NEW), 403, "csrf-failed")
        token = csrf_token_for(client, app)
        response = client.post("/api/v1/tickets", json=NEW, headers={"X-CSRFToken": token})
        assert response.status_code == 201
        # A bearer request needs no CSRF token: another site cannot send the header.
        bearer = {"Authorization": f"Bearer {create_token(seller)}"}
        assert (
            app.test_client().post("/api/v1/tickets", json=NEW, headers=bearer).status_code == 201
        )


def test_a_token_wins_over_a_session_cookie(client, seller, other_seller, login, bearer):
    login(client, seller)
    mine = new_case(seller)
    problem(
        client.get(f"/api/v1/tickets/{mine.ref}", headers=bearer(other_seller)), 404, "not-found"
    )


def test_rate_limits_answer_429_with_retry_after(make_app):
    app = make_app(RATELIMIT_ENABLED=True, SUPPORTDESK_API_RATE_LIMIT="3 per minute")
    with app.app_context():
        from supportdesk.accounts import create_user

        seller = create_user("busy@example.com")
        other = create_user("calm@example.com")
        client = app.test_client()
        headers = {"Authorization": f"Bearer {create_token(seller)}"}
        codes = [client.get("/api/v1/tickets", headers=headers).status_code for _ in range(3)]
        assert codes == [200, 200, 200]
        # The budget is shared by every operation.
        limited = client.post("/api/v1/tickets", json=NEW, headers=headers)
        problem(limited, 429, "rate-limited")
        assert int(limited.headers["Retry-After"]) > 0
        # Each token has its own budget.
        others = {"Authorization": f"Bearer {create_token(other)}"}
        assert client.get("/api/v1/tickets", headers=others).status_code == 200
