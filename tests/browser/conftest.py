"""What the browser suites share: one live desk and one Chromium per test module, pages that
watch for what a person would notice, and screenshots kept after the run.

The desk is the real application with every installed plugin, served by a real HTTP server on
127.0.0.1, CSRF on, on a SQLite file (or on the PostgreSQL database named by
``SUPPORTDESK_TEST_DATABASE_URL``, as ``supportdesk.testing`` chooses). Chromium is Debian's
``/usr/bin/chromium``, driven through Playwright's sync API; without it every browser test is
skipped with the reason.

Screenshots go to ``$SUPPORTDESK_SCREENSHOTS``, by default ``build/screenshots/`` at the
repository's root, named ``<journey>-<locale>-<nn>-<step>.png``; they stay after the run.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from werkzeug.serving import make_server

from supportdesk.testing import base_config, build_test_app, dispose_test_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS_ENV = "SUPPORTDESK_SCREENSHOTS"
PASSWORD = "a long password for the browser"
#: The smallest file the desk takes for a PNG image (it sniffs the first bytes).
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
#: How long a step may take before the test fails, in milliseconds.
STEP_TIMEOUT_MS = 15_000

BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
    ),
]


@dataclass
class LiveDesk:
    """A desk served over HTTP: its address and the application (for its CLI and database)."""

    url: str
    app: Flask

    def cli(self, *args: str, input: str | bytes | None = None) -> str:
        """Run a ``supportdesk`` command as an operator would; its output, or the test fails."""
        result = self.app.test_cli_runner().invoke(args=list(args), input=input)
        assert result.exit_code == 0, f"supportdesk {' '.join(args)}: {result.output}"
        return result.output

    def create_user(self, email: str, role: str, name: str, *queues: str) -> None:
        """An account made the way an administrator makes one: ``supportdesk create-user``."""
        options = [f"--queue={key}" for key in queues]
        self.cli(
            "create-user",
            email,
            f"--role={role}",
            f"--password={PASSWORD}",
            "--name",
            name,
            *options,
        )

    def is_desk(self, url: str) -> bool:
        """True for an address of this desk, or one that never leaves the browser."""
        scheme = urlsplit(url).scheme
        return (
            url.startswith(self.url + "/") or url == self.url or scheme in ("data", "blob", "about")
        )


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One Chromium per test module; each user gets a context of their own. Playwright is
    stopped with the module: its sync API refuses to start while another instance runs, and
    other suites start their own."""
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def live_desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveDesk]:
    """The real desk, every plugin, CSRF on, seller self-registration on, served on 127.0.0.1
    by werkzeug's threaded server; one per test module, so a module's data never leaks into
    another's pages."""
    folder = tmp_path_factory.mktemp("live-desk")
    settings = {
        **base_config(folder),
        "WTF_CSRF_ENABLED": True,
        "SUPPORTDESK_SELF_REGISTRATION": True,
    }
    app = build_test_app(settings)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveDesk(f"http://127.0.0.1:{server.server_port}", app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        dispose_test_app(app)


SCREENSHOTS_KEPT = pytest.StashKey[Path]()


@pytest.fixture(scope="session")
def screenshot_folder(request: pytest.FixtureRequest) -> Path:
    """Where screenshots are kept: ``$SUPPORTDESK_SCREENSHOTS`` or ``build/screenshots/``."""
    configured = os.environ.get(SCREENSHOTS_ENV)
    folder = Path(configured) if configured else request.config.rootpath / "build" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    request.config.stash[SCREENSHOTS_KEPT] = folder
    return folder


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Say where the screenshots are, so that a CI log leads to them."""
    folder = config.stash.get(SCREENSHOTS_KEPT, None)
    if folder is not None:
        terminalreporter.write_line(f"Browser screenshots: {folder}")


@dataclass
class Camera:
    """Full-page screenshots of one journey in one language, numbered in the order taken."""

    folder: Path
    journey: str
    locale: str
    taken: int = 0

    def __call__(self, page: Any, step: str) -> Path:
        self.taken += 1
        path = self.folder / f"{self.journey}-{self.locale}-{self.taken:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@dataclass
class Watch:
    """What went wrong on a page that a person or an attacker would notice: a dialog opened,
    a script error, a Content-Security-Policy refusal, a console error, a request that left
    the desk."""

    desk: LiveDesk
    dialogs: list[str] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)
    csp_refusals: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda error: self.script_errors.append(f"{page.url}: {error}"))
        page.on("console", lambda message: self._console(page, message))
        page.on("request", self._request)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{dialog.type} {dialog.message!r} on {dialog.page.url}")
        dialog.dismiss()

    def _console(self, page: Any, message: Any) -> None:
        # The desk has no favicon: the browser asking for one is not the page's problem.
        if message.type != "error" or message.location.get("url", "").endswith("/favicon.ico"):
            return
        text = f"{page.url}: {message.text}"
        if "Content Security Policy" in message.text:
            self.csp_refusals.append(text)
        else:
            self.console_errors.append(text)

    def _request(self, request: Any) -> None:
        if not self.desk.is_desk(request.url):
            self.outside_requests.append(request.url)

    def reset(self) -> None:
        for seen in (
            self.dialogs,
            self.script_errors,
            self.csp_refusals,
            self.console_errors,
            self.outside_requests,
        ):
            seen.clear()

    def attacks(self) -> list[str]:
        """Signs that something ran, or tried to, or loaded from elsewhere."""
        return [
            *(f"dialog: {d}" for d in self.dialogs),
            *(f"script error: {e}" for e in self.script_errors),
            *(f"CSP refused: {c}" for c in self.csp_refusals),
            *(f"request outside the desk: {r}" for r in self.outside_requests),
        ]


def open_page(
    browser: Any,
    desk: LiveDesk,
    *,
    locale: str = "en-GB",
    bypass_csp: bool = False,
    viewport: tuple[int, int] = (1100, 1300),
) -> tuple[Any, Watch]:
    """A new browser context (its own cookies: one user) and its page, watched.

    ``bypass_csp`` makes Chromium ignore the desk's Content-Security-Policy, so that a script
    that reached a page would run: what keeps it from running must be the escaping."""
    context = browser.new_context(
        base_url=desk.url,
        locale=locale,
        viewport={"width": viewport[0], "height": viewport[1]},
        bypass_csp=bypass_csp,
    )
    context.set_default_timeout(STEP_TIMEOUT_MS)
    page = context.new_page()
    watch = Watch(desk)
    watch.attach(page)
    return page, watch
