"""Signs of contact outside the messaging service: an email address, a phone number or a link
to another site, in a report's description or in a saved email (.eml) given as evidence."""

from __future__ import annotations

import email
import re
from dataclasses import dataclass, field
from email import policy
from email.message import Message
from html import unescape
from urllib.parse import urlsplit

EMAIL = "email"
PHONE = "phone"
LINK = "link"
KINDS = (EMAIL, PHONE, LINK)

EMAIL_ADDRESS = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)", re.UNICODE)
# A run of digits with the usual separators, then counted: 9 to 15 digits make a phone number
# (order ids, dates and amounts are left out before, or are shorter).
PHONE_NUMBER = re.compile(r"(?<![\w.])(?:\+|00)?\d[\d ().-]{6,}\d(?![\w])")
URL = re.compile(r"(?:https?://|www\.)[^\s<>\"')]+", re.I)
HREF = re.compile(r"""href\s*=\s*["']([^"']+)["']""", re.I)
TAG = re.compile(r"<[^>]+>")
#: How many examples of each kind are kept for staff to read.
EXAMPLES = 3


@dataclass
class Found:
    """What was found, by kind, with a few examples of each."""

    examples: dict[str, list[str]] = field(default_factory=dict)

    def add(self, kind: str, text: str) -> None:
        kept = self.examples.setdefault(kind, [])
        if text not in kept and len(kept) < EXAMPLES:
            kept.append(text[:120])

    @property
    def kinds(self) -> list[str]:
        return [kind for kind in KINDS if kind in self.examples]


def _domain_is_ours(domain: str, ours: list[str]) -> bool:
    domain = domain.lower().rstrip(".")
    return any(domain == d.lower() or domain.endswith("." + d.lower()) for d in ours)


def find_markers(text: str, *, ours: list[str], ignore: list[str] = ()) -> Found:
    """The contact markers in ``text``; ``ours`` are the marketplace's own domains, ``ignore``
    the strings to leave out first (the report's order ids, which look like phone numbers)."""
    found = Found()
    for item in sorted((i for i in ignore if i), key=len, reverse=True):
        text = text.replace(item, " ")
    for match in URL.finditer(text):
        url = match.group(0).rstrip(".,;:!?")
        host = urlsplit(url if "://" in url else "http://" + url).hostname or ""
        if not _domain_is_ours(host, ours):
            found.add(LINK, url)
    text = URL.sub(" ", text)
    for match in EMAIL_ADDRESS.finditer(text):
        if not _domain_is_ours(match.group(1), ours):
            found.add(EMAIL, match.group(0))
    text = EMAIL_ADDRESS.sub(" ", text)
    for match in PHONE_NUMBER.finditer(text):
        digits = re.sub(r"\D", "", match.group(0))
        if 9 <= len(digits) <= 15:
            found.add(PHONE, match.group(0).strip())
    return found


def _part_text(part: Message) -> str:
    try:
        content = part.get_content()
    except (LookupError, ValueError, UnicodeError, AttributeError):
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def email_text(data: bytes) -> str:
    """The readable text of a saved email: its subject and every text part (an HTML part's
    links and words), nested messages included. Headers naming the sender and the recipient
    are left out: an email always has addresses there."""
    message = email.message_from_bytes(data, policy=policy.default)
    pieces = []
    for part in message.walk():
        if part.get("Subject"):  # the message's own, and those of messages forwarded inside
            pieces.append(str(part["Subject"]))
        if part.get_content_maintype() != "text" or part.get_content_disposition() == "attachment":
            continue
        content = _part_text(part)
        if part.get_content_type() == "text/html":
            links = HREF.findall(content)
            content = unescape(TAG.sub(" ", content)) + "\n" + "\n".join(links)
        pieces.append(content)
    return "\n".join(piece for piece in pieces if piece)
