"""A desk with the semantic plugin: from its entry point once installed, else registered here."""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points

import pytest
import supportdesk_semantic
from flask import Flask


@pytest.fixture
def semantic_app(make_app) -> Callable[..., Flask]:
    """``semantic_app(enabled=True, sources=[…], **config)``: a desk with the plugin set so."""
    installed = entry_points(group="supportdesk.plugins", name="semantic")

    def build(create_tables: bool = True, config: dict | None = None, **settings) -> Flask:
        options = {"SUPPORTDESK_PLUGIN_SEMANTIC": {"enabled": True, **settings}, **(config or {})}
        plugins = [] if installed else [supportdesk_semantic]
        return make_app(plugins=plugins, create_tables=create_tables, **options)

    return build
