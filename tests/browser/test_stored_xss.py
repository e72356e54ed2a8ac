"""Stored XSS, checked in Chromium: no payload stored anywhere runs on any page, for anyone.

``xss_corpus`` puts payloads into every field a seller, an agent and an administrator can fill.
Then every GET page of the desk (each rule of ``app.url_map``, its variables filled with the
objects created) is opened as a visitor, the seller, the agent and the administrator, and so
are pages with a payload in their address (searches, the sign-in's ``next``, unknown pages and
API references). The browser contexts ignore the desk's Content-Security-Policy, so an
unescaped script would run: what must stop it is the escaping, not the CSP.

On each page: no dialog opened, no script error, ``window.__xss`` is undefined, the title was not
changed, no element carries an event handler attribute, a ``javascript:`` link or an inline
script, no request left the desk, nothing answered 500. And where a payload is shown, it is
shown as text, as it was typed.
"""

from __future__ import annotations

import io
import itertools
import zipfile
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from flask import url_for

from supportdesk.extensions import db
from supportdesk.models import Attachment, Ticket

from .conftest import BROWSER_MARKS, LiveDesk
from .xss_corpus import ARTICLE_SLUG, Corpus, Person, fill_every_field, payload, short

pytestmark = BROWSER_MARKS

FRAUD_STEPS = ("coverage", "category", "contact", "details", "evidence")
ARTICLE_TITLE = f"{payload('article-title')} payout schedule"

#: What a script that reached the page would leave behind.
INJECTED = """() => {
  const found = [];
  if (window.__xss !== undefined) found.push("window.__xss = " + window.__xss);
  if (document.title.startsWith("xss")) found.push("title changed: " + document.title);
  for (const element of document.querySelectorAll("*")) {
    for (const attribute of element.attributes) {
      const name = attribute.name.toLowerCase();
      if (name.startsWith("on")) found.push(`${element.tagName} has ${name}`);
      if (/^\\s*(javascript|data|vbscript):/i.test(attribute.value)
          && ["href", "src", "action", "formaction", "xlink:href", "data"].includes(name)) {
        found.push(`${element.tagName} ${name}=${attribute.value}`);
      }
    }
  }
  for (const script of document.querySelectorAll("script:not([src])")) {
    found.push("inline script: " + script.textContent.slice(0, 80));
  }
  for (const frame of document.querySelectorAll("iframe, object, embed")) {
    found.push("embedded " + frame.tagName);
  }
  return found;
}"""


@pytest.fixture(scope="module")
def corpus(live_desk: LiveDesk, chromium: Any) -> Iterator[Corpus]:
    """The corpus, stored once for the module; each person's page stays open for the tests."""
    corpus = fill_every_field(live_desk, chromium)
    yield corpus
    for person in corpus.people.values():
        person.page.context.close()


# --- the addresses -----------------------------------------------------------------------------


def url_values(corpus: Corpus) -> dict[str, list[Any]]:
    """What each URL variable of the desk can be, from the objects the corpus created."""
    return {
        "slug": [ARTICLE_SLUG],
        "article_id": [corpus.article_id],
        "attachment_id": corpus.attachment_ids,
        "step": list(FRAUD_STEPS),
        "key": corpus.queue_keys,
        "reply_id": [corpus.canned_id],
        "token": [corpus.reset_token, short("token")],
    }


def refs_for(endpoint: str, corpus: Corpus) -> list[str]:
    """The cases a page with ``<ref>`` is opened for: those of its kind, or every case."""
    refs = corpus.refs
    by_kind = {
        "desk.contact.sent": ["contact"],
        "desk.disputes.dispute": ["dispute"],
        "desk.disputes.decide": ["dispute"],
        "desk.fraud.review": ["fraud"],
        "desk.fraud.evidence_pack": ["fraud", "claim"],
        "desk.fraud.claim_countdown": ["claim"],
    }
    return (
        [refs[kind] for kind in by_kind[endpoint]] if endpoint in by_kind else list(refs.values())
    )


def desk_pages(desk: LiveDesk, corpus: Corpus) -> list[tuple[str, str]]:
    """``(endpoint, address)`` of every GET page of the desk (static files aside), each URL
    variable filled with every object of the corpus it can name. A variable the corpus has no
    value for fails the test: a new kind of page needs objects here."""
    values = url_values(corpus)
    pages = []
    with desk.app.test_request_context():
        for rule in desk.app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint.endswith(".static"):
                continue
            choices = {
                name: refs_for(rule.endpoint, corpus) if name == "ref" else values.get(name)
                for name in sorted(rule.arguments)
            }
            missing = [name for name, found in choices.items() if not found]
            assert not missing, f"no value for {missing} in {rule.rule}: add one to the corpus"
            for combination in itertools.product(*choices.values()):
                arguments = dict(zip(choices, combination, strict=True))
                pages.append((rule.endpoint, url_for(rule.endpoint, **arguments)))
    return pages


def reflected_pages(corpus: Corpus) -> list[tuple[str, str]]:
    """Pages with a payload in their address: what the desk says back must not run either."""
    long, word = quote(payload("reflected"), safe=""), quote(short("reflected"), safe="")
    queue = corpus.queue_keys[0]
    addresses = [
        f"/help/search?q={long}&lang=en",
        f"/help/search?q=payout&category={word}&lang={word}",
        f"/help?lang={word}",
        f"/help/{word}",
        f"/help/suggest?q={long}",
        f"/contact?q={long}",
        f"/contact/suggestions?q={long}",
        f"/staff/search?q={long}",
        f"/staff/queues/{queue}?status={word}&sort={word}&type={word}&assignee={word}",
        f"/help/manage?q={long}&lang={word}&status={word}",
        f"/help/analytics?days={word}",
        f"/cases?filter={word}&cursor={word}",
        f"/sign-in?next={quote('javascript:alert(1)', safe='')}",
        f"/sign-in?next={long}",
        f"/cases/{word}",
        f"/no-such-page/{long}",
        f"/api/v1/tickets/{word}",
        f"/api/v1/help/search?q={long}",
    ]
    return [("reflected", address) for address in addresses]


# --- the visits ------------------------------------------------------------------------------


def visit(person: Person, address: str) -> list[str]:
    """Ask for one address as ``person``; what is wrong with the answer. A page is opened in
    the browser; a redirect must stay on the desk (a visitor's to the sign-in page is not
    opened again: that page is visited itself); any other answer must be a file the browser
    will not take for a page."""
    answer = person.page.request.get(address, max_redirects=0)
    kind = answer.headers.get("content-type", "")
    if answer.status >= 500:
        return [f"{address}: answered {answer.status}"]
    if 300 <= answer.status < 400:
        target = answer.headers.get("location", "")
        on_desk = target.startswith("/") and not target.startswith("//")
        return (
            []
            if on_desk or target.startswith(person.watch.desk.url)
            else [f"{address}: to {target}"]
        )
    if kind.startswith("text/html"):
        # Scripts in the page have run by then; an injected handler is found by its attribute.
        response = person.page.goto(address, wait_until="domcontentloaded")
        problems = [f"{address}: {found}" for found in person.page.evaluate(INJECTED)]
        if response is None or response.status >= 500:
            problems.append(
                f"{address}: the browser got {response.status if response else 'nothing'}"
            )
        return problems
    return check_file(person, address, answer)


def check_file(person: Person, address: str, answer: Any) -> list[str]:
    """JSON, a download: never sniffed into a page; a download is one. An evidence pack's
    timeline, opened in the browser as a reader would, runs nothing either."""
    kind = answer.headers.get("content-type", "")
    problems = []
    if answer.headers.get("x-content-type-options") != "nosniff":
        problems.append(f"{address}: {kind} without nosniff")
    if "json" in kind:
        return problems
    if not answer.headers.get("content-disposition", "").startswith("attachment"):
        problems.append(f"{address}: {kind} not sent as an attachment")
    if address.endswith("evidence.zip"):
        with zipfile.ZipFile(io.BytesIO(answer.body())) as pack:
            person.page.set_content(pack.read("timeline.html").decode())
        problems += [
            f"{address} timeline.html: {found}" for found in person.page.evaluate(INJECTED)
        ]
    return problems


def test_filling_every_field_ran_no_script(corpus):
    """Typing the payloads (the editor's preview, the suggestions while typing, the forms shown
    again with an error) opened no dialog and ran nothing."""
    assert corpus.filling_attacks == []


@pytest.mark.parametrize("role", ["visitor", "seller", "agent", "admin"])
def test_no_page_runs_a_stored_payload(live_desk, corpus, role):
    """Every page of the desk, and every page with a payload in its address, as ``role``."""
    person = corpus.people[role]
    person.watch.reset()
    pages = desk_pages(live_desk, corpus) + reflected_pages(corpus)
    problems = [problem for _endpoint, address in pages for problem in visit(person, address)]
    assert problems == []
    assert person.watch.attacks() == []


# --- shown as typed ------------------------------------------------------------------------------


def stored_file_names(desk: LiveDesk, ref: str) -> list[str]:
    """The names the desk kept for a case's files (made safe from what the browser sent)."""
    with desk.app.app_context():
        ticket = db.session.scalar(sa.select(Ticket).where(Ticket.ref == ref))
        return [a.filename for m in ticket.messages for a in m.attachments]


def texts(person: Person, address: str, selector: str) -> str:
    """The text of the elements ``selector`` finds on the page at ``address`` (opened unless
    it is the page already shown)."""
    if person.page.url != person.watch.desk.url + address:
        person.page.goto(address)
    return " ".join(person.page.locator(selector).all_inner_texts())


def test_payloads_are_shown_as_they_were_typed(live_desk, corpus):
    """Where a payload is shown, the page shows its text, every character: escaped, not
    stripped, not evaluated (``{{7*7}}`` stays as it is)."""
    seller, agent, admin, visitor = (
        corpus.people[r] for r in ("seller", "agent", "admin", "visitor")
    )
    refs = corpus.refs
    with live_desk.app.app_context():
        contact_queue = db.session.scalar(
            sa.select(Ticket).where(Ticket.ref == refs["contact"])
        ).queue.key
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) >= 5

    case = f"/cases/{refs['contact']}"
    assert texts(seller, case, "h1") == payload("subject")
    assert texts(seller, case, ".signed-in-as") == short("seller-name")
    thread = texts(seller, case, ".thread")
    for text in (
        f"payout schedule {payload('body')}",
        payload("seller-reply"),
        payload("agent-reply"),
        f"Hello {short('seller-name')}, {payload('canned-body')}",
        *stored_file_names(live_desk, refs["contact"]),
    ):
        assert text in thread
    assert payload("note") not in thread  # an internal note, never shown to the seller
    assert texts(seller, case, ".case-rating blockquote") == payload("rating")
    assert texts(seller, f"/cases/{refs['mail']}", "h1") == payload("mail-subject")
    assert payload("mail-body") in texts(seller, f"/cases/{refs['mail']}", ".thread")
    dispute = f"/disputes/{refs['dispute']}"
    assert texts(seller, dispute, "h1") == f"Feedback dispute, order {short('dispute-order')}"
    assert texts(seller, dispute, "blockquote.dispute-feedback") == payload("feedback")
    draft = texts(seller, "/fraud/report/evidence", ".fraud-review")
    assert payload("draft") in draft and short("draft-party") in draft

    article = f"/help/{ARTICLE_SLUG}"
    assert texts(seller, article, "h1") == ARTICLE_TITLE
    body = texts(seller, article, ".help-body")
    for text in (payload("article-body"), '<script>window.__xss="article-raw"</script>'):
        assert text in body
    assert short("category") in texts(seller, article, ".help-back")
    assert ARTICLE_TITLE in texts(seller, "/help/search?q=payout+schedule", ".help-results")

    workspace = f"/staff/cases/{refs['contact']}"
    assert payload("subject") in texts(agent, workspace, "h1")
    assert short("seller-name") in texts(agent, workspace, ".ws-side")
    assert payload("note") in texts(agent, workspace, ".thread")
    assert short("agent-name") in texts(agent, workspace, ".ws-log")
    listing = texts(agent, f"/staff/queues/{contact_queue}?status=all", ".staff-cases")
    assert payload("subject") in listing and short("seller-name") in listing
    review = f"/staff/fraud/{refs['fraud']}"
    assert short("fraud-party") in texts(agent, review, ".fraud-facts")
    assert texts(agent, review, "blockquote.fraud-description") == payload("fraud-description")
    assert payload("explanation") in texts(agent, f"/staff/disputes/{refs['dispute']}", ".ws-main")

    analytics = texts(admin, "/help/analytics", "section[aria-labelledby=help-top] table")
    assert payload("query") in analytics
    assert short("canned-title") in texts(admin, "/staff/canned", "main")
    assert ARTICLE_TITLE in texts(admin, "/help/manage", "main")
    admin.page.goto(f"/help/manage/{corpus.article_id}")
    assert admin.page.locator("input[name=category]").input_value() == short("category")
    assert admin.page.locator("textarea[name=body]").input_value().startswith("Payouts follow")

    visitor.page.goto(f"/help/search?q={quote(payload('reflected'), safe='')}")
    assert visitor.page.locator("form.help-search input[name=q]").input_value() == payload(
        "reflected"
    )
    assert visitor.page.title().startswith(f"Search: {payload('reflected')}")
    visitor.page.goto(f"/sign-in?next={quote(short('next'), safe='')}")
    assert visitor.page.locator("main input#next").input_value() == short("next")

    for person in (seller, agent, admin, visitor):
        assert person.watch.attacks() == []


def test_evidence_pack_timeline_shows_payloads_as_text(corpus):
    """The fraud team's evidence pack is read in a browser, away from the desk and its CSP."""
    agent = corpus.people["agent"]
    response = agent.page.request.get(f"/staff/fraud/{corpus.refs['fraud']}/evidence.zip")
    assert response.status == 200
    with zipfile.ZipFile(io.BytesIO(response.body())) as pack:
        agent.page.set_content(pack.read("timeline.html").decode())
    assert short("fraud-party") in agent.page.locator("h1").inner_text()
    assert payload("fraud-description") in agent.page.locator(".message .body").first.inner_text()
    assert agent.page.evaluate(INJECTED) == []
    assert agent.watch.attacks() == []
