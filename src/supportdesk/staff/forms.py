"""The forms of the staff pages: the case-list filters and bulk actions, the workspace's forms,
and the canned replies' editor.

Like the seller's forms they check only what the ticket service cannot; the service's
``FieldErrors`` land on the fields of the same names (``body``, ``status``, ``priority``,
``assignee``, ``into``), so each rule has one message.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length

from ..forms import SelectField, options, strip
from ..i18n import lazy_gettext as _l
from ..models import Priority, Status
from ..tickets import BODY_MAX

#: Staff names of the statuses.
STATUS_LABELS = {
    Status.NEW: _l("New"),
    Status.OPEN: _l("Open"),
    Status.WAITING: _l("Waiting on seller"),
    Status.RESOLVED: _l("Resolved"),
    Status.CLOSED: _l("Closed"),
}
PRIORITY_LABELS = {
    Priority.URGENT: _l("Urgent"),
    Priority.HIGH: _l("High"),
    Priority.NORMAL: _l("Normal"),
    Priority.LOW: _l("Low"),
}
#: What the buttons that move a case to each status say.
TRANSITION_LABELS = {
    Status.OPEN: _l("Mark as open"),
    Status.WAITING: _l("Wait on seller"),
    Status.RESOLVED: _l("Resolve"),
    Status.CLOSED: _l("Close"),
}
#: The status filter's "open cases": those still to be worked on.
OPEN_CASES = "active"
ALL_CASES = "all"
SORTS = {
    "newest": _l("Newest first"),
    "oldest": _l("Oldest first"),
    "due": _l("Due soonest"),
    "priority": _l("Priority"),
}
BULK_ACTIONS = {
    "take": _l("Assign to me"),
    "assign": _l("Assign to the agent chosen"),
    "close": _l("Close"),
}


class CaseFilterForm(FlaskForm):
    """The filters of a case list: a GET form, so a filtered list is a link like any other."""

    class Meta:
        csrf = False

    status = SelectField(
        _l("Status"),
        default=OPEN_CASES,
        choices=options(
            [
                (OPEN_CASES, _l("Open cases (new, open, waiting)")),
                *STATUS_LABELS.items(),
                (ALL_CASES, _l("All cases")),
            ]
        ),
    )
    priority = SelectField(
        _l("Priority"), default="", choices=options([("", _l("Any")), *PRIORITY_LABELS.items()])
    )
    type = SelectField(_l("Type"), default="")
    assignee = SelectField(_l("Assignee"), default="")
    overdue = BooleanField(_l("Overdue only"))
    sort = SelectField(_l("Sort by"), default="newest", choices=options(SORTS.items()))

    def value(self, name: str) -> str | bool:
        """The field's value, or its default when what the URL said is not a valid choice."""
        field = self[name]
        return field.default if field.errors else field.data


class BulkForm(FlaskForm):
    """The checkboxes of a case list and what to do with the cases checked."""

    # Own ids: the filter form on the same page has an "assignee" too.
    refs = SelectMultipleField(validate_choice=False, id="bulk-refs")
    action = SelectField(
        _l("With the cases checked"), choices=options(BULK_ACTIONS.items()), id="bulk-action"
    )
    assignee = SelectField(_l("Agent"), default="", id="bulk-assignee")
    apply = SubmitField(_l("Apply"), id="bulk-apply")


class TakeForm(FlaskForm):
    """Take a case; ``next`` is the page to come back to (the list it was taken from)."""

    next = HiddenField()


class ReplyForm(FlaskForm):
    """A public reply; "Insert" puts the chosen canned reply into the text instead of sending."""

    body = TextAreaField(_l("Reply to the seller"), validators=[Length(max=BODY_MAX)])
    status = SelectField(_l("Then set the status to"), default="")
    canned = SelectField(_l("Canned reply"), default="")
    insert = SubmitField(_l("Insert"))
    send = SubmitField(_l("Send reply"))


class NoteForm(FlaskForm):
    body = TextAreaField(_l("Internal note"), validators=[Length(max=BODY_MAX)])


class StatusForm(FlaskForm):
    status = SelectField(_l("Status"), choices=options(STATUS_LABELS.items()))


class PriorityForm(FlaskForm):
    priority = SelectField(_l("Priority"), choices=options(PRIORITY_LABELS.items()))


class AssignForm(FlaskForm):
    assignee = SelectField(_l("Assigned to"), default="")


class MergeForm(FlaskForm):
    into = StringField(
        _l("Merge this case into"),
        filters=[strip],
        validators=[DataRequired(message=_l("Give the reference of the case to keep."))],
    )


class CannedReplyForm(FlaskForm):
    title = StringField(
        _l("Title"),
        filters=[strip],
        validators=[DataRequired(message=_l("Give the reply a title.")), Length(max=200)],
    )
    body = TextAreaField(
        _l("Text"),
        validators=[
            DataRequired(message=_l("Write the text of the reply.")),
            Length(max=BODY_MAX),
        ],
    )
    locale = SelectField(_l("Language"), default="")
    queue = SelectField(_l("Queue"), default="")


class DeleteForm(FlaskForm):
    """A button that deletes: CSRF protection and nothing else."""
