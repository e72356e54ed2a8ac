"""Fixtures of the reliability tests: a desk with its processes, an SMTP receiver, and the
figures each run reports (printed at the end of the pytest run)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from supportdesk.testing import database_url_for_tests

from .processes import Desk, SmtpReceiver

FIGURES = pytest.StashKey[list[str]]()


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    """A desk initialised by ``supportdesk init`` on the test database (a new SQLite file, or
    the PostgreSQL database of ``SUPPORTDESK_TEST_DATABASE_URL`` with a new schema); every
    process started on it is stopped afterwards."""
    desk = Desk(tmp_path / "desk", database_url_for_tests())
    desk.folder.mkdir()
    desk.init()
    yield desk
    desk.close()


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    receiver = SmtpReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def report(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """``report(line)``: a figure of this run, shown in the summary even without ``-s``."""
    lines = request.config.stash.setdefault(FIGURES, [])
    return lambda line: lines.append(f"{request.node.name}: {line}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run only when asked for by name (``-m reliability``): a ``-m`` that overrides the
    default one for another reason (``-m 'not browser'``) must not start minutes of load."""
    if "reliability" in (config.option.markexpr or "").replace("not reliability", ""):
        return
    here = Path(__file__).parent
    chosen = [item for item in items if here not in item.path.parents]
    if len(chosen) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if here in i.path.parents])
        items[:] = chosen


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    lines = config.stash.get(FIGURES, [])
    if lines:
        terminalreporter.section("reliability figures")
        for line in lines:
            terminalreporter.write_line(line)
