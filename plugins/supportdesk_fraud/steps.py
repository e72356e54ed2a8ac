"""The intake's steps and the rules between them, apart from the pages that show them.

1. ``coverage``: was the order paid on the marketplace, and is it within the guarantee's claim
   window? If so, the matter is a guarantee claim (:func:`coverage`) and the fraud steps end.
2. ``category``: what happened.
3. ``contact``: the seller wrote to the other party through the messaging service (and when),
   and rated them; skipped for phishing and account takeover (:data:`NO_CONTACT_STEP`).
4. ``details``: the description, the order ids, the other party, the amount.
5. ``evidence``: the files, a last look at every answer, and Send.

A step's values are what the seller typed, as strings, kept in their draft; a step is complete
when its form accepts them. Nobody reaches a step before the ones it follows are complete.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from supportdesk.i18n import gettext as _

from . import case_types as ct
from .forms import CategoryForm, ContactForm, CoverageForm, DetailsForm, EvidenceForm
from .settings import setting

COVERAGE, CATEGORY, CONTACT, DETAILS, EVIDENCE = STEPS = (
    "coverage",
    "category",
    "contact",
    "details",
    "evidence",
)
#: The values the guarantee claim's form keeps in the draft, beside the coverage answers.
CLAIM = "claim"
FORMS: dict[str, type[FlaskForm]] = {
    COVERAGE: CoverageForm,
    CATEGORY: CategoryForm,
    CONTACT: ContactForm,
    DETAILS: DetailsForm,
    EVIDENCE: EvidenceForm,
}

Data = dict[str, dict[str, str]]


@dataclass(frozen=True)
class Coverage:
    covered: bool
    reason: str


def coverage(values: dict[str, str]) -> Coverage | None:
    """Whether the buyer guarantee covers the matter, and why; None until it is answered."""
    kind, day = values.get("order_kind"), values.get("order_date")
    if kind == ct.PAID_OUTSIDE:
        return Coverage(False, _("The guarantee covers only orders paid through the checkout."))
    if kind == ct.NO_ORDER:
        return Coverage(False, _("Without an order, the guarantee does not apply."))
    if kind != ct.ON_MARKETPLACE or not day:
        return None
    window = setting("SUPPORTDESK_GUARANTEE_WINDOW_DAYS")
    try:
        age = (ct.today() - date.fromisoformat(ct.clean_past_date(day))).days
    except ValueError:
        return None
    if age > window:
        return Coverage(
            False,
            _(
                "The delivery date is more than %(days)d days ago: the guarantee's claim window has closed.",
                days=window,
            ),
        )
    return Coverage(
        True, _("The order was paid on the marketplace and is within the claim window.")
    )


def covered(data: Data) -> Coverage | None:
    """The coverage decision, once the first step is complete."""
    return coverage(data[COVERAGE]) if complete(COVERAGE, data) else None


def category(data: Data) -> str | None:
    return (data.get(CATEGORY) or {}).get("category")


def contact_skipped(data: Data) -> bool:
    return category(data) in ct.NO_CONTACT_STEP


def active_steps(data: Data) -> list[str]:
    return [step for step in STEPS if not (step == CONTACT and contact_skipped(data))]


def make_form(
    step: str, data: Data, values: dict[str, str] | None = None, *, csrf: bool = True
) -> FlaskForm:
    """The step's form, filled from ``values`` (a draft's) or, when None, from the request.
    ``csrf=False`` checks a draft's values, which carry no token."""
    if values is None:
        form = FORMS[step]()
    else:
        meta = {} if csrf else {"csrf": False}
        form = FORMS[step](formdata=MultiDict(values), meta=meta)
    if isinstance(form, DetailsForm):
        kind = (data.get(COVERAGE) or {}).get("order_kind")
        form.needs_orders = kind == ct.PAID_OUTSIDE
        form.needs_party = category(data) != ct.ACCOUNT_TAKEOVER
    return form


def complete(step: str, data: Data) -> bool:
    if step == EVIDENCE:
        return True  # files are chosen when the report is sent
    form = make_form(step, data, data.get(step) or {}, csrf=False)
    return form.validate() and (step != COVERAGE or coverage(data[COVERAGE]) is not None)


def first_incomplete(data: Data) -> str:
    """The first step the seller still has to fill (``evidence`` when all others are)."""
    return next((step for step in active_steps(data) if not complete(step, data)), EVIDENCE)


def neighbour(step: str, data: Data, offset: int) -> str | None:
    steps = active_steps(data)
    index = steps.index(step) + offset if step in steps else -1
    return steps[index] if 0 <= index < len(steps) else None


def report_fields(data: Data) -> dict[str, Any]:
    """The fraud report's extra fields from the steps' values (checked by the ticket type)."""
    paid, details = data.get(COVERAGE) or {}, data.get(DETAILS) or {}
    fields: dict[str, Any] = {
        "category": category(data),
        "order_kind": paid.get("order_kind"),
        "order_date": paid.get("order_date") or None,
        "order_ids": details.get("order_ids") or None,
        "party": details.get("party") or None,
        "money_lost": details.get("money_lost") == "y",
    }
    if details.get("amount"):
        fields.update(amount=details["amount"], currency=details.get("currency"))
    if not contact_skipped(data):
        contact = data.get(CONTACT) or {}
        fields.update(
            contacted_on=contact.get("contacted_on"), party_rating=contact.get("party_rating")
        )
    return {name: value for name, value in fields.items() if value not in (None, "")}


def first_order_id(data: Data) -> str | None:
    """The first order id the report names: the case's own order id (search finds it)."""
    ids = ct.split_order_ids((data.get(DETAILS) or {}).get("order_ids") or "")
    return ids[0] if ids else None


def report_subject(data: Data) -> str:
    details = data.get(DETAILS) or {}
    label = str(ct.CATEGORIES.get(category(data) or ct.OTHER, ct.CATEGORIES[ct.OTHER]))
    party = " ".join((details.get("party") or "").split())[:100]
    return f"{label}: {party}" if party else label
