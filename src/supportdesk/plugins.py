"""The plugin host: one pluggy manager per application, kept in ``app.extensions``.

Plugins come from the ``supportdesk.plugins`` entry-point group (the built-in ones too) and from
``SUPPORTDESK_EXTRA_PLUGINS`` (import paths). ``SUPPORTDESK_PLUGINS`` (allow list) and
``SUPPORTDESK_DISABLED_PLUGINS`` (deny list) choose among them. A plugin that fails to import or
to register is reported by name and skipped; with ``SUPPORTDESK_STRICT_PLUGINS`` it is raised.
"""

from __future__ import annotations

import difflib
import importlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any

import pluggy
from flask import Flask, current_app

from . import hookspecs

ENTRY_POINT_GROUP = "supportdesk.plugins"
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

    @property
    def status(self) -> str:
        if self.disabled:
            return "disabled"
        return "failed" if self.error else "loaded"


class PluginHost:
    """Loads plugins for one application and calls their hooks."""

    def __init__(self, app: Flask):
        self.app = app
        self.strict = bool(app.config["SUPPORTDESK_STRICT_PLUGINS"])
        self.pm = pluggy.PluginManager("supportdesk")
        self.pm.add_hookspecs(hookspecs)
        self.infos: dict[str, PluginInfo] = {}

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
        plugin's name and skipped, and the others still run. Returns the non-None results."""
        caller = getattr(self.pm.hook, hook_name)
        results = []
        for impl in reversed(caller.get_hookimpls()):
            try:
                result = impl.function(*[kwargs[arg] for arg in impl.argnames])
            except Exception:
                log.exception("plugin %s failed in hook %s", impl.plugin_name, hook_name)
                continue
            if result is not None:
                results.append(result)
        return results

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


def hook() -> Any:
    """Shortcut for the current application's hook relay: ``hook().menu_links(...)``."""
    return plugin_host().hook
