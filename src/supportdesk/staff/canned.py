"""Canned replies: prepared answers that agents insert into a reply, and the pages where
administrators keep them (agents use them; only administrators write them)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from ..accounts import current_user
from ..database import write_transaction
from ..extensions import db
from ..i18n import LANGUAGE_NAMES, languages
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..models import CannedReply, Queue, Ticket, User
from ..permissions import may
from . import bp, staff_required
from .forms import CannedReplyForm, DeleteForm, options

#: ``{name}``: a placeholder. Anything else in braces is text and stays as written.
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
PLACEHOLDER_HELP = _l(
    "Placeholders: {seller_name}, {ref} (the case reference) and {agent_name} are filled in "
    "when the reply is inserted."
)


def fill_placeholders(text: str, values: Mapping[str, str]) -> str:
    """Replace each known ``{name}`` by its value; unknown names stay as they are. Never
    ``str.format`` on text someone typed: it would raise on a stray brace and could reach into
    attributes."""
    return PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), text)


def placeholder_values(ticket: Ticket, agent: User) -> dict[str, str]:
    return {
        "seller_name": ticket.seller.display_name,
        "ref": ticket.ref,
        "agent_name": agent.display_name,
    }


def replies_for(ticket: Ticket) -> list[CannedReply]:
    """The canned replies for this case's queue and for every queue; those in the seller's
    language (or in none) first."""
    rows = db.session.scalars(
        sa.select(CannedReply)
        .where(sa.or_(CannedReply.queue_id.is_(None), CannedReply.queue_id == ticket.queue_id))
        .order_by(CannedReply.title, CannedReply.id)
    ).all()
    fits = (None, ticket.seller.locale)
    return sorted(rows, key=lambda reply: reply.locale not in fits)


def insert_reply(body: str, reply: CannedReply, ticket: Ticket, agent: User) -> str:
    """What the reply box holds once the canned reply is inserted after what was typed."""
    filled = fill_placeholders(reply.body, placeholder_values(ticket, agent))
    typed = (body or "").rstrip()
    return f"{typed}\n\n{filled}" if typed else filled


def admin_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Administrators only (agents get 403: they use canned replies, they do not edit them)."""

    @wraps(view)
    @staff_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not may(current_user, "view", "admin"):
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def editor_form(reply: CannedReply | None = None) -> CannedReplyForm:
    saved = reply and {
        "title": reply.title,
        "body": reply.body,
        "locale": reply.locale or "",
        "queue": str(reply.queue_id or ""),
    }
    form = CannedReplyForm(data=saved)
    form.locale.choices = options(
        [("", _("Any language"))] + [(code, LANGUAGE_NAMES.get(code, code)) for code in languages()]
    )
    queues = db.session.scalars(sa.select(Queue).order_by(Queue.name))
    form.queue.choices = options([("", _("Every queue"))] + [(str(q.id), q.name) for q in queues])
    return form


def save(reply: CannedReply, form: CannedReplyForm) -> None:
    with write_transaction():
        reply.title = form.title.data
        reply.body = form.body.data
        reply.locale = form.locale.data or None
        reply.queue_id = int(form.queue.data) if form.queue.data else None
        db.session.add(reply)


def editor(form: CannedReplyForm, reply: CannedReply | None) -> tuple[str, int]:
    html = render_template(
        "desk/staff/canned_form.html", form=form, reply=reply, placeholder_help=PLACEHOLDER_HELP
    )
    return html, 400 if form.errors else 200


@bp.get("/canned")
@admin_required
def canned_replies() -> str:
    replies = db.session.scalars(
        sa.select(CannedReply).order_by(CannedReply.title, CannedReply.id)
    ).all()
    return render_template("desk/staff/canned_list.html", replies=replies, delete_form=DeleteForm())


@bp.route("/canned/new", methods=["GET", "POST"])
@admin_required
def new_canned_reply() -> Response | tuple[str, int]:
    form = editor_form()
    if form.validate_on_submit():
        save(CannedReply(), form)
        flash(_("The canned reply is saved."), "success")
        return redirect(url_for(".canned_replies"))
    return editor(form, None)


def canned_or_404(reply_id: int) -> CannedReply:
    reply = db.session.get(CannedReply, reply_id)
    if reply is None:
        abort(404)
    return reply


@bp.route("/canned/<int:reply_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_canned_reply(reply_id: int) -> Response | tuple[str, int]:
    reply = canned_or_404(reply_id)
    form = editor_form(reply)
    if form.validate_on_submit():
        save(reply, form)
        flash(_("The canned reply is saved."), "success")
        return redirect(url_for(".canned_replies"))
    return editor(form, reply)


@bp.post("/canned/<int:reply_id>/delete")
@admin_required
def delete_canned_reply(reply_id: int) -> Response:
    reply = canned_or_404(reply_id)
    if not DeleteForm().validate_on_submit():
        abort(400)
    title = reply.title
    with write_transaction():
        db.session.delete(reply)
    flash(_("The canned reply “%(title)s” is deleted.", title=title), "success")
    return redirect(url_for(".canned_replies"))
