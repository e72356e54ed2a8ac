"""End-to-end journeys in Chromium, in French and in English, as people go through the desk.

A seller searches the help, opens an article, contacts support from it with a file attached and
reads the case reference; reports fraud through every step of the intake; disputes a feedback.
Then an agent opens the queue, takes the case, replies and resolves it; and the seller reads the
reply and the resolved status on the case page. Each person switches the interface to the
journey's language with the language switch in the page (their browser asks for the other
language), and every step is checked on what the page says in that language. Screenshots of
each step are kept (see ``conftest``).
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.mail.render import compose
from supportdesk.models import Outbox, Ticket

from .conftest import BROWSER_MARKS, PASSWORD, PNG, Camera, LiveDesk, Watch, open_page
from .wording import TEXT, other_language_on

pytestmark = BROWSER_MARKS

HELP_ARTICLES = Path(__file__).parents[2] / "plugins" / "supportdesk_helpcenter" / "demo_articles"
#: Demo articles of the help centre the journeys search (both languages of each).
ARTICLE_SLUGS = ("payments-and-payouts", "seller-fees", "late-deliveries", "chargebacks")
ORDER = "4021-5583-1176"
#: The other language: the one each person's browser asks for before they switch.
BROWSER_LOCALE = {"en": "fr-FR", "fr": "en-GB"}


@pytest.fixture(scope="module")
def desk(live_desk: LiveDesk, tmp_path_factory: pytest.TempPathFactory) -> LiveDesk:
    """The live desk with a few demo help articles in both languages, imported the way a
    marketplace publishes them (``supportdesk import-articles``)."""
    folder = tmp_path_factory.mktemp("help")
    for locale in ("en", "fr"):
        (folder / locale).mkdir()
        for slug in ARTICLE_SLUGS:
            shutil.copy(HELP_ARTICLES / locale / f"{slug}.md", folder / locale)
    live_desk.cli("import-articles", str(folder))
    return live_desk


@dataclass
class JourneyCamera(Camera):
    """Each step's screenshot, once the page is checked to speak the journey's language."""

    def __call__(self, page: Any, step: str) -> Path:
        assert page.locator("html").get_attribute("lang") == self.locale
        assert other_language_on(page, self.locale) == [], f"{step} is not all in {self.locale}"
        return super().__call__(page, step)


@pytest.fixture
def camera(screenshot_folder: Path) -> Any:
    def make(journey: str, locale: str) -> Camera:
        return JourneyCamera(screenshot_folder, journey, locale)

    return make


def days_ago(days: int) -> str:
    return (date.today() - timedelta(days=days)).isoformat()


def flash(page: Any) -> str:
    """The text of the page's flash messages (they are announced in a status region)."""
    return page.locator(".flashes").inner_text()


def heading(page: Any, name: str, level: int | None = None) -> None:
    """Wait for a heading with exactly this text: the page says what the step is about."""
    options = {"level": level} if level else {}
    page.get_by_role("heading", name=name, exact=True, **options).wait_for()


def press(page: Any, button: Any) -> None:
    """Press a button that submits a form, and wait for the page the server answers with."""
    with page.expect_navigation():
        button.click()


def switch_language(page: Any, locale: str) -> None:
    """Choose the language in the page's language switch, as a person does."""
    page.locator("#locale-select").select_option(locale)
    press(page, page.locator("form.language-switch button[type=submit]"))
    assert page.locator("html").get_attribute("lang") == locale


def sign_in(page: Any, text: dict[str, str], email: str) -> None:
    """Sign in through the header's link and the sign-in form; back where one was."""
    came_from = page.url
    page.get_by_role("link", name=text["sign_in"], exact=True).click()
    heading(page, text["sign_in"], level=1)
    page.get_by_label(text["email"], exact=True).fill(email)
    page.get_by_label(text["password"], exact=True).fill(PASSWORD)
    page.get_by_role("button", name=text["sign_in"], exact=True).click()
    page.wait_for_url(came_from)
    assert page.locator(".signed-in-as").is_visible()


def no_trouble(watch: Watch) -> None:
    """Nothing a person would notice went wrong: no dialog, no script error, nothing refused by
    the Content-Security-Policy, no console error, no request outside the desk."""
    assert watch.attacks() == []
    assert watch.console_errors == []


# --- the seller ------------------------------------------------------------------------------


def seller_contacts_support(page: Any, text: dict[str, str], shot: Camera) -> str:
    """From the help centre to the confirmation of a contact case; its reference."""
    page.goto("/help")
    switch_language(page, text["locale"])
    heading(page, text["help_centre"], level=1)
    shot(page, "help-centre")

    sign_in(page, text, text["seller_email"])
    page.locator("form.help-search input[name=q]").fill(text["query"])
    page.locator("form.help-search").get_by_role("button", name=text["search"]).click()
    page.wait_for_url(re.compile(r"/help/search\?"))
    heading(page, text["search_heading"], level=1)
    assert re.fullmatch(
        text["results"], page.locator(".help-results-meta [role=status]").inner_text()
    )
    shot(page, "search-results")

    page.locator(".help-results").get_by_role("link", name=text["article"]).click()
    heading(page, text["article"], level=1)
    assert page.locator("article.help-article").get_attribute("lang") == text["locale"]
    shot(page, "article")

    contact = page.locator(".help-contact")
    assert contact.inner_text().startswith(text["still_need_help"])
    contact.get_by_role("link", name=text["contact_support"]).click()
    heading(page, text["contact_heading"], level=1)
    assert page.locator("input[name=subject]").input_value() == text["article"]
    page.get_by_label(text["topic"], exact=True).select_option("payments")
    page.get_by_label(text["order"], exact=True).fill(ORDER)
    page.get_by_label(text["message"], exact=True).fill(text["body"])
    page.get_by_label(text["attach"], exact=True).set_input_files(
        files=[{"name": "statement.png", "mimeType": "image/png", "buffer": PNG}]
    )
    # The script suggests articles while the seller writes, in their language.
    suggestions = page.locator("#contact-suggestions")
    suggestions.get_by_role("heading", name=text["suggested"]).wait_for()
    suggestions.get_by_role("link", name=text["article"]).wait_for()
    shot(page, "contact-form")

    page.get_by_role("button", name=text["send_message"]).click()
    page.wait_for_url(re.compile(r"/contact/sent/SD-"))
    heading(page, text["sent_heading"], level=1)
    ref = page.locator(".contact-sent-ref .case-ref").inner_text()
    assert re.fullmatch(r"SD-[0-9A-Z]{4}-[0-9A-Z]{4}", ref)
    shot(page, "contact-sent")
    return ref


def seller_reports_fraud(page: Any, text: dict[str, str], shot: Camera) -> str:
    """Every step of the fraud intake, through to the report's case page; its reference."""
    page.get_by_role("navigation").get_by_role("link", name=text["report_fraud"]).click()
    page.wait_for_url(re.compile(r"/fraud/report/coverage$"))
    heading(page, text["report_fraud"], level=1)
    heading(page, text["step_coverage"], level=2)
    page.get_by_label(text["no_order"], exact=True).check()
    shot(page, "fraud-coverage")
    page.get_by_role("button", name=text["next"]).click()

    heading(page, text["step_category"], level=2)
    page.get_by_label(text["payment_fraud"], exact=True).check()
    page.get_by_role("button", name=text["next"]).click()

    heading(page, text["step_contact"], level=2)
    page.get_by_label(text["contacted"], exact=True).check()
    page.get_by_label(text["contacted_on"], exact=True).fill(days_ago(3))
    page.locator("input[name=party_rating][value='1']").check()
    page.get_by_role("button", name=text["next"]).click()

    heading(page, text["step_details"], level=2)
    page.get_by_label(text["description"], exact=True).fill(text["fraud_text"])
    page.get_by_label(text["party"], exact=True).fill("quick.buyer.77")
    page.get_by_label(text["amount"], exact=True).fill("240.00")
    page.get_by_label(text["currency"], exact=True).select_option("EUR")
    shot(page, "fraud-details")
    page.get_by_role("button", name=text["next"]).click()

    heading(page, text["step_evidence"], level=2)
    assert text["fraud_text"] in page.locator(".fraud-review").inner_text()
    page.get_by_label(text["evidence"], exact=True).set_input_files(
        files=[{"name": "card-receipt.png", "mimeType": "image/png", "buffer": PNG}]
    )
    page.get_by_role("button", name=text["send_report"]).click()
    page.wait_for_url(re.compile(r"/cases/SD-"))
    ref = page.url.rsplit("/", 1)[-1]
    assert text["report_sent"].format(ref=ref) in flash(page)
    assert page.locator(".thread").get_by_text("card-receipt.png").is_visible()
    shot(page, "fraud-sent")
    return ref


def seller_disputes_feedback(page: Any, text: dict[str, str], shot: Camera) -> str:
    """The dispute form, with the policy assistant's hint while typing; the dispute's reference."""
    page.get_by_role("navigation").get_by_role("link", name=text["disputes"]).click()
    heading(page, text["my_disputes"], level=1)
    page.get_by_role("link", name=text["dispute_feedback"]).click()
    heading(page, text["dispute_feedback"], level=1)
    order = "402-7654321"
    page.get_by_label(text["order"], exact=True).fill(order)
    page.get_by_label(text["feedback_date"], exact=True).fill(days_ago(2))
    page.get_by_label(text["rating"], exact=True).select_option("1")
    page.get_by_label(text["feedback_text"], exact=True).fill(text["feedback"])
    # The assistant spots the phone number while the seller types.
    hints = page.locator("#dispute-hints")
    hints.get_by_role("heading", name=text["assistant"]).wait_for()
    assert "06 12 34 56 78" in hints.inner_text()
    page.locator("input[name=reason][value=personal_info]").check()
    page.get_by_label(text["explanation"], exact=True).fill(text["explained"])
    shot(page, "dispute-form")
    page.get_by_role("button", name=text["send_dispute"]).click()
    page.wait_for_url(re.compile(r"/disputes/SD-"))
    heading(page, text["dispute_heading"].format(order=order), level=1)
    assert text["dispute_sent"] in flash(page)
    shot(page, "dispute-sent")
    return page.url.rsplit("/", 1)[-1]


def seller_reads_the_reply(page: Any, text: dict[str, str], ref: str, shot: Camera) -> None:
    page.get_by_role("navigation").get_by_role("link", name=text["my_cases"]).click()
    heading(page, text["my_cases"], level=1)
    page.get_by_role("link", name=re.compile(re.escape(text["article"]))).first.click()
    page.wait_for_url(re.compile(rf"/cases/{ref}$"))
    heading(page, text["conversation"], level=2)
    status = page.locator(".case-facts dd").nth(1)
    assert status.inner_text() == text["resolved"]
    answer = page.locator(".thread .message-staff")
    assert answer.locator(".message-meta strong").inner_text() == text["support"]
    assert answer.locator(".message-body").inner_text() == text["reply"]
    shot(page, "reads-reply")


# --- the agent -------------------------------------------------------------------------------


def agent_takes_replies_resolves(page: Any, text: dict[str, str], ref: str, shot: Camera) -> None:
    page.goto("/")
    switch_language(page, text["locale"])
    sign_in(page, text, text["agent_email"])
    page.get_by_role("navigation").get_by_role("link", name=text["staff"], exact=True).click()
    heading(page, text["your_queues"], level=1)
    shot(page, "queues")

    page.locator(".staff-queues").get_by_role("link", name=text["queue"]).click()
    row = page.locator("tr", has=page.get_by_role("link", name=ref, exact=True))
    press(page, row.get_by_role("button", name=text["take"], exact=True))
    assert text["taken"].format(ref=ref) in flash(page)
    row = page.locator("tr", has=page.get_by_role("link", name=ref, exact=True))
    assert text["agent_name"] in row.inner_text()
    shot(page, "taken")

    row.get_by_role("link", name=ref, exact=True).click()
    page.wait_for_url(re.compile(rf"/staff/cases/{ref}$"))
    page.get_by_label(text["reply_label"], exact=True).fill(text["reply"])
    shot(page, "case")
    press(page, page.get_by_role("button", name=text["send_reply"]))
    assert text["reply_sent"] in flash(page)

    press(page, page.get_by_role("button", name=text["resolve"], exact=True))
    assert text["resolved_flash"] in flash(page)
    assert page.locator(".badge-status").inner_text() == text["resolved"]
    assert text["reply"] in page.locator(".thread").inner_text()
    shot(page, "resolved")


# --- the journeys ----------------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_seller_and_agent_journeys(desk, chromium, camera, locale):
    """Seller files a contact case, a fraud report and a dispute; the agent takes the contact
    case, replies and resolves it; the seller reads the reply: every page in ``locale``."""
    text = {
        **TEXT[locale],
        "locale": locale,
        "seller_email": f"sam.{locale}@example.com",
        "agent_email": f"ada.{locale}@example.com",
        "agent_name": f"Ada {locale.upper()}",
    }
    with desk.app.app_context():
        queues = sorted({t.queue for t in desk.app.extensions["supportdesk"].ticket_types.values()})
    desk.create_user(text["seller_email"], "seller", f"Sam {locale.upper()}")
    desk.create_user(text["agent_email"], "agent", text["agent_name"], *queues)
    seller, seller_watch = open_page(chromium, desk, locale=BROWSER_LOCALE[locale])
    agent, agent_watch = open_page(chromium, desk, locale=BROWSER_LOCALE[locale])
    seller_shot, agent_shot = camera("seller", locale), camera("agent", locale)
    try:
        ref = seller_contacts_support(seller, text, seller_shot)
        fraud_ref = seller_reports_fraud(seller, text, seller_shot)
        dispute_ref = seller_disputes_feedback(seller, text, seller_shot)
        agent_takes_replies_resolves(agent, text, ref, agent_shot)
        seller_reads_the_reply(seller, text, ref, seller_shot)
    finally:
        seller.context.close()
        agent.context.close()
    no_trouble(seller_watch)
    no_trouble(agent_watch)

    # What the screens of these journeys do not show: the fraud report and the dispute wait in
    # their teams' queues, and the reply also went to the seller by email, in the language they
    # chose for the desk.
    with desk.app.app_context():
        cases = {
            t.ref: t
            for t in db.session.scalars(
                sa.select(Ticket).where(Ticket.ref.in_([ref, fraud_ref, dispute_ref]))
            )
        }
        assert (cases[fraud_ref].queue.key, cases[dispute_ref].queue.key) == ("fraud", "feedback")
        reply_mail = db.session.scalars(
            sa.select(Outbox).where(Outbox.ticket_id == cases[ref].id, Outbox.kind == "staff_reply")
        ).one()
        mail = compose(reply_mail)
        assert mail["To"] == text["seller_email"]
        assert mail["Content-Language"] == locale
        assert text["reply"] in mail.get_body(("plain",)).get_content()
