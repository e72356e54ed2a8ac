"""The application factory and the ``SupportDesk`` Flask extension.

``create_app`` builds a standalone desk; ``SupportDesk(app, url_prefix="/support")`` mounts the
same desk inside a marketplace's own Flask application, next to its routes and its login.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import click
from flask import Flask, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader
from werkzeug.middleware.proxy_fix import ProxyFix

from . import core_hooks, rate_limits, sla
from .config import DEFAULT_SECRET_KEY, instance_path_from_env, load_config
from .database import configure_engine
from .extensions import init_extensions
from .i18n import select_locale
from .plugins import PluginHost
from .prefork import share_with_forked_workers
from .ticket_types import TicketType

PACKAGE_DIR = Path(__file__).parent


def core_templates_dir() -> Path:
    """Core templates: inside the package once installed, the top-level folder in a checkout."""
    packaged = PACKAGE_DIR / "templates"
    return packaged if packaged.is_dir() else PACKAGE_DIR.parent.parent / "templates"


class ConfigurationError(RuntimeError):
    """The desk's configuration is not safe or not complete; the message says what to do."""


class SupportDesk:
    """The desk as a Flask extension. State lives in ``app.extensions["supportdesk"]``."""

    def __init__(
        self,
        app: Flask | None = None,
        *,
        url_prefix: str = "",
        instance_path: str | Path | None = None,
    ):
        self.url_prefix = url_prefix.rstrip("/")
        self.instance_path = Path(instance_path).resolve() if instance_path else None
        self.app: Flask | None = None
        self.plugins: PluginHost
        self.ticket_types: dict[str, TicketType] = {}
        self.search_sources: dict[str, Any] = {}
        self.notification_channels: dict[str, Callable[[Any], None]] = {}
        if app is not None:
            self.init_app(app)

    def init_app(
        self, app: Flask, *, standalone: bool = False, config: Mapping[str, Any] | None = None
    ) -> None:
        self.app = app
        self.instance_path = self.instance_path or Path(
            app.config.get("SUPPORTDESK_INSTANCE_PATH") or instance_path_from_env()
        )
        load_config(app.config, self.instance_path, config, standalone=standalone)
        app.config["SUPPORTDESK_INSTANCE_PATH"] = str(self.instance_path)
        self.instance_path.mkdir(parents=True, exist_ok=True)  # as flaskr does: SQLite lives here
        app.config.setdefault("SUPPORTDESK_ATTACHMENT_DIR", str(self.instance_path / "attachments"))
        app.extensions["supportdesk"] = self
        if standalone and _from_cli():
            # `supportdesk init` must run before a secret exists; serving still checks.
            app.before_request(lambda: check_secret(app))
        else:
            check_secret(app)
        check_sla_settings(app)
        check_upload_limits(app)
        check_account_settings(app)
        init_extensions(app, select_locale)
        configure_engine(app)
        from . import accounts, models  # noqa: F401  (tables and login loaders, once)

        self.plugins = PluginHost(app)
        self.plugins.register(core_hooks, name="core")
        self.plugins.load()
        self._register_ticket_types(app)
        self._register_blueprints(app, standalone=standalone)
        from .cli import register_commands

        register_commands(app)
        self.search_sources = {
            source.name: source
            for _plugin, sources in self.plugins.call_startup("register_search_sources", app=app)
            for source in sources or ()
        }
        self._register_notification_channels(app)
        self.plugins.call_startup("register_commands", cli=app.cli)
        self.plugins.call_startup("startup", app=app)
        share_with_forked_workers(app, standalone=standalone)

    def _register_ticket_types(self, app: Flask) -> None:
        for plugin_name, types in self.plugins.call_startup("register_ticket_types", app=app):
            for ttype in types:
                if ttype.key in self.ticket_types:
                    raise ConfigurationError(
                        f"ticket type {ttype.key!r} of plugin {plugin_name!r} is already "
                        f"registered by {self.ticket_types[ttype.key].plugin!r}"
                    )
                self.ticket_types[ttype.key] = dataclasses.replace(ttype, plugin=plugin_name)
        for key, ttype in self.ticket_types.items():
            self.ticket_types[key] = self._extended(ttype)

    def _extended(self, ttype: TicketType) -> TicketType:
        """``ttype`` with the extra fields other plugins add through ``extend_ticket_type``;
        a copy, so a type object a plugin keeps at module level is never changed."""
        fields = list(ttype.extra_fields)
        for plugin_name, extra in self.plugins.call_startup(
            "extend_ticket_type", ticket_type=ttype
        ):
            for spec in extra:
                if any(existing.name == spec.name for existing in fields):
                    raise ConfigurationError(
                        f"plugin {plugin_name!r} adds field {spec.name!r} to ticket type "
                        f"{ttype.key!r}, which already has one of that name"
                    )
                fields.append(spec)
        return dataclasses.replace(ttype, extra_fields=fields)

    def _register_notification_channels(self, app: Flask) -> None:
        for plugin_name, channels in self.plugins.call_startup(
            "register_notification_channels", app=app
        ):
            for channel, deliver in channels.items():
                if channel == "email" or channel in self.notification_channels:
                    raise ConfigurationError(
                        f"notification channel {channel!r} of plugin {plugin_name!r} is taken"
                    )
                self.notification_channels[channel] = deliver

    def _register_blueprints(self, app: Flask, *, standalone: bool) -> None:
        from .web import make_desk_blueprint

        desk = make_desk_blueprint(app, standalone=standalone)
        desk.jinja_loader = self._template_loader()
        for plugin_name, blueprints in self.plugins.call_startup("register_blueprints", app=app):
            for bp in blueprints:
                desk.register_blueprint(bp)
                self.plugins.infos[plugin_name].blueprints.append(f"desk.{bp.name}")
        app.register_blueprint(desk, url_prefix=self.url_prefix or None)

    def _template_loader(self) -> ChoiceLoader:
        """Deployment overrides, then core templates (as ``desk/…``); plugins' come after."""
        overrides = FileSystemLoader(str(self.instance_path / "templates"))
        core = ChoiceLoader([overrides, FileSystemLoader(str(core_templates_dir()))])
        return ChoiceLoader([PrefixLoader({"desk": core}), overrides])


def _from_cli() -> bool:
    """True while a CLI command builds the app: ``init`` must run before a secret exists."""
    return click.get_current_context(silent=True) is not None


def check_secret(app: Flask) -> None:
    """Refuse to serve with the placeholder secret outside debug and testing."""
    if app.debug or app.testing:
        return
    if app.config.get("SECRET_KEY") in (None, "", DEFAULT_SECRET_KEY):
        raise ConfigurationError(
            "SECRET_KEY is not set: run `supportdesk init` (it writes a random one into "
            "instance/config.py) or set SUPPORTDESK_SECRET_KEY."
        )


def check_sla_settings(app: Flask) -> None:
    """Refuse to start with business hours the SLA clocks cannot count on."""
    try:
        sla.check_settings(app.config)
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from exc


def check_account_settings(app: Flask) -> None:
    """Refuse to start with a rate limit or password reset setting the desk cannot use: a bad
    rate would fail at the first request instead, and leave sign-in unprotected."""
    from .accounts import check_reset_settings

    try:
        rate_limits.configure(app.config)
        check_reset_settings(app.config)
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from exc


#: What a form's own fields may take beside its attachments.
FORM_ROOM = 128 * 1024


def check_upload_limits(app: Flask) -> None:
    """A request must be able to carry the attachments a form allows, or sellers would lose
    what they typed to a 413 page."""
    needed = (
        app.config["SUPPORTDESK_MAX_ATTACHMENTS"] * app.config["SUPPORTDESK_ATTACHMENT_MAX_BYTES"]
    )
    allowed = app.config.get("MAX_CONTENT_LENGTH")
    if allowed is not None and allowed < needed + FORM_ROOM:
        raise ConfigurationError(
            f"MAX_CONTENT_LENGTH ({allowed} bytes) is smaller than SUPPORTDESK_MAX_ATTACHMENTS x "
            f"SUPPORTDESK_ATTACHMENT_MAX_BYTES ({needed} bytes) plus {FORM_ROOM // 1024} KB for the form: raise it, "
            "or lower the attachment limits."
        )


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build a standalone desk. ``config`` overrides every other source (tests use it)."""
    instance_path = Path(
        (config or {}).get("SUPPORTDESK_INSTANCE_PATH") or instance_path_from_env()
    )
    app = Flask(
        "supportdesk", instance_path=str(instance_path), static_folder=None, template_folder=None
    )
    SupportDesk(instance_path=instance_path).init_app(app, standalone=True, config=config)
    serve_behind_proxies(app)
    return app


class HttpsAwareSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, the cookie marked ``Secure`` whenever the request came
    over HTTPS (directly, or as a trusted proxy says): it never travels in clear once the
    desk is served over HTTPS, and ``http://localhost`` still signs in.
    ``SESSION_COOKIE_SECURE=True`` marks it on every request."""

    def get_cookie_secure(self, app: Flask) -> bool:
        if app.config["SESSION_COOKIE_SECURE"]:
            return True
        return has_request_context() and request.is_secure


def serve_behind_proxies(app: Flask) -> None:
    """Believe the ``X-Forwarded-For`` and ``X-Forwarded-Proto`` of the
    ``SUPPORTDESK_TRUSTED_PROXIES`` proxies in front of the desk, and mark the session cookie
    ``Secure`` on every request that came over HTTPS. Standalone only: mounted, the host
    application owns its WSGI stack and its session cookie."""
    hops = app.config["SUPPORTDESK_TRUSTED_PROXIES"]
    if isinstance(hops, bool) or not isinstance(hops, int) or hops < 0:
        raise ConfigurationError(
            f"SUPPORTDESK_TRUSTED_PROXIES must be the number of reverse proxies in front of the "
            f"desk (0 when there is none), not {hops!r}"
        )
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    app.session_interface = HttpsAwareSessions()
