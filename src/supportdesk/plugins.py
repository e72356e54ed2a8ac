"""The plugin host: one pluggy manager per application, kept in ``app.extensions``.

Plugins come from the ``supportdesk.plugins`` entry-point group (the built-in ones too) and from
``SUPPORTDESK_EXTRA_PLUGINS`` (import paths). ``SUPPORTDESK_PLUGINS`` (allow list) and
``SUPPORTDESK_DISABLED_PLUGINS`` (deny list) choose among them. A plugin that fails to import or
to register is reported by name and skipped; with ``SUPPORTDESK_STRICT_PLUGINS`` it is raised.

A plugin whose event hooks or slots keep raising is paused (those hooks are skipped) after
``SUPPORTDESK_PLUGIN_FAILURE_LIMIT`` failures in a row, for the life of the process: one broken
plugin must not fill the log on every page and every case. A success resets the count.
"""

from __future__ import annotations

import difflib
import importlib
import logging
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any

import pluggy
from flask import Flask, current_app

from . import hookspecs
from .config import parse_env_value

ENTRY_POINT_GROUP = "supportdesk.plugins"
#: Isolated hooks that count towards pausing a plugin that keeps failing.
PAUSABLE_HOOKS = frozenset({"ticket_opened", "ticket_changed", "message_added", "template_slot"})
log = logging.getLogger(__name__)


class PluginError(RuntimeError):
    """A plugin could not be loaded or registered (raised in strict mode)."""


@dataclass
class PluginInfo:
    """What ``supportdesk plugins`` and the admin page show about one plugin."""

    name: str
    version: str = ""
    source: str = ""
    module: str = ""
    hooks: list[str] = field(default_factory=list)
    blueprints: list[str] = field(default_factory=list)
    error: str | None = None
    disabled: bool = False
    # Failures in a row of each event hook and slot (``template_slot:<slot>``), the last
    # error, and whether its event hooks and slots are paused.
    failures_in_a_row: dict[str, int] = field(default_factory=dict)
    last_error: str | None = None
    paused: bool = False

    @property
    def status(self) -> str:
        if self.disabled:
            return "disabled"
        return "failed" if self.error else "loaded"

    @property
    def failures(self) -> int:
        """The longest current run of failures of one of its event hooks or slots."""
        return max(self.failures_in_a_row.values(), default=0)

    @property
    def health(self) -> str:
        """``ok``, or why its event hooks and slots are skipped in this process."""
        if self.paused:
            return f"paused after {self.failures} failures: last error {self.last_error}"
        return "ok"

    def as_dict(self) -> dict[str, Any]:
        return {
            **vars(self),
            "failures": self.failures,
            "status": self.status,
            "health": self.health,
        }


class PluginHost:
    """Loads plugins for one application and calls their hooks."""

    def __init__(self, app: Flask):
        self.app = app
        self.strict = bool(app.config["SUPPORTDESK_STRICT_PLUGINS"])
        self.pm = pluggy.PluginManager("supportdesk")
        self.pm.add_hookspecs(hookspecs)
        self.infos: dict[str, PluginInfo] = {}
        self.failure_limit = int(app.config["SUPPORTDESK_PLUGIN_FAILURE_LIMIT"] or 0)
        self._health_lock = threading.Lock()

    @property
    def hook(self) -> Any:
        return self.pm.hook

    # --- loading -------------------------------------------------------------------------------

    def load(self) -> None:
        """Discover, filter and register every plugin, then check their hook names."""
        allowed = self.app.config["SUPPORTDESK_PLUGINS"]
        denied = set(self.app.config["SUPPORTDESK_DISABLED_PLUGINS"] or ())
        for name, info, loader in self._candidates():
            if name in self.infos and self.infos[name].status == "loaded":
                self._fail(info, f"another plugin is already registered as {name!r}")
                continue
            self.infos[name] = info
            if name in denied or (allowed is not None and name not in allowed):
                info.disabled = True
                continue
            try:
                self.register(loader(), name=name, info=info)
            except Exception as exc:  # the desk stays up without this plugin
                self._fail(info, f"{type(exc).__name__}: {exc}", exc)
        self.check_pending()

    def _candidates(self) -> Iterable[tuple[str, PluginInfo, Callable[[], Any]]]:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            dist = ep.dist
            info = PluginInfo(
                name=ep.name,
                version=dist.version if dist else "",
                source="built-in"
                if dist and dist.name == "supportdesk"
                else (dist.name if dist else "?"),
                module=ep.value,
            )
            yield ep.name, info, ep.load
        for entry in self.app.config["SUPPORTDESK_EXTRA_PLUGINS"] or ():
            if isinstance(entry, str):
                name = entry.rsplit(".", 1)[-1]
                info = PluginInfo(name=name, source="configuration", module=entry)
                yield name, info, lambda path=entry: importlib.import_module(path)
            else:  # a module or object handed over by code (tests, embedding applications)
                name = getattr(entry, "name", None) or getattr(
                    entry, "__name__", type(entry).__name__
                )
                info = PluginInfo(
                    name=name, source="configuration", module=str(getattr(entry, "__name__", ""))
                )
                yield name, info, lambda obj=entry: obj

    def register(
        self, plugin: Any, name: str | None = None, info: PluginInfo | None = None
    ) -> None:
        """Register a module or object as a plugin (tests and embedding code call this too)."""
        name = name or getattr(plugin, "__name__", None) or type(plugin).__name__
        info = info or self.infos.get(name) or PluginInfo(name=name, source="registered")
        info.module = info.module or getattr(plugin, "__name__", "")
        info.version = info.version or str(getattr(plugin, "__version__", ""))
        self.infos[name] = info
        self.pm.register(plugin, name=name)
        info.hooks = sorted(c.name for c in self.pm.get_hookcallers(plugin) or ())

    def unregister(self, name: str) -> None:
        if self.pm.has_plugin(name):
            self.pm.unregister(name=name)

    def check_pending(self) -> None:
        """Find implementations of hooks that do not exist (a misspelt name) and reject them.

        pluggy's own ``check_pending`` stops at the first; this one names each plugin and the
        hook it probably meant, and unregisters it (strict mode raises).
        """
        callers = dict(vars(self.pm.hook))
        known = [name for name, caller in callers.items() if caller.spec is not None]
        for caller_name, caller in callers.items():
            if caller.spec is not None:
                continue
            for impl in caller.get_hookimpls():
                if impl.optionalhook:
                    continue
                guess = difflib.get_close_matches(caller_name, known, n=1)
                hint = f"; did you mean {guess[0]!r}?" if guess else ""
                info = self.infos.setdefault(impl.plugin_name, PluginInfo(name=impl.plugin_name))
                self._fail(info, f"unknown hook {caller_name!r}{hint}")
                self.unregister(impl.plugin_name)

    def _fail(self, info: PluginInfo, message: str, exc: BaseException | None = None) -> None:
        info.error = message
        log.error("plugin %s failed: %s", info.name, message, exc_info=exc)
        if self.strict:
            raise PluginError(f"plugin {info.name!r}: {message}") from exc

    # --- calling -------------------------------------------------------------------------------

    def call_isolated(self, hook_name: str, **kwargs: Any) -> list[Any]:
        """Call every implementation of a hook on its own: one that raises is logged with its
        plugin's name and skipped, and the others still run. Returns the non-None results.

        For event hooks and slots, a plugin paused after too many failures is not called."""
        caller = getattr(self.pm.hook, hook_name)
        # A slot is counted on its own: a plugin failing on one page and quiet on the others
        # must not reset its own count with every page footer.
        counter = f"{hook_name}:{kwargs['slot']}" if hook_name == "template_slot" else hook_name
        counted = hook_name in PAUSABLE_HOOKS
        results = []
        for impl in reversed(caller.get_hookimpls()):
            info = self.infos.get(impl.plugin_name)
            if counted and info is not None and info.paused:
                continue
            try:
                result = impl.function(*[kwargs[arg] for arg in impl.argnames])
            except Exception as exc:
                log.exception("plugin %s failed in hook %s", impl.plugin_name, hook_name)
                if counted and info is not None:
                    self._count_failure(info, counter, exc)
                continue
            if counted and info is not None and info.failures_in_a_row.get(counter):
                with self._health_lock:
                    info.failures_in_a_row[counter] = 0
            if result is not None:
                results.append(result)
        return results

    def _count_failure(self, info: PluginInfo, counter: str, exc: Exception) -> None:
        with self._health_lock:
            info.failures_in_a_row[counter] = info.failures_in_a_row.get(counter, 0) + 1
            info.last_error = f"{counter}: {type(exc).__name__}: {exc}"
            if self.failure_limit and info.failures >= self.failure_limit and not info.paused:
                info.paused = True
                log.error(
                    "plugin %s paused after %d failures in a row: its event hooks and slots "
                    "are skipped until the desk restarts",
                    info.name,
                    info.failures,
                )

    def call_startup(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call a start-up hook plugin by plugin: a plugin that raises is reported and
        unregistered (strict mode raises). Returns ``(plugin name, result)`` pairs."""
        caller = getattr(self.pm.hook, hook_name)
        results = []
        for impl in reversed(caller.get_hookimpls()):
            try:
                result = impl.function(*[kwargs[arg] for arg in impl.argnames])
            except Exception as exc:
                info = self.infos.setdefault(impl.plugin_name, PluginInfo(name=impl.plugin_name))
                self._fail(info, f"{hook_name}: {type(exc).__name__}: {exc}", exc)
                self.unregister(impl.plugin_name)
                continue
            if result is not None:
                results.append((impl.plugin_name, result))
        return results

    def plugin_name_of(self, plugin: ModuleType | Any) -> str | None:
        return self.pm.get_name(plugin)

    def loaded(self) -> list[PluginInfo]:
        return sorted(self.infos.values(), key=lambda i: i.name)


def plugin_host(app: Flask | None = None) -> PluginHost:
    """The plugin host of ``app`` (default: the current application)."""
    return (app or current_app).extensions["supportdesk"].plugins


def plugin_config(
    app: Flask, name: str, defaults: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The settings of plugin ``name``: ``defaults``, then ``app.config["SUPPORTDESK_PLUGIN_<NAME>"]``
    (a dict), then one environment variable per key, ``SUPPORTDESK_PLUGIN_<NAME>_<KEY>``, so
    secrets stay out of configuration files. An environment value is kept as a string when the
    setting is a string or None (a secret of digits stays a string), else read as JSON."""
    prefix = f"SUPPORTDESK_PLUGIN_{name.upper()}"
    settings = {**(defaults or {}), **(app.config.get(prefix) or {})}
    for key in list(settings):
        raw = os.environ.get(f"{prefix}_{key.upper()}")
        if raw is not None:
            plain = settings[key] is None or isinstance(settings[key], str)
            settings[key] = raw if plain else parse_env_value(raw)
    return settings


def hook() -> Any:
    """Shortcut for the current application's hook relay: ``hook().menu_links(...)``."""
    return plugin_host().hook
