"""Email in: replies threaded by signed tokens, new cases, polite answers, never a loop."""

from __future__ import annotations

import mailbox
import os
import re
import subprocess
import sys
import threading
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.mail.addresses import reply_address, reply_token
from supportdesk.mail.inbound import ingest
from supportdesk.mail.parse import html_to_text, strip_quoted
from supportdesk.mail.render import compose
from supportdesk.models import Attachment, Message, Outbox, Ticket
from supportdesk.tickets import merge, open_ticket

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
DESK = "support@localhost"  # SUPPORTDESK_MAIL_FROM in tests


def make_mail(
    sender: str,
    to: str = DESK,
    body: str = "Here is the tracking number: 42.",
    *,
    subject: str = "Re: your case",
    headers: dict[str, str] | None = None,
    files: list[tuple[str, bytes, str]] = (),
    message_id: str | None = None,
) -> bytes:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, to, subject
    mail["Message-ID"] = message_id or make_msgid(domain="mail.example.com")
    mail.set_content(body)
    for filename, data, content_type in files:
        maintype, subtype = content_type.split("/")
        mail.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    for name, value in (headers or {}).items():  # after the content, which resets Content-*
        mail[name] = value
    return mail.as_bytes()


def quoting(token: str, text: str = "Thanks, here it is.") -> str:
    """A reply as mail programs write it: new text, attribution, the quoted notification."""
    return (
        f"{text}\n\nOn Mon, 30 Nov 2026 at 10:00, Seller support <{DESK}>\nwrote:\n"
        "> ##- Please type your reply above this line. -##\n>\n> Hello Sam,\n"
        f"> We have received your case.\n>\n> Seller support\n> [ref:{token}]\n"
    )


def messages_of(ticket: Ticket) -> list[Message]:
    db.session.commit()
    return list(db.session.scalars(sa.select(Message).where(Message.ticket_id == ticket.id)))


def count(model) -> int:
    db.session.commit()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def case(seller) -> Ticket:
    return open_ticket(seller=seller, type_key="contact", subject="Payment missing", body="Where?")


def test_a_reply_to_the_signed_address_is_threaded_on_the_case(app, seller, case):
    raw = make_mail(f"Sam Seller <{seller.email.upper()}>", reply_address(case.ref, seller.id))
    result = app.test_cli_runner().invoke(args=["ingest-email"], input=raw)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"replied {case.ref}")
    _opening, added = messages_of(case)
    assert (added.body, added.via, added.author_id) == (
        "Here is the tracking number: 42.",
        "email",
        seller.id,
    )
    assert added.source_id.endswith("@mail.example.com>")


def test_a_reply_found_by_the_token_in_the_body_keeps_only_the_new_text(app, seller, case):
    token = str(reply_token(case.ref, seller.id)).lower()  # some systems lower-case it all
    result = ingest(make_mail(seller.email, DESK, quoting(token)))
    assert (result.action, result.ref) == ("replied", case.ref)
    assert messages_of(case)[-1].body == "Thanks, here it is."


def test_a_reply_to_a_merged_case_lands_on_the_case_it_was_merged_into(app, seller, agent, case):
    target = open_ticket(seller=seller, type_key="contact", subject="Payment", body="Same")
    merge(case, into=target, actor=agent)
    result = ingest(make_mail(seller.email, reply_address(case.ref, seller.id)))
    assert (result.action, result.ref) == ("replied", target.ref)


def test_no_mail_ever_attaches_to_someone_elses_case(app, seller, other_seller, case):
    token = reply_token(case.ref, seller.id)
    forged = f"support+{case.ref}.{'0' * 16}@localhost"
    assert ingest(make_mail(seller.email, forged, quoting(f"{case.ref}.{'0' * 16}"))).action == (
        "answered"
    )
    for to, body in [(reply_address(case.ref, seller.id), "Hi"), (DESK, quoting(str(token)))]:
        result = ingest(make_mail(other_seller.email, to, body))
        assert result.action in ("answered", "ignored")  # the second answer is rate-limited
    # A token made for the other seller does not open this seller's case either.
    borrowed = reply_address(case.ref, other_seller.id)
    assert ingest(make_mail(other_seller.email, borrowed)).action == "ignored"
    no_token = ingest(make_mail(other_seller.email, DESK, "A new question", subject="Invoice"))
    assert no_token.action == "opened" and no_token.ref != case.ref
    assert [m.body for m in messages_of(case)] == ["Where?"]
    theirs = db.session.scalar(sa.select(Ticket).where(Ticket.ref == no_token.ref))
    assert (theirs.seller_id, theirs.subject, theirs.type_key) == (
        other_seller.id,
        "Invoice",
        "contact",
    )
    answers = db.session.scalars(sa.select(Outbox).where(Outbox.kind == "mail_answer")).all()
    assert sorted((a.recipient, a.payload["reason"]) for a in answers) == [
        (other_seller.email, "unmatched_reply"),
        (seller.email, "unmatched_reply"),
    ]


@pytest.mark.parametrize(
    ("sender", "headers"),
    [
        ("stranger@example.net", {"Auto-Submitted": "auto-replied"}),
        ("stranger@example.net", {"Precedence": "bulk"}),
        ("stranger@example.net", {"List-Id": "<sellers.lists.example.net>"}),
        ("stranger@example.net", {"Return-Path": "<>"}),
        ("MAILER-DAEMON@mx.example.net", {}),
        ("postmaster@example.net", {}),
        ("support@localhost", {}),
    ],
)
def test_auto_replies_and_bounces_are_ignored_and_never_answered(app, sender, headers):
    result = ingest(make_mail(sender, headers=headers))
    assert result.action == "ignored"
    assert count(Outbox) == count(Ticket) == 0


def test_an_out_of_office_reply_does_not_post_on_the_case(app, seller, case):
    auto = {"Auto-Submitted": "auto-replied"}
    to = reply_address(case.ref, seller.id)
    result = ingest(make_mail(seller.email, to, subject="Out of office", headers=auto))
    assert result.action == "ignored" and len(messages_of(case)) == 1
    assert count(Outbox) == 1  # only the case's receipt


def test_an_unknown_sender_gets_one_polite_answer_and_no_case(app):
    assert ingest(make_mail("Stranger <stranger@example.net>", subject="Hello")).action == (
        "answered"
    )
    assert ingest(make_mail("stranger@example.net", subject="Hello?")).action == "ignored"
    assert count(Ticket) == 0
    (answer,) = db.session.scalars(sa.select(Outbox)).all()
    assert (answer.kind, answer.recipient, answer.payload["reason"]) == (
        "mail_answer",
        "stranger@example.net",
        "unknown_sender",
    )
    mail = compose(answer)
    assert mail["To"] == "stranger@example.net" and "Reply-To" not in mail
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["In-Reply-To"] == answer.payload["in_reply_to"]
    assert mail["Content-Language"] == "en"
    assert "Hello" in mail["Subject"]
    assert "could not find a seller account" in mail.get_body(("plain",)).get_content()


def test_the_same_mail_twice_adds_one_message(app, seller, case):
    raw = make_mail(seller.email, reply_address(case.ref, seller.id))
    assert ingest(raw).action == "replied"
    assert ingest(raw).action == "duplicate"
    assert len(messages_of(case)) == 2
    new_case = make_mail(seller.email, DESK, "Another matter", subject="Stock")
    assert ingest(new_case).action == "opened"
    assert ingest(new_case).action == "duplicate"
    assert count(Ticket) == 2


def test_the_same_mail_ingested_at_the_same_instant_adds_one_message(app, seller, case):
    raw = make_mail(seller.email, reply_address(case.ref, seller.id))
    barrier = threading.Barrier(4)
    results: list[str] = []

    def deliver():
        with app.app_context():
            barrier.wait()
            results.append(ingest(raw).action)
            db.session.remove()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["duplicate"] * 3 + ["replied"]
    assert len(messages_of(case)) == 2


def test_a_refused_attachment_keeps_the_text_and_names_the_file(app, seller, case):
    files = [
        ("page.html", b"<html><script>alert(1)</script></html>", "text/html"),
        ("photo.png", PNG, "image/png"),
    ]
    raw = make_mail(seller.email, reply_address(case.ref, seller.id), files=files)
    assert ingest(raw).action == "replied"
    added = messages_of(case)[-1]
    assert added.body.startswith("Here is the tracking number: 42.")
    assert "Files not attached:" in added.body and "page.html" in added.body
    (stored,) = db.session.scalars(sa.select(Attachment)).all()
    assert (stored.filename, stored.content_type, stored.message_id) == (
        "photo.png",
        "image/png",
        added.id,
    )


def test_a_png_attachment_is_accepted(app, seller, case):
    raw = make_mail(
        seller.email, reply_address(case.ref, seller.id), files=[("proof.png", PNG, "image/png")]
    )
    assert ingest(raw).action == "replied"
    added = messages_of(case)[-1]
    assert added.body == "Here is the tracking number: 42."
    assert [(a.filename, a.size) for a in added.attachments] == [("proof.png", len(PNG))]


def test_maildir_mode_processes_every_message_once(app, seller, case, tmp_path):
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    box.add(make_mail(seller.email, reply_address(case.ref, seller.id)))
    box.add(make_mail(seller.email, DESK, "New matter", subject="Stock"))
    seen_elsewhere = mailbox.MaildirMessage(make_mail("stranger@example.net"))
    seen_elsewhere.set_subdir("cur")  # read by a mail client, not yet by the desk
    box.add(seen_elsewhere)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["ingest-email", "--maildir", str(tmp_path / "Maildir")])
    assert first.exit_code == 0, first.output
    assert re.findall(r"^\[(\d)/3\]", first.output, re.M) == ["1", "2", "3"]
    assert "Done: 3 message(s): 1 answered, 1 opened, 1 replied." in first.output
    assert all("S" in box.get_message(key).get_flags() for key in box.iterkeys())
    assert not os.listdir(tmp_path / "Maildir" / "new")
    second = runner.invoke(args=["ingest-email", "--maildir", str(tmp_path / "Maildir")])
    assert second.exit_code == 0 and "Done: 0 message(s)." in second.output
    assert (count(Ticket), count(Message), count(Outbox)) == (2, 3, 3)


def test_the_command_reads_a_real_pipe(app, seller, case, tmp_path):
    mail_file = tmp_path / "reply.eml"
    mail_file.write_bytes(make_mail(seller.email, reply_address(case.ref, seller.id)))
    env = {
        **os.environ,
        "SUPPORTDESK_INSTANCE": app.config["SUPPORTDESK_INSTANCE_PATH"],
        "SUPPORTDESK_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SUPPORTDESK_SECRET_KEY": app.config["SECRET_KEY"],
    }
    env.pop("SUPPORTDESK_TEST_DATABASE_URL", None)
    script = Path(sys.executable).with_name("supportdesk")
    with mail_file.open("rb") as stdin:
        done = subprocess.run(
            [script, "ingest-email"], stdin=stdin, capture_output=True, env=env, timeout=60
        )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().startswith(f"replied {case.ref}")
    assert len(messages_of(case)) == 2


def test_an_answer_speaks_the_language_the_stranger_wrote_in(app):
    assert ingest(make_mail("x@example.net", headers={"Content-Language": "fr-FR"})).action == (
        "answered"
    )
    (answer,) = db.session.scalars(sa.select(Outbox)).all()
    assert compose(answer)["Content-Language"] == "fr"


def test_quoted_text_is_stripped_in_the_usual_reply_styles():
    assert strip_quoted(quoting("SD-AAAA-BBBB.0123456789abcdef", "Yes.\nThanks")) == "Yes.\nThanks"
    outlook = "Done.\r\n\r\n-----Original Message-----\r\nFrom: Support\r\n##- Please type"
    assert strip_quoted(outlook) == "Done."
    french = "Merci.\n\nLe lun. 30 nov. 2026 à 10:00, Support a écrit :\n> texte"
    assert strip_quoted(french) == "Merci."
    assert strip_quoted("No marker\n\n> old text\n> more") == "No marker"
    html = "<div>Top <b>answer</b></div><div class=q><p>##- Please type</p><p>old</p></div>"
    assert strip_quoted(html_to_text(html)) == "Top answer"
