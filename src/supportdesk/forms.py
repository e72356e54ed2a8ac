"""Form helpers every page of the desk and of its plugins shares."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import wtforms
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from werkzeug.datastructures import FileStorage
from wtforms import Field, widgets

from .ticket_types import FieldErrors

try:  # WTForms 3.3 has SelectChoice and deprecates bare tuples as choices
    from wtforms import SelectChoice
except ImportError:  # WTForms before 3.3 takes (value, label) pairs
    SelectChoice = None


def strip(value: str | None) -> str | None:
    """A field filter: surrounding white space is never part of what someone meant."""
    return value.strip() if isinstance(value, str) else value


def chosen_files(field: Field) -> list[FileStorage]:
    """The files actually chosen: a browser sends one nameless part when none is."""
    return [f for f in field.data or () if isinstance(f, FileStorage) and f.filename]


def show_errors(form: FlaskForm, exc: FieldErrors) -> None:
    """Put the service's errors next to their fields; one without a field goes on top."""
    for name, message in exc.errors.items():
        field = form._fields.get(name)
        if field is not None and name != "csrf_token":
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)


class _Select(widgets.Select):
    """WTForms 3.3's select, each plain option written directly: the same HTML, without
    building every option's attributes through ``html_params`` and looking up the signature of
    ``render_option`` for every select (a queue page's filters and bulk bar hold nine selects
    and some forty options, and rendered them in a tenth of the page's time)."""

    @classmethod
    def render_option(cls, choice: Any, **kwargs: Any) -> Markup:
        if kwargs or choice.render_kw:
            return super().render_option(choice, **kwargs)
        value = str(choice.value) if isinstance(choice.value, bool) else choice.value
        value = escape(value).replace(Markup('"'), Markup("&quot;"))
        label = escape(choice.label or choice.value)
        selected = "selected " if choice.selected else ""
        return Markup(f'<option {selected}value="{value}">{label}</option>')  # noqa: S704 (escaped)  # nosec B704

    @classmethod
    def _dispatch_render_option(cls) -> Any:
        return cls.render_option


class SelectField(wtforms.SelectField):
    """WTForms' ``SelectField``, rendered by :class:`_Select` where the installed WTForms has
    that widget's interface (3.3 and later); the desk's forms use it."""

    if SelectChoice is not None:
        widget = _Select()


def options(pairs: Iterable[tuple[str, Any]]) -> list[Any]:
    """Choices for a select field, in the shape the installed WTForms wants."""
    if SelectChoice is None:
        return list(pairs)
    return [SelectChoice(value=value, label=label) for value, label in pairs]
