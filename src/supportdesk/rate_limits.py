"""Abuse limits: their settings, the keys they count by, and the case-filing counters.

Flask-Limiter (``extensions.limiter``) keeps the counters: in memory, per process, by default
(:class:`MemoryCounters`); in Redis when ``SUPPORTDESK_REDIS_URL`` is set, so that every
process counts against one total (``RATELIMIT_KEY_PREFIX`` keeps two desks on one Redis
apart). When Redis stops answering, the limiter falls back to in-memory counters (per process
again) until it answers, and an error while counting is logged, never turned into a 500: an
outage weakens the limits for its duration, it does not take the desk down.

Case filing: a ticket type names its counter (``TicketType.filing_limit``). The plugin's own
form counts through :meth:`FilingLimit.limit`, and ``POST /api/v1/tickets`` counts against the
same counter (:data:`api_filing_limit`): switching from the form to the API does not give a
seller a second allowance.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import g, request
from flask_limiter.util import get_remote_address
from limits import parse_many
from limits.storage import MemoryStorage
from werkzeug.wrappers import Response

from .extensions import limiter

if TYPE_CHECKING:
    from .ticket_types import TicketType

#: The core's rate settings (Flask-Limiter rates such as ``"10 per minute"``).
RATE_SETTINGS = (
    "SUPPORTDESK_LOGIN_RATE_LIMIT",
    "SUPPORTDESK_LOGIN_ACCOUNT_RATE_LIMIT",
    "SUPPORTDESK_PASSWORD_RESET_RATE_LIMIT",
    "SUPPORTDESK_PASSWORD_RESET_EMAIL_RATE_LIMIT",
    "SUPPORTDESK_API_RATE_LIMIT",
)
#: Redis URLs whose client takes the time-outs below (Sentinel, Cluster: RATELIMIT_STORAGE_OPTIONS).
REDIS_SCHEMES = ("redis", "rediss", "redis+unix")
#: Seconds a request waits for Redis before the limiter counts in memory instead: a Redis host
#: that vanished must not hold every request for the system's TCP time-out.
REDIS_TIMEOUT_SECONDS = 1.0


def check_rate(name: str, value: Any, example: str = "5 per hour") -> None:
    """Raise ``ValueError`` naming ``name`` unless ``value`` is a rate such as ``example``."""
    try:
        items = parse_many(value) if isinstance(value, str) else None
    except ValueError:
        items = None
    if not items or any(item.amount < 1 for item in items):
        raise ValueError(f"{name} must be a rate such as {example!r}, not {value!r}")


def require_rate(name: str, value: Any, example: str = "5 per hour") -> None:
    """:func:`check_rate` for a plugin's start-up check: a bad rate stops the start."""
    from .app import ConfigurationError

    try:
        check_rate(name, value, example)
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from exc


#: Set in the WSGI environment of the pages a preforking server's parent answers before its
#: first fork (``prefork.warm_up``): they count against no limit.
WARM_UP = "supportdesk.warm_up"


@limiter.request_filter
def _warming_up() -> bool:
    return bool(request.environ.get(WARM_UP))


def retry_minutes() -> int:
    """Whole minutes (at least 1) until the limit that refused this request lets it through,
    for the message that says when to try again."""
    limit = limiter.current_limit
    seconds = limit.reset_at - time.time() if limit is not None else 60
    return max(1, round(seconds / 60))


class MemoryCounters(MemoryStorage):
    """limits' in-memory counters (``memory://``), expired by the requests that count.

    limits' own starts a timer thread at almost every count to drop expired counters: with
    requests farther apart than the timer's 10 ms, as a worker's filings are, each filing
    started a thread and woke it, some 0.3 ms of the worker's CPU (a twentieth of a filing). A
    counter is read as expired when its window has passed in any case; here the memory of the
    expired ones is given back by a count, at most once every ``SWEEP_SECONDS``."""

    STORAGE_SCHEME = ["supportdesk-memory"]
    SWEEP_SECONDS = 1.0

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._swept = time.monotonic()

    # limits' counting methods call this (its private name) before they count.
    def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now - self._swept >= self.SWEEP_SECONDS:
            self._swept = now
            self._MemoryStorage__expire_events()


def configure(config: MutableMapping[str, Any]) -> None:
    """Check the core's limit settings (``ValueError`` says which one is wrong), count in
    :class:`MemoryCounters` where ``memory://`` is asked, and give a Redis storage its
    time-outs, before the limiter is bound to the application."""
    for name in RATE_SETTINGS:
        check_rate(name, config.get(name))
    prefix = config.get("RATELIMIT_KEY_PREFIX")
    if not isinstance(prefix, str):
        raise ValueError(f"RATELIMIT_KEY_PREFIX must be a string, not {prefix!r}")
    uri = str(config.get("RATELIMIT_STORAGE_URI") or "")
    if uri.startswith("memory://"):
        uri = config["RATELIMIT_STORAGE_URI"] = "supportdesk-" + uri
    if uri.partition("://")[0] in REDIS_SCHEMES:
        options = dict(config.get("RATELIMIT_STORAGE_OPTIONS") or {})
        options.setdefault("socket_connect_timeout", REDIS_TIMEOUT_SECONDS)
        options.setdefault("socket_timeout", REDIS_TIMEOUT_SECONDS)
        config["RATELIMIT_STORAGE_OPTIONS"] = options


# --- what the limits count by ----------------------------------------------------------------


def client_address() -> str:
    """The address the request came from; behind reverse proxies, the one their
    ``X-Forwarded-For`` gives when ``SUPPORTDESK_TRUSTED_PROXIES`` says to believe them."""
    return get_remote_address() or "unknown"


def seller_key() -> str:
    """Per seller, whatever address they come from; a visitor who is not signed in, per
    address."""
    from .accounts import current_user

    if current_user.is_authenticated:
        return f"seller:{current_user.id}"
    return f"address:{client_address()}"


def email_key() -> str:
    """Per email address typed in the form (normalised), whether an account has it or not: the
    limit must not tell which addresses have an account."""
    from .accounts import normalise_email

    return f"email:{normalise_email(request.form.get('email', ''))[:320]}"


# --- case filing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FilingLimit:
    """How many cases one seller may file on one counter, whatever way they file them.

    ``counter`` names the counter (types naming the same one share it); ``rate`` returns a
    Flask-Limiter rate such as ``"5 per hour"``, read at each request so the setting decides.
    """

    counter: str
    rate: Callable[[], str]

    @property
    def scope(self) -> str:
        return f"supportdesk-filing:{self.counter}"

    def limit(
        self,
        *,
        filed: Callable[[Response], bool],
        exempt_when: Callable[[], bool] | None = None,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator for a view that files cases: its POSTs answer 429 once the seller has
        filed ``rate`` cases. Only a request for which ``filed(response)`` is true counts, so a
        form refused for an error costs nothing."""
        return limiter.shared_limit(
            self.rate,
            scope=self.scope,
            key_func=seller_key,
            methods=["POST"],
            deduct_when=filed,
            exempt_when=exempt_when,
        )


def _posted_type_limit() -> FilingLimit | None:
    """The filing limit of the type an API request asks to open, if it has one."""
    from .ticket_types import ticket_types

    data = request.get_json(silent=True)
    key = data.get("type") if isinstance(data, Mapping) else None
    ttype: TicketType | None = ticket_types().get(key) if isinstance(key, str) else None
    if ttype is None or ttype.own_intake:
        return None  # the view refuses the request: nothing to count
    return ttype.filing_limit


def _api_rate() -> str:
    found = _posted_type_limit()
    # Exempt below when there is no limit; Flask-Limiter still asks for a rate first.
    return found.rate() if found is not None else "1 per second"


def _api_scope(endpoint: str) -> str:
    found = _posted_type_limit()
    return found.scope if found is not None else f"{endpoint}:no-filing-limit"


def mark_filed() -> None:
    """Tell :data:`api_filing_limit` that this request opened a case."""
    g.supportdesk_case_filed = True


#: Decorator for ``POST /api/v1/tickets``: the case counts against its type's counter, the same
#: one the type's web form uses; only a case actually opened counts.
api_filing_limit: Callable[[Callable[..., Any]], Callable[..., Any]] = limiter.shared_limit(
    _api_rate,
    scope=_api_scope,
    key_func=seller_key,
    methods=["POST"],
    exempt_when=lambda: _posted_type_limit() is None,
    deduct_when=lambda response: bool(g.get("supportdesk_case_filed")),
)
