"""Accounts: sign-in and sign-out, sessions, rate limit, roles, registration, tokens."""

from __future__ import annotations

import pytest

from supportdesk.accounts import create_token, find_user
from supportdesk.extensions import db
from supportdesk.models import ApiToken, Role, User

PASSWORD = "correct horse battery"


def sign_in(client, email, password=PASSWORD, **extra):
    return client.post("/sign-in", data={"email": email, "password": password, **extra})


def test_sign_in_and_out(app, client, seller):
    response = sign_in(client, seller.email)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Sam Seller" in client.get("/").get_data(as_text=True)
    client.post("/sign-out")
    assert "Sam Seller" not in client.get("/").get_data(as_text=True)


def test_email_is_matched_without_case_or_spaces(client, seller):
    assert sign_in(client, "  SELLER@Example.com ").status_code == 302


def test_a_wrong_password_is_refused_at_the_field_and_the_email_kept(client, seller):
    response = sign_in(client, seller.email, "wrong password")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "do not match an account" in html
    assert f'value="{seller.email}"' in html  # what the person typed is kept
    assert 'aria-invalid="true"' in html


def test_a_disabled_account_cannot_sign_in(client, seller):
    seller.active = False
    db.session.commit()
    assert sign_in(client, seller.email).status_code == 200


def test_the_session_is_renewed_at_sign_in(client, seller):
    """A value planted in the session before sign-in (session fixation) does not survive it."""
    with client.session_transaction() as session:
        session["planted"] = "attacker"
        session["locale"] = "fr"
    sign_in(client, seller.email)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["locale"] == "fr"  # the visitor's language choice is kept
        assert session["_user_id"] == seller.get_id()


def test_a_password_change_signs_out_other_sessions(app, client, seller):
    sign_in(client, seller.email)
    seller.set_password("a brand new password")
    db.session.commit()
    assert "Sam Seller" not in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example", "/\\evil", "javascript:x"]
)
def test_sign_in_redirects_only_to_local_paths(client, seller, target):
    response = sign_in(client, seller.email, next=target)
    assert response.headers["Location"] == "/"


def test_sign_in_returns_to_the_page_asked_for(client, seller):
    assert sign_in(client, seller.email, next="/staff/?q=1").headers["Location"] == "/staff/?q=1"


def test_sign_in_is_rate_limited(make_app, make_user):
    app = make_app(RATELIMIT_ENABLED=True, SUPPORTDESK_LOGIN_RATE_LIMIT="3 per minute")
    with app.app_context():
        user = make_user()
        client = app.test_client()
        codes = [sign_in(client, user.email, "wrong").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = sign_in(client, user.email)  # even the right password waits
        assert limited.status_code == 429
        assert "Too many requests" in limited.get_data(as_text=True)
        assert int(limited.headers["Retry-After"]) > 0


def test_staff_pages_need_a_staff_role(app, client, login, seller, agent):
    assert client.get("/staff/").status_code == 302  # anonymous: to sign-in
    login(client, seller)
    assert client.get("/staff/").status_code == 403
    login(client, agent)
    assert client.get("/staff/").status_code == 200


def test_staff_see_a_staff_link_sellers_do_not(app, client, login, seller, agent):
    login(client, seller)
    assert 'href="/staff/"' not in client.get("/").get_data(as_text=True)
    login(client, agent)
    assert 'href="/staff/"' in client.get("/").get_data(as_text=True)


def test_self_registration_is_off_by_default(client):
    assert client.get("/register").status_code == 404
    assert "Create an account" not in client.get("/sign-in").get_data(as_text=True)


def test_self_registration_when_switched_on(make_app):
    app = make_app(SUPPORTDESK_SELF_REGISTRATION=True)
    client = app.test_client()
    form = {
        "name": "New Shop",
        "email": "new@shop.example",
        "password": "long enough pw",
        "confirm": "long enough pw",
    }
    bad = client.post("/register", data={**form, "confirm": "different"})
    assert "The two passwords differ." in bad.get_data(as_text=True)
    assert client.post("/register", data=form).status_code == 302
    with app.app_context():
        user = find_user("new@shop.example")
        assert user.role == Role.SELLER  # never staff, whatever the form says
    again = client.post("/register", data={**form, "role": "admin"})
    assert "already exists" in again.get_data(as_text=True)


def test_registration_ignores_a_role_field(make_app):
    app = make_app(SUPPORTDESK_SELF_REGISTRATION=True)
    form = {
        "name": "X",
        "email": "x@shop.example",
        "password": "long enough pw",
        "confirm": "long enough pw",
        "role": "admin",
    }
    app.test_client().post("/register", data=form)
    with app.app_context():
        assert find_user("x@shop.example").role == Role.SELLER


def test_a_bearer_token_identifies_its_user_and_is_stored_hashed(app, client, seller):
    token = create_token(seller)
    assert token.startswith("sdk_")
    assert db.session.query(ApiToken).one().token_hash != token
    page = client.get("/", headers={"Authorization": f"Bearer {token}"})
    assert "Sam Seller" in page.get_data(as_text=True)
    forged = client.get("/", headers={"Authorization": f"Bearer {token[:-2]}xx"})
    assert "Sam Seller" not in forged.get_data(as_text=True)


def test_create_user_and_create_token_commands(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "create-user",
            "Agent@Shop.example",
            "--role",
            "agent",
            "--queue",
            "fraud",
            "--password",
            "pw-long-enough",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.query(User).filter_by(email="agent@shop.example").one()
    assert user.role == "agent" and [q.key for q in user.queues] == ["fraud"]
    assert user.check_password("pw-long-enough")
    generated = runner.invoke(args=["create-user", "s@shop.example"])
    assert "Password: " in generated.output
    duplicate = runner.invoke(args=["create-user", "agent@shop.example"])
    assert duplicate.exit_code != 0 and "already exists" in duplicate.output
    bad_role = runner.invoke(args=["create-user", "z@shop.example", "--role", "boss"])
    assert bad_role.exit_code != 0
    token = runner.invoke(args=["create-token", "agent@shop.example"]).output.strip()
    client = app.test_client()
    assert "agent@shop.example" in client.get(
        "/", headers={"Authorization": f"Bearer {token}"}
    ).get_data(as_text=True)
    missing = runner.invoke(args=["create-token", "nobody@shop.example"])
    assert missing.exit_code != 0 and "no account" in missing.output


def test_revoke_token_command(app):
    runner = app.test_cli_runner()
    runner.invoke(args=["create-user", "t@shop.example", "--password", "pw-long-enough"])
    first = runner.invoke(args=["create-token", "t@shop.example"]).output.strip()
    second = runner.invoke(args=["create-token", "t@shop.example"]).output.strip()
    client = app.test_client()
    assert "t@shop.example" in client.get(
        "/", headers={"Authorization": f"Bearer {first}"}
    ).get_data(as_text=True)
    assert runner.invoke(args=["revoke-token", "t@shop.example", "--token", first]).exit_code == 0
    assert "t@shop.example" not in client.get(
        "/", headers={"Authorization": f"Bearer {first}"}
    ).get_data(as_text=True)
    assert "t@shop.example" in client.get(
        "/", headers={"Authorization": f"Bearer {second}"}
    ).get_data(as_text=True)
    assert "1 token(s) revoked." in runner.invoke(args=["revoke-token", "t@shop.example"]).output
    assert "t@shop.example" not in client.get(
        "/", headers={"Authorization": f"Bearer {second}"}
    ).get_data(as_text=True)
    unknown = runner.invoke(args=["revoke-token", "t@shop.example", "--token", "sdk_nope"])
    assert unknown.exit_code != 0
