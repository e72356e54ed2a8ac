"""A seller's token never reaches another seller's case, through any operation."""

from __future__ import annotations

import io

from supportdesk.extensions import db
from supportdesk.models import Message, Ticket

from .conftest import PNG, new_case, problem


def fresh(kwargs: dict) -> dict:
    """The request's arguments with a new file object (a sent one is closed)."""
    return {
        k: {"file": (io.BytesIO(PNG), "x.png")} if k == "data" else v for k, v in kwargs.items()
    }


def test_another_sellers_case_is_404_on_every_operation(app, client, seller, other_seller, bearer):
    theirs = new_case(other_seller, subject="Private matter")
    mine = new_case(seller)
    before = db.session.query(Message).filter_by(ticket_id=theirs.id).count()
    read, write = bearer(seller, "read"), bearer(seller)
    operations = {
        ("GET", "/api/v1/tickets/{ref}"): {},
        ("POST", "/api/v1/tickets/{ref}/messages"): {"json": {"body": "Let me in"}},
        ("POST", "/api/v1/tickets/{ref}/attachments"): {
            "data": {"file": (io.BytesIO(PNG), "x.png")}
        },
        ("POST", "/api/v1/tickets/{ref}/status"): {"json": {"status": "closed"}},
        ("POST", "/api/v1/tickets/{ref}/claim"): {},
    }
    # Every operation on a case is covered (the list is checked below).
    case_rules = {
        (method, rule.rule.replace("<ref>", "{ref}"))
        for rule in app.url_map.iter_rules()
        if "<ref>" in rule.rule and rule.rule.startswith("/api/v1/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert case_rules == set(operations)
    for (method, path), kwargs in operations.items():
        url = path.format(ref=theirs.ref)
        for headers in (read, write) if method == "GET" else (write,):
            response = client.open(url, method=method, headers=headers, **fresh(kwargs))
            body = problem(response, 404, "not-found")
            assert theirs.ref not in response.get_data(as_text=True)
            missing = client.open(
                path.format(ref="SD-NONE-NONE"), method=method, headers=headers, **fresh(kwargs)
            )
            # The same answer as for a case that does not exist.
            assert problem(missing, 404, "not-found") == body
    db.session.expire_all()
    theirs = db.session.get(Ticket, theirs.id)
    assert theirs.status == "new" and theirs.assignee_id is None
    assert db.session.query(Message).filter_by(ticket_id=theirs.id).count() == before
    for status in (None, "new"):
        query = {"status": status} if status else {}
        listed = client.get("/api/v1/tickets", query_string=query, headers=read).json["items"]
        assert [item["ref"] for item in listed] == [mine.ref]
