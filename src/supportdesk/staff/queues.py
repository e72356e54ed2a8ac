"""Queues: the list with counts, and one queue's cases."""

from __future__ import annotations

import sqlalchemy as sa
from flask import render_template
from flask_login import current_user

from ..extensions import db
from ..models import Queue, QueueCount, Status
from ..permissions import may
from . import bp, staff_required

OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.WAITING)


@bp.get("/")
@staff_required
def home():
    queues = [
        q
        for q in db.session.scalars(sa.select(Queue).order_by(Queue.name))
        if may(current_user, "view", q)
    ]
    rows = db.session.execute(
        sa.select(QueueCount.queue_id, sa.func.sum(QueueCount.count))
        .where(QueueCount.status.in_(OPEN_STATUSES))
        .group_by(QueueCount.queue_id)
    ).all()
    counts = {queue_id: int(total or 0) for queue_id, total in rows}
    return render_template("desk/staff/home.html", queues=queues, counts=counts)
