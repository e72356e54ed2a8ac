"""The admins' lexicon page: per language, the lines shipped with the desk (read-only) and the
admins' own, which they add and delete here. Lines are checked by :func:`lexicon.check_line`;
a wrong one is shown at its field, as typed."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from supportdesk import FieldErrors
from supportdesk.accounts import current_user, login_required
from supportdesk.extensions import db
from supportdesk.i18n import gettext as _
from supportdesk.models import User
from supportdesk.permissions import may

from . import lexicon
from .forms import show_errors
from .learning_forms import DeleteEntryForm, LexiconLineForm
from .models import LOCALES
from .views import bp


def admin_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Signed-in admins only: the lexicon changes every seller's search. Visitors sign in,
    everyone else gets 403."""

    @wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not may(current_user, "view", "admin"):
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def lexicon_page(form: LexiconLineForm) -> tuple[str, int]:
    languages = []
    for locale in LOCALES:
        entries = lexicon.entries(locale)
        authors = {entry.created_by_id for entry in entries} - {None}
        users = db.session.scalars(sa.select(User).where(User.id.in_(authors)))
        names = {user.id: user.name or user.email for user in users}
        languages.append(
            {
                "locale": locale,
                "shipped": lexicon.shipped(locale),
                "entries": [(entry, names.get(entry.created_by_id)) for entry in entries],
            }
        )
    html = render_template(
        "supportdesk_helpcenter/lexicon.html",
        form=form,
        languages=languages,
        delete_form=DeleteEntryForm(),
    )
    return html, 400 if form.errors else 200


@bp.get("/help/manage/lexicon")
@admin_required
def lexicon_admin() -> tuple[str, int]:
    return lexicon_page(LexiconLineForm())


@bp.post("/help/manage/lexicon")
@admin_required
def lexicon_add() -> Response | tuple[str, int]:
    form = LexiconLineForm()
    if form.validate_on_submit():
        try:
            lexicon.add_entry(
                form.locale.data, form.line.data or "", origin="admin", user_id=current_user.id
            )
        except FieldErrors as exc:
            show_errors(form, exc)
        else:
            flash(_("The line is added: the search uses it from now on."), "success")
            return redirect(url_for(".lexicon_admin", _anchor=f"lexicon-{form.locale.data}"))
    return lexicon_page(form)


@bp.post("/help/manage/lexicon/<int:entry_id>/delete")
@admin_required
def lexicon_delete(entry_id: int) -> Response:
    if not DeleteEntryForm().validate_on_submit():
        abort(400)
    if not lexicon.remove_entry(entry_id):
        abort(404)
    flash(_("The line is deleted."), "success")
    return redirect(url_for(".lexicon_admin"))
