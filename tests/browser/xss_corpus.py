"""The stored-XSS corpus: payloads, and the people who type them into every field they can fill.

Everything is stored the way people store it: a seller through the desk's forms in Chromium
(registration, help search, contact form, case reply and rating, every step of the fraud intake,
the guarantee claim, the dispute and its appeal) and through an inbound email
(``supportdesk ingest-email``); an agent through the workspace (canned reply inserted, reply,
internal note, fraud outcome, dispute decision); an administrator through the canned-reply and
help-article editors (with the preview) and ``supportdesk create-user``.

Each payload carries every vector at once: ``alert(1)`` in a script, an ``onerror`` and an
``onload``, a break out of an attribute, a quote and a ``</textarea>``, Jinja markup, and two
scripts that mark the page they run on (``window.__xss`` and ``document.title``) with a tag
naming the field, so a failure says which field leaked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from supportdesk.accounts import password_reset_token
from supportdesk.extensions import db
from supportdesk.models import Attachment, CannedReply, Queue, Ticket, User

from .conftest import PASSWORD, PNG, LiveDesk, Watch, open_page

SELLER = "xss.seller@example.com"
AGENT = "xss.agent@example.com"
ADMIN = "xss.admin@example.com"
ORDER = "4021-5583-1176"
ARTICLE_SLUG = "xss-article"


def payload(tag: str) -> str:
    """Every vector at once; the two marking scripts name ``tag`` if they ever run."""
    return (
        "<script>alert(1)</script>"
        '"><img src=x onerror=alert(1)>'
        "<svg onload=alert(1)>"
        "'-alert(1)-'"
        f'</textarea><script>window.__xss="{tag}"</script>'
        f'<img src=x onerror=document.title="xss:{tag}">'
        "{{7*7}}{% if true %}"
    )


def short(tag: str) -> str:
    """The same idea for fields of 64 characters or so (names, categories, order numbers)."""
    return f'"><svg onload=window.__xss="{tag}">{{{{7*7}}}}'


def file_name(tag: str) -> str:
    """An attachment's name that tries to break out of the page too."""
    return f"\"'><img src=x onerror=alert(1)>{{{{7*7}}}}{tag}.png"


#: A help article's Markdown: raw HTML, script links of every spelling, a data: link.
ARTICLE_BODY = f"""Payouts follow the payout schedule. {payload("article-body")}

[click me](javascript:alert(1)) and [again](JaVaScRiPt:alert(1)) and <a href="javascript:alert(1)">raw link</a>

![image](javascript:alert(1)) <img src=x onerror=alert(1)> <iframe src="javascript:alert(1)"></iframe>

<script>window.__xss="article-raw"</script>

[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==) [ok](https://example.com/payouts)
"""


@dataclass
class Person:
    """A signed-in browser context (or a visitor's) and what it has seen."""

    role: str
    page: Any
    watch: Watch


@dataclass
class Corpus:
    """What the payloads were stored in: the cases, the article, the canned reply, the files."""

    people: dict[str, Person]
    refs: dict[str, str] = field(default_factory=dict)
    article_id: int = 0
    canned_id: int = 0
    attachment_ids: list[int] = field(default_factory=list)
    queue_keys: list[str] = field(default_factory=list)
    #: A live password-reset token of the seller (its page shows their account).
    reset_token: str = ""
    #: What was seen while filling the forms (the preview, suggestions, pages with errors).
    filling_attacks: list[str] = field(default_factory=list)


# --- helpers ---------------------------------------------------------------------------------


def press(page: Any, button: Any) -> None:
    """Press a submit button and wait for the page the server answers with."""
    with page.expect_navigation():
        button.click()


def button(page: Any, name: str) -> Any:
    return page.get_by_role("button", name=name, exact=True)


def sign_in(page: Any, email: str) -> None:
    page.goto("/sign-in")
    page.get_by_label("Email address", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    press(page, button(page, "Sign in"))
    assert page.locator(".signed-in-as").is_visible()


def png(tag: str) -> dict[str, Any]:
    return {"name": file_name(tag), "mimeType": "image/png", "buffer": PNG}


def ref_in(url: str) -> str:
    found = re.search(r"SD-[0-9A-Z]{4}-[0-9A-Z]{4}", url)
    assert found, f"no case reference in {url}"
    return found.group(0)


def days_ago(days: int) -> str:
    return (date.today() - timedelta(days=days)).isoformat()


# --- the administrator -----------------------------------------------------------------------


def admin_writes(page: Any) -> int:
    """A help article full of payloads (previewed, saved, published) and a canned reply; the
    article's id."""
    page.goto("/help/manage/new")
    page.get_by_label("Title", exact=True).fill(f"{payload('article-title')} payout schedule")
    page.get_by_label("Slug", exact=True).fill(ARTICLE_SLUG)
    page.locator("form.help-editor select[name=locale]").select_option("en")
    page.get_by_label("Category", exact=True).fill(short("category"))
    page.get_by_label("Tags", exact=True).fill(f"{short('tag')}, payout")
    page.get_by_label("Related articles", exact=True).fill(short("related"))
    page.get_by_label("Text (Markdown)", exact=True).fill(ARTICLE_BODY)
    press(page, button(page, "Preview"))
    preview = page.locator(".help-preview .help-body")
    assert "<script>window.__xss=" in preview.inner_text()
    press(page, button(page, "Save"))
    assert "The article is saved." in page.locator(".flashes").inner_text()
    article_id = int(re.search(r"/help/manage/(\d+)$", page.url).group(1))
    press(page, page.locator("form[action$='/publish'] button"))
    assert "is published" in page.locator(".flashes").inner_text()

    page.goto("/staff/canned/new")
    page.get_by_label("Title", exact=True).fill(short("canned-title"))
    page.get_by_label("Text", exact=True).fill(
        f"Hello {{seller_name}}, {payload('canned-body')} {{agent_name}}"
    )
    press(page, button(page, "Save"))
    return article_id


# --- the seller --------------------------------------------------------------------------------


def seller_registers_and_searches(page: Any) -> None:
    page.goto("/register")
    page.get_by_label("Your name or shop name", exact=True).fill(short("seller-name"))
    page.get_by_label("Email address", exact=True).fill(SELLER)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password", exact=True).fill(PASSWORD)
    press(page, button(page, "Create my account"))
    # Search as you type: the article's title comes back from the server as a suggestion.
    page.goto("/help")
    page.locator("form.help-search input[name=q]").press_sequentially("payout sched")
    option = page.locator(".help-suggestions [role=option]").first
    option.wait_for()
    assert option.inner_text().startswith("<script>alert(1)</script>")
    # Searches are logged: the analytics list the queries.
    for query in (payload("query"), "payout schedule"):
        page.locator("form.help-search input[name=q]").fill(query)
        press(page, page.locator("form.help-search button[type=submit]"))


def seller_contacts_support(page: Any) -> str:
    page.goto("/contact")
    page.get_by_label("Order number", exact=True).fill(ORDER)
    page.get_by_label("Subject", exact=True).fill(payload("subject"))
    page.get_by_label("Your message", exact=True).fill(f"payout schedule {payload('body')}")
    page.get_by_label("Attach files", exact=True).set_input_files(files=[png("contact-file")])
    # No topic: the form comes back with the file held and its name shown.
    press(page, button(page, "Send my message"))
    page.locator(".contact-held").wait_for()
    page.get_by_label("What is your message about?", exact=True).select_option("payments")
    page.locator("#contact-suggestions a").first.wait_for()
    press(page, button(page, "Send my message"))
    ref = ref_in(page.url)
    page.goto(f"/cases/{ref}")
    page.get_by_label("Your message", exact=True).fill(payload("seller-reply"))
    page.get_by_label("Attach files", exact=True).set_input_files(files=[png("reply-file")])
    press(page, button(page, "Send"))
    return ref


def fraud_step(page: Any, fill: dict[str, str], checks: tuple[str, ...] = ()) -> None:
    """Fill one step of the intake (fields by name) and press Next."""
    for selector in checks:
        page.locator(selector).check()
    for name, value in fill.items():
        target = page.locator(f"[name={name}]")
        if target.evaluate("e => e.tagName") == "SELECT":
            target.select_option(value)
        else:
            target.fill(value)
    press(page, button(page, "Next"))


def seller_reports_fraud(page: Any) -> str:
    page.goto("/fraud/report")
    fraud_step(page, {}, ("input[name=order_kind][value=outside]",))
    fraud_step(page, {}, ("input[name=category][value=payment]",))
    fraud_step(
        page, {"contacted_on": days_ago(3)}, ("#contacted", "input[name=party_rating][value='1']")
    )
    fraud_step(
        page,
        {
            "description": payload("fraud-description"),
            "order_ids": f"{short('fraud-order')}\n{ORDER}",
            "party": short("fraud-party"),
            "amount": "99.90",
            "currency": "EUR",
        },
        ("#money_lost",),
    )
    page.locator("input[name=evidence]").set_input_files(files=[png("fraud-file")])
    press(page, button(page, "Send the report"))
    return ref_in(page.url)


def seller_claims_guarantee(page: Any) -> str:
    page.goto("/fraud/report")
    fraud_step(page, {"order_date": days_ago(2)}, ("input[name=order_kind][value=marketplace]",))
    page.get_by_label("Order id", exact=True).fill(short("claim-order"))
    page.locator("input[name=claim_reason][value=not_received]").check()
    page.get_by_label("What happened, in your words", exact=True).fill(payload("claim"))
    page.locator("input[name=evidence]").set_input_files(files=[png("claim-file")])
    press(page, button(page, "Send the claim"))
    return ref_in(page.url)


def seller_leaves_a_draft(page: Any) -> None:
    """A report left on its last step: the draft's answers are shown back for a last look."""
    page.goto("/fraud/report")
    fraud_step(page, {}, ("input[name=order_kind][value=none]",))
    fraud_step(page, {}, ("input[name=category][value=off_platform]",))
    fraud_step(page, {"description": payload("draft"), "party": short("draft-party")})
    page.locator(".fraud-review").wait_for()


def seller_disputes(page: Any) -> str:
    page.goto("/disputes/new")
    page.get_by_label("Order number", exact=True).fill(short("dispute-order"))
    page.get_by_label("Date of the feedback", exact=True).fill(days_ago(2))
    page.get_by_label("Rating the buyer gave", exact=True).select_option("1")
    page.get_by_label("Text of the feedback", exact=True).fill(payload("feedback"))
    page.locator("input[name=reason][value=other]").check()
    page.get_by_label("Your explanation", exact=True).fill(payload("explanation"))
    press(page, button(page, "Send my dispute"))
    if "/disputes/new" in page.url:  # the policy assistant asked to confirm
        press(page, button(page, "Confirm and send my dispute"))
    return ref_in(page.url)


def seller_rates_and_appeals(page: Any, refs: dict[str, str]) -> None:
    page.goto(f"/cases/{refs['contact']}")
    page.locator("input[name=rating][value='1']").check()
    page.get_by_label("Anything you want to tell us? (optional)", exact=True).fill(
        payload("rating")
    )
    press(page, button(page, "Send my rating"))
    page.goto(f"/disputes/{refs['dispute']}")
    page.get_by_label("Why should the decision change?", exact=True).fill(payload("appeal"))
    press(page, button(page, "Send my appeal"))


def quoted(text: str) -> str:
    """``text`` as an RFC 5322 quoted string (Python's email package folds such a display name
    into a broken header, so the mail is written out by hand)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def seller_writes_by_email(desk: LiveDesk) -> str:
    """A mail whose sender's display name, subject, text and attachment's name are payloads."""
    mail = "\r\n".join(
        [
            f"From: {quoted(payload('display-name'))} <{SELLER}>",
            "To: support@localhost",
            f"Subject: {payload('mail-subject')}",
            "Message-ID: <xss-corpus-1@example.com>",
            "MIME-Version: 1.0",
            'Content-Type: multipart/mixed; boundary="part"',
            "",
            "--part",
            "Content-Type: text/plain; charset=utf-8",
            "",
            payload("mail-body"),
            "--part",
            "Content-Type: text/plain; charset=utf-8",
            f"Content-Disposition: attachment; filename={quoted(file_name('mail-file'))}",
            "",
            "Plain text evidence.",
            "--part--",
            "",
        ]
    )
    return ref_in(desk.cli("ingest-email", input=mail.encode()))


# --- the agent ---------------------------------------------------------------------------------


def agent_works(page: Any, refs: dict[str, str], canned_id: int) -> None:
    page.goto(f"/staff/cases/{refs['contact']}")
    page.locator("select[name=reply-canned]").select_option(str(canned_id))
    press(page, button(page, "Insert"))
    assert "</textarea><script>" in page.locator("textarea[name=reply-body]").input_value()
    press(page, button(page, "Send reply"))
    page.locator("textarea[name=note-body]").fill(payload("note"))
    press(page, button(page, "Add note"))
    page.get_by_label("Reply to the seller", exact=True).fill(payload("agent-reply"))
    page.locator("select[name=reply-status]").select_option("resolved")
    press(page, button(page, "Send reply"))

    page.goto(f"/staff/fraud/{refs['fraud']}")
    page.locator("input[name=outcome][value=more_info]").check()
    page.get_by_label("Message", exact=True).fill(payload("fraud-outcome"))
    press(page, button(page, "Record the outcome"))

    page.goto(f"/staff/disputes/{refs['dispute']}")
    page.locator("input[name=outcome][value=keep]").check()
    page.get_by_label("Add to the message (optional)", exact=True).fill(payload("decision"))
    press(page, button(page, "Record the decision and tell the seller"))

    # A merge into a "reference" that is a payload: the page comes back with it and an error.
    page.goto(f"/staff/cases/{refs['mail']}")
    page.get_by_label("Merge this case into", exact=True).fill(short("merge"))
    press(page, button(page, "Merge"))
    page.locator("#into-error").wait_for()


# --- all of it ---------------------------------------------------------------------------------


def fill_every_field(desk: LiveDesk, browser: Any) -> Corpus:
    """Store the corpus and return where it went, with each person's page still open."""
    with desk.app.app_context():
        queues = sorted({t.queue for t in desk.app.extensions["supportdesk"].ticket_types.values()})
    desk.create_user(AGENT, "agent", short("agent-name"), *queues)
    desk.create_user(ADMIN, "admin", short("admin-name"))
    people = {}
    for role in ("visitor", "seller", "agent", "admin"):
        # A small window: nobody looks at these pages, and painting them costs.
        page, watch = open_page(browser, desk, bypass_csp=True, viewport=(800, 600))
        people[role] = Person(role, page, watch)
    corpus = Corpus(people)
    seller, agent, admin = (people[r].page for r in ("seller", "agent", "admin"))

    sign_in(admin, ADMIN)
    corpus.article_id = admin_writes(admin)
    seller_registers_and_searches(seller)
    corpus.refs["contact"] = seller_contacts_support(seller)
    corpus.refs["fraud"] = seller_reports_fraud(seller)
    corpus.refs["claim"] = seller_claims_guarantee(seller)
    corpus.refs["dispute"] = seller_disputes(seller)
    seller_leaves_a_draft(seller)
    corpus.refs["mail"] = seller_writes_by_email(desk)
    with desk.app.app_context():
        corpus.canned_id = db.session.scalar(sa.select(CannedReply.id))
    sign_in(agent, AGENT)
    agent_works(agent, corpus.refs, corpus.canned_id)
    seller_rates_and_appeals(seller, corpus.refs)

    with desk.app.app_context():
        corpus.attachment_ids = list(db.session.scalars(sa.select(Attachment.id)))
        corpus.queue_keys = list(db.session.scalars(sa.select(Queue.key)))
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == len(corpus.refs)
        seller_account = db.session.scalar(sa.select(User).where(User.email == SELLER))
        assert seller_account.name == short("seller-name")
        corpus.reset_token = password_reset_token(seller_account)
    for person in people.values():
        corpus.filling_attacks += person.watch.attacks()
        person.watch.reset()
    return corpus
