"""Sign-in, sign-out, password reset (:mod:`.password_reset`) and, when switched on, seller
self-registration.

Abuse limits: sign-in and registration attempts per client address
(``SUPPORTDESK_LOGIN_RATE_LIMIT``), failed sign-ins per account, from any number of addresses
(``SUPPORTDESK_LOGIN_ACCOUNT_RATE_LIMIT``, keyed by the email address typed, whether an account
has it or not). Over a limit the form is shown again with the address typed (never the
password), when to try again, a 429 and ``Retry-After``.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import ngettext
from flask_login import login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from ..accounts import authenticate, create_user, find_user, login_required, owns_login
from ..extensions import db, limiter
from ..i18n import gettext as _
from ..models import Role, User
from ..rate_limits import email_key, retry_minutes
from ..web import is_safe_next, render_error
from .forms import PasswordResetForm, RegisterForm, SignInForm

bp = Blueprint("auth", __name__)


def _login_limit() -> str:
    return current_app.config["SUPPORTDESK_LOGIN_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["SUPPORTDESK_LOGIN_ACCOUNT_RATE_LIMIT"]


def _sign_in_failed(response: Response) -> bool:
    """Only a wrong address or password counts against the account: its owner signing in
    several times a day does not lock the account."""
    return bool(g.get("sign_in_failed"))


def start_session(user: User) -> None:
    """Sign in on a fresh session, so that a session id planted before sign-in is worthless."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
        if not user.locale:
            # The language chosen before signing in becomes the account's, as on registering:
            # the desk's emails to this person follow it.
            user.locale = locale
            db.session.commit()
    login_user(user)


def render_sign_in(
    form: SignInForm, *, code: int = 200, refusal: str | None = None
) -> tuple[str, int]:
    html = render_template(
        "desk/auth/sign_in.html",
        form=form,
        can_register=current_app.config["SUPPORTDESK_SELF_REGISTRATION"],
        refusal=refusal,
    )
    return html, code


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(
    _account_limit,
    key_func=email_key,
    scope="account",
    methods=["POST"],
    deduct_when=_sign_in_failed,
)
def sign_in() -> Response | tuple[str, int]:
    if not owns_login():
        # Mounted in a marketplace that signs people in itself: its sign-in page is the one.
        return current_app.login_manager.unauthorized()
    form = SignInForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            start_session(user)
            target = form.next.data
            return redirect(target if is_safe_next(target) else url_for("desk.core.home"))
        g.sign_in_failed = True
        form.password.errors.append(_("This email address and password do not match an account."))
    return render_sign_in(form)


@bp.post("/sign-out")
@login_required
def sign_out() -> Response:
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("desk.core.home"))


def render_register(
    form: RegisterForm, *, code: int = 200, refusal: str | None = None
) -> tuple[str, int]:
    return render_template("desk/auth/register.html", form=form, refusal=refusal), code


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def register() -> Response | tuple[str, int]:
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
            start_session(user)
            flash(_("Welcome! Your seller account is ready."), "success")
            return redirect(url_for("desk.core.home"))
    return render_register(form)


def wait_message() -> str:
    """How long to wait before trying again, from the limit that refused the request."""
    minutes = retry_minutes()
    return ngettext(
        "You have made too many attempts in a short time. Please try again in %(num)d minute.",
        "You have made too many attempts in a short time. Please try again in %(num)d minutes.",
        minutes,
    )


@bp.errorhandler(429)
def too_many_attempts(error: HTTPException) -> Any:
    """Over a limit: the form again, with the address typed but never a password, and when
    to try again (Flask-Limiter adds ``Retry-After``)."""
    pages = {
        "desk.auth.sign_in": (SignInForm, render_sign_in),
        "desk.auth.register": (RegisterForm, render_register),
        "desk.auth.password_reset": (PasswordResetForm, password_reset.render_reset_request),
    }
    if request.endpoint not in pages:
        return render_error(error)
    form_class, render = pages[request.endpoint]
    form: FlaskForm = form_class()  # bound to what was posted: the address is kept
    return render(form, code=429, refusal=wait_message())


from . import password_reset  # noqa: E402  (adds the password reset pages to ``bp``)
