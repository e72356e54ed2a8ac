"""Sign-in, sign-out and (when switched on) seller self-registration."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_user, logout_user

from ..accounts import create_user, find_user, login_required, owns_login
from ..extensions import limiter
from ..models import Role
from ..web import is_safe_next
from .forms import RegisterForm, SignInForm

bp = Blueprint("auth", __name__)


def _login_limit() -> str:
    return current_app.config["SUPPORTDESK_LOGIN_RATE_LIMIT"]


def _start_session(user) -> None:
    """Sign in on a fresh session, so that a session id planted before sign-in is worthless."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    login_user(user)


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def sign_in():
    if not owns_login():
        # Mounted in a marketplace that signs people in itself: its sign-in page is the one.
        return current_app.login_manager.unauthorized()
    form = SignInForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = find_user(form.email.data)
        if user is not None and user.active and user.check_password(form.password.data):
            _start_session(user)
            target = form.next.data
            return redirect(target if is_safe_next(target) else url_for("desk.core.home"))
        form.password.errors.append(_("This email address and password do not match an account."))
    return render_template(
        "desk/auth/sign_in.html",
        form=form,
        can_register=current_app.config["SUPPORTDESK_SELF_REGISTRATION"],
    )


@bp.post("/sign-out")
@login_required
def sign_out():
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("desk.core.home"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def register():
    if not current_app.config["SUPPORTDESK_SELF_REGISTRATION"]:
        abort(404)
    form = RegisterForm()
    if form.validate_on_submit():
        if find_user(form.email.data) is not None:
            form.email.errors.append(_("An account with this email address already exists."))
        else:
            user = create_user(
                form.email.data,
                role=Role.SELLER,
                password=form.password.data,
                name=form.name.data,
                locale=session.get("locale"),
            )
            _start_session(user)
            flash(_("Welcome! Your seller account is ready."), "success")
            return redirect(url_for("desk.core.home"))
    return render_template("desk/auth/register.html", form=form)
