"""The intake's forms, one a step, the guarantee claim's form, and the fraud team's outcome form.

Each field is checked by the ticket type's own cleaner (:mod:`.case_types`), so a rule has one
message whether the form or the service applies it. Which fields are required depends on the
answers of other steps (an order id when the order was paid outside the checkout, the other
party unless the account was taken over): the view says so through ``needs_orders`` and
``needs_party``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    MultipleFileField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, ValidationError

from supportdesk.attachments import Upload
from supportdesk.forms import SelectField, chosen_files, options, strip
from supportdesk.i18n import lazy_gettext as _l
from supportdesk.tickets import BODY_MAX

from . import case_types as ct
from .settings import setting

RATINGS = [
    ("5", _l("5 – Very good")),
    ("4", _l("4 – Good")),
    ("3", _l("3 – Fair")),
    ("2", _l("2 – Poor")),
    ("1", _l("1 – Very poor")),
]
FILE_TYPES = "image/png,image/jpeg,image/gif,image/webp,application/pdf,.pdf,.txt,.eml"


class Cleaned:
    """Check a field with a ticket type's cleaner: its ``ValueError`` is the field's error."""

    def __init__(self, clean: Callable[[Any], Any]):
        self.clean = clean

    def __call__(self, form: FlaskForm, field: Field) -> None:
        if field.data in (None, ""):
            return
        try:
            self.clean(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


def required(message: str) -> InputRequired:
    return InputRequired(message=message)


class CoverageForm(FlaskForm):
    order_kind = RadioField(
        _l("Was the order placed and paid on the marketplace?"),
        choices=options(ct.ORDER_KINDS.items()),
        validators=[required(_l("Choose the answer that fits."))],
    )
    order_date = StringField(
        _l("Delivery date, or the latest estimated delivery date"),
        filters=[strip],
        validators=[Cleaned(ct.clean_past_date)],
        render_kw={"type": "date"},
    )

    def validate_order_date(self, field: Field) -> None:
        if self.order_kind.data == ct.ON_MARKETPLACE and not field.data:
            raise ValidationError(_l("Give the date: it decides whether the guarantee applies."))


class CategoryForm(FlaskForm):
    category = RadioField(
        _l("What happened?"),
        choices=options(ct.CATEGORIES.items()),
        validators=[required(_l("Choose what happened."))],
    )


class ContactForm(FlaskForm):
    contacted = BooleanField(
        _l("I have written to the other party through the marketplace messaging service"),
        validators=[
            InputRequired(
                message=_l("Write to the other party through the messaging service first.")
            )
        ],
    )
    contacted_on = StringField(
        _l("When did you write to them?"),
        filters=[strip],
        validators=[required(_l("Give the date of your message.")), Cleaned(ct.clean_past_date)],
        render_kw={"type": "date"},
    )
    party_rating = RadioField(
        _l("How did you rate the other party?"),
        choices=options(RATINGS),
        validators=[
            required(_l("Rate the other party on the order page, then give the rating here."))
        ],
    )


class DetailsForm(FlaskForm):
    needs_orders = False
    needs_party = True

    description = TextAreaField(
        _l("What happened, in your words"),
        filters=[strip],
        validators=[
            required(_l("Please describe what happened.")),
            Length(max=BODY_MAX, message=_l("The description is too long.")),
        ],
    )
    order_ids = TextAreaField(
        _l("Order ids, one a line"),
        filters=[strip],
        validators=[Cleaned(ct.clean_order_ids)],
        render_kw={"rows": 3},
    )
    party = StringField(
        _l("The other party's username or identifier"),
        filters=[strip],
        validators=[Cleaned(ct.clean_party)],
    )
    amount = StringField(
        _l("Amount at stake"), filters=[strip], validators=[Cleaned(ct.clean_amount)]
    )
    currency = SelectField(_l("Currency"), validate_choice=False)
    money_lost = BooleanField(_l("The money (or the goods) is already gone"))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.currency.choices = options((c, c) for c in setting("SUPPORTDESK_FRAUD_CURRENCIES"))

    def validate_order_ids(self, field: Field) -> None:
        if self.needs_orders and not field.data:
            raise ValidationError(_l("Give the id of the order concerned."))

    def validate_party(self, field: Field) -> None:
        if self.needs_party and not field.data:
            raise ValidationError(_l("Give the other party's username or identifier."))

    def validate_currency(self, field: Field) -> None:
        if self.amount.data:
            try:
                ct.clean_currency(field.data)
            except ValueError as exc:
                raise ValidationError(str(exc)) from None


class EvidenceMixin:
    evidence = MultipleFileField(
        _l("Evidence: screenshots, PDF, saved emails (.eml)"), render_kw={"accept": FILE_TYPES}
    )

    def validate_evidence(self, field: Field) -> None:
        limit = current_app.config["SUPPORTDESK_MAX_ATTACHMENTS"]
        if len(chosen_files(field)) > limit:
            raise ValidationError(
                ngettext(
                    "You can send up to %(num)d file.", "You can send up to %(num)d files.", limit
                )
            )

    def uploads(self) -> list[Upload]:
        return [Upload(f.filename or "", f.read()) for f in chosen_files(self.evidence)]


class EvidenceForm(EvidenceMixin, FlaskForm):
    pass


class ClaimForm(EvidenceMixin, FlaskForm):
    order_id = StringField(
        _l("Order id"),
        filters=[strip],
        validators=[
            required(_l("Give the id of the order concerned.")),
            Length(
                max=ct.ORDER_ID_MAX,
                message=_l("An order id is at most %(n)d characters.", n=ct.ORDER_ID_MAX),
            ),
        ],
    )
    claim_reason = RadioField(
        _l("What is wrong with the order?"),
        choices=options(ct.CLAIM_REASONS.items()),
        validators=[required(_l("Choose what is wrong with the order."))],
    )
    description = TextAreaField(
        _l("What happened, in your words"),
        filters=[strip],
        validators=[
            required(_l("Please describe what happened.")),
            Length(max=BODY_MAX, message=_l("The description is too long.")),
        ],
    )


class OutcomeForm(FlaskForm):
    outcome = RadioField(
        _l("Outcome"),
        choices=options(ct.OUTCOMES.items()),
        validators=[required(_l("Choose the outcome."))],
    )
    message = TextAreaField(_l("Message"), filters=[strip])

    def validate_message(self, field: Field) -> None:
        if self.outcome.data == ct.MORE_INFO and not field.data:
            raise ValidationError(
                _l("Write what the seller should send: they receive it by email.")
            )
