"""The route table of the security suites: every rule of the desk's URL map, how to call it on
the victim's objects, and who must be refused.

``ROUTES`` maps each rule (as ``app.url_map`` spells it) to its probes. A rule missing here fails
``test_every_route_is_in_the_table``, so a new route cannot slip past the suites. A probe says:

* ``fill``: the values of the rule's variables, from the victim's world;
* ``send``: what each method sends (form fields, JSON, files, query string), from the world;
* ``refused``: the actors that must get 403 or 404 (anonymous visitors: the sign-in page, or
  401 from the API) on every method of the probe, and whose writes must change nothing;
* ``ok``: the actors whose GET must answer 200 (lists, searches, public pages): what they see
  must still hold no marker of an object they may not read;
* ``passers``: actors who may write through the route for themselves (their own draft, their own
  case) while aiming at the victim's objects: the victim's rows must not change;
* ``owner`` and ``shows``: the actor whom the route serves, and the markers their GET shows (the
  proof that the refusals are not the route being broken); their write must succeed;
* ``methods``: the methods the probe covers (all of the rule's by default);
* ``writes``: False when the owner's write changes no row (signing in or out, a check);
* ``refusal``: the statuses that refuse (403 and 404, or a reset link's own 400 page);
* ``secret``: the address is itself the credential (a reset link): only its owner reads it.

The table is ordered so that the owners' writes, replayed in order on a world of their own, each
find the case in the state they need (a reply before closing, closing before rating, an appeal
before its decision, deleting last).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Flask

from .world import (
    ACTORS,
    ADMIN,
    ANONYMOUS,
    CONTACT_ORDER,
    FEEDBACK_AGENT,
    NONFRAUD_AGENT,
    OTHER_SELLER,
    PASSWORD,
    SEARCH_WORD,
    SELLERS,
    SIGNED_IN,
    STAFF,
    SUPPORT_AGENT,
    TEAM_AGENT,
    VICTIM,
    VISIBLE,
    World,
    days_ago,
)

Values = Callable[[World], dict[str, Any]]

EVERYONE = frozenset(ACTORS)
NOBODY: frozenset[str] = frozenset()
#: The cases of the victim that the routes taking a ``<ref>`` are tried on.
CASES = ("contact", "fraud_report", "guarantee_claim", "dispute")
#: And a fraud report that sits in the seller support queue, for the pages that show a case:
#: only the fraud role keeps that queue's agents out of it.
MOVED = "fraud_moved"
#: Who is a member of each queue (admins see every queue).
MEMBERS = {
    "seller_support": frozenset({SUPPORT_AGENT, NONFRAUD_AGENT, TEAM_AGENT, ADMIN}),
    "fraud": frozenset({TEAM_AGENT, ADMIN}),
    "guarantee": frozenset({NONFRAUD_AGENT, TEAM_AGENT, ADMIN}),
    "feedback": frozenset({FEEDBACK_AGENT, NONFRAUD_AGENT, TEAM_AGENT, ADMIN}),
}
QUEUE_OF = {
    "contact": "seller_support",
    MOVED: "seller_support",
    "fraud_report": "fraud",
    "guarantee_claim": "guarantee",
    "dispute": "feedback",
}
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
VARIABLE = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def nothing(world: World) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Probe:
    """One way to call a rule: see the module's docstring."""

    fill: Values = nothing
    send: Mapping[str, Values] = field(default_factory=dict)
    refused: frozenset[str] = NOBODY
    ok: frozenset[str] = NOBODY
    passers: frozenset[str] = NOBODY
    owner: str | None = None
    shows: tuple[tuple[str, str], ...] = ()
    methods: tuple[str, ...] | None = None
    writes: bool = True
    refusal: tuple[int, ...] = (403, 404)
    secret: bool = False

    def covers(self, method: str) -> bool:
        return self.methods is None or method in self.methods

    def request(self, world: World, method: str) -> dict[str, Any]:
        """The test client's keyword arguments for ``method``."""
        return self.send.get(method, nothing)(world)


# --- who must be refused ----------------------------------------------------------------------


def outsiders(obj: str) -> frozenset[str]:
    """Everyone who may not read ``obj``."""
    return EVERYONE - VISIBLE[obj]


def staff_outsiders(obj: str) -> frozenset[str]:
    """A staff page of ``obj``: everyone who may not read it, and sellers (staff pages)."""
    return outsiders(obj) | SELLERS


def all_but(*actors: str) -> frozenset[str]:
    return EVERYONE - frozenset(actors)


NOT_STAFF = frozenset({ANONYMOUS}) | SELLERS
#: The fraud intake is for sellers: staff get a 404, visitors the sign-in page.
NOT_SELLERS = frozenset({ANONYMOUS}) | STAFF
NOT_ADMIN = all_but(ADMIN)
FRAUD_TEAM_ONLY = all_but(TEAM_AGENT, ADMIN)


# --- what the requests carry ------------------------------------------------------------------


def ref(case: str) -> Values:
    return lambda world: {"ref": world.refs[case]}


def form(**fields: Any) -> Values:
    return lambda world: {"data": dict(fields)}


def query(**args: Any) -> Values:
    return lambda world: {"query_string": dict(args)}


def as_json(**body: Any) -> Values:
    return lambda world: {"json": dict(body)}


def text_file(name: str = "evidence.txt") -> Values:
    return lambda world: {"data": {"file": (io.BytesIO(b"what I saw\n"), name)}}


def static(filename: str) -> list[Probe]:
    """A packaged static file: public, the same for everybody."""
    return [Probe(fill=lambda world: {"filename": filename}, ok=EVERYONE)]


def public(**args: Any) -> list[Probe]:
    """A page for everybody; ``args`` is its query string."""
    return [Probe(send={"GET": query(**args)}, ok=EVERYONE)]


def per_case(make: Callable[[str], Probe], cases: tuple[str, ...] = CASES) -> list[Probe]:
    return [make(case) for case in cases]


def subject_of(case: str) -> tuple[str, str]:
    part = {
        "contact": "contactsubject",
        "contact_twin": "twinsubject",
        "fraud_report": "fraudsubject",
        MOVED: "movedsubject",
        "guarantee_claim": "claimsubject",
        "dispute": "disputeorder",
    }[case]
    return (case, part)


def body_of(case: str) -> tuple[str, str]:
    part = {
        "contact": "contactbody",
        "fraud_report": "fraudbody",
        MOVED: "movedbody",
        "guarantee_claim": "claimbody",
        "dispute": "disputeexplain",
    }[case]
    return (case, part)


ALL_SUBJECTS = tuple(subject_of(c) for c in (*CASES, MOVED, "contact_twin"))


def seller_case_page(case: str) -> Probe:
    return Probe(
        fill=ref(case),
        refused=outsiders(case),
        owner=VICTIM,
        shows=(subject_of(case), body_of(case)),
    )


def seller_write(data: Values) -> Callable[[str], Probe]:
    """A seller's action on their case: only the seller who filed it (staff too get 404)."""

    def make(case: str) -> Probe:
        return Probe(
            fill=ref(case),
            send={"POST": data},
            refused=all_but(VICTIM),
            owner=VICTIM if case == "contact" else None,
        )

    return make


def staff_write(data: Values) -> Callable[[str], Probe]:
    """An action of the staff workspace: staff who may see the case; the owner's write goes to
    the contact case."""

    def make(case: str) -> Probe:
        return Probe(
            fill=ref(case),
            send={"POST": data},
            refused=staff_outsiders(case),
            owner=TEAM_AGENT if case == "contact" else None,
        )

    return make


def api_case(
    method: str, data: Values, *, refused_too: frozenset[str] = NOBODY, owner: str = VICTIM
) -> Callable[[str], Probe]:
    """An API operation on a case; the owner's write goes to the fraud report (the workspace's
    forms have merged the contact case by then)."""

    def make(case: str) -> Probe:
        return Probe(
            fill=ref(case),
            send={method: data},
            refused=outsiders(case) | refused_too,
            owner=owner if case == ("contact" if method == "GET" else "fraud_report") else None,
            shows=(subject_of(case), body_of(case)) if method == "GET" else (),
        )

    return make


def bulk(action: str, *cases: str) -> Values:
    """A bulk action on some of the victim's cases, from a case list."""
    return lambda world: {"data": {"refs": [world.refs[c] for c in cases], "action": action}}


#: The victim's cases outside each single-queue agent's queue.
UNSEEN = {
    SUPPORT_AGENT: ("fraud_report", "guarantee_claim", "dispute"),
    FEEDBACK_AGENT: ("contact", "contact_twin", "fraud_report", "guarantee_claim"),
}


def bulk_from_mine(agent: str) -> Probe:
    """An agent checks, on their own list, the victim's cases of other queues: none moves."""
    return Probe(
        send={"POST": bulk("close", *UNSEEN[agent])},
        passers=frozenset({agent}),
        methods=("POST",),
    )


def queue_probes(case: str) -> list[Probe]:
    """A queue's list, and a bulk action from it; the owner's bulk write is tried once, on
    the dispute (the workspace's own forms take the other cases)."""
    queue = QUEUE_OF[case]
    fill, refused = (lambda world: {"key": queue}), EVERYONE - MEMBERS[queue]
    return [
        Probe(
            fill=fill,
            send={"GET": query(status="all")},
            refused=refused,
            owner=TEAM_AGENT,
            shows=(subject_of(case),),
            methods=("GET",),
        ),
        Probe(
            fill=fill,
            send={"POST": bulk("take", case)},
            refused=refused,
            owner=TEAM_AGENT if case == "dispute" else None,
            methods=("POST",),
        ),
    ]


def file_probe(obj: str, owner: str, part: str) -> Probe:
    return Probe(
        fill=lambda world: {"attachment_id": world.files[obj]},
        refused=outsiders(obj),
        owner=owner,
        shows=((obj, part),),
    )


def contact_form(**extra: Any) -> Values:
    def make(world: World) -> dict[str, Any]:
        return {
            "data": {
                "topic": "payments",
                "order_id": CONTACT_ORDER,
                "subject": "Where is my payout",
                "body": "My payout did not arrive.",
                "reply_language": "en",
                "idempotency_key": "k" * 24,
                "choice": "new",
                **{k: v(world) if callable(v) else v for k, v in extra.items()},
            }
        }

    return make


def dispute_form(order: Callable[[World], str]) -> Values:
    return lambda world: {
        "data": {
            "order_id": order(world),
            "feedback_date": days_ago(1),
            "rating": "1",
            "feedback_text": "Slow parcel",
            "reason": "other",
            "explanation": "The parcel was on time.",
        }
    }


def report_row(**fields: Any) -> Values:
    """A one-click action of the failed-queries report, on the world's published article."""
    row = {"query": "when do payouts arrive", "locale": "en", "kind": "empty", "days": "30"}
    return lambda world: {"data": {**row, "slug": world.published_slug, **fields}}


def article_form(world: World) -> dict[str, Any]:
    return {
        "data": {
            "slug": world.article_slug,
            "locale": "en",
            "title": "Unreleased guide, edited",
            "category": "orders",
            "body": "Edited text.",
            "save": "Save",
        }
    }


def new_account(email: Callable[[World], str]) -> Values:
    return lambda world: {
        "data": {
            "name": "Someone",
            "email": email(world),
            "password": "long enough password",
            "confirm": "long enough password",
        }
    }


def credentials(password: str) -> Values:
    return lambda world: {"data": {"email": world.victim_email, "password": password}}


def canned_form(title: str) -> Values:
    return form(title=title, body="Dear {seller_name}, thank you.", locale="", queue="")


# --- the table --------------------------------------------------------------------------------

ROUTES: dict[str, list[Probe]] = {
    # Public pages and files: nothing of anyone's in them.
    "/": public(),
    "/health": public(),
    "/_desk/static/<path:filename>": static("desk.css"),
    "/contact/static/<path:filename>": static("contact.js"),
    "/disputes/static/<path:filename>": static("policy-check.js"),
    "/fraud/static/<path:filename>": static("countdown.js"),
    "/help/static/<path:filename>": static("suggest.js"),
    "/help": public(),
    "/help/search": public(q=SEARCH_WORD),
    "/help/suggest": public(q=SEARCH_WORD[:4]),
    "/contact/suggestions": public(q=SEARCH_WORD),
    "/disputes/guidance": public(),
    "/api/v1/openapi.json": public(),
    "/api/v1/help/search": public(q=SEARCH_WORD),
    "/api/v1/help/articles/<slug>": [
        # The API serves published articles only: a draft is a 404 even for staff.
        Probe(fill=lambda world: {"slug": world.article_slug}, refused=EVERYONE),
        Probe(fill=lambda world: {"slug": world.published_slug}, ok=EVERYONE),
    ],
    "/help/<slug>": [
        Probe(
            fill=lambda world: {"slug": world.article_slug},
            refused=NOT_STAFF,
            owner=TEAM_AGENT,
            shows=(("article_draft", "articletitle"),),
        ),
        Probe(fill=lambda world: {"slug": world.published_slug}, ok=EVERYONE),
        # Opened from the victim's search's results: it records the click for the victim only.
        Probe(
            fill=lambda world: {"slug": world.published_slug},
            send={"GET": lambda world: {"query_string": {"from": world.help_search_id}}},
            ok=EVERYONE,
        ),
    ],
    "/help/<slug>/vote": [
        Probe(
            fill=lambda world: {"slug": world.article_slug},
            send={"POST": form(helpful="yes", lang="en")},
            refused=NOT_STAFF,
        ),
        Probe(
            fill=lambda world: {"slug": world.published_slug},
            send={"POST": form(helpful="yes", lang="en")},
            owner=VICTIM,
        ),
    ],
    # Accounts: each visitor's own; aimed at the victim's account they change nothing of it.
    "/register": [
        Probe(
            send={"POST": new_account(lambda world: world.victim_email)},
            passers=frozenset({ANONYMOUS}),
        ),
        Probe(
            send={"POST": new_account(lambda world: f"newcomer-{world.name}@example.com")},
            owner=ANONYMOUS,
            methods=("POST",),
        ),
    ],
    "/sign-in": [
        Probe(
            send={"POST": credentials("a guess")},
            passers=frozenset({ANONYMOUS}),
        ),
        Probe(
            send={"POST": credentials(PASSWORD)}, owner=ANONYMOUS, writes=False, methods=("POST",)
        ),
    ],
    "/password-reset": [
        # Anyone may ask for a link to any address; the mail goes to the account's owner.
        Probe(
            send={"POST": lambda world: {"data": {"email": world.victim_email}}},
            passers=frozenset({ANONYMOUS, OTHER_SELLER}),
        )
    ],
    # The seller's case log.
    "/cases": [
        Probe(refused=frozenset({ANONYMOUS}), ok=SIGNED_IN, owner=VICTIM, shows=ALL_SUBJECTS)
    ],
    "/cases/<ref>": per_case(seller_case_page, (*CASES, MOVED)),
    "/cases/<ref>/reply": per_case(seller_write(form(body="I am the seller, honest."))),
    "/cases/<ref>/close": per_case(seller_write(nothing)),
    "/cases/<ref>/rate": per_case(seller_write(form(rating="1", comment="Bad"))),
    "/cases/<ref>/reopen": per_case(seller_write(nothing)),
    "/files/<int:attachment_id>": [
        file_probe("contact", VICTIM, "contactdata"),
        file_probe("note", TEAM_AGENT, "notedata"),
        file_probe("fraud_report", VICTIM, "frauddata"),
        file_probe("guarantee_claim", VICTIM, "claimdata"),
    ],
    # The contact form: its held files and "add to your open case" are the seller's own.
    "/contact": [
        Probe(
            send={
                "POST": contact_form(
                    held=lambda world: world.held_token,
                    choice=lambda world: f"add:{world.refs['contact']}",
                )
            },
            refused=STAFF,
            passers=frozenset({OTHER_SELLER}),
        ),
        Probe(send={"POST": contact_form()}, owner=VICTIM),
    ],
    "/contact/sent/<ref>": [Probe(fill=ref("contact"), refused=all_but(VICTIM), owner=VICTIM)],
    # Feedback disputes.
    "/disputes": [
        Probe(
            refused=frozenset({ANONYMOUS}),
            ok=SIGNED_IN,
            owner=VICTIM,
            shows=(subject_of("dispute"),),
        )
    ],
    "/disputes/new": [
        # The same order as the victim's dispute: the form must not show theirs.
        Probe(
            send={"POST": dispute_form(lambda world: world.marker("dispute", "disputeorder"))},
            passers=frozenset({OTHER_SELLER}),
        ),
        Probe(send={"POST": dispute_form(lambda world: "A-NEW-ORDER-77")}, owner=VICTIM),
    ],
    "/disputes/check": [
        Probe(
            send={"POST": form(text="You are a fraud")},
            refused=frozenset({ANONYMOUS}),
            passers=SIGNED_IN - {VICTIM},
            owner=VICTIM,
            writes=False,
        )
    ],
    "/disputes/<ref>": [
        Probe(
            fill=ref("dispute"),
            refused=outsiders("dispute"),
            owner=VICTIM,
            shows=(("dispute", "disputeorder"), ("dispute", "disputefeedback")),
        )
    ],
    "/disputes/<ref>/appeal": [
        Probe(
            fill=ref("dispute"),
            send={"POST": form(text="Please look again.")},
            refused=all_but(VICTIM),
            owner=VICTIM,
        )
    ],
    "/staff/disputes/<ref>": [
        Probe(
            fill=ref("dispute"),
            send={"POST": form(outcome="remove", rule="other", comment="On appeal.")},
            refused=staff_outsiders("dispute"),
            owner=TEAM_AGENT,
            shows=(("dispute", "disputefeedback"),),
        )
    ],
    "/staff/disputes": [Probe(refused=NOT_STAFF, ok=STAFF)],
    # The fraud intake: one draft per seller; another seller's pages show their own.
    "/fraud/report": [Probe(refused=NOT_SELLERS)],
    "/fraud/report/discard": [
        Probe(refused=NOT_SELLERS, passers=frozenset({OTHER_SELLER}), owner=VICTIM)
    ],
    "/fraud/report/<step>": [
        Probe(
            fill=lambda world: {"step": "details"},
            refused=NOT_SELLERS,
            owner=VICTIM,
            shows=(("fraud_draft", "draftdescription"),),
            methods=("GET",),
        ),
        # After the draft is discarded: the owner's coverage answer opens the guarantee claim.
        Probe(
            fill=lambda world: {"step": "coverage"},
            send={"POST": form(order_kind="marketplace", order_date=days_ago(3), go="next")},
            refused=NOT_SELLERS,
            passers=frozenset({OTHER_SELLER}),
            owner=VICTIM,
            methods=("POST",),
        ),
    ],
    "/fraud/claim": [
        Probe(
            send={
                "POST": form(
                    order_id="402-7654321", claim_reason="not_received", description="Lost."
                )
            },
            refused=NOT_SELLERS,
            passers=frozenset({OTHER_SELLER}),
        ),
        Probe(
            send={
                "POST": form(
                    order_id="402-7654321", claim_reason="not_received", description="Lost."
                )
            },
            owner=VICTIM,
            methods=("POST",),
        ),
    ],
    "/fraud/claims/<ref>/countdown": [
        Probe(fill=ref("guarantee_claim"), refused=outsiders("guarantee_claim"), owner=VICTIM)
    ],
    "/staff/fraud": [
        Probe(refused=FRAUD_TEAM_ONLY, owner=TEAM_AGENT, shows=(("fraud_report", "fraudparty"),))
    ],
    "/staff/fraud/<ref>": [
        Probe(
            fill=ref("fraud_report"),
            send={"POST": form(outcome="confirmed", message="Seen it before.")},
            refused=FRAUD_TEAM_ONLY,
            owner=TEAM_AGENT,
            shows=(("fraud_report", "fraudbody"), ("fraud_report", "fraudparty")),
        )
    ],
    "/staff/fraud/<ref>/evidence.zip": [
        Probe(
            fill=ref("fraud_report"),
            refused=FRAUD_TEAM_ONLY,
            owner=TEAM_AGENT,
            shows=(("fraud_report", "fraudbody"), ("fraud_report", "frauddata")),
        ),
        Probe(
            fill=ref("guarantee_claim"),
            refused=staff_outsiders("guarantee_claim"),
            owner=NONFRAUD_AGENT,
            shows=(("guarantee_claim", "claimbody"), ("guarantee_claim", "claimdata")),
        ),
    ],
    # The staff workspace: the owner's writes work on the contact case, merged last.
    "/staff/": [Probe(refused=NOT_STAFF, ok=STAFF)],
    "/staff/dashboard": [Probe(refused=NOT_STAFF, ok=STAFF)],
    "/staff/search": [
        Probe(
            send={"GET": query(q=SEARCH_WORD)},
            refused=NOT_STAFF,
            ok=STAFF,
            owner=TEAM_AGENT,
            shows=ALL_SUBJECTS,
        )
    ],
    "/staff/cases/<ref>": per_case(
        lambda case: Probe(
            fill=ref(case),
            refused=staff_outsiders(case),
            owner=TEAM_AGENT,
            shows=(subject_of(case), body_of(case)),
        ),
        (*CASES, MOVED),
    ),
    "/staff/cases/<ref>/take": per_case(staff_write(nothing)),
    "/staff/cases/<ref>/assign": per_case(
        staff_write(lambda world: {"data": {"assignee": str(world.users[SUPPORT_AGENT])}})
    ),
    "/staff/cases/<ref>/priority": per_case(staff_write(form(priority="urgent"))),
    "/staff/cases/<ref>/note": per_case(
        staff_write(form(**{"note-body": "Internal."})), (*CASES, MOVED)
    ),
    "/staff/cases/<ref>/reply": per_case(
        staff_write(form(**{"reply-body": "Hello from support.", "reply-send": "Send reply"}))
    ),
    "/staff/cases/<ref>/status": per_case(staff_write(form(status="waiting"))),
    "/staff/cases/<ref>/merge": [
        *per_case(staff_write(lambda world: {"data": {"into": world.refs["contact_twin"]}})),
        # Into a case the agent may not open: refused, nothing moves.
        Probe(
            fill=ref("contact"),
            send={"POST": lambda world: {"data": {"into": world.refs["fraud_report"]}}},
            passers=frozenset({SUPPORT_AGENT}),
        ),
    ],
    "/staff/queues/<key>": [
        *(probe for case in CASES for probe in queue_probes(case)),
        # From a queue of their own, an agent checks the victim's cases of other queues.
        Probe(
            fill=lambda world: {"key": "feedback"},
            send={"POST": bulk("close", *UNSEEN[FEEDBACK_AGENT])},
            passers=frozenset({FEEDBACK_AGENT}),
            methods=("POST",),
        ),
    ],
    "/staff/mine": [
        Probe(refused=NOT_STAFF, ok=STAFF),
        bulk_from_mine(SUPPORT_AGENT),
        bulk_from_mine(FEEDBACK_AGENT),
        Probe(send={"POST": bulk("take", "guarantee_claim")}, owner=TEAM_AGENT, methods=("POST",)),
    ],
    # Canned replies: administrators write them.
    "/staff/canned": [Probe(refused=NOT_ADMIN, owner=ADMIN, shows=(("canned", "cannedtitle"),))],
    "/staff/canned/new": [
        Probe(send={"POST": canned_form("Fresh reply")}, refused=NOT_ADMIN, owner=ADMIN)
    ],
    "/staff/canned/<int:reply_id>/edit": [
        Probe(
            fill=lambda world: {"reply_id": world.canned_id},
            send={"POST": canned_form("Overwritten")},
            refused=NOT_ADMIN,
            owner=ADMIN,
            shows=(("canned", "cannedbody"),),
        )
    ],
    "/staff/canned/<int:reply_id>/delete": [
        Probe(fill=lambda world: {"reply_id": world.canned_id}, refused=NOT_ADMIN, owner=ADMIN)
    ],
    # The help centre's editor and analytics: staff.
    "/help/manage": [
        Probe(refused=NOT_STAFF, owner=TEAM_AGENT, shows=(("article_draft", "articletitle"),))
    ],
    "/help/manage/new": [
        Probe(
            send={
                "POST": form(
                    slug="brand-new",
                    locale="en",
                    title="Brand new",
                    category="orders",
                    body="New text.",
                    save="Save",
                )
            },
            refused=NOT_STAFF,
            owner=TEAM_AGENT,
        )
    ],
    "/help/manage/<int:article_id>": [
        Probe(
            fill=lambda world: {"article_id": world.article_id},
            send={"POST": article_form},
            refused=NOT_STAFF,
            owner=TEAM_AGENT,
            shows=(("article_draft", "articlebody"),),
        )
    ],
    "/help/manage/<int:article_id>/publish": [
        Probe(
            fill=lambda world: {"article_id": world.article_id}, refused=NOT_STAFF, owner=TEAM_AGENT
        )
    ],
    "/help/manage/<int:article_id>/unpublish": [
        Probe(
            fill=lambda world: {"article_id": world.article_id}, refused=NOT_STAFF, owner=TEAM_AGENT
        )
    ],
    "/help/analytics": [
        Probe(refused=NOT_STAFF, ok=STAFF, owner=TEAM_AGENT, shows=(("help_query", "helpquery"),))
    ],
    "/help/analytics/failed": [
        Probe(refused=NOT_STAFF, ok=STAFF, owner=TEAM_AGENT, shows=(("help_query", "helpquery"),))
    ],
    "/help/analytics/failed/question": [
        Probe(
            send={"POST": report_row()},
            refused=NOT_STAFF,
            owner=TEAM_AGENT,
        )
    ],
    "/help/analytics/failed/synonym": [
        Probe(
            send={"POST": report_row(words="remit", means="payout")},
            refused=NOT_ADMIN,
            owner=ADMIN,
        )
    ],
    "/help/manage/lexicon": [
        Probe(
            send={"POST": form(locale="en", line="scam => fraud", add="Add")},
            refused=NOT_ADMIN,
            owner=ADMIN,
        )
    ],
    "/help/manage/lexicon/<int:entry_id>/delete": [
        Probe(
            fill=lambda world: {"entry_id": world.lexicon_entry_id},
            refused=NOT_ADMIN,
            owner=ADMIN,
        )
    ],
    "/admin/plugins": [Probe(refused=NOT_ADMIN, owner=ADMIN)],
    # The JSON API, with bearer tokens and with the session; the owner writes on the report.
    "/api/v1/tickets": [
        Probe(
            send={
                "POST": as_json(
                    type="contact",
                    subject="Through the API",
                    body="Hello",
                    fields={"topic": "payments", "reply_language": "en"},
                )
            },
            refused=frozenset({ANONYMOUS}),
            ok=SIGNED_IN,
            passers=frozenset({OTHER_SELLER}),
            owner=VICTIM,
            shows=ALL_SUBJECTS,
        )
    ],
    "/api/v1/tickets/<ref>": per_case(api_case("GET", nothing), (*CASES, MOVED)),
    "/api/v1/tickets/<ref>/messages": per_case(api_case("POST", as_json(body="Via the API"))),
    "/api/v1/tickets/<ref>/attachments": per_case(api_case("POST", text_file())),
    "/api/v1/tickets/<ref>/claim": per_case(
        api_case("POST", nothing, refused_too=SELLERS, owner=TEAM_AGENT)
    ),
    "/api/v1/tickets/<ref>/status": per_case(api_case("POST", as_json(status="closed"))),
    # Last: the owner's choice of language turns the rest of their pages French.
    "/language": [
        Probe(send={"POST": form(locale="fr", next="/")}, passers=EVERYONE - {VICTIM}, owner=VICTIM)
    ],
    # The owner's new password ends their sessions: after every other owner's write.
    "/password-reset/<token>": [
        # A link signed without the victim's password hash (made up, or from before a change).
        Probe(
            fill=lambda world: {"token": world.forged_reset_token},
            send={"POST": form(password="a brand new password", confirm="a brand new password")},
            refused=EVERYONE,
            refusal=(400,),
        ),
        Probe(
            fill=lambda world: {"token": world.reset_token},
            send={"POST": form(password="a brand new password", confirm="a brand new password")},
            owner=VICTIM,
            shows=(("identity", "email"),),
            secret=True,
        ),
    ],
    "/sign-out": [Probe(passers=SIGNED_IN, owner=VICTIM, writes=False)],
}


def rule_methods(app: Flask) -> dict[str, set[str]]:
    """Each rule of ``app`` and the methods it accepts (a rule spelled twice, for GET and for
    POST, once); HEAD and OPTIONS are Flask's own."""
    found: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        found.setdefault(rule.rule, set()).update(rule.methods - {"HEAD", "OPTIONS"})
    return found


def path(rule: str, values: dict[str, Any]) -> str:
    """The rule with its variables filled in."""
    return VARIABLE.sub(lambda match: str(values[match.group(1)]), rule)
