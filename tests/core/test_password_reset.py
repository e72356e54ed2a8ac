"""Password reset: "Forgot your password?", the mail through the outbox and a real SMTP server,
the single-use expiring link, and what it does not give away (who has an account)."""

from __future__ import annotations

import json
import re
import statistics
import time

import pytest
import sqlalchemy as sa
from flask import Flask, session
from flask_login import LoginManager, UserMixin, login_user
from itsdangerous import URLSafeTimedSerializer

from supportdesk import ConfigurationError
from supportdesk.accounts import RESET_SALT, find_user
from supportdesk.extensions import db
from supportdesk.mail.sender import OutboxWorker
from supportdesk.models import Outbox, User
from tests.core.test_mail_out import MAIL, SmtpInbox, html_of, text_of
from tests.core.test_mounting import mount_desk

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new passphrase"
BASE = "https://desk.example"
LINK = re.compile(r"https://desk\.example/password-reset/([A-Za-z0-9_.\-]+)")
SENT_NOTICE = "If an account uses this address, we have sent it a link to choose a new password."


@pytest.fixture
def inbox():
    server = SmtpInbox().start()
    yield server
    server.stop()


@pytest.fixture
def app(make_app, inbox):
    """A desk with CSRF on, a public address, and mail going to the real SMTP server."""
    desk = make_app(
        WTF_CSRF_ENABLED=True,
        SUPPORTDESK_BASE_URL=BASE,
        SUPPORTDESK_SMTP_PORT=inbox.port,
        **MAIL,
    )
    with desk.app_context():
        yield desk


def csrf_token(html: str) -> str:
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def submit(client, url: str, **fields):
    """Open the page as a browser does, then post its form with the page's CSRF token."""
    page = client.get(url).get_data(as_text=True)
    return client.post(url, data={"csrf_token": csrf_token(page), **fields})


def ask_for_link(client, email: str, **headers):
    page = client.get("/password-reset", headers=headers).get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), "email": email}
    return client.post("/password-reset", data=data, headers=headers)


def deliver() -> None:
    OutboxWorker().run(once=True)


def outbox_rows() -> list[Outbox]:
    db.session.commit()
    return list(db.session.scalars(sa.select(Outbox).order_by(Outbox.id)))


def mailed_link(inbox, email: str) -> str:
    """The reset link of the last mail ``email`` received; the same in the text and HTML."""
    mail = [r for r in inbox.received if r.rcpt_tos == [email]][-1].mail
    link = LINK.search(text_of(mail)).group(0)
    assert f'href="{link}"' in html_of(mail)
    return link.removeprefix(BASE)


def signs_in(client, email: str, password: str) -> bool:
    return submit(client, "/sign-in", email=email, password=password).status_code == 302


def password_is(email: str, password: str) -> bool:
    db.session.expire_all()
    return find_user(email).check_password(password)


# --- the whole way -----------------------------------------------------------------------------


def test_a_seller_chooses_a_new_password_through_the_mailed_link(app, client, inbox, seller, login):
    elsewhere = login(app.test_client(), seller)  # signed in on another device
    sign_in_page = client.get("/sign-in").get_data(as_text=True)
    assert 'href="/password-reset">Forgot your password?</a>' in sign_in_page

    asked = ask_for_link(client, "  Seller@Example.com ")
    assert asked.status_code == 303 and asked.headers["Location"] == "/sign-in"
    assert SENT_NOTICE in client.get("/sign-in").get_data(as_text=True)

    (row,) = outbox_rows()
    assert (row.kind, row.recipient) == ("password_reset", seller.email)
    deliver()
    (received,) = inbox.received
    assert received.rcpt_tos == [seller.email]
    assert received.mail["Subject"] == "Choose a new password"
    assert "Hello Sam Seller," in text_of(received.mail)
    assert "The link works for 60 minutes, and only once." in text_of(received.mail)
    link = mailed_link(inbox, seller.email)
    # The token is signed when the mail is sent: the database never holds a usable one.
    assert link.rsplit("/", 1)[1] not in json.dumps(outbox_rows()[0].payload)

    page = client.get(link)
    assert page.status_code == 200
    assert seller.email in page.get_data(as_text=True)
    assert page.headers["Referrer-Policy"] == "no-referrer"  # the token stays on this site
    assert page.headers["Cache-Control"] == "no-store"

    token = csrf_token(page.get_data(as_text=True))
    differ = client.post(
        link, data={"csrf_token": token, "password": NEW_PASSWORD, "confirm": "something else"}
    )
    assert "The two passwords differ." in differ.get_data(as_text=True)
    short = client.post(link, data={"csrf_token": token, "password": "short", "confirm": "short"})
    assert 'id="password-error"' in short.get_data(as_text=True)
    assert password_is(seller.email, PASSWORD)

    done = client.post(
        link, data={"csrf_token": token, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert done.status_code == 303 and done.headers["Location"] == "/"
    home = client.get("/").get_data(as_text=True)
    assert "Your new password is saved and you are signed in." in home
    assert "Sam Seller" in home
    # The other device is signed out; the old password no longer works, the new one does.
    assert "Sam Seller" not in elsewhere.get("/").get_data(as_text=True)
    assert not signs_in(app.test_client(), seller.email, PASSWORD)
    assert signs_in(app.test_client(), seller.email, NEW_PASSWORD)

    deliver()  # the owner hears of the change, with the way back if it was not them
    changed = inbox.received[-1].mail
    assert changed["Subject"] == "Your password was changed"
    assert f"{BASE}/password-reset" in text_of(changed)


def test_a_french_seller_gets_the_mail_in_french(app, client, inbox, make_user):
    make_user(email="lea@example.com", name="Léa", locale="fr")
    ask_for_link(client, "lea@example.com", **{"Accept-Language": "en"})
    deliver()
    mail = inbox.received[0].mail
    assert mail["Subject"] == "Choisissez un nouveau mot de passe"
    assert mail["Content-Language"] == "fr"
    text = text_of(mail)
    assert "Bonjour Léa," in text
    assert "Le lien fonctionne pendant 60 minutes, et une seule fois." in text
    assert LINK.search(text)


# --- links that do not work --------------------------------------------------------------------


def test_a_used_link_does_not_work_again(app, client, inbox, seller):
    ask_for_link(client, seller.email)
    deliver()
    link = mailed_link(inbox, seller.email)
    submit(client, link, password=NEW_PASSWORD, confirm=NEW_PASSWORD)
    assert password_is(seller.email, NEW_PASSWORD)
    attacker = app.test_client()  # someone who read the mail afterwards
    again = attacker.get(link)
    assert again.status_code == 400
    assert "This link is not valid" in again.get_data(as_text=True)
    assert submit_blind(attacker, link).status_code == 400
    assert password_is(seller.email, NEW_PASSWORD)


def test_a_link_dies_when_the_password_changes_another_way(app, client, inbox, seller):
    ask_for_link(client, seller.email)
    deliver()
    link = mailed_link(inbox, seller.email)
    seller.set_password("changed by the seller")  # on another page, or by an admin
    db.session.commit()
    assert client.get(link).status_code == 400
    assert submit_blind(client, link).status_code == 400
    assert password_is(seller.email, "changed by the seller")


def submit_blind(client, link: str):
    """Post a new password to ``link`` with a valid CSRF token taken from another page."""
    token = csrf_token(client.get("/password-reset").get_data(as_text=True))
    return client.post(
        link, data={"csrf_token": token, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )


def test_a_request_outdated_by_a_password_change_sends_no_link(app, client, inbox, seller):
    ask_for_link(client, seller.email)
    seller.set_password("changed before the mail went out")
    db.session.commit()
    deliver()
    assert inbox.received == []
    (row,) = outbox_rows()
    assert row.status == "failed" and "account changed" in row.last_error


def test_an_expired_link_says_so_and_offers_a_new_one(make_app, inbox):
    app = make_app(
        WTF_CSRF_ENABLED=True,
        SUPPORTDESK_BASE_URL=BASE,
        SUPPORTDESK_PASSWORD_RESET_MAX_AGE=1,
        SUPPORTDESK_SMTP_PORT=inbox.port,
        **MAIL,
    )
    with app.app_context():
        user = User(email="slow@example.com", name="Slow")
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        client = app.test_client()
        ask_for_link(client, user.email)
        deliver()
        link = mailed_link(inbox, user.email)
        time.sleep(2.2)  # the link is signed in whole seconds; it works for one
        expired = client.get(link)
        html = expired.get_data(as_text=True)
        assert expired.status_code == 400
        assert "This link has expired" in html and 'href="/password-reset"' in html
        assert submit_blind(client, link).status_code == 400
        assert password_is(user.email, PASSWORD)


def test_forged_links_change_nothing(app, client, inbox, seller, other_seller):
    ask_for_link(client, seller.email)
    deliver()
    link = mailed_link(inbox, seller.email)
    token = link.rsplit("/", 1)[1]
    _payload, stamp, signature = token.split(".")
    other_payload = URLSafeTimedSerializer("x").dump_payload(other_seller.id).decode()
    wrong_key = URLSafeTimedSerializer("not the desk's secret", salt=RESET_SALT)
    forged = [
        "not-a-token",
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # signature altered
        f"{other_payload}.{stamp}.{signature}",  # the seller's signature on another account
        wrong_key.dumps(seller.id),  # the right format, signed without the desk's secret
        URLSafeTimedSerializer(app.secret_key).dumps(seller.id),  # not bound to the account
        URLSafeTimedSerializer(app.secret_key).dumps(10**30),  # an id no database holds
        URLSafeTimedSerializer(app.secret_key).dumps("1 OR 1=1"),
    ]
    for fake in forged:
        answer = client.get(f"/password-reset/{fake}")
        assert answer.status_code == 400, fake
        assert submit_blind(client, f"/password-reset/{fake}").status_code == 400, fake
    assert password_is(seller.email, PASSWORD)
    assert password_is(other_seller.email, PASSWORD)


# --- what the form does not give away ----------------------------------------------------------


def test_an_unknown_or_closed_address_gets_the_same_answer_and_no_mail(
    app, client, inbox, seller, make_user
):
    closed = make_user(email="closed@example.com")
    closed.active = False
    db.session.commit()
    answers = []
    for email in (seller.email, "nobody@example.com", closed.email):
        response = ask_for_link(client, email)
        notice = client.get(response.headers["Location"]).get_data(as_text=True)
        answers.append((response.status_code, response.headers["Location"], SENT_NOTICE in notice))
    assert answers == [(303, "/sign-in", True)] * 3
    deliver()
    assert [r.rcpt_tos for r in inbox.received] == [[seller.email]]


def test_asking_takes_as_long_for_an_unknown_address(app, seller):
    """No password is hashed and no mail is sent while the visitor waits, whether the account
    exists or not: the two answers take about as long."""
    client = app.test_client()
    timings: dict[str, list[float]] = {seller.email: [], "nobody@example.com": []}
    token = csrf_token(client.get("/password-reset").get_data(as_text=True))
    for _ in range(12):
        for email, spent in timings.items():
            started = time.perf_counter()
            client.post("/password-reset", data={"csrf_token": token, "email": email})
            spent.append(time.perf_counter() - started)
    known, unknown = (statistics.median(spent) for spent in timings.values())
    assert abs(known - unknown) < 0.010 + 0.5 * min(known, unknown), (known, unknown)


def test_sign_in_takes_as_long_for_an_unknown_address(make_app):
    """A wrong password and an unknown address both cost one real (scrypt) hash check."""
    app = make_app(SUPPORTDESK_PASSWORD_HASH="scrypt")
    with app.app_context():
        user = User(email="known@example.com")
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        client = app.test_client()
        timings: dict[str, list[float]] = {user.email: [], "nobody@example.com": []}
        for _ in range(5):
            for email, spent in timings.items():
                started = time.perf_counter()
                client.post("/sign-in", data={"email": email, "password": "wrong guess"})
                spent.append(time.perf_counter() - started)
        known, unknown = (statistics.median(spent) for spent in timings.values())
        assert unknown > 0.6 * known, (known, unknown)


def test_the_forms_refuse_a_post_without_the_csrf_token(app, client, inbox, seller):
    assert client.post("/password-reset", data={"email": seller.email}).status_code == 400
    assert outbox_rows() == []
    ask_for_link(client, seller.email)
    deliver()
    link = mailed_link(inbox, seller.email)
    forged = client.post(
        link, data={"password": "attacker password", "confirm": "attacker password"}
    )
    assert forged.status_code == 400
    assert password_is(seller.email, PASSWORD)


def test_the_link_uses_the_configured_address_whatever_host_the_request_names(
    app, client, inbox, seller
):
    # The attacker's own requests, naming their host, for the victim's address.
    asked = ask_for_link(client, seller.email, Host="evil.example")
    assert asked.status_code == 303
    deliver()
    text = text_of(inbox.received[0].mail)
    assert "evil.example" not in text and LINK.search(text)


def test_a_malformed_address_is_refused_at_the_field(app, client):
    refused = ask_for_link(client, "not an address")
    assert refused.status_code == 200
    html = refused.get_data(as_text=True)
    assert 'id="email-error"' in html and 'value="not an address"' in html
    assert outbox_rows() == []


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("SUPPORTDESK_PASSWORD_RESET_MAX_AGE", 0, "must be a number of seconds above 0"),
        ("SUPPORTDESK_PASSWORD_RESET_MAX_AGE", "1 hour", "must be a number of seconds above 0"),
        ("SUPPORTDESK_BASE_URL", "desk.example", "must be the desk's public address"),
        ("SUPPORTDESK_BASE_URL", "javascript://x", "must be the desk's public address"),
    ],
)
def test_a_bad_reset_setting_stops_the_start(make_app, setting, value, message):
    with pytest.raises(ConfigurationError, match=message):
        make_app(**{setting: value})


def test_a_marketplace_that_signs_people_in_itself_keeps_its_own_reset(tmp_path):
    class ShopUser(UserMixin):
        def __init__(self, user_id):
            self.id = user_id

    host = Flask("marketplace")
    host.config.update(SECRET_KEY="host-secret", TESTING=True)
    shop_login = LoginManager(host)
    shop_login.login_view = "shop_sign_in"
    shop_login.user_loader(ShopUser)

    @host.get("/shop-login")
    def shop_sign_in():
        login_user(ShopUser("bob"))
        session["host_user"] = "bob"
        return "the shop's sign-in"

    mount_desk(host, tmp_path)
    with host.app_context():
        user = User(email="bob@shop.example")
        db.session.add(user)
        db.session.commit()
    client = host.test_client()
    for answer in (
        client.get("/support/password-reset"),
        client.post("/support/password-reset", data={"email": "bob@shop.example"}),
        client.get("/support/password-reset/anything"),
    ):
        assert answer.status_code == 302 and "/shop-login" in answer.headers["Location"]
    with host.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Outbox)) == 0
