"""Accounts: creating users and API tokens, checking passwords and resetting them, and telling
Flask-Login who is asking."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

import flask_login
import sqlalchemy as sa
from flask import Request, current_app, g, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.local import LocalProxy
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db, login_manager
from .i18n import lazy_gettext as _l
from .models import ApiToken, Queue, Role, User, queue_members, utcnow
from .outbox import enqueue
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


# --- passwords ---------------------------------------------------------------------------------


def _decoy_hash() -> str:
    """A hash of nothing, checked when an address has no account, so that sign-in takes as
    long for an unknown address as for a wrong password (made once per hashing method)."""
    method = current_app.config["SUPPORTDESK_PASSWORD_HASH"]
    decoys = current_app.extensions.setdefault("supportdesk_decoy_hashes", {})
    if method not in decoys:
        decoys[method] = generate_password_hash(secrets.token_hex(16), method=method)
    return decoys[method]


def authenticate(email: str, password: str) -> User | None:
    """The active account with this email address and password, else None. One password hash
    is checked whatever the address, so the time taken tells nothing about the account."""
    user = find_user(email)
    if user is None or not user.password_hash:
        check_password_hash(_decoy_hash(), password)  # as long as checking a real password
        return None
    return user if user.check_password(password) and user.active else None


#: Signs password reset links; the account's own state is added to it (``_reset_signer``).
RESET_SALT = "supportdesk.password-reset"
RESET_PROBLEMS = ("expired", "invalid")


def check_reset_settings(config: Mapping[str, Any]) -> None:
    """``ValueError`` naming the setting when a password reset setting cannot be used."""
    max_age = config.get("SUPPORTDESK_PASSWORD_RESET_MAX_AGE")
    if isinstance(max_age, bool) or not isinstance(max_age, int) or max_age < 1:
        raise ValueError(
            f"SUPPORTDESK_PASSWORD_RESET_MAX_AGE must be a number of seconds above 0, not {max_age!r}"
        )
    base = config.get("SUPPORTDESK_BASE_URL")
    parts = urlsplit(base) if isinstance(base, str) else None
    if base is not None and (
        parts is None or parts.scheme not in ("http", "https") or not parts.netloc or parts.query
    ):
        raise ValueError(
            "SUPPORTDESK_BASE_URL must be the desk's public address such as "
            f"'https://support.example.com', not {base!r}"
        )


def _reset_signer(user: User) -> URLSafeTimedSerializer:
    """A signer whose key includes the account's password hash and address: a new password
    (the link's own use included) or a new address makes every earlier link invalid, so
    links are single-use without being stored."""
    binding = f"{RESET_SALT}:{user.id}:{user.email}:{user.password_hash or ''}"
    return URLSafeTimedSerializer(current_app.secret_key, salt=binding)


def reset_link_minutes() -> int:
    """How long a reset link works, in whole minutes, for the pages and mails that say so."""
    return max(1, current_app.config["SUPPORTDESK_PASSWORD_RESET_MAX_AGE"] // 60)


def password_reset_token(user: User) -> str:
    return _reset_signer(user).dumps(user.id)


def user_for_reset_token(token: str) -> tuple[User | None, str | None]:
    """The account a reset link may set a password for, or None and why: "expired" (too
    old) or "invalid" (forged, used, outdated by a password change, or the account closed)."""
    _signed, user_id = URLSafeTimedSerializer(current_app.secret_key).loads_unsafe(token)
    # Unverified yet: only a plausible id is looked up; the signature is checked next.
    plausible = type(user_id) is int and 0 < user_id < 2**63
    user = db.session.get(User, user_id) if plausible else None
    if user is None or not user.active:
        return None, "invalid"
    try:
        _reset_signer(user).loads(
            token, max_age=current_app.config["SUPPORTDESK_PASSWORD_RESET_MAX_AGE"]
        )
    except SignatureExpired:
        return None, "expired"
    except BadSignature:
        return None, "invalid"
    return user, None


def request_password_reset(email: str, page_url: str) -> None:
    """Queue a reset mail for the active account of ``email``, if there is one; the visitor is
    answered the same either way. The mail's link is made when it is sent
    (:func:`password_reset_link`), so no usable token is ever stored. ``page_url`` is the
    public address of the reset page, which the link extends."""
    user = find_user(email)
    if user is not None and user.active:
        enqueue(
            "password_reset",
            ticket=None,
            recipient=user,
            page=page_url,
            version=user.session_version,
        )
    db.session.commit()


def password_reset_link(user: User | None, payload: Mapping[str, Any]) -> str | None:
    """The link a reset mail carries, signed at sending time; None when the request is stale:
    the account is gone or closed, or its password changed since it was asked for."""
    if user is None or not user.active or payload.get("version") != user.session_version:
        return None
    return f"{payload['page']}/{password_reset_token(user)}"


def reset_password(user: User, password: str, page_url: str) -> None:
    """Set the new password (which ends the account's other sessions and kills every reset
    link) and tell the owner by mail, with the reset page in case it was not them."""
    user.set_password(password)
    enqueue("password_changed", ticket=None, recipient=user, page=page_url)
    db.session.commit()


# --- API tokens ------------------------------------------------------------------------------


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


#: Built once: every signed-in request reads its user (``Session.get`` builds its statement and
#: that statement's cache key each time, a fifth of the read).
_USER_BY_ID = sa.select(User).where(User.id == sa.bindparam("user_id"))
#: An agent's queues, which every staff page asks (the menu, what the agent may see): read by
#: this built statement, they cost half of what the relationship's lazy load did; a seller,
#: who has none, is not asked (a join in the user's read made each of their pages slower).
_QUEUES_OF = (
    sa.select(Queue)
    .join(queue_members, queue_members.c.queue_id == Queue.id)
    .where(queue_members.c.user_id == sa.bindparam("user_id"))
)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """Session ids are ``id:session_version``: a password change signs out other sessions."""
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.scalar(_USER_BY_ID, {"user_id": int(user_id)})
    if user is None or str(user.session_version) != version:
        return None
    if user.role == Role.AGENT and "queues" in sa.inspect(user).unloaded:
        queues = db.session.scalars(_QUEUES_OF, {"user_id": user.id}).all()
        set_committed_value(user, "queues", queues)
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
