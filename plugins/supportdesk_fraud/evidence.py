"""The evidence pack: one ZIP with everything about a case, to hand to a payment provider or
the police.

It holds ``timeline.html`` (to read) and ``timeline.json`` (to process): the case, its facts,
outcome, risk score and reasons, every public message and the audit events; each message as a
text file under ``messages/``; and each file sent with them, unchanged, under ``attachments/``
(named after the message and the uploader's file name made safe, with its SHA-256 in the
timeline). Internal notes and their files stay out: the pack is made to leave the desk.

The archive is written to a temporary file that stays in memory up to :data:`IN_MEMORY` and
moves to disk beyond, then streamed.
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from dataclasses import dataclass
from typing import IO, Any

from flask import render_template

from supportdesk import tickets
from supportdesk.attachments import path_of, safe_filename
from supportdesk.i18n import gettext as _
from supportdesk.models import Attachment, Message, Ticket, User, utcnow
from supportdesk.ticket_types import ticket_types

IN_MEMORY = 16 * 1024 * 1024


@dataclass
class PackedFile:
    attachment: Attachment
    arcname: str
    present: bool


def author_of(ticket: Ticket, message: Message) -> dict[str, str]:
    if message.author_id == ticket.seller_id:
        return {"role": "seller", "name": ticket.seller.display_name}
    name = message.author.display_name if message.author else ""
    return {"role": "staff", "name": name}


def packed_names(messages: list[Message]) -> dict[int, PackedFile]:
    """Every file of these messages, with a unique, safe name inside the archive."""
    files: dict[int, PackedFile] = {}
    taken: set[str] = set()
    for number, message in enumerate(messages, start=1):
        for attachment in message.attachments:
            base = f"{number:03d}-{safe_filename(attachment.filename)}"
            name, copy = base, 1
            while name.lower() in taken:
                copy += 1
                stem, dot, ext = base.rpartition(".")
                name = f"{stem}-{copy}.{ext}" if dot else f"{base}-{copy}"
            taken.add(name.lower())
            present = path_of(attachment.storage_name).is_file()
            files[attachment.id] = PackedFile(attachment, f"attachments/{name}", present)
    return files


def timeline(
    ticket: Ticket, messages: list[Message], files: dict[int, PackedFile], by: User
) -> dict[str, Any]:
    ttype = ticket_types().get(ticket.type_key)
    return {
        "ref": ticket.ref,
        "type": ticket.type_key,
        "type_label": str(ttype.label) if ttype else ticket.type_key,
        "subject": ticket.subject,
        "status": ticket.status,
        "seller": {"name": ticket.seller.display_name, "email": ticket.seller.email},
        "order_id": ticket.order_id,
        "created_at": ticket.created_at.isoformat(),
        "fields": ticket.fields or {},
        "outcome": (ticket.fields or {}).get("outcome"),
        "risk": {"score": ticket.risk_score, "reasons": ticket.risk_reasons or []},
        "messages": [
            {
                "number": number,
                "file": f"messages/{number:03d}.txt",
                "author": author_of(ticket, message),
                "created_at": message.created_at.isoformat(),
                "via": message.via,
                "body": message.body,
                "attachments": [
                    {
                        "file": files[a.id].arcname if files[a.id].present else None,
                        "filename": a.filename,
                        "content_type": a.content_type,
                        "size": a.size,
                        "sha256": a.sha256,
                    }
                    for a in message.attachments
                ],
            }
            for number, message in enumerate(messages, start=1)
        ],
        "events": [
            {
                "kind": event.kind,
                "actor": event.actor.display_name if event.actor else None,
                "created_at": event.created_at.isoformat(),
                "data": event.data or {},
            }
            for event in tickets.history(ticket)
        ],
        "generated_at": utcnow().isoformat(),
        "generated_by": by.display_name,
    }


def message_text(entry: dict[str, Any]) -> str:
    author = entry["author"]
    role = _("seller") if author["role"] == "seller" else _("staff")
    lines = [
        _("From: %(name)s (%(role)s)", name=author["name"], role=role),
        _("Date: %(when)s", when=entry["created_at"]),
    ]
    for attachment in entry["attachments"]:
        shown = attachment["file"] or _("%(name)s (missing)", name=attachment["filename"])
        lines.append(_("Attachment: %(file)s", file=shown))
    return "\n".join(lines) + "\n\n" + entry["body"] + "\n"


def build_pack(ticket: Ticket, by: User) -> IO[bytes]:
    """The pack of ``ticket``, made for ``by``, as a file positioned at its start."""
    messages = [m for m in ticket.messages if not m.internal]
    files = packed_names(messages)
    data = timeline(ticket, messages, files, by)
    archive = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY)  # noqa: SIM115 (streamed, then closed by the response)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as pack:
        pack.writestr("timeline.json", json.dumps(data, ensure_ascii=False, indent=2))
        pack.writestr(
            "timeline.html", render_template("supportdesk_fraud/pack_timeline.html", pack=data)
        )
        for entry in data["messages"]:
            pack.writestr(entry["file"], message_text(entry))
        for packed in files.values():
            if packed.present:
                pack.write(path_of(packed.attachment.storage_name), packed.arcname)
    archive.seek(0)
    return archive
