"""Password reset: "Forgot your password?" asks for an address, the account's owner gets a link
by mail, the link's page sets the new password and signs them in.

* The answer to the address form is the same whether an account has the address or not (and
  the limits count every address alike), so the page does not tell who has an account.
* The link is signed with a key bound to the account's password hash (``accounts``): it works
  once, for ``SUPPORTDESK_PASSWORD_RESET_MAX_AGE`` seconds, and dies when the password changes.
  It is made when the mail is sent, so the outbox never stores a usable token.
* Setting the password raises the account's session version: every other session of the
  account ends (a remember cookie carries the same version and ends too). API tokens are not
  revoked: they are not derived from the password and are issued by an operator
  (``supportdesk revoke-token``). The owner gets a "your password was changed" mail.
* Accounts that are closed get no mail, and a desk mounted in a marketplace that signs people
  in itself has no password reset (its sign-in is the marketplace's).

Limits: ``SUPPORTDESK_PASSWORD_RESET_RATE_LIMIT`` requests per client address and
``SUPPORTDESK_PASSWORD_RESET_EMAIL_RATE_LIMIT`` per address asked for.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from ..accounts import (
    owns_login,
    request_password_reset,
    reset_link_minutes,
    reset_password,
    user_for_reset_token,
)
from ..extensions import limiter
from ..i18n import gettext as _
from ..rate_limits import email_key
from . import bp, start_session
from .forms import PASSWORD_MIN, NewPasswordForm, PasswordResetForm

#: The link's page must not pass its address (the token) on to another site.
PRIVATE_PAGE = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


def _address_limit() -> str:
    return current_app.config["SUPPORTDESK_PASSWORD_RESET_RATE_LIMIT"]


def _email_limit() -> str:
    return current_app.config["SUPPORTDESK_PASSWORD_RESET_EMAIL_RATE_LIMIT"]


def public_url(endpoint: str) -> str:
    """A page's address for an email: on ``SUPPORTDESK_BASE_URL`` when set. Without it, the
    address the request came to, whose host a client can forge (the ``Host`` header): set it,
    or pin the host at the proxy or with ``TRUSTED_HOSTS``."""
    base = current_app.config["SUPPORTDESK_BASE_URL"]
    if base:
        return base.rstrip("/") + url_for(endpoint)
    return url_for(endpoint, _external=True)


def render_reset_request(
    form: PasswordResetForm, *, code: int = 200, refusal: str | None = None
) -> tuple[str, int]:
    return render_template("desk/auth/password_reset.html", form=form, refusal=refusal), code


@bp.route("/password-reset", methods=["GET", "POST"])
@limiter.limit(_address_limit, scope="address", methods=["POST"])
@limiter.limit(_email_limit, key_func=email_key, scope="email", methods=["POST"])
def password_reset() -> Response | tuple[str, int]:
    if not owns_login():
        return current_app.login_manager.unauthorized()
    form = PasswordResetForm()
    if form.validate_on_submit():
        request_password_reset(form.email.data, public_url(".password_reset"))
        flash(
            _(
                "If an account uses this address, we have sent it a link to choose a new "
                "password. Please check your inbox, and your spam folder."
            ),
            "info",
        )
        return redirect(url_for(".sign_in"), code=303)
    return render_reset_request(form)


@bp.route("/password-reset/<token>", methods=["GET", "POST"])
def choose_password(token: str) -> Response | tuple[str, int, dict[str, str]]:
    if not owns_login():
        return current_app.login_manager.unauthorized()
    user, problem = user_for_reset_token(token)
    if user is None:
        html = render_template(
            "desk/auth/password_reset_link.html",
            expired=problem == "expired",
            minutes=reset_link_minutes(),
        )
        return html, 400, PRIVATE_PAGE
    form = NewPasswordForm()
    if form.validate_on_submit():
        reset_password(user, form.password.data, public_url(".password_reset"))
        start_session(user)
        flash(
            _(
                "Your new password is saved and you are signed in. Any other device that was "
                "signed in to your account is signed out."
            ),
            "success",
        )
        return redirect(url_for("desk.core.home"), code=303)
    html = render_template(
        "desk/auth/choose_password.html", form=form, email=user.email, min_length=PASSWORD_MIN
    )
    return html, 200, PRIVATE_PAGE
