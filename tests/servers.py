"""Real servers for the tests and the benchmarks: a free port on loopback, gunicorn in a process
of its own with its output in a log file, and the wait until a server answers.

One implementation for the abuse-limit tests (several desks on one Redis), the reliability tests
(a desk under load) and the benchmarks (the desk beside the stack's floor and beside
django-helpdesk, whose gunicorn runs from its own virtualenv: ``python=``), so that they all
start, wait for and stop gunicorn the same way.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import gunicorn

#: The desk as a deployment serves it (README.md, "Deploying").
DESK_APP = "supportdesk:create_app()"
#: gunicorn 27 listens on one control socket per user (~/.gunicorn/gunicorn.ctl) unless told
#: not to: two masters at once, or another run's, would take it from each other.
NO_CONTROL_SOCKET = ["--no-control-socket"] if gunicorn.version_info >= (27,) else []


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on at the moment of asking: for a server to
    bind, or, left unused, for a client to find nobody there."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_environment(**settings: str) -> dict[str, str]:
    """The environment of a server process: this one's, without its ``SUPPORTDESK_*`` variables
    (a developer's shell, or the test database chosen for pytest, cannot change a run), plus
    ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPPORTDESK_")}
    env.update(settings)
    return env


def wait_until_answers(
    url: str,
    timeout: float = 60,
    *,
    process: subprocess.Popen | None = None,
    log: Path | None = None,
) -> None:
    """Return once ``GET url`` answers 200. gunicorn accepts connections before its workers
    have built the application, so an open port is not enough. Fails (AssertionError, with the
    end of ``log``) when ``process`` exits first or nothing answers within ``timeout`` s."""

    def output() -> str:
        return log.read_text(errors="replace")[-5000:] if log and log.exists() else ""

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode}:\n{output()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 (loopback only)
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout} s:\n{output()}")


class GunicornServer:
    """``gunicorn APP`` on a free port of 127.0.0.1, in a process of its own started with
    ``env``, its output in ``log_folder/<name>-<port>.log``.

    Started on creation; ``wait_until_answers()`` before the first request. As a context
    manager it waits on entering and stops on leaving.
    """

    def __init__(
        self,
        options: list[str],
        env: dict[str, str],
        log_folder: Path,
        *,
        app: str = DESK_APP,
        name: str = "gunicorn",
        cwd: Path | None = None,
        python: str | Path = sys.executable,
    ):
        self.name = name
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log_folder / f"{name}-{self.port}.log"
        self.killed = False
        command = [
            str(python),
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{self.port}",
            *NO_CONTROL_SOCKET,
            *options,
            app,
        ]
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                command, env=env, cwd=cwd, stdout=output, stderr=subprocess.STDOUT
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_until_answers(self, path: str = "/sign-in", timeout: float = 60) -> GunicornServer:
        wait_until_answers(self.base + path, timeout, process=self.process, log=self.log)
        return self

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def tracebacks(self) -> int:
        """How many tracebacks the server has logged: a page can answer its usual status and
        still have failed inside (a plugin's hook is isolated, and logged)."""
        return self.output().count("Traceback (most recent call last)")

    def stop(self, timeout: float = 30) -> str:
        """SIGTERM, as an operator stops gunicorn (the workers finish the requests in hand);
        SIGKILL if it still runs ``timeout`` s later, noted in ``killed``. Returns the log."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.killed = True
                self.process.kill()
                self.process.wait(timeout=10)
        return self.output()

    def __enter__(self) -> GunicornServer:
        try:
            return self.wait_until_answers()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
