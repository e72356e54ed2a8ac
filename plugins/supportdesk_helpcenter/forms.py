"""The help centre's forms: the search box, the helpful vote, and the staff's article editor.

The editor checks nothing itself: ``articles.validate`` is the one place for an article's
rules, and its ``FieldErrors`` land on the fields of the same names (:func:`show_errors`).
"""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice

from supportdesk import FieldErrors
from supportdesk.forms import SelectField
from supportdesk.i18n import lazy_gettext as _l

from .catalogue import LANGUAGE_LABELS
from .models import LOCALES

LANGUAGES = [SelectChoice(code, LANGUAGE_LABELS[code]) for code in LOCALES]
#: A list bullet typed at the start of a line ("- ", "* ", "• "), which is not part of it.
BULLET = re.compile(r"^[-*•]\s+")


def strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def split_list(text: str | None) -> list[str]:
    """``"a, b,,c"`` gives ``["a", "b", "c"]``: what the comma-separated fields hold."""
    return [item.strip() for item in (text or "").split(",") if item.strip()]


def split_lines(text: str | None) -> list[str]:
    """One item per non-blank line, without a list bullet: what the questions field holds."""
    lines = (BULLET.sub("", line.strip()) for line in (text or "").splitlines())
    return [line.strip() for line in lines if line.strip()]


def show_errors(form: FlaskForm, exc: FieldErrors) -> None:
    """Put the service's errors next to their fields; one without a field goes on top."""
    for name, message in exc.errors.items():
        field = form._fields.get(name)
        if field is not None and name != "csrf_token":
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)


class SearchForm(FlaskForm):
    """The search box: a GET form, so a search is a link like any other."""

    class Meta:
        csrf = False

    q = StringField(_l("Search the help pages"), filters=[strip])
    category = SelectField(_l("Category"), default="", validate_choice=False)
    lang = HiddenField()


class VoteForm(FlaskForm):
    helpful = RadioField(choices=[SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))])
    lang = HiddenField()


class ArticleForm(FlaskForm):
    slug = StringField(_l("Slug"), filters=[strip])
    locale = SelectField(_l("Language"), choices=LANGUAGES)
    title = StringField(_l("Title"), filters=[strip])
    category = StringField(_l("Category"), filters=[strip])
    tags = StringField(_l("Tags"), filters=[strip])
    related = StringField(_l("Related articles"), filters=[strip])
    questions = TextAreaField(_l("Questions this article answers"), render_kw={"rows": 5})
    body = TextAreaField(_l("Text (Markdown)"), render_kw={"rows": 18})
    preview = SubmitField(_l("Preview"))
    save = SubmitField(_l("Save"))


class ArticleFilterForm(FlaskForm):
    """The filters of the staff's article list (GET)."""

    class Meta:
        csrf = False

    lang = SelectField(
        _l("Language"),
        default="",
        choices=[SelectChoice("", _l("All languages")), *LANGUAGES],
    )
    status = SelectField(
        _l("Status"),
        default="",
        choices=[
            SelectChoice("", _l("All")),
            SelectChoice("published", _l("Published")),
            SelectChoice("draft", _l("Draft")),
        ],
    )
    q = StringField(_l("Title contains"), filters=[strip])

    def value(self, name: str) -> str:
        """The field's value, or its default when the URL said something that is no choice."""
        field = self[name]
        return field.default if field.errors else (field.data or "")


class PublishForm(FlaskForm):
    """A publish or unpublish button: CSRF protection and nothing else."""
