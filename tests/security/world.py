"""The world the security suites attack: one desk, a victim seller owning one object of every
kind the routes take, the staff who may see them, and the attackers.

Every private object carries unique marker words (in subjects, bodies, notes, file names, file
contents, drafts); :data:`VISIBLE` says who may read each object, so a test can assert that no
response to an actor ever holds a marker of an object that actor may not see.

The data is built through the same services the pages use (``supportdesk.tickets``, the
plugins' own service functions), and the world keeps only plain values (ids, references,
tokens), so that every request runs in its own application context, as in a real server.
"""

from __future__ import annotations

import hashlib
import html
import io
import zipfile
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer

from supportdesk.accounts import create_token, create_user, find_user, password_reset_token
from supportdesk.attachments import Upload
from supportdesk.extensions import db
from supportdesk.models import Attachment, CannedReply, Role, Ticket, User, utcnow
from supportdesk.tickets import add_note, open_ticket, reply

ANONYMOUS = "anonymous"
VICTIM = "victim"
OTHER_SELLER = "other_seller"
#: An agent of the seller support queue only: outside every other queue.
SUPPORT_AGENT = "support_agent"
#: An agent of the feedback disputes queue only.
FEEDBACK_AGENT = "feedback_agent"
#: An agent of every queue but the fraud one: no fraud role.
NONFRAUD_AGENT = "nonfraud_agent"
#: An agent of every queue, the fraud one included: the right agent for every case.
TEAM_AGENT = "team_agent"
ADMIN = "admin"

ACTORS = (
    ANONYMOUS,
    VICTIM,
    OTHER_SELLER,
    SUPPORT_AGENT,
    FEEDBACK_AGENT,
    NONFRAUD_AGENT,
    TEAM_AGENT,
    ADMIN,
)
SELLERS = frozenset({VICTIM, OTHER_SELLER})
STAFF = frozenset({SUPPORT_AGENT, FEEDBACK_AGENT, NONFRAUD_AGENT, TEAM_AGENT, ADMIN})
SIGNED_IN = SELLERS | STAFF

QUEUES = {
    SUPPORT_AGENT: ["seller_support"],
    FEEDBACK_AGENT: ["feedback"],
    NONFRAUD_AGENT: ["seller_support", "guarantee", "feedback"],
    TEAM_AGENT: ["seller_support", "fraud", "guarantee", "feedback"],
}

#: Who may read each object of the victim's world (the owner's case pages, the right queues'
#: agents, admins). Everybody else must never receive one of its markers.
VISIBLE: dict[str, frozenset[str]] = {
    "contact": frozenset({VICTIM, SUPPORT_AGENT, NONFRAUD_AGENT, TEAM_AGENT, ADMIN}),
    "contact_twin": frozenset({VICTIM, SUPPORT_AGENT, NONFRAUD_AGENT, TEAM_AGENT, ADMIN}),
    # Internal notes: staff of the queue only, never the seller.
    "note": frozenset({SUPPORT_AGENT, NONFRAUD_AGENT, TEAM_AGENT, ADMIN}),
    # Fraud reports: the seller who filed and the fraud team (its queue, and admins), even
    # one that sits in another queue: the fraud role decides, not the queue.
    "fraud_report": frozenset({VICTIM, TEAM_AGENT, ADMIN}),
    "fraud_moved": frozenset({VICTIM, TEAM_AGENT, ADMIN}),
    "guarantee_claim": frozenset({VICTIM, NONFRAUD_AGENT, TEAM_AGENT, ADMIN}),
    "dispute": frozenset({VICTIM, FEEDBACK_AGENT, NONFRAUD_AGENT, TEAM_AGENT, ADMIN}),
    # What the seller typed in the fraud intake, and files held by the contact form: theirs.
    "fraud_draft": frozenset({VICTIM}),
    "held": frozenset({VICTIM}),
    # Help-article drafts and canned replies are staff's working material.
    "article_draft": STAFF,
    "canned": STAFF,
    # The victim's help searches feed the staff's analytics.
    "help_query": STAFF,
    # Who the victim is: every staff member sees one of their cases here.
    "identity": frozenset({VICTIM}) | STAFF,
    # A bearer token is shown once, on the command line: never in any response.
    "token": frozenset(),
}

#: The marker words of each object (a world's name is put in front of each).
PARTS: dict[str, tuple[str, ...]] = {
    "contact": ("contactsubject", "contactbody", "contactfile", "contactdata", "staffreply"),
    "contact_twin": ("twinsubject", "twinbody"),
    "note": ("notebody", "notefile", "notedata"),
    "fraud_report": ("fraudsubject", "fraudbody", "fraudparty", "fraudfile", "frauddata"),
    "fraud_moved": ("movedsubject", "movedbody"),
    "guarantee_claim": ("claimsubject", "claimbody", "claimfile", "claimdata"),
    "dispute": ("disputeorder", "disputeexplain", "disputefeedback", "decisioncomment"),
    "fraud_draft": ("draftdescription", "draftparty"),
    "held": ("heldfile", "helddata"),
    "article_draft": ("articletitle", "articlebody"),
    "canned": ("cannedtitle", "cannedbody"),
    "help_query": ("helpquery",),
    "identity": ("email", "name"),
    "token": (),
}

#: A word in the subject of every case and in the draft article: searching for it finds them
#: without the marker itself travelling in the query (a page echoes its query).
SEARCH_WORD = "quokka"
#: The attachments of the world: the object each belongs to and the marker of its name.
FILES = (
    ("contact", "contactfile"),
    ("note", "notefile"),
    ("fraud_report", "fraudfile"),
    ("guarantee_claim", "claimfile"),
)
PASSWORD = "correct horse battery"
CONTACT_ORDER = "4021-5583-1176"


def days_ago(days: int) -> str:
    return (utcnow() - timedelta(days=days)).date().isoformat()


def fraud_steps(description: str, party: str) -> dict[str, dict[str, str]]:
    """The fraud intake's steps as a seller fills them for a report the guarantee does not
    cover (paid outside the checkout)."""
    return {
        "coverage": {"order_kind": "outside", "order_date": ""},
        "category": {"category": "payment"},
        "contact": {"contacted": "y", "contacted_on": days_ago(3), "party_rating": "1"},
        "details": {
            "description": description,
            "order_ids": "402-1234567",
            "party": party,
            "amount": "650",
            "currency": "EUR",
        },
    }


@dataclass
class World:
    """One victim's objects, as plain values usable from any application context."""

    name: str
    users: dict[str, int] = field(default_factory=dict)
    logins: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    files: dict[str, int] = field(default_factory=dict)
    article_id: int = 0
    article_slug: str = ""
    published_slug: str = ""
    help_search_id: int = 0
    lexicon_entry_id: int = 0
    canned_id: int = 0
    held_token: str = ""
    reset_token: str = ""
    forged_reset_token: str = ""

    def marker(self, obj: str, part: str) -> str:
        """The marker word of ``part`` of ``obj`` (parts are unique across objects)."""
        return f"mk{self.name}{part}"

    def markers(self, obj: str) -> list[str]:
        markers = [self.marker(obj, part) for part in PARTS[obj]]
        if obj == "token":
            markers.append(self.tokens[VICTIM])
        return markers

    def forbidden(self, actor: str) -> list[str]:
        """Every marker ``actor`` must never receive."""
        return [m for obj, who in VISIBLE.items() if actor not in who for m in self.markers(obj)]

    @property
    def victim_email(self) -> str:
        return f"{self.marker('identity', 'email')}@example.com"


def text_of(response: Any) -> str:
    """What a response tells its reader, lower-cased: headers, the body (a ZIP's members
    unpacked), HTML entities decoded."""
    raw = response.get_data()
    parts = [f"{name}: {value}" for name, value in response.headers.items()]
    if response.mimetype == "application/zip":
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            parts += [
                f"{n}\n{archive.read(n).decode('utf-8', 'replace')}" for n in archive.namelist()
            ]
    else:
        parts.append(raw.decode("utf-8", "replace"))
    return html.unescape("\n".join(parts)).lower()


def leaked(world: World, actor: str, response: Any, sent: str = "") -> list[str]:
    """The markers in ``response`` that ``actor`` must not see, beside those they sent
    themselves (a form shows again what was typed into it)."""
    text, sent = text_of(response), sent.lower()
    return [m for m in world.forbidden(actor) if m.lower() in text and m.lower() not in sent]


# --- building the world ---------------------------------------------------------------------


def _user(email: str, role: str, name: str, queues: list[str] = ()) -> User:
    return find_user(email) or create_user(
        email, role=role, password=PASSWORD, name=name, queues=list(queues)
    )


def _actors(world: World) -> dict[str, User]:
    """The victim of this world and the shared cast (created once per desk)."""
    people = {
        VICTIM: _user(world.victim_email, Role.SELLER, f"{world.marker('identity', 'name')} Shop"),
        OTHER_SELLER: _user("mallory@example.com", Role.SELLER, "Mallory Other"),
        ADMIN: _user("root@example.com", Role.ADMIN, "Ann Admin"),
    }
    for actor, queues in QUEUES.items():
        people[actor] = _user(f"{actor}@example.com", Role.AGENT, actor.title(), queues)
    return people


def _marked_file(name: str, content: str) -> Upload:
    """An attachment whose file name and content are both markers: neither may reach someone
    who must not see the case (a download, an evidence pack, a listing)."""
    return Upload(f"{name}.txt", f"{content}\n".encode())


def _cases(world: World, people: dict[str, User]) -> dict[str, Ticket]:
    victim, word, m = people[VICTIM], SEARCH_WORD, world.marker
    contact = open_ticket(
        seller=victim,
        type_key="contact",
        subject=f"Payout {word} {m('contact', 'contactsubject')}",
        body=f"My payout is late. {m('contact', 'contactbody')}",
        fields={"topic": "payments", "reply_language": "en"},
        order_id=CONTACT_ORDER,
        attachments=[_marked_file(m("contact", "contactfile"), m("contact", "contactdata"))],
    )
    twin = open_ticket(
        seller=victim,
        type_key="contact",
        subject=f"Second {word} {m('contact_twin', 'twinsubject')}",
        body=f"Another question. {m('contact_twin', 'twinbody')}",
        fields={"topic": "orders", "reply_language": "en"},
    )
    fraud = open_ticket(
        seller=victim,
        type_key="fraud_report",
        subject=f"Fraud {word} {m('fraud_report', 'fraudsubject')}",
        body=f"Paid, then reversed. {m('fraud_report', 'fraudbody')}",
        fields={"category": "payment", "party": m("fraud_report", "fraudparty")},
        attachments=[_marked_file(m("fraud_report", "fraudfile"), m("fraud_report", "frauddata"))],
    )
    claim = open_ticket(
        seller=victim,
        type_key="guarantee_claim",
        subject=f"Claim {word} {m('guarantee_claim', 'claimsubject')}",
        body=f"Never arrived. {m('guarantee_claim', 'claimbody')}",
        fields={"claim_reason": "not_received", "order_date": days_ago(3)},
        attachments=[
            _marked_file(m("guarantee_claim", "claimfile"), m("guarantee_claim", "claimdata"))
        ],
    )
    moved = open_ticket(
        seller=victim,
        type_key="fraud_report",
        subject=f"Fraud {word} {m('fraud_moved', 'movedsubject')}",
        body=f"Phishing link. {m('fraud_moved', 'movedbody')}",
        fields={"category": "off_platform"},
    )
    # A report that sits in the seller support queue (misrouted, or its type's queue changed
    # since): the agents of that queue still must not see it, for they lack the fraud role.
    moved.queue_id = contact.queue_id
    db.session.commit()
    team = people[TEAM_AGENT]
    reply(contact, actor=team, body=f"We are on it. {m('contact', 'staffreply')}")
    add_note(
        contact,
        actor=team,
        body=f"Looks like a duplicate payout. {m('note', 'notebody')}",
        attachments=[_marked_file(m("note", "notefile"), m("note", "notedata"))],
    )
    return {
        "contact": contact,
        "contact_twin": twin,
        "fraud_report": fraud,
        "fraud_moved": moved,
        "guarantee_claim": claim,
    }


def _dispute(world: World, people: dict[str, User]) -> Ticket:
    from supportdesk_disputes import disputes

    m = world.marker
    dispute = disputes.file_dispute(
        people[VICTIM],
        explanation=f"The buyer wrote about another shop. {m('dispute', 'disputeexplain')}",
        order_id=f"{m('dispute', 'disputeorder')}-{SEARCH_WORD}",
        feedback_date=days_ago(2),
        rating=1,
        feedback_text=f"Wrong parcel entirely {m('dispute', 'disputefeedback')}",
        reason="other",
    )
    # A first decision by the feedback agent: the seller may appeal, another agent decides.
    disputes.decide(
        dispute,
        agent=people[FEEDBACK_AGENT],
        outcome="keep",
        comment=f"The feedback describes the order. {m('dispute', 'decisioncomment')}",
    )
    return dispute.ticket


def _staff_material(world: World) -> None:
    from supportdesk_helpcenter import articles, lexicon

    m = world.marker
    draft = articles.save(
        articles.ArticleData(
            slug=f"{world.name}-draft-{SEARCH_WORD}",
            locale="en",
            title=f"Unreleased {SEARCH_WORD} {m('article_draft', 'articletitle')}",
            body=f"Coming soon: {SEARCH_WORD} payouts. {m('article_draft', 'articlebody')}",
            category="orders",
            published=False,
        )
    )
    published = articles.save(
        articles.ArticleData(
            slug=f"{world.name}-payouts",
            locale="en",
            title="When payouts arrive",
            body=f"Payouts arrive within three days, {SEARCH_WORD} or not.",
            category="orders",
            published=True,
        )
    )
    world.article_id, world.article_slug = draft.id, draft.slug
    world.published_slug = published.slug
    world.lexicon_entry_id = lexicon.add_entry("en", "payout, remittance").id
    canned = CannedReply(
        title=f"Payout delay {m('canned', 'cannedtitle')}",
        body=f"Dear {{seller_name}}, {m('canned', 'cannedbody')}",
    )
    db.session.add(canned)
    db.session.commit()
    world.canned_id = canned.id


def _seller_material(world: World, victim: User) -> None:
    from supportdesk_contact import held
    from supportdesk_fraud import drafts
    from supportdesk_helpcenter.models import HelpSearch

    m = world.marker
    steps = fraud_steps(
        f"The buyer reversed the payment. {m('fraud_draft', 'draftdescription')}",
        m("fraud_draft", "draftparty"),
    )
    for step, values in steps.items():
        drafts.save_step(victim, step, values)
    world.held_token = held.hold(
        owner_id=victim.id,
        files=[_marked_file(m("held", "heldfile"), m("held", "helddata"))],
    )
    search = HelpSearch(
        query=f"refund {m('help_query', 'helpquery')}",
        normalised=m("help_query", "helpquery"),
        locale="en",
        results=0,
        seller_id=victim.id,
    )
    db.session.add(search)
    db.session.commit()
    world.help_search_id = search.id


def populate(app: Flask, name: str = VICTIM) -> World:
    """Build the world called ``name`` (its markers start with ``mk<name>``) on ``app``."""
    world = World(name=name)
    with app.app_context():
        people = _actors(world)
        cases = _cases(world, people)
        cases["dispute"] = _dispute(world, people)
        _staff_material(world)
        _seller_material(world, people[VICTIM])
        for actor, user in people.items():
            world.users[actor] = user.id
            world.logins[actor] = user.get_id()
            world.tokens[actor] = create_token(user, name=f"{name} security suite")
        world.reset_token = password_reset_token(people[VICTIM])
        # Signed with the desk's key but not bound to the victim's password hash.
        world.forged_reset_token = URLSafeTimedSerializer(app.secret_key).dumps(world.users[VICTIM])
        for key, ticket in cases.items():
            world.refs[key] = ticket.ref
        for obj, part in FILES:
            filename = f"{world.marker(obj, part)}.txt"
            world.files[obj] = db.session.scalar(
                sa.select(Attachment.id).where(Attachment.filename == filename)
            )
    return world


# --- signing in ---------------------------------------------------------------------------


def client_for(app: Flask, world: World, actor: str, **kwargs: Any) -> FlaskClient:
    """A test client signed in as ``actor`` (a session cookie, as after the sign-in form)."""
    client = app.test_client(**kwargs)
    if actor != ANONYMOUS:
        with client.session_transaction() as session:
            session["_user_id"] = world.logins[actor]
            session["_fresh"] = True
    return client


# --- what the database holds ----------------------------------------------------------------

Snapshot = dict[str, list[str]]
Row = dict[str, Any]

#: Bookkeeping a request may write whoever sends it: a bearer token's "last used" stamp.
STAMPS = {("api_tokens", "last_used_at")}


def _read(connection: sa.Connection, table: sa.Table) -> list[Row]:
    """Every row of ``table`` as the database holds it (no type conversion: fast), without
    the stamps."""
    names = [c.name for c in table.columns if (table.name, c.name) not in STAMPS]
    columns = ", ".join(f'"{name}"' for name in names)
    result = connection.exec_driver_sql(f'SELECT {columns} FROM "{table.name}"')  # noqa: S608 (names from the models)
    return [dict(zip(names, row, strict=True)) for row in result]


def snapshot(app: Flask, without: Mapping[str, Collection[str]] | None = None) -> Snapshot:
    """Every row of every table of the desk and its plugins, as sorted text; ``without``
    names columns left out, by table."""
    left_out = without or {}

    def text(table: sa.Table, row: Row) -> str:
        kept = ((k, v) for k, v in row.items() if k not in left_out.get(table.name, ()))
        return repr(sorted(kept))

    with app.app_context(), db.engine.connect() as connection:
        return {
            table.name: sorted(text(table, row) for row in _read(connection, table))
            for table in db.metadata.sorted_tables
        }


def changes(before: Snapshot, after: Snapshot) -> dict[str, str]:
    """The tables whose rows differ, each with a short account (counts and a checksum)."""

    def summary(rows: list[str]) -> str:
        return f"{len(rows)} rows, {hashlib.sha256(repr(rows).encode()).hexdigest()[:12]}"

    return {
        name: f"{summary(before.get(name, []))} -> {summary(after.get(name, []))}: "
        f"{sorted(set(after.get(name, [])) - set(before.get(name, [])))[:3]}"
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }


def victim_state(app: Flask, world: World) -> Snapshot:
    """The rows that are the victim's or hang off theirs (their account, cases, messages,
    files, events, disputes, drafts, tokens, searches: any row whose foreign key points at one
    of them), the staff's help articles and canned replies, and the files held for them."""
    owned: dict[str, dict[str, set[Any]]] = {}
    state: Snapshot = {}
    with app.app_context(), db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            rows = _read(connection, table)
            if table.name == "users":
                mine = [r for r in rows if r["id"] == world.users[VICTIM]]
            elif table.name in ("help_articles", "canned_replies"):
                mine = rows
            else:
                mine = _owned_rows(table, rows, owned)
            state[table.name] = sorted(repr(sorted(r.items())) for r in mine)
            owned[table.name] = _keys(table, mine)
        folder = Path(app.config["SUPPORTDESK_ATTACHMENT_DIR"]) / "contact-held" / world.held_token
        state["held files"] = (
            sorted(f"{p.name}:{p.read_bytes()!r}" for p in folder.iterdir() if p.is_file())
            if folder.is_dir()
            else []
        )
    return state


def _keys(table: sa.Table, rows: list[Row]) -> dict[str, set[Any]]:
    """The values of the columns other rows may point at (primary keys)."""
    return {column.name: {r[column.name] for r in rows} for column in table.primary_key}


def _owned_rows(
    table: sa.Table, rows: list[Row], owned: dict[str, dict[str, set[Any]]]
) -> list[Row]:
    """The rows with a foreign key to an owned row; again until none is added, for a table
    that points at itself (a case merged into another)."""
    mine: list[Row] = []
    while True:
        known = {**owned, table.name: _keys(table, mine)}
        found = [r for r in rows if _points_at(table, r, known)]
        if len(found) == len(mine):
            return found
        mine = found


def _points_at(table: sa.Table, row: Row, owned: dict[str, dict[str, set[Any]]]) -> bool:
    for column in table.columns:
        value = row.get(column.name)
        if value is None:
            continue
        for key in column.foreign_keys:
            if value in owned.get(key.column.table.name, {}).get(key.column.name, ()):
                return True
    return False
