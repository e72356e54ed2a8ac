"""Pages that belong to no feature: the start page, the language switch and the health check."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, jsonify, redirect, render_template, request, session, url_for
from sqlalchemy.exc import SQLAlchemyError

from ..accounts import current_user
from ..extensions import db
from ..i18n import languages
from ..web import is_safe_next

bp = Blueprint("core", __name__)


@bp.get("/")
def home():
    return render_template("desk/home.html")


@bp.post("/language")
def set_language():
    """Remember the chosen language (and keep it on the account), then go back."""
    locale = request.form.get("locale", "")
    if locale not in languages():
        abort(400)
    session["locale"] = locale
    if current_user.is_authenticated:
        current_user.locale = locale
        db.session.commit()
    target = request.form.get("next")
    return redirect(target if is_safe_next(target) else url_for("desk.core.home"))


@bp.get("/health")
def health():
    """For load balancers and process supervisors: 200 when this process can reach the database,
    503 when it cannot. Says nothing else (no versions, no settings)."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        response = jsonify(status="unavailable", database="unreachable")
        response.status_code = 503
    else:
        response = jsonify(status="ok", database="ok")
    response.headers["Cache-Control"] = "no-store"
    return response
