"""The staff queues: the list with its counts, one queue's cases, my cases, bulk actions, search."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from supportdesk import TicketType, hookimpl
from supportdesk.extensions import db
from supportdesk.models import Event, Queue, QueueCount, Status, Ticket, User, utcnow
from supportdesk.pagination import encode_cursor
from supportdesk.tickets import assign, claim, open_ticket, set_priority, transition

TAKEN = "Another agent has already taken this case."


class SecretCases:
    """A ticket type in the seller support queue that only the leads may see."""

    name = "secret_cases"

    @hookimpl
    def register_ticket_types(self, app):
        return [TicketType(key="secret_case", label="Secret case", queue="seller_support")]

    @hookimpl
    def permission_allowed(self, actor, action, obj):
        hidden = action == "view_type" and getattr(obj, "key", None) == "secret_case"
        return False if hidden and not actor.email.startswith("lead") else None


@pytest.fixture
def app(make_app):
    app = make_app(plugins=[SecretCases()])
    with app.app_context():
        yield app


@pytest.fixture
def support_agent(make_user):
    return make_user("agent", email="bob@example.com", name="Bob Agent", queues=["seller_support"])


@pytest.fixture
def fraud_agent(make_user):
    return make_user("agent", email="fay@example.com", name="Fay Fraud", queues=["fraud"])


def new_case(seller, **kwargs):
    defaults = {"type_key": "contact", "subject": "Payment missing", "body": "Order 123 unpaid"}
    return open_ticket(seller=seller, **{**defaults, **kwargs})


def set_deadline(ticket, due):
    """Move a case's running deadline (the SLA clock itself is tested in test_sla)."""
    db.session.execute(sa.update(Ticket).where(Ticket.id == ticket.id).values(next_due_at=due))
    db.session.commit()


def refs_in(html):
    return re.findall(r'class="staff-ref"><a href="[^"]*">(SD-[0-9A-Z-]+)</a>', html)


def flashes(html):
    return [
        re.sub(r"\s+", " ", text)
        for text in re.findall(r'<p class="flash[^"]*">(.*?)</p>', html, re.S)
    ]


def queue_row(html, key):
    row = re.search(rf'<tr data-queue="{key}">(.*?)</tr>', html, re.S).group(1)
    cells = re.findall(r'<td class="num">(.*?)</td>', row, re.S)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells]


# --- who may come in --------------------------------------------------------------------------


def test_sellers_get_403_and_visitors_are_sent_to_sign_in(client, login, seller):
    ticket = new_case(seller)
    pages = [
        "/staff/",
        "/staff/queues/seller_support",
        "/staff/mine",
        "/staff/search?q=payment",
        f"/staff/cases/{ticket.ref}",
        "/staff/canned",
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 302 and "/sign-in" in response.location, page
    login(client, seller)
    for page in pages:
        assert client.get(page).status_code == 403, page
    assert client.post(f"/staff/cases/{ticket.ref}/take").status_code == 403


# --- the queue list ---------------------------------------------------------------------------


def test_the_queue_list_shows_my_queues_with_open_overdue_and_due_soon_counts(
    client, login, seller, support_agent
):
    late, soon, later, done = (new_case(seller) for _ in range(4))
    set_deadline(late, utcnow() - timedelta(hours=1))
    set_deadline(soon, utcnow() + timedelta(hours=1))
    set_deadline(later, utcnow() + timedelta(days=3))
    transition(done, actor=support_agent, status=Status.CLOSED)
    claim(later, agent=support_agent)
    html = login(client, support_agent).get("/staff/").get_data(as_text=True)
    assert queue_row(html, "seller_support") == ["3", "1", "1"]
    assert 'data-queue="fraud"' not in html  # not one of Bob's queues
    assert re.search(r'href="/staff/mine">Assigned to me</a>:\s*<strong>1</strong>', html)
    assert 'href="/staff/queues/seller_support?overdue=y&amp;sort=due"' in html
    assert "<svg" in html  # the small chart


def test_counts_come_from_the_counters_and_overdue_stops_at_99_plus(
    client, login, seller, support_agent
):
    queue = db.session.scalar(sa.select(Queue).where(Queue.key == "seller_support"))
    past = utcnow() - timedelta(hours=2)
    db.session.execute(
        sa.insert(Ticket),
        [
            {
                "type_key": "contact",
                "seller_id": seller.id,
                "subject": f"Backlog {i}",
                "queue_id": queue.id,
                "status": Status.OPEN,
                "next_due_at": past,
            }
            for i in range(120)
        ],
    )
    db.session.merge(QueueCount(queue_id=queue.id, status=Status.OPEN, count=4321))
    db.session.commit()
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        html = login(client, support_agent).get("/staff/").get_data(as_text=True)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert queue_row(html, "seller_support") == ["4321", "99+", "0"]
    counts_over_tickets = [
        s for s in statements if "count(" in s.lower() and "tickets" in s.lower()
    ]
    assert counts_over_tickets and all("LIMIT" in s.upper() for s in counts_over_tickets)


# --- one queue --------------------------------------------------------------------------------


def walk(client, url):
    """Every ref of a list, following its "Next" links; and how many pages it took."""
    refs, pages = [], 0
    while url and pages < 10:
        html = client.get(url).get_data(as_text=True)
        pages += 1
        refs += refs_in(html)
        found = re.search(r'<a href="([^"]+)" rel="next">', html)
        url = found.group(1).replace("&amp;", "&") if found else None
    return refs, pages


def test_a_queue_page_reads_its_cases_in_the_same_statements_however_many_it_lists(
    app, client, login, make_user, support_agent
):
    """Each case's seller and assignee come with the page's cases: a page of six cases from
    six sellers, given to three agents, runs the statements of a page of one, and shows
    each of their names."""
    agents = [support_agent] + [
        make_user("agent", name=f"Agent {i}", queues=["seller_support"]) for i in range(2)
    ]
    login(client, support_agent)

    def statements_of_page() -> tuple[int, str]:
        seen = []

        def record(conn, cursor, statement, *args):
            seen.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", record)
        try:
            html = client.get("/staff/queues/seller_support").get_data(as_text=True)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)
        return len(seen), html

    first = new_case(make_user(name="Seller 0"))
    assign(first, actor=support_agent, assignee=agents[0])
    one, _html = statements_of_page()
    for i in range(1, 6):
        case = new_case(make_user(name=f"Seller {i}"))
        assign(case, actor=support_agent, assignee=agents[i % 3])
    six, html = statements_of_page()
    assert six == one
    assert all(f"Seller {i}" in html for i in range(6))
    assert "Agent 0" in html and "Agent 1" in html


def test_the_queue_view_pages_and_sorts_its_cases(app, client, login, seller, support_agent):
    app.config["SUPPORTDESK_PAGE_SIZE"] = 2
    cases = [new_case(seller, subject=f"Case {i}") for i in range(5)]
    for ticket, hours in zip(cases, [5, None, 1, 3, 2], strict=True):
        set_deadline(ticket, None if hours is None else utcnow() + timedelta(hours=hours))
    set_priority(cases[3], actor=support_agent, priority="urgent")
    set_priority(cases[0], actor=support_agent, priority="high")
    login(client, support_agent)
    by_id = [t.ref for t in cases]
    assert walk(client, "/staff/queues/seller_support") == (by_id[::-1], 3)
    assert walk(client, "/staff/queues/seller_support?sort=oldest")[0] == by_id
    due = walk(client, "/staff/queues/seller_support?sort=due")[0]
    assert due == [by_id[i] for i in (2, 4, 3, 0, 1)]  # no deadline last
    ranked = walk(client, "/staff/queues/seller_support?sort=priority")[0]
    assert ranked == [by_id[i] for i in (3, 0, 2, 4, 1)]  # then by deadline
    html = client.get("/staff/queues/seller_support?sort=due").get_data(as_text=True)
    assert 'href="/staff/queues/seller_support?sort=due&amp;cursor=' in html


def test_the_queue_view_filters(client, login, seller, support_agent, make_user):
    colleague = make_user("agent", name="Cleo", queues=["seller_support"])
    mine, theirs, free, late, closed = (new_case(seller, subject=f"S{i}") for i in range(5))
    claim(mine, agent=support_agent)
    assign(theirs, actor=support_agent, assignee=colleague)
    set_priority(free, actor=support_agent, priority="urgent")
    set_deadline(late, utcnow() - timedelta(minutes=5))
    transition(closed, actor=support_agent, status=Status.CLOSED)
    login(client, support_agent)

    def listed(query=""):
        return set(
            refs_in(client.get(f"/staff/queues/seller_support?{query}").get_data(as_text=True))
        )

    open_ones = {mine.ref, theirs.ref, free.ref, late.ref}
    assert listed() == open_ones  # the open ones by default
    assert listed("status=all") == open_ones | {closed.ref}
    assert listed("status=closed") == {closed.ref}
    assert listed("priority=urgent") == {free.ref}
    assert listed("assignee=me") == {mine.ref}
    assert listed(f"assignee={colleague.id}") == {theirs.ref}
    assert listed("assignee=none") == {free.ref, late.ref}
    assert listed("overdue=y") == {late.ref}
    html = client.get("/staff/queues/seller_support?overdue=y").get_data(as_text=True)
    assert '<span class="badge badge-overdue">Overdue</span>' in html
    assert "Cleo" in client.get("/staff/queues/seller_support").get_data(as_text=True)


def test_bad_filters_and_cursors_show_the_first_page_never_an_error(
    client, login, seller, support_agent
):
    ticket = new_case(seller)
    login(client, support_agent)
    for query in (
        "status=archived&priority=x&type=nope&assignee=99999999999999999999&sort=random",
        "cursor=not-a-cursor",
        "sort=due&cursor=WzFd",  # a cursor of the "newest" order: [1]
        "cursor=Wzk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTld",  # an id beyond bigint
        "sort=due&cursor=W3sidCI6IjIwMjYtMDEtMDFUMDA6MDA6MDAifSwxXQ",  # a naive datetime
        "key=fraud&cursor=",
    ):
        response = client.get(f"/staff/queues/seller_support?{query}")
        assert response.status_code == 200, query
        assert refs_in(response.get_data(as_text=True)) == [ticket.ref], query


def test_a_type_hidden_from_the_agent_never_shows(client, login, seller, support_agent, make_user):
    lead = make_user("agent", email="lead@example.com", queues=["seller_support"])
    visible = new_case(seller, subject="Ordinary")
    secret = new_case(seller, type_key="secret_case", subject="Secret matter")
    # Assigned to Bob before the type was hidden from him: still nowhere to be seen.
    db.session.execute(
        sa.update(Ticket).where(Ticket.id == secret.id).values(assignee_id=support_agent.id)
    )
    set_deadline(secret, utcnow() - timedelta(hours=1))
    login(client, support_agent)
    for url in (
        "/staff/queues/seller_support?status=all",
        "/staff/mine",
        "/staff/search?q=secret",
        f"/staff/search?q={seller.email}",
    ):
        html = client.get(url).get_data(as_text=True)
        assert secret.ref not in html and "Secret matter" not in html, url
    assert queue_row(client.get("/staff/").get_data(as_text=True), "seller_support")[1] == "0"
    lead_page = login(client, lead).get("/staff/queues/seller_support").get_data(as_text=True)
    assert set(refs_in(lead_page)) == {visible.ref, secret.ref}


def test_an_agent_outside_the_queue_finds_nothing_of_it(client, login, seller, fraud_agent):
    ticket = new_case(seller, subject="Payment missing", order_id="ORD-1")
    login(client, fraud_agent)
    assert client.get("/staff/queues/seller_support").status_code == 404
    assert client.get("/staff/queues/no_such_queue").status_code == 404
    for q in (ticket.ref, "payment", "ORD-1", seller.email):
        html = client.get(f"/staff/search?q={q}").get_data(as_text=True)
        assert refs_in(html) == [] and "No case matches" in html, q
    bulk = client.post(
        "/staff/queues/fraud", data={"refs": [ticket.ref], "action": "close"}, follow_redirects=True
    )
    assert f"1 case could not be closed: {ticket.ref} (not found)" in flashes(
        bulk.get_data(as_text=True)
    )
    db.session.refresh(ticket)
    assert ticket.status == Status.NEW


def test_my_cases_across_queues(client, login, seller, agent):
    contact = new_case(seller)
    fraud = new_case(seller, type_key="fraud_report", subject="Scam")
    new_case(seller, subject="Not mine")
    claim(contact, agent=agent)
    claim(fraud, agent=agent)
    html = login(client, agent).get("/staff/mine").get_data(as_text=True)
    assert set(refs_in(html)) == {contact.ref, fraud.ref}
    assert 'name="assignee"' not in html.split("staff-bulk")[0]  # no assignee filter here


# --- bulk actions -----------------------------------------------------------------------------


def test_bulk_take_reports_the_cases_that_failed_and_does_the_others(
    client, login, seller, support_agent, make_user
):
    colleague = make_user("agent", name="Cleo", queues=["seller_support"])
    free, taken, already_mine = (new_case(seller) for _ in range(3))
    claim(taken, agent=colleague)
    claim(already_mine, agent=support_agent)
    login(client, support_agent)
    response = client.post(
        "/staff/queues/seller_support?sort=oldest",
        data={"refs": [free.ref, taken.ref, already_mine.ref, "SD-0000-0000"], "action": "take"},
    )
    assert response.status_code == 302
    assert response.location.endswith("/staff/queues/seller_support?sort=oldest")
    messages = flashes(client.get(response.location).get_data(as_text=True))
    assert "2 cases assigned to you." in messages
    assert (
        f"2 cases could not be assigned to you: {taken.ref} (already taken by Cleo); "
        "SD-0000-0000 (not found)"
    ) in messages
    for ticket, owner in ((free, support_agent), (taken, colleague), (already_mine, support_agent)):
        db.session.refresh(ticket)
        assert ticket.assignee_id == owner.id


def test_bulk_assign_and_close(client, login, seller, agent, support_agent, make_user):
    contact_a, contact_b = new_case(seller), new_case(seller)
    fraud = new_case(seller, type_key="fraud_report")
    login(client, agent)
    response = client.post(
        "/staff/queues/seller_support",
        data={
            "refs": [contact_a.ref, contact_b.ref],
            "action": "assign",
            "assignee": support_agent.id,
        },
        follow_redirects=True,
    )
    assert "2 cases assigned to Bob Agent." in flashes(response.get_data(as_text=True))
    # From "my cases", Bob may receive the seller support case but not the fraud one.
    claim(fraud, agent=agent)
    assign(contact_a, actor=agent, assignee=agent)
    response = client.post(
        "/staff/mine",
        data={"refs": [contact_a.ref, fraud.ref], "action": "assign", "assignee": support_agent.id},
        follow_redirects=True,
    )
    messages = flashes(response.get_data(as_text=True))
    assert "1 case assigned to Bob Agent." in messages
    assert (
        f"1 case could not be assigned to Bob Agent: {fraud.ref} (This person cannot work on this case.)"
        in messages
    )
    response = client.post(
        "/staff/queues/seller_support",
        data={"refs": [contact_a.ref, contact_b.ref], "action": "close"},
        follow_redirects=True,
    )
    assert "2 cases closed." in flashes(response.get_data(as_text=True))
    assert {t.status for t in db.session.scalars(sa.select(Ticket))} == {Status.CLOSED, Status.NEW}


def test_a_long_bulk_report_names_the_first_ten_failures(client, login, support_agent):
    refs = [f"SD-0000-{i:04d}" for i in range(12)] + ["x" * 500]
    response = login(client, support_agent).post(
        "/staff/queues/seller_support",
        data={"refs": refs, "action": "close"},
        follow_redirects=True,
    )
    (message,) = flashes(response.get_data(as_text=True))
    assert message.startswith("13 cases could not be closed: SD-0000-0000 (not found); ")
    assert message.endswith("SD-0000-0009 (not found); and 3 more")


def test_a_bulk_form_without_cases_or_agent_says_so_at_the_field(
    client, login, seller, support_agent
):
    ticket = new_case(seller)
    login(client, support_agent)
    response = client.post("/staff/queues/seller_support", data={"action": "close"})
    assert response.status_code == 400
    assert "Check at least one case." in response.get_data(as_text=True)
    response = client.post(
        "/staff/queues/seller_support", data={"refs": [ticket.ref], "action": "assign"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Choose the agent to give the cases to." in html
    assert f'value="{ticket.ref}" id="check-{ticket.ref}" checked' in html  # the choice kept
    response = client.post(
        "/staff/queues/seller_support", data={"refs": [ticket.ref], "action": "explode"}
    )
    assert response.status_code == 400


# --- taking a case ------------------------------------------------------------------------------


def test_taking_from_the_list_comes_back_to_the_list(client, login, seller, support_agent):
    ticket = new_case(seller)
    login(client, support_agent)
    html = client.get("/staff/queues/seller_support?sort=due").get_data(as_text=True)
    assert f'formaction="/staff/cases/{ticket.ref}/take"' in html
    response = client.post(
        f"/staff/cases/{ticket.ref}/take", data={"next": "/staff/queues/seller_support?sort=due"}
    )
    assert response.location.endswith("/staff/queues/seller_support?sort=due")
    db.session.refresh(ticket)
    assert ticket.assignee_id == support_agent.id
    evil = client.post(f"/staff/cases/{ticket.ref}/take", data={"next": "https://evil.example/"})
    assert evil.location.endswith(f"/staff/cases/{ticket.ref}")


def test_two_agents_taking_the_same_case_at_once_exactly_one_gets_it(make_app, make_user, login):
    app = make_app()
    with app.app_context():
        seller = make_user()
        agents = [
            make_user("agent", name=f"Agent {i}", queues=["seller_support"]) for i in range(2)
        ]
        ref = new_case(seller).ref
        clients = [login(app.test_client(), a) for a in agents]
    barrier = threading.Barrier(len(clients))
    pages: list[str] = []

    def take(client):
        barrier.wait()
        response = client.post(f"/staff/cases/{ref}/take", follow_redirects=True)
        pages.append(response.get_data(as_text=True))

    threads = [threading.Thread(target=take, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [p for p in pages if f"You have taken {ref}." in p]
    losers = [p for p in pages if TAKEN in p]
    assert len(winners) == 1 and len(losers) == 1
    with app.app_context():
        ticket = db.session.scalar(sa.select(Ticket).where(Ticket.ref == ref))
        winner = db.session.get(User, ticket.assignee_id)
        assert f"Assigned to {winner.display_name}" in losers[0]  # the loser sees who has it
        claims = db.session.scalars(sa.select(Event).where(Event.kind == "claimed")).all()
        assert [e.actor_id for e in claims] == [winner.id]


# --- search -----------------------------------------------------------------------------------


def test_a_reference_opens_the_case_even_typed_loosely(client, login, seller, support_agent):
    ticket = new_case(seller)
    login(client, support_agent)
    for typed in (ticket.ref, ticket.ref.lower(), ticket.ref.replace("-", "").lower()):
        response = client.get("/staff/search", query_string={"q": f" {typed} "})
        assert response.status_code == 302, typed
        assert response.location.endswith(f"/staff/cases/{ticket.ref}")


def test_order_ids_emails_and_words_list_the_cases(
    client, login, seller, other_seller, support_agent
):
    first = new_case(seller, order_id="ORD-77", subject="Refund late")
    second = new_case(seller, subject="Label printer broken")
    theirs = new_case(other_seller, order_id="ORD-77", subject="Refund never came")
    login(client, support_agent)

    def found(q):
        response = client.get("/staff/search", query_string={"q": q})
        assert response.status_code == 200
        return set(refs_in(response.get_data(as_text=True)))

    assert found("ORD-77") == {first.ref, theirs.ref}
    assert found(seller.email.upper()) == {first.ref, second.ref}
    assert found("refund") == {first.ref, theirs.ref}
    assert found("printer") == {second.ref}
    assert found("") == set()
    html = client.get("/staff/").get_data(as_text=True)
    assert 'role="search"' in html and 'action="/staff/search"' in html


def test_search_results_page_newest_first_past_hidden_cases(
    app, client, login, seller, other_seller, support_agent
):
    """Every match once, newest first, a page at a time, by words and by email alike; cases the
    agent may not see are skipped however they fall among the pages; past the last page, or
    with a cursor we did not make, the search says so or starts again."""
    app.config["SUPPORTDESK_PAGE_SIZE"] = 2
    cases = []
    for i in range(7):
        hidden = i in (2, 5, 6)
        cases.append(
            new_case(
                seller if i % 2 == 0 else other_seller,
                type_key="secret_case" if hidden else "contact",
                subject=f"Courier lost parcel {i}",
            )
        )
    shown = [t.ref for t in cases if t.type_key == "contact"][::-1]
    login(client, support_agent)
    assert walk(client, "/staff/search?q=courier") == (shown, 2)
    assert walk(client, f"/staff/search?q={seller.email}")[0] == [cases[4].ref, cases[0].ref]

    first = client.get("/staff/search?q=courier").get_data(as_text=True)
    assert "Cases that match “courier”, newest first:" in first
    assert "First page" not in first
    later_url = re.search(r'<a href="([^"]+)" rel="next">', first).group(1).replace("&amp;", "&")
    later = client.get(later_url).get_data(as_text=True)
    assert "Older cases that match “courier”, newest first:" in later
    assert '<a href="/staff/search?q=courier">First page</a>' in later and 'rel="next"' not in later
    oldest = encode_cursor([cases[0].id])
    past = client.get(f"/staff/search?q=courier&cursor={oldest}").get_data(as_text=True)
    assert refs_in(past) == [] and "There are no more cases that match “courier”." in past
    assert "First page" in past
    for forged in ("not-a-cursor", encode_cursor(["x"]), encode_cursor([10**30])):
        again = client.get(f"/staff/search?q=courier&cursor={forged}")
        assert again.status_code == 200 and refs_in(again.get_data(as_text=True)) == shown[:2]

    app.config["SUPPORTDESK_PAGE_SIZE"] = 10
    whole = client.get("/staff/search?q=courier").get_data(as_text=True)
    assert "4 cases match “courier”." in whole and 'rel="next"' not in whole
    # A reference on a later page is not opened at once: the agent is paging, not looking up.
    ref_page = client.get(f"/staff/search?q={cases[3].ref}&cursor={encode_cursor([cases[4].id])}")
    assert ref_page.status_code == 200 and refs_in(ref_page.get_data(as_text=True)) == [
        cases[3].ref
    ]


def test_search_pages_in_french(app, client, login, seller, support_agent):
    app.config["SUPPORTDESK_PAGE_SIZE"] = 1
    for i in range(2):
        new_case(seller, subject=f"Colis perdu {i}")
    login(client, support_agent)
    headers = {"Accept-Language": "fr"}
    html = client.get("/staff/search?q=colis", headers=headers).get_data(as_text=True)
    assert "Demandes correspondant à « colis », des plus récentes aux plus anciennes :" in html
    later_url = re.search(r'<a href="([^"]+)" rel="next">', html).group(1).replace("&amp;", "&")
    later = client.get(later_url, headers=headers).get_data(as_text=True)
    assert "Demandes plus anciennes correspondant à « colis »" in later
    past = client.get(
        later_url.split("cursor=")[0] + "cursor=" + encode_cursor([1]), headers=headers
    ).get_data(as_text=True)
    assert "Aucune autre demande ne correspond à « colis »." in past


def test_search_keeps_the_words_in_the_box(client, login, support_agent):
    html = login(client, support_agent).get("/staff/search?q=<b>x</b>").get_data(as_text=True)
    assert 'value="&lt;b&gt;x&lt;/b&gt;"' in html and "<b>x</b>" not in html


def test_the_filter_form_is_a_get_form_that_keeps_its_choices(client, login, seller, support_agent):
    new_case(seller)
    html = (
        login(client, support_agent)
        .get("/staff/queues/seller_support?status=all&sort=due")
        .get_data(as_text=True)
    )
    form = re.search(r'<form method="get" class="staff-filters".*?</form>', html, re.S).group(0)
    assert re.search(r'<option selected value="all">|<option value="all" selected>', form)
    assert re.search(r'<option selected value="due">|<option value="due" selected>', form)
    next_links = [
        parse_qs(urlsplit(u).query) for u in re.findall(r'href="(/staff/queues[^"]+)"', html)
    ]
    assert all("cursor" not in q or q.get("sort") == ["due"] for q in next_links)
