"""The contract's reference page: generated, current, and every hook documented and tested."""

from __future__ import annotations

import re
from pathlib import Path

import supportdesk
from supportdesk import hookdocs, hookspecs

ROOT = Path(__file__).resolve().parents[2]
HOOKS_PAGE = ROOT / "docs" / "hooks.md"


def test_hooks_version_is_exported():
    assert supportdesk.HOOKS_VERSION == hookspecs.HOOKS_VERSION
    assert re.fullmatch(r"\d+\.\d+", supportdesk.HOOKS_VERSION)


def test_the_reference_page_is_current():
    assert HOOKS_PAGE.read_text() == hookdocs.render(), (
        "docs/hooks.md is stale: run `python -m supportdesk.hookdocs > docs/hooks.md`"
    )


def test_every_hook_has_a_docstring_and_typed_arguments():
    names = []
    for name, function, _options in hookdocs.hook_specs():
        names.append(name)
        assert (function.__doc__ or "").strip(), f"hook {name} has no docstring"
        assert "Failure" in function.__doc__, f"hook {name} does not say how a failure is handled"
        annotations = function.__annotations__
        assert "return" in annotations, f"hook {name} has no return type"
        assert set(annotations) - {"return"} == set(
            function.__code__.co_varnames[: function.__code__.co_argcount]
        )
    assert len(names) == len(set(names))
    assert {"extend_ticket_type", "register_notification_channels"} <= set(names)


def _test_sources() -> str:
    files = [*ROOT.glob("tests/**/*.py"), *ROOT.glob("plugins/*/tests/**/*.py")]
    return "\n".join(
        path.read_text() for path in files if path.resolve() != Path(__file__).resolve()
    )


def test_every_hook_is_exercised_by_a_test():
    sources = _test_sources()
    missing = [
        name
        for name, _function, _options in hookdocs.hook_specs()
        if not re.search(rf"\b{name}\b", sources)
    ]
    assert missing == [], f"hooks no test mentions: {', '.join(missing)}"
