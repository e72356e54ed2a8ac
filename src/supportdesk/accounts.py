"""Accounts: creating users and API tokens, and telling Flask-Login who is asking."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any

import flask_login
import sqlalchemy as sa
from flask import Request, current_app, g, request
from flask_babel import lazy_gettext as _l
from werkzeug.local import LocalProxy

from .extensions import db, login_manager
from .models import ApiToken, Queue, Role, User, utcnow
from .plugins import plugin_host

TOKEN_PREFIX = "sdk_"  # noqa: S105 (a marker, not a secret)


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def find_user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def create_user(
    email: str,
    *,
    role: str = Role.SELLER,
    password: str | None = None,
    name: str = "",
    locale: str | None = None,
    queues: list[str] = (),
) -> User:
    """Create an account; raises ``ValueError`` for a taken address or an unknown role."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 320:
        raise ValueError(f"not an email address: {email!r}")
    if role not in set(Role):
        raise ValueError(f"unknown role {role!r}; choose seller, agent or admin")
    if find_user(email) is not None:
        raise ValueError(f"an account already exists for {email}")
    user = User(email=email, role=role, name=name, locale=locale)
    if password:
        user.set_password(password)
    db.session.add(user)
    with db.session.no_autoflush:
        for key in queues:
            queue = db.session.scalar(sa.select(Queue).where(Queue.key == key))
            user.queues.append(queue or Queue(key=key, name=key.replace("_", " ").capitalize()))
    db.session.commit()
    return user


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, *, name: str = "", scope: str = "write") -> str:
    """Issue a bearer token; only its hash is stored, so this is the one time it is seen."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, name=name, scope=scope, token_hash=hash_token(token)))
    db.session.commit()
    return token


def revoke_tokens(user: User, token: str | None = None) -> int:
    """Revoke one of the user's tokens (given in full) or, without one, all of them."""
    query = sa.select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    if token is not None:
        query = query.where(ApiToken.token_hash == hash_token(token))
    rows = list(db.session.scalars(query))
    for row in rows:
        row.revoked_at = utcnow()
    db.session.commit()
    return len(rows)


def user_for_token(token: str) -> User | None:
    row = db.session.scalar(
        sa.select(ApiToken).where(
            ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None)
        )
    )
    if row is None or not row.user.active:
        return None
    row.last_used_at = utcnow()
    db.session.commit()
    return row.user


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """Session ids are ``id:session_version``: a password change signs out other sessions."""
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or str(user.session_version) != version:
        return None
    return user


@login_manager.request_loader
def load_from_request(req: Request) -> User | None:
    """No desk session: a bearer token, else a host marketplace's own signed-in user."""
    header = req.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return user_for_token(header.removeprefix("Bearer ").strip())
    return plugin_host().hook.load_actor(request=request)


login_manager.login_view = "desk.auth.sign_in"
login_manager.login_message = _l("Please sign in to see this page.")
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


class Anonymous(flask_login.AnonymousUserMixin):
    """A visitor who is not signed in, answering the questions the desk asks of a user."""

    id = None
    role = None
    locale = None
    email = ""
    display_name = ""
    is_staff = False
    is_admin = False


login_manager.anonymous_user = Anonymous


def owns_login() -> bool:
    """True when the desk's own Flask-Login manager runs the application's sign-in."""
    return getattr(current_app, "login_manager", None) is login_manager


def _desk_user() -> Any:
    if owns_login():
        return flask_login.current_user._get_current_object()
    # The host application signs people in with its own Flask-Login: its user object is not
    # a desk user, so the desk asks the host's ``load_actor`` implementation, once a request.
    if "supportdesk_actor" not in g:
        g.supportdesk_actor = plugin_host().hook.load_actor(request=request) or Anonymous()
    return g.supportdesk_actor


#: The desk user of this request (an ``Anonymous`` when nobody is signed in). Desk code uses
#: this rather than Flask-Login's, so that it works inside a host with its own Flask-Login.
current_user: Any = LocalProxy(_desk_user)


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Flask-Login's ``login_required`` for desk users: anonymous visitors go to sign-in."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        return view(*args, **kwargs)

    return wrapper
