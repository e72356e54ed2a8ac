"""The feedback policy: the reasons a feedback may be taken down, and the policy assistant that
reads a feedback's text and suggests which of them apply.

The assistant only suggests: it is shown to the seller before they send a dispute and to staff
when they decide, and a person decides. Every language's word list is checked whatever the
interface language, because buyers do not always write in the seller's language.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from supportdesk.i18n import lazy_gettext as _l

from .wordlists import OBSCENE, PRODUCT, SELLER_OR_SERVICE

OBSCENE_REASON = "obscene"
PERSONAL_INFO = "personal_info"
PRODUCT_REVIEW = "product_review"
FULFILLED_BY_MARKETPLACE = "fulfilled_by_marketplace"
OTHER = "other"

#: The policy's reasons, in the order the form offers them.
REASONS = {
    OBSCENE_REASON: _l("Obscene or abusive language"),
    PERSONAL_INFO: _l("The seller's personal information"),
    PRODUCT_REVIEW: _l("The comment is entirely a product review"),
    FULFILLED_BY_MARKETPLACE: _l("A delivery complaint about an order the marketplace fulfilled"),
    OTHER: _l("Other"),
}

#: What each reason means, shown under it in the form.
REASON_HINTS = {
    OBSCENE_REASON: _l("Swearing, insults or threats."),
    PERSONAL_INFO: _l("Your email address, phone number, home address or a link to them."),
    PRODUCT_REVIEW: _l(
        "The buyer only describes the product (quality, size, colour) and says nothing about "
        "you, the shipping or your service."
    ),
    FULFILLED_BY_MARKETPLACE: _l(
        "The buyer complains about a delivery the marketplace handled itself. Such feedback is "
        "not removed: its rating is struck through and no longer counts."
    ),
    OTHER: _l("Another breach of the feedback rules: explain it below."),
}

#: How many matched pieces of text a hint keeps, for the seller and staff to see.
MATCHES_KEPT = 5

# Parts are bounded as in real addresses, so that a long run of dots stays cheap to scan.
EMAIL = re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,5}")
LINK = re.compile(
    r"\b(?:https?://|www\.)\S+"
    r"|\b[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){0,4}\.(?:com|net|org|fr|uk|eu|de|io|info|biz|shop|store)\b/?\S*",
    re.IGNORECASE,
)
PHONES = (
    # International: +33 6 12 34 56 78, +44 (0)20 7946 0958, +1 555 123 4567, 0033 6 12 34 56 78.
    re.compile(r"(?<![\w+])(?:\+|\b00[\s.-]?)\d{1,3}(?:[\s.-]?\(0\))?(?:[\s.-]?\d){6,13}(?!\d)"),
    # French: 06 12 34 56 78, 06.12.34.56.78, 0612345678.
    re.compile(r"(?<![\d+])\b0[1-9](?:[\s.-]?\d{2}){4}(?!\d)"),
    # British: 07700 900123, 020 7946 0958, 01632 960001.
    re.compile(r"(?<![\d+])\b0\d{2,4}[\s-]?\d{3,4}[\s-]?\d{3,4}(?!\d)"),
    # American: (555) 123-4567, 555-123-4567, 555.123.4567.
    re.compile(r"(?<![\d+])(?:\(\d{3}\)\s?|\b\d{3}[\s.-])\d{3}[\s.-]\d{4}(?!\d)"),
)
PHONE_DIGITS = range(9, 16)
WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class PolicyHint:
    """One likely reason, and the pieces of the text that suggest it."""

    reason: str
    matches: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return str(REASONS[self.reason])

    def as_dict(self) -> dict[str, Any]:
        return {"reason": self.reason, "matches": list(self.matches)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PolicyHint:
        return cls(reason=data["reason"], matches=tuple(data.get("matches") or ()))


def fold(text: str) -> str:
    """Lower case without accents: ``Qualité`` → ``qualite``."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words_of(text: str) -> str:
    """The folded words of ``text`` joined by single spaces, with a space at each end, so that
    a word or a phrase is found by looking for `` phrase ``."""
    return " " + " ".join(WORD.findall(fold(text))) + " "


def text_digest(text: str) -> str:
    """A short fingerprint of the text's words: the same text, however spaced or cased, gives
    the same digest (the form remembers which text the seller saw suggestions for)."""
    return hashlib.sha256(words_of(text).encode()).hexdigest()[:32]


def _entries(vocabulary: dict[str, tuple[str, ...]]) -> frozenset[str]:
    """Every language's entries, folded the way the text is."""
    return frozenset(
        words_of(entry).strip() for entries in vocabulary.values() for entry in entries
    )


OBSCENE_ENTRIES = _entries(OBSCENE)
PRODUCT_ENTRIES = _entries(PRODUCT)
SELLER_OR_SERVICE_ENTRIES = _entries(SELLER_OR_SERVICE)


def _found(words: str, entries: frozenset[str]) -> list[str]:
    return sorted(entry for entry in entries if f" {entry} " in words)


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(item.strip() for item in items))[:MATCHES_KEPT]


def personal_information(text: str) -> tuple[str, ...]:
    """Email addresses, phone numbers and links in ``text``."""
    emails = EMAIL.findall(text)
    rest = EMAIL.sub(" ", text)
    phones = [
        match.group()
        for pattern in PHONES
        for match in pattern.finditer(rest)
        if len(re.sub(r"\D", "", match.group())) in PHONE_DIGITS
    ]
    links = [link.rstrip(".,;:!?)") for link in LINK.findall(rest)]
    return _unique([*emails, *phones, *links])


def check_text(text: str) -> list[PolicyHint]:
    """The reasons the feedback ``text`` likely falls under, most certain first."""
    text = text or ""
    hints = []
    words = words_of(text)
    if obscene := _found(words, OBSCENE_ENTRIES):
        hints.append(PolicyHint(OBSCENE_REASON, _unique(obscene)))
    if found := personal_information(text):
        hints.append(PolicyHint(PERSONAL_INFO, found))
    product = _found(words, PRODUCT_ENTRIES)
    if product and not _found(words, SELLER_OR_SERVICE_ENTRIES):
        hints.append(PolicyHint(PRODUCT_REVIEW, _unique(product)))
    return hints
