"""Signed reply addresses, deterministic Message-IDs and safe header values.

A notification about case ``SD-AB12-CD34`` to user 7 is answered to
``support+SD-AB12-CD34.<sig>@example.com``, where ``sig`` is a truncated HMAC-SHA256 of the
reference and the user id under the app's ``SECRET_KEY``. The same token is printed in the body
(``[ref:SD-AB12-CD34.<sig>]``) for mail systems that drop the plus part. Without the secret
nobody can make a token for a case, so a guessed reference attaches nothing to anybody's case.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.utils import getaddresses

from flask import current_app

#: ``SD-XXXX-XXXX`` and its signature; case-insensitive, as some systems lower-case addresses.
TOKEN_PATTERN = re.compile(r"\b(SD-[0-9A-Z]{4}-[0-9A-Z]{4})[.:]([0-9a-f]{16})\b", re.IGNORECASE)
SIGNATURE_CHARS = 16
#: Characters that end a header line or are invisible line breaks in some readers.
_LINE_BREAKS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")


class BadAddress(ValueError):
    """Not one plain email address: it would be unsafe, or pointless, to send to it."""


@dataclass(frozen=True)
class ReplyToken:
    ref: str
    signature: str

    def __str__(self) -> str:
        return f"{self.ref}.{self.signature}"


def _sign(purpose: str, text: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"supportdesk.{purpose}:{text}".encode(), hashlib.sha256).hexdigest()


def reply_token(ref: str, user_id: int) -> ReplyToken:
    """The token that lets ``user_id`` answer case ``ref`` by email."""
    return ReplyToken(ref, _sign("reply", f"{ref}:{user_id}")[:SIGNATURE_CHARS])


def token_is_valid(token: ReplyToken, user_id: int) -> bool:
    """True when ``token`` was made by this desk for ``user_id`` (constant-time comparison)."""
    expected = reply_token(token.ref, user_id).signature
    return hmac.compare_digest(expected, token.signature)


def find_tokens(text: str) -> list[ReplyToken]:
    """Every token-shaped string in ``text`` (an address or a body), in order, normalised."""
    return [ReplyToken(m[1].upper(), m[2].lower()) for m in TOKEN_PATTERN.finditer(text or "")]


def mail_domain() -> str:
    config = current_app.config
    return config["SUPPORTDESK_MAIL_DOMAIN"] or config["SUPPORTDESK_MAIL_FROM"].rpartition("@")[2]


def reply_address(ref: str, user_id: int) -> str:
    """``local+TOKEN@domain`` of ``SUPPORTDESK_REPLY_ADDRESS`` (else ``SUPPORTDESK_MAIL_FROM``)."""
    config = current_app.config
    base = config["SUPPORTDESK_REPLY_ADDRESS"] or config["SUPPORTDESK_MAIL_FROM"]
    local, _, domain = base.rpartition("@")
    return f"{local}+{reply_token(ref, user_id)}@{domain}"


def own_addresses() -> set[str]:
    """The desk's own sending and reply addresses: mail from them is a loop, never a case."""
    config = current_app.config
    found = {config["SUPPORTDESK_MAIL_FROM"], config["SUPPORTDESK_REPLY_ADDRESS"] or ""}
    return {address.lower() for address in found if address}


def message_id(outbox_id: int, created_at_iso: str) -> str:
    """The Message-ID of an outbox row: the same on every re-send, so receivers drop copies.
    The row's creation time is signed in, so ids reused after a database reset differ."""
    signature = _sign("message-id", f"{outbox_id}:{created_at_iso}")[:12]
    return f"<outbox-{outbox_id}.{signature}@{mail_domain()}>"


def thread_id(ref: str) -> str:
    """A fixed id every notification of a case refers to, so mail readers thread them."""
    return f"<case.{ref}@{mail_domain()}>"


def header_text(value: str, limit: int = 250) -> str:
    """One line of text for a header: line breaks and control characters become spaces, so
    nothing a user typed (a case subject) can start a header of its own."""
    return " ".join(_LINE_BREAKS.sub(" ", value or "").split())[:limit]


def checked_address(value: str) -> str:
    """``value`` if it is exactly one plain ``local@domain`` address; else ``BadAddress``."""
    if not value or _LINE_BREAKS.search(value) or value != value.strip():
        raise BadAddress(f"unsafe address {value!r}")
    try:
        address = Address(addr_spec=value)
    except (ValueError, IndexError, HeaderParseError) as exc:
        raise BadAddress(f"not an address: {value!r}") from exc
    if address.addr_spec != value or not address.username or not address.domain:
        raise BadAddress(f"not a plain address: {value!r}")
    return value


def addresses_in(*header_values: str) -> list[str]:
    """The bare addresses of header values (``To``, ``Cc``, ``Delivered-To``…), lower-cased."""
    return [addr.lower() for _name, addr in getaddresses([v for v in header_values if v]) if addr]
