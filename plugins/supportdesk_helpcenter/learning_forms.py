"""The forms of the failed-queries report's one-click actions and of the lexicon page.

The report shows one small form per row: :func:`unique_ids` gives each row's fields ids of
their own, while their names stay the same for the view that reads them.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from supportdesk.forms import SelectField
from supportdesk.i18n import lazy_gettext as _l

from .forms import LANGUAGES, strip

KINDS = ("case", "empty", "answered")


class ReportRowForm(FlaskForm):
    """What every row action carries: the row's query, language and kind, and the period."""

    query = HiddenField(filters=[strip], validators=[DataRequired(), Length(max=300)])
    locale = HiddenField()
    kind = HiddenField()
    days = HiddenField()


class QuestionForm(ReportRowForm):
    """The "Add as question" button: the article opened, or one chosen in a list."""

    slug = SelectField(_l("Article"), validate_choice=False)
    add_question = SubmitField(_l("Add as question"))


class SynonymForm(ReportRowForm):
    """The "Add as synonym" form: the query's words also mean the words of the help pages."""

    words = StringField(_l("Words sellers use"), filters=[strip])
    means = StringField(_l("Means"), filters=[strip])
    add_synonym = SubmitField(_l("Add as synonym"))


class LexiconLineForm(FlaskForm):
    locale = SelectField(_l("Language"), choices=LANGUAGES)
    line = StringField(_l("Line"), filters=[strip])
    add = SubmitField(_l("Add the line"))


class DeleteEntryForm(FlaskForm):
    """A delete button: CSRF protection and nothing else."""


def unique_ids(form: FlaskForm, key: str) -> FlaskForm:
    """Give the form's fields (and their labels) ids starting with ``key``."""
    for field in form:
        field.id = f"{key}-{field.name}"
        field.label.field_id = field.id
    return form
