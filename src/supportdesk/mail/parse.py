"""Reading an inbound email: who sent it, whether a machine did, its new text, tokens and files.

Nothing here touches the database; ``inbound`` decides what the mail becomes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from html.parser import HTMLParser

from flask import current_app

from ..attachments import Upload
from .addresses import ReplyToken, addresses_in, find_tokens, header_text, own_addresses

#: Headers that carry the address the mail was sent to (the plus part holds the case token).
RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")
ROBOT_SENDERS = {"mailer-daemon", "postmaster"}
AUTOMATIC_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
#: The "reply above this line" marker of our notifications, quoted or not.
REPLY_MARKER = re.compile(r"^[\s>]*##-")
OUTLOOK_SEPARATOR = re.compile(r"^[\s>]*-{2,}\s*(original message|message d'origine)\s*-{2,}", re.I)
ATTRIBUTION_END = re.compile(r"(wrote|a écrit)\s*:\s*$", re.I)
ATTRIBUTION_START = re.compile(r"^\s*(on|le)\s", re.I)
MESSAGE_ID_MAX = 300


@dataclass
class InboundMail:
    message_id: str
    sender: str | None  # lower-case bare address of From
    subject: str
    text: str  # what the sender wrote, quoted text below our reply marker removed
    tokens: list[ReplyToken] = field(default_factory=list)
    attachments: list[Upload] = field(default_factory=list)
    automatic: str | None = None  # why no human wrote it (auto-reply, bounce, list), else None
    language: str | None = None


class _TextOfHtml(HTMLParser):
    BREAKS = {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "blockquote", "pre"}
    HIDDEN = {"script", "style", "head", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in self.HIDDEN:
            self._hidden += 1
        elif tag in self.BREAKS:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self._hidden = max(self._hidden - 1, 0)
        elif tag in self.BREAKS:
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.chunks.append(data)


def html_to_text(html: str) -> str:
    """Readable text of an HTML-only mail: tags dropped, blocks on their own lines."""
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.chunks).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def strip_quoted(text: str) -> str:
    """The new text of a reply: everything from our reply marker (or an "Original message"
    separator) down is the quoted notification, and so is the "On … wrote:" line above it.
    Without a marker, a trailing block of ``>`` lines is dropped."""
    lines = text.replace("\r\n", "\n").split("\n")
    cut = next(
        (
            i
            for i, line in enumerate(lines)
            if REPLY_MARKER.match(line) or OUTLOOK_SEPARATOR.match(line)
        ),
        None,
    )
    if cut is None:
        cut = len(lines)
        while cut and (lines[cut - 1].startswith(">") or not lines[cut - 1].strip()):
            cut -= 1
    kept = lines[:cut]
    while kept and not kept[-1].strip():
        kept.pop()
    if kept and ATTRIBUTION_END.search(kept[-1]):
        attribution = kept.pop()
        if kept and not ATTRIBUTION_START.match(attribution) and ATTRIBUTION_START.match(kept[-1]):
            kept.pop()  # an attribution wrapped over two lines
    return "\n".join(kept).strip()


def _decoded(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # an unknown or lying charset
        content = (part.get_payload(decode=True) or b"").decode("utf-8", "replace")
    return html_to_text(content) if part.get_content_type() == "text/html" else content


def _leaves(part: EmailMessage) -> Iterator[EmailMessage]:
    """Every leaf part; an attached message counts as one leaf (its insides are not ours)."""
    if part.get_content_type() == "message/rfc822" or not part.is_multipart():
        yield part
        return
    for sub in part.iter_parts():
        yield from _leaves(sub)


def _attachment(part: EmailMessage, number: int) -> Upload:
    if part.get_content_type() == "message/rfc822":
        return Upload(
            part.get_filename() or f"message-{number}.eml", part.get_payload(0).as_bytes()
        )
    return Upload(
        part.get_filename() or f"attachment-{number}", part.get_payload(decode=True) or b""
    )


def _texts_and_files(mail: EmailMessage) -> tuple[str, str, list[Upload]]:
    """(the body text, all text parts for the token search, the attached files)."""
    body = mail.get_body(preferencelist=("plain", "html"))
    texts, files = [], []
    for part in _leaves(mail):
        is_text = part.get_content_maintype() == "text"
        if part is body or (is_text and not part.is_attachment() and not part.get_filename()):
            texts.append(_decoded(part))
        else:
            files.append(_attachment(part, len(files) + 1))
    return (_decoded(body) if body is not None else ""), "\n".join(texts), files


def automatic_reason(mail: EmailMessage, sender: str | None) -> str | None:
    """Why no person wrote this mail (so it must never be answered), or None."""
    auto = str(mail.get("Auto-Submitted", "")).split(";")[0].strip().lower()
    precedence = str(mail.get("Precedence", "")).strip().lower()
    if auto and auto != "no":
        return f"automatic mail (Auto-Submitted: {auto})"
    if precedence in AUTOMATIC_PRECEDENCE:
        return f"automatic mail (Precedence: {precedence})"
    if mail.get("List-Id") or mail.get("List-Unsubscribe"):
        return "mailing-list mail"
    if (
        str(mail.get("Return-Path", "")).strip() == "<>"
        or mail.get_content_type() == "multipart/report"
    ):
        return "bounce"
    if mail.get("X-Autoreply") or mail.get("X-Autorespond"):
        return "auto-reply"
    if sender is None:
        return "no sender address"
    if sender.partition("@")[0] in ROBOT_SENDERS:
        return f"mail-system sender {sender}"
    if sender in own_addresses():
        return "mail from the desk's own address"
    return None


def _message_id(mail: EmailMessage, raw: bytes) -> str:
    """The mail's Message-ID; a mail without a usable one is known by a hash of its bytes."""
    value = header_text(str(mail.get("Message-ID", "")), limit=MESSAGE_ID_MAX + 1)
    if value and len(value) <= MESSAGE_ID_MAX:
        return value
    return f"<sha256.{hashlib.sha256(raw).hexdigest()[:40]}@inbound>"


def _language(mail: EmailMessage) -> str | None:
    code = str(mail.get("Content-Language", "")).strip()[:2].lower()
    return code if code in current_app.config["SUPPORTDESK_LANGUAGES"] else None


def read_mail(raw: bytes, *, envelope_recipient: str | None = None) -> InboundMail:
    """Parse an RFC 822 message. ``envelope_recipient`` is the address the MTA delivered to."""
    mail = BytesParser(policy=policy.default).parsebytes(raw)
    senders = addresses_in(str(mail.get("From", "")))
    sender = senders[0] if len(senders) == 1 else None
    body, all_text, files = _texts_and_files(mail)
    recipients = [envelope_recipient or ""]
    for name in RECIPIENT_HEADERS:
        recipients += [str(value) for value in mail.get_all(name, [])]
    return InboundMail(
        message_id=_message_id(mail, raw),
        sender=sender,
        subject=header_text(str(mail.get("Subject", "")), limit=300),
        text=strip_quoted(body),
        # Addresses first: a token in the plus part is the reply's own; the body may quote others.
        tokens=[*find_tokens(" ".join(recipients)), *find_tokens(all_text)],
        attachments=files,
        automatic=automatic_reason(mail, sender),
        language=_language(mail),
    )
