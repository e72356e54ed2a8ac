from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from ..i18n import lazy_gettext as _l


def strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class SignInForm(FlaskForm):
    email = EmailField(
        _l("Email address"), filters=[strip], validators=[DataRequired(), Email(), Length(max=320)]
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=500)])
    next = HiddenField()


#: The shortest password an account may get (at registration and at a reset alike).
PASSWORD_MIN = 10


class NewPasswordForm(FlaskForm):
    """A new password, typed twice: the rules every way of choosing a password shares."""

    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(min=PASSWORD_MIN, max=500)]
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )


class RegisterForm(NewPasswordForm):
    name = StringField(
        _l("Your name or shop name"), filters=[strip], validators=[DataRequired(), Length(max=200)]
    )
    email = EmailField(
        _l("Email address"), filters=[strip], validators=[DataRequired(), Email(), Length(max=320)]
    )


class PasswordResetForm(FlaskForm):
    """The address to send a password reset link to."""

    email = EmailField(
        _l("Email address"), filters=[strip], validators=[DataRequired(), Email(), Length(max=320)]
    )
