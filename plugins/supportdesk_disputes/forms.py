"""The plugin's forms: the seller's dispute and appeal, and staff's decision.

They check that the required fields are there; the ticket type and the disputes service check
the rest (formats, lengths, eligibility), and their ``FieldErrors`` land on the fields of the
same names (``SERVICE_NAMES`` maps the few that differ), so each rule has one message.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from supportdesk import FieldErrors
from supportdesk.forms import SelectField, show_errors
from supportdesk.i18n import lazy_gettext as _l

from .models import KEEP, REMOVE, STRIKE
from .policy import REASONS

RATINGS = [
    SelectChoice("", _l("Choose the rating")),
    SelectChoice("1", _l("1 – Very poor")),
    SelectChoice("2", _l("2 – Poor")),
    SelectChoice("3", _l("3 – Fair")),
    SelectChoice("4", _l("4 – Good")),
    SelectChoice("5", _l("5 – Excellent")),
]
REASON_CHOICES = [SelectChoice(key, label) for key, label in REASONS.items()]
OUTCOME_CHOICES = [
    SelectChoice(REMOVE, _l("Remove the feedback")),
    SelectChoice(STRIKE, _l("Strike the rating through (the comment stays)")),
    SelectChoice(KEEP, _l("Keep the feedback")),
]
#: The service's name for a field, where the form calls it otherwise.
SERVICE_NAMES = {"body": "explanation"}


def strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def show_service_errors(form: FlaskForm, exc: FieldErrors) -> None:
    """The service's errors next to the form's fields."""
    renamed = {SERVICE_NAMES.get(name, name): message for name, message in exc.errors.items()}
    show_errors(form, FieldErrors(renamed))


class DisputeForm(FlaskForm):
    order_id = StringField(
        _l("Order number"),
        filters=[strip],
        validators=[InputRequired(message=_l("Please give the order number."))],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    feedback_date = DateField(
        _l("Date of the feedback"),
        validators=[InputRequired(message=_l("Please give the date of the feedback."))],
        invalid_value_message=_l("Give the date as year-month-day, e.g. 2024-05-31."),
    )
    rating = SelectField(
        _l("Rating the buyer gave"),
        choices=RATINGS,
        validators=[InputRequired(message=_l("Choose the rating of the feedback."))],
    )
    feedback_text = TextAreaField(
        _l("Text of the feedback"),
        filters=[strip],
        validators=[InputRequired(message=_l("Please copy the text of the feedback."))],
        render_kw={"rows": 5},
    )
    reason = RadioField(
        _l("Why should it be taken down?"),
        choices=REASON_CHOICES,
        validators=[InputRequired(message=_l("Choose the rule the feedback breaks."))],
    )
    explanation = TextAreaField(
        _l("Your explanation"),
        filters=[strip],
        validators=[InputRequired(message=_l("Please explain why the feedback breaks the rules."))],
        render_kw={"rows": 5},
    )
    # The digest of the feedback text whose suggestions the seller has seen (policy assistant).
    checked = HiddenField()

    def feedback(self) -> dict[str, object]:
        """What the disputes service needs to assess the feedback."""
        return {
            "order_id": self.order_id.data,
            "feedback_date": self.feedback_date.data,
            "rating": self.rating.data,
            "feedback_text": self.feedback_text.data,
            "reason": self.reason.data,
        }


class AppealForm(FlaskForm):
    text = TextAreaField(
        _l("Why should the decision change?"),
        filters=[strip],
        validators=[InputRequired(message=_l("Please explain why the decision should change."))],
        render_kw={"rows": 6},
    )


class DecisionForm(FlaskForm):
    outcome = RadioField(
        _l("Decision"),
        choices=OUTCOME_CHOICES,
        validators=[InputRequired(message=_l("Choose a decision."))],
    )
    rule = SelectField(_l("Rule the feedback breaks"), choices=REASON_CHOICES)
    comment = TextAreaField(
        _l("Add to the message (optional)"), filters=[strip], render_kw={"rows": 4}
    )
