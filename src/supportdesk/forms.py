"""Form helpers every page of the desk and of its plugins shares."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_wtf import FlaskForm
from werkzeug.datastructures import FileStorage
from wtforms import Field

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


def options(pairs: Iterable[tuple[str, Any]]) -> list[Any]:
    """Choices for a select field, in the shape the installed WTForms wants."""
    if SelectChoice is None:
        return list(pairs)
    return [SelectChoice(value=value, label=label) for value, label in pairs]
