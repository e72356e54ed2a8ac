"""The contact form.

It checks what only the form knows (a topic was chosen, the order number's format, how many
files, counting those kept from an earlier step) and that the required fields are there; the
ticket type checks the topic and the language, the ticket service the lengths and the files,
and their ``FieldErrors`` land on the same fields, so each rule has one message.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    MultipleFileField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, ValidationError

from supportdesk.attachments import Upload
from supportdesk.forms import SelectField, chosen_files, strip
from supportdesk.i18n import LANGUAGE_NAMES, languages
from supportdesk.i18n import gettext as _
from supportdesk.i18n import lazy_gettext as _l
from supportdesk.tickets import SUBJECT_MAX

from .settings import order_id_pattern, setting, topic_label, topics

ORDER_ID_MAX = 100


# The choices are built when the form is shown, not for every form a filing reads.
def topic_choices() -> list[tuple[str, str]]:
    return [("", _("Choose a topic"))] + [(key, topic_label(key)) for key in topics()]


def language_choices() -> list[tuple[str, str]]:
    return [(code, LANGUAGE_NAMES.get(code, code)) for code in languages()]


class ContactForm(FlaskForm):
    topic = SelectField(
        _l("What is your message about?"),
        choices=topic_choices,
        validate_choice=False,  # the ticket type refuses an unknown topic, with its message
        validators=[InputRequired(message=_l("Please choose a topic."))],
    )
    order_id = StringField(_l("Order number"), filters=[strip])
    subject = StringField(
        _l("Subject"),
        filters=[strip],
        validators=[InputRequired(message=_l("Please give your case a subject."))],
        render_kw={"maxlength": SUBJECT_MAX},
    )
    body = TextAreaField(
        _l("Your message"),
        filters=[strip],
        validators=[InputRequired(message=_l("Please write your message."))],
        render_kw={"rows": 8},
    )
    attachments = MultipleFileField(
        _l("Attach files"),
        render_kw={"accept": "image/png,image/jpeg,image/gif,image/webp,.pdf,.txt,.eml"},
    )
    drop_files = BooleanField(_l("Remove the files attached above"))
    reply_language = SelectField(
        _l("Language of our answer"),
        choices=language_choices,
        validate_choice=False,  # checked by the ticket type
        validators=[InputRequired(message=_l("Choose one of the languages in the list."))],
    )
    # Made when the form is shown: the same form sent twice opens one case.
    idempotency_key = HiddenField()
    # The token of files kept from an earlier step (see ``held``).
    held = HiddenField()

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # How many files are kept from an earlier step (they count towards the limit).
        self.held_count = 0
        # What the ``held`` token gave back (None: nothing, or no longer kept).
        self.held_files: list[Upload] | None = None
        self._uploads: list[Upload] | None = None

    def validate_order_id(self, field: Field) -> None:
        if not field.data:
            field.data = None
            return
        if len(field.data) > ORDER_ID_MAX or not order_id_pattern().fullmatch(field.data):
            raise ValidationError(
                _(
                    "This is not an order number. Order numbers look like %(example)s: copy it from the order's page.",
                    example=setting("SUPPORTDESK_ORDER_ID_EXAMPLE"),
                )
            )

    def validate_attachments(self, field: Field) -> None:
        limit = current_app.config["SUPPORTDESK_MAX_ATTACHMENTS"]
        if len(chosen_files(field)) + self.held_count > limit:
            raise ValidationError(
                ngettext(
                    "You can attach up to %(num)d file to one message.",
                    "You can attach up to %(num)d files to one message.",
                    limit,
                )
            )

    def new_uploads(self) -> list[Upload]:
        """The files chosen in this submission, read once, as the ticket service takes them."""
        if self._uploads is None:
            self._uploads = [
                Upload(f.filename or "", f.read()) for f in chosen_files(self.attachments)
            ]
        return self._uploads

    def case_fields(self) -> dict[str, str]:
        """The contact type's extra fields, for its own validation."""
        return {"topic": self.topic.data or "", "reply_language": self.reply_language.data or ""}
