"""The forms of the seller's case page: a reply with files, and the rating of a resolved case.

They check only what the ticket service cannot (how many files a message carries) and the
presence of the required fields; the service checks the rest (lengths, file kinds and sizes,
the rating's range, whether the case may be rated), and its ``FieldErrors`` land on the same
fields, so each rule has one message.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import Field, MultipleFileField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, ValidationError

from ..attachments import Upload
from ..forms import chosen_files, show_errors, strip  # noqa: F401  (re-exported for the views)
from ..i18n import lazy_gettext as _l

RATINGS = [
    SelectChoice("5", _l("5 – Excellent")),
    SelectChoice("4", _l("4 – Good")),
    SelectChoice("3", _l("3 – Fair")),
    SelectChoice("2", _l("2 – Poor")),
    SelectChoice("1", _l("1 – Very poor")),
]


def to_rating(value: Any) -> int | None:
    """An int, or None for anything else (the service refuses it with its own message)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class ReplyForm(FlaskForm):
    body = TextAreaField(
        _l("Your message"),
        filters=[strip],
        validators=[InputRequired(message=_l("Please write your message."))],
    )
    attachments = MultipleFileField(
        _l("Attach files"),
        render_kw={"accept": "image/png,image/jpeg,image/gif,image/webp,.pdf,.txt,.eml"},
    )

    def validate_attachments(self, field: Field) -> None:
        limit = current_app.config["SUPPORTDESK_MAX_ATTACHMENTS"]
        if len(chosen_files(field)) > limit:
            raise ValidationError(
                ngettext(
                    "You can attach up to %(num)d file to one message.",
                    "You can attach up to %(num)d files to one message.",
                    limit,
                )
            )

    def uploads(self) -> list[Upload]:
        """The chosen files, read, as the ticket service takes them."""
        return [Upload(f.filename or "", f.read()) for f in chosen_files(self.attachments)]


class RatingForm(FlaskForm):
    rating = RadioField(
        _l("How well did we solve your problem?"),
        choices=RATINGS,
        coerce=to_rating,
        validate_choice=False,
        validators=[InputRequired(message=_l("Choose a rating from 1 to 5."))],
    )
    comment = TextAreaField(_l("Anything you want to tell us? (optional)"), filters=[strip])
