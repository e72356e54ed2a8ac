"""The whole way to support in a real browser (Chromium, through Playwright): sign in, search the
help, open "Contact support" from the results, see suggestions while typing, send, and read the
reference on the confirmation page.

Run alone with ``pytest -m browser``; skip with ``-m "not browser"``. It needs Debian's
``chromium`` at /usr/bin/chromium (Playwright's own browsers are not used).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from supportdesk.extensions import db
from supportdesk.models import Outbox, Ticket

from .conftest import PNG, publish_help

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
    ),
]


@pytest.fixture
def live_desk(make_app, tmp_path) -> Iterator[tuple[str, object]]:
    """The desk served on 127.0.0.1 by a real HTTP server, on a SQLite file, CSRF on, with
    help articles and a seller; yields its address and the application."""
    app = make_app(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'browser.db'}", WTF_CSRF_ENABLED=True
    )
    with app.app_context():
        from supportdesk.accounts import create_user

        create_user("sam@example.com", password="a long password", name="Sam Seller")
        publish_help(
            app,
            [
                (
                    "payouts",
                    "en",
                    "When your payouts arrive",
                    "Payouts are sent to your bank account every week. "
                    "A missing payout is often a bank holiday.",
                ),
                (
                    "missing-payout",
                    "en",
                    "A payout is missing",
                    "If a payout is missing after five days, check your bank details.",
                ),
            ],
        )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


def new_page(browser, **options):
    context = browser.new_context(
        locale="en-GB", viewport={"width": 1100, "height": 1400}, **options
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


@pytest.fixture
def artifacts(request) -> Path:
    """Screenshots go to test-artifacts/ (ignored by git)."""
    folder = request.config.rootpath / "test-artifacts"
    folder.mkdir(exist_ok=True)
    return folder


def sign_in(page, base: str) -> None:
    page.goto(f"{base}/help")
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Email").fill("sam@example.com")
    page.get_by_label("Password").fill("a long password")
    page.get_by_role("button", name="Sign in").last.click()
    page.wait_for_url(f"{base}/help")


def test_from_a_help_search_to_the_confirmation(live_desk, browser, artifacts):
    base, app = live_desk
    page = new_page(browser)
    problems: list[str] = []

    def console(message) -> None:
        # The desk has no favicon: the browser's request for one is not the page's problem.
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            problems.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(str(error)))

    # Sign in through the real form, from the help centre.
    sign_in(page, base)

    # Search the help; no answer fits: contact support from the results.
    page.locator("form.help-search input[name=q]").fill("payout missing")
    page.locator("form.help-search button[type=submit]").click()
    page.wait_for_url(re.compile(r"/help/search\?"))
    page.get_by_role("link", name="Contact support").last.click()
    page.wait_for_url(re.compile(r"/contact\?q=payout"))
    assert page.locator("input[name=subject]").input_value() == "payout missing"

    # Suggestions appear while the seller writes.
    suggestions = page.locator("#contact-suggestions")
    assert suggestions.get_attribute("aria-live") == "polite"
    suggestions.get_by_role("link", name="A payout is missing").wait_for()
    page.locator("input[name=subject]").fill("")
    page.locator("input[name=subject]").press_sequentially("Payout of last week is missing")
    page.locator("textarea[name=body]").fill("")
    page.locator("textarea[name=body]").press_sequentially("My weekly payout has not arrived.")
    suggestions.get_by_role("link", name="When your payouts arrive").wait_for()
    assert suggestions.get_by_role("link").count() <= 3

    # Fill in the rest and send.
    page.get_by_label("What is your message about?").select_option("payments")
    page.get_by_label("Order number").fill("4021-5583-1176")
    page.get_by_label("Attach files").set_input_files(
        files=[{"name": "statement.png", "mimeType": "image/png", "buffer": PNG}]
    )
    page.get_by_label("Language of our answer").select_option("fr")
    page.screenshot(path=str(artifacts / "contact-form.png"), full_page=True)
    page.get_by_role("button", name="Send my message").click()

    # The confirmation shows the reference.
    page.wait_for_url(re.compile(r"/contact/sent/SD-"))
    page.get_by_role("heading", name="Your message has reached seller support").wait_for()
    shown_ref = page.locator(".contact-sent-ref .case-ref").inner_text()
    assert re.fullmatch(r"SD-[0-9A-Z]{4}-[0-9A-Z]{4}", shown_ref)
    page.screenshot(path=str(artifacts / "contact-sent.png"), full_page=True)

    with app.app_context():
        ticket = db.session.scalars(sa.select(Ticket)).one()
        assert ticket.ref == shown_ref
        assert (ticket.subject, ticket.order_id) == (
            "Payout of last week is missing",
            "4021-5583-1176",
        )
        assert ticket.fields == {"topic": "payments", "reply_language": "fr"}
        assert [a.filename for a in ticket.messages[0].attachments] == ["statement.png"]
        assert db.session.scalar(sa.select(Outbox.kind)) == "ticket_opened"
    page.get_by_role("link", name="See your case").click()
    page.wait_for_url(f"{base}/cases/{shown_ref}")
    assert problems == []  # no script error, no CSP violation


def test_without_javascript_the_suggestions_come_after_a_first_submit(
    live_desk, browser, artifacts
):
    base, app = live_desk
    page = new_page(browser, java_script_enabled=False)
    sign_in(page, base)
    page.goto(f"{base}/contact?q=payout+missing")
    page.get_by_label("What is your message about?").select_option("payments")
    page.get_by_label("Attach files").set_input_files(
        files=[{"name": "statement.png", "mimeType": "image/png", "buffer": PNG}]
    )
    page.get_by_role("button", name="Send my message").click()
    page.get_by_role("heading", name="Did one of these answer you?").wait_for()
    assert page.get_by_role("link", name="A payout is missing").count() == 1
    assert page.get_by_text("Files attached: statement.png").count() == 1
    page.screenshot(path=str(artifacts / "contact-no-script-suggestions.png"), full_page=True)
    page.get_by_role("button", name="No, send my message").first.click()
    page.wait_for_url(re.compile(r"/contact/sent/SD-"))
    with app.app_context():
        ticket = db.session.scalars(sa.select(Ticket)).one()
        assert [a.filename for a in ticket.messages[0].attachments] == ["statement.png"]
