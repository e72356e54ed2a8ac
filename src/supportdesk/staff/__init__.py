"""The staff side of the desk: the queues they work."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from ..extensions import db
from ..models import Queue, Status, Ticket
from ..permissions import may, visible_tickets

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.get("/")
@login_required
def home():
    if not may(current_user, "view", "staff"):
        abort(403)
    open_statuses = [Status.NEW, Status.OPEN, Status.WAITING]
    visible = visible_tickets(current_user).where(Ticket.status.in_(open_statuses)).subquery()
    counts = dict(
        db.session.execute(
            sa.select(visible.c.queue_id, sa.func.count()).group_by(visible.c.queue_id)
        ).all()
    )
    queues = [
        q
        for q in db.session.scalars(sa.select(Queue).order_by(Queue.name))
        if may(current_user, "view", q)
    ]
    return render_template("desk/staff/home.html", queues=queues, counts=counts)
