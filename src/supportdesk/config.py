"""Configuration: defaults < ``instance/config.py`` < ``SUPPORTDESK_*`` environment variables.

The desk's own settings are named ``SUPPORTDESK_*`` in ``app.config`` so that they never clash
with a host application's settings when the desk is mounted inside it. The environment variable
``SUPPORTDESK_NAME`` sets the key ``SUPPORTDESK_NAME``, or the Flask/extension key ``NAME`` when
``NAME`` is one the desk sets a default for (``SUPPORTDESK_SECRET_KEY`` sets ``SECRET_KEY``).
``SUPPORTDESK_DATABASE_URL`` and ``SUPPORTDESK_REDIS_URL`` are spelled for operators.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: The placeholder secret; outside debug and testing the desk refuses to serve with it.
DEFAULT_SECRET_KEY = "supportdesk-insecure-default-key"  # noqa: S105 (refused at start)

#: Flask and extension settings that the desk gives a default for.
FRAMEWORK_DEFAULTS: dict[str, Any] = {
    "SECRET_KEY": DEFAULT_SECRET_KEY,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    # Room for the most attachments at their largest, plus the form itself (checked at start).
    "MAX_CONTENT_LENGTH": 60 * 1024 * 1024,
    "WTF_CSRF_ENABLED": True,
    "WTF_CSRF_TIME_LIMIT": None,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    # Names the desk's counters in a shared Redis, apart from another desk's on the same one.
    "RATELIMIT_KEY_PREFIX": "supportdesk",
    # Redis down: count in memory, per process, until it answers; never a 500 for a counter.
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    "RATELIMIT_SWALLOW_ERRORS": True,
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    "BABEL_DEFAULT_LOCALE": "en",
    "BABEL_DEFAULT_TIMEZONE": "UTC",
}

#: The desk's own settings and their defaults.
DESK_DEFAULTS: dict[str, Any] = {
    # Plugins: None loads every installed plugin; a list names the only ones to load.
    "SUPPORTDESK_PLUGINS": None,
    "SUPPORTDESK_DISABLED_PLUGINS": [],
    # Import paths of plugin modules to register without packaging them.
    "SUPPORTDESK_EXTRA_PLUGINS": [],
    # Re-raise a plugin's failure to load instead of reporting it and going on.
    "SUPPORTDESK_STRICT_PLUGINS": False,
    # Failures in a row after which a plugin's event hooks and slots are skipped until the
    # process restarts; 0 never pauses.
    "SUPPORTDESK_PLUGIN_FAILURE_LIMIT": 5,
    "SUPPORTDESK_SELF_REGISTRATION": False,
    # Reverse proxies in front of the desk whose X-Forwarded-For and X-Forwarded-Proto headers
    # are believed (the client's address for rate limits, HTTPS for Secure cookies); with 0,
    # nobody's: anyone can send those headers.
    "SUPPORTDESK_TRUSTED_PROXIES": 0,
    # Sign-in and registration attempts per client address.
    "SUPPORTDESK_LOGIN_RATE_LIMIT": "10 per minute",
    # Failed sign-ins per account (by email address), from any number of addresses.
    "SUPPORTDESK_LOGIN_ACCOUNT_RATE_LIMIT": "20 per hour",
    # Password reset requests per client address, and per email address asked for.
    "SUPPORTDESK_PASSWORD_RESET_RATE_LIMIT": "10 per hour",
    "SUPPORTDESK_PASSWORD_RESET_EMAIL_RATE_LIMIT": "3 per hour",
    # Seconds a password reset link works; it also dies once used or once the password changes.
    "SUPPORTDESK_PASSWORD_RESET_MAX_AGE": 3600,
    # The desk's public address (scheme and host, e.g. "https://support.example.com"), for the
    # links in emails; None: the address the request came to, which a client can forge.
    "SUPPORTDESK_BASE_URL": None,
    # Requests to /api/v1 per token (or signed-in user), across every API operation.
    "SUPPORTDESK_API_RATE_LIMIT": "120 per minute",
    # Werkzeug's password hashing method; tests choose a cheap one.
    "SUPPORTDESK_PASSWORD_HASH": "scrypt",
    "SUPPORTDESK_LANGUAGES": ["en", "fr"],
    # The name in the page header; None shows "Seller support" in the visitor's language.
    "SUPPORTDESK_SITE_NAME": None,
    "SUPPORTDESK_SQLITE_BUSY_TIMEOUT_MS": 15000,
    # A preforking server's parent answers a few pages that only read before its first fork
    # (prefork.warm_up): its workers share what those built.
    "SUPPORTDESK_WARM_UP_WORKERS": True,
    # The page cache of each SQLite connection, in KiB (see database._configure_sqlite).
    "SUPPORTDESK_SQLITE_CACHE_KIB": 512,
    "SUPPORTDESK_ATTACHMENT_MAX_BYTES": 10 * 1024 * 1024,
    # How many files one message may carry.
    "SUPPORTDESK_MAX_ATTACHMENTS": 5,
    # Rows per page of a case list.
    "SUPPORTDESK_PAGE_SIZE": 25,
    # When the SLA clocks run: {"timezone", "days" (0 = Monday), "start", "end", "holidays"}.
    "SUPPORTDESK_BUSINESS_HOURS": {
        "timezone": "Europe/Paris",
        "days": [0, 1, 2, 3, 4],
        "start": "09:00",
        "end": "18:00",
        "holidays": [],
    },
    # An SLA deadline this close is shown as "due soon" in the queues.
    "SUPPORTDESK_DUE_SOON_HOURS": 4,
    "SUPPORTDESK_MAIL_FROM": "support@localhost",
    # Outgoing mail, sent by `supportdesk worker`. TLS: "none", "starttls" or "ssl".
    "SUPPORTDESK_SMTP_HOST": "localhost",
    "SUPPORTDESK_SMTP_PORT": 25,
    "SUPPORTDESK_SMTP_TLS": "none",
    "SUPPORTDESK_SMTP_USERNAME": None,
    # Keep it out of config files: set the environment variable SUPPORTDESK_SMTP_PASSWORD.
    "SUPPORTDESK_SMTP_PASSWORD": None,
    # Seconds to wait for the SMTP server; keep it well below the outbox lease.
    "SUPPORTDESK_SMTP_TIMEOUT": 30,
    # The right-hand side of Message-IDs; None: the domain of SUPPORTDESK_MAIL_FROM.
    "SUPPORTDESK_MAIL_DOMAIN": None,
    # Where replies go, with a signed case token as plus part (support+SD-…@example.com);
    # None: SUPPORTDESK_MAIL_FROM. Route it to `supportdesk ingest-email`.
    "SUPPORTDESK_REPLY_ADDRESS": None,
    # A notification is given up ("failed", shown to admins) after this many attempts.
    "SUPPORTDESK_OUTBOX_MAX_ATTEMPTS": 8,
    # How long a worker holds the rows it took; a worker that dies lets them go after this.
    "SUPPORTDESK_OUTBOX_LEASE_SECONDS": 300,
    # The first retry waits about this long, each next one twice as long, up to the maximum.
    "SUPPORTDESK_OUTBOX_BACKOFF_SECONDS": 60,
    "SUPPORTDESK_OUTBOX_BACKOFF_MAX_SECONDS": 6 * 3600,
    # Inbound mail: the kind of case a known seller's mail without a case token opens;
    # None answers such mail with a pointer to the desk instead.
    "SUPPORTDESK_MAIL_NEW_CASE_TYPE": "contact",
    # At most one automatic answer per address in this many seconds, so no mail loop starts.
    "SUPPORTDESK_MAIL_ANSWER_INTERVAL_SECONDS": 3600,
}

ALIASES = {
    "SUPPORTDESK_DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "SUPPORTDESK_REDIS_URL": "RATELIMIT_STORAGE_URI",
}

INSTANCE_ENV = "SUPPORTDESK_INSTANCE"
#: Framework settings read from the environment as they are written, never as JSON.
RAW_STRINGS = ("SECRET_KEY", "RATELIMIT_KEY_PREFIX")


def instance_path_from_env() -> Path:
    """The instance folder: ``$SUPPORTDESK_INSTANCE``, else ``./instance``."""
    return Path(os.environ.get(INSTANCE_ENV) or "instance").resolve()


def default_database_uri(instance_path: Path) -> str:
    return f"sqlite:///{instance_path / 'supportdesk.db'}"


def parse_env_value(raw: str) -> Any:
    """Read ``true``, numbers and JSON lists as such; anything else stays a string."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def settings_from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    """The configuration keys that ``SUPPORTDESK_*`` environment variables set."""
    settings: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith("SUPPORTDESK_") or name in (
            INSTANCE_ENV,
            "SUPPORTDESK_TEST_DATABASE_URL",
        ):
            continue
        bare = name.removeprefix("SUPPORTDESK_")
        if name in ALIASES:
            settings[ALIASES[name]] = raw
        elif bare in FRAMEWORK_DEFAULTS:
            settings[bare] = raw if bare in RAW_STRINGS else parse_env_value(raw)
        else:
            settings[name] = parse_env_value(raw)
    return settings


def load_config(
    config: dict[str, Any],
    instance_path: Path,
    overrides: Mapping[str, Any] | None = None,
    *,
    standalone: bool = True,
) -> None:
    """Fill ``config`` in load order; ``overrides`` (a test's or a caller's dict) come last.

    Standalone, the desk's framework defaults replace Flask's; mounted in a host application
    they only fill what the host left unset, so the host keeps its own cookie and size settings.
    """
    for key, value in FRAMEWORK_DEFAULTS.items():
        if standalone or config.get(key) is None:
            config[key] = value
    for key, value in DESK_DEFAULTS.items():
        config.setdefault(key, value)
    config.setdefault("SQLALCHEMY_DATABASE_URI", default_database_uri(instance_path))
    instance_file = instance_path / "config.py"
    if instance_file.is_file():
        namespace: dict[str, Any] = {"__file__": str(instance_file)}
        exec(compile(instance_file.read_bytes(), str(instance_file), "exec"), namespace)  # noqa: S102 (the operator's own config file, as Flask's from_pyfile)  # nosec B102
        config.update({k: v for k, v in namespace.items() if k.isupper()})
    config.update(settings_from_env(os.environ))
    if overrides:
        config.update(overrides)
