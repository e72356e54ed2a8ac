"""How the API's own exceptions become ``application/problem+json`` answers.

Each kind of error has one stable ``type`` (``…/problems/<kind>``); clients match on it, never
on the title, which is translated."""

from __future__ import annotations

from flask import Response

from ..i18n import gettext as _
from ..pagination import BadCursor
from ..ticket_types import FieldErrors
from ..tickets import Conflict, NotAllowed
from . import bp, problem

#: Invalid input, in the body or the query string: always this status, with ``errors``.
VALIDATION_STATUS = 422


class ApiProblem(Exception):
    """Raised inside a view to answer with a problem at once."""

    def __init__(self, response: Response):
        super().__init__(response.status)
        self.response = response


def validation_error(errors: dict[str, str]) -> ApiProblem:
    return ApiProblem(
        problem(
            VALIDATION_STATUS,
            _("The request has invalid fields."),
            kind="validation-error",
            errors={name: str(message) for name, message in errors.items()},
        )
    )


def not_found() -> ApiProblem:
    return ApiProblem(problem(404, _("There is no such case."), kind="not-found"))


@bp.errorhandler(ApiProblem)
def _api_problem(error: ApiProblem) -> Response:
    return error.response


@bp.errorhandler(FieldErrors)
def _field_errors(error: FieldErrors) -> Response:
    return validation_error(error.errors).response


@bp.errorhandler(NotAllowed)
def _not_allowed(error: NotAllowed) -> Response:
    # Only reached for a case the actor may see: its existence is no secret to them.
    return problem(403, _("You may not do this to this case."), kind="forbidden")


@bp.errorhandler(Conflict)
def _conflict(error: Conflict) -> Response:
    return problem(409, _("The case was changed meanwhile."), kind="conflict", detail=str(error))


@bp.errorhandler(BadCursor)
def _bad_cursor(error: BadCursor) -> Response:
    return problem(
        400,
        _("The cursor is not valid; start again from the first page."),
        kind="bad-cursor",
        errors={"cursor": _("This cursor was not made by this API.")},
    )
