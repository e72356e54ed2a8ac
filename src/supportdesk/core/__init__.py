"""Pages that belong to no feature: the start page and the language switch."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, session, url_for

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
