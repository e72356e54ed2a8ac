"""The real parts a reliability test runs: a desk's instance, gunicorn, ``supportdesk worker``
processes and an SMTP receiver on loopback.

Every process gets its settings from the environment, as a deployment sets them; the test's
own ``SUPPORTDESK_*`` variables are not passed on, so a developer's shell cannot change a run.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import Flask

from supportdesk import create_app
from supportdesk.extensions import db
from supportdesk.testing import database_url_for_tests
from tests.servers import GunicornServer, free_port, server_environment

BIN = Path(sys.executable).parent
#: The filing and sign-in limits are raised far above what a run sends: these tests measure
#: the desk under load, the abuse limits have their own tests.
SETTINGS: dict[str, Any] = {
    "SUPPORTDESK_PASSWORD_HASH": "pbkdf2:sha256:1000",
    "SUPPORTDESK_LOGIN_RATE_LIMIT": "1000000 per minute",
    "SUPPORTDESK_LOGIN_ACCOUNT_RATE_LIMIT": "1000000 per minute",
    "SUPPORTDESK_API_RATE_LIMIT": "1000000 per minute",
    "SUPPORTDESK_CONTACT_RATE_LIMIT": "1000000 per minute",
    "SUPPORTDESK_MAIL_FROM": "support@desk.example",
    "SUPPORTDESK_SMTP_HOST": "127.0.0.1",
    "SUPPORTDESK_SMTP_TIMEOUT": 10,
}


def is_postgres(url: str | None) -> bool:
    return bool(url) and url.startswith("postgresql")


needs_postgres = pytest.mark.skipif(
    not is_postgres(database_url_for_tests()),
    reason="PostgreSQL only: set SUPPORTDESK_TEST_DATABASE_URL to a PostgreSQL database",
)
needs_sqlite = pytest.mark.skipif(
    is_postgres(database_url_for_tests()),
    reason="SQLite only: runs when SUPPORTDESK_TEST_DATABASE_URL is not set",
)


@dataclass(frozen=True)
class Account:
    id: int
    email: str
    password: str
    token: str | None = None


@dataclass
class Desk:
    """One deployment: an instance folder, its database, and every process started on it."""

    folder: Path
    database_url: str | None = None
    settings: dict[str, Any] = field(default_factory=lambda: dict(SETTINGS))
    processes: list[subprocess.Popen] = field(default_factory=list)
    _app: Flask | None = None

    @property
    def instance(self) -> Path:
        return self.folder / "instance"

    @property
    def url(self) -> str:
        return self.database_url or f"sqlite:///{self.instance / 'supportdesk.db'}"

    @property
    def attachments(self) -> Path:
        return self.instance / "attachments"

    def env(self, **settings: Any) -> dict[str, str]:
        env = server_environment(
            PYTHONUNBUFFERED="1",
            SUPPORTDESK_INSTANCE=str(self.instance),
            SUPPORTDESK_DATABASE_URL=self.url,
        )
        for name, value in {**self.settings, **settings}.items():
            env[name] = value if isinstance(value, str) else json.dumps(value)
        return env

    def cli(self, *args: str, timeout: float = 300, **settings: Any) -> subprocess.CompletedProcess:
        """Run ``supportdesk ARGS`` on this desk and wait for it."""
        return subprocess.run(
            [BIN / "supportdesk", *args],
            env=self.env(**settings),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def init(self) -> None:
        """An empty database (PostgreSQL: a new schema), then ``supportdesk init``."""
        if is_postgres(self.database_url):
            engine = sa.create_engine(self.database_url)
            with engine.begin() as conn:
                conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
            engine.dispose()
        done = self.cli("init")
        assert done.returncode == 0, done.stdout + done.stderr

    def app(self) -> Flask:
        """The same desk in this process, to set up accounts and to read what was stored."""
        if self._app is None:
            self._app = create_app(
                {
                    "SUPPORTDESK_INSTANCE_PATH": str(self.instance),
                    "SQLALCHEMY_DATABASE_URI": self.url,
                    **self.settings,
                }
            )
        return self._app

    def accounts(
        self, role: str, count: int, *, label: str, tokens: bool = False, agents_of: str = ""
    ) -> list[Account]:
        """``count`` new accounts (with an API token each, or as agents of the queue of the
        ticket type ``agents_of``), made in this process before the load starts."""
        from supportdesk.accounts import create_token, create_user

        app = self.app()
        made = []
        with app.app_context():
            queues = (
                [app.extensions["supportdesk"].ticket_types[agents_of].queue] if agents_of else []
            )
            for n in range(count):
                password = f"password-{label}-{n}"
                user = create_user(
                    f"{label}{n}@example.com", role=role, password=password, queues=queues
                )
                token = create_token(user) if tokens else None
                made.append(Account(user.id, user.email, password, token))
            db.session.remove()
        return made

    def open_cases(self, seller: Account, subjects: list[str]) -> list[str]:
        """Contact cases for ``seller`` through the ticket service; returns their references."""
        from supportdesk.models import User
        from supportdesk.tickets import open_ticket

        app = self.app()
        with app.app_context():
            owner = db.session.get(User, seller.id)
            refs = [
                open_ticket(
                    seller=owner,
                    type_key="contact",
                    subject=subject,
                    body=f"About {subject}.",
                    fields={"topic": "payments", "reply_language": "en"},
                ).ref
                for subject in subjects
            ]
            db.session.remove()
        return refs

    def start(self, command: list[str], log: Path, **settings: Any) -> subprocess.Popen:
        with log.open("ab") as output:
            process = subprocess.Popen(
                command, env=self.env(**settings), stdout=output, stderr=subprocess.STDOUT
            )
        self.processes.append(process)
        return process

    def close(self) -> None:
        """Stop whatever is still running (SIGKILL after a grace period) and the engine."""
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if self._app is not None:
            with self._app.app_context():
                db.session.remove()
                db.engine.dispose()


class Gunicorn(GunicornServer):
    """``gunicorn 'supportdesk:create_app()'`` with sync workers on a free port.

    Sync workers, as README.md's "Deploying" recommends: each worker process serves one request
    at a time, so the database sees as many writers as there are processes, and the requests
    beyond that wait in the listen queue. Threads (``gthread``) would let more requests in at
    once; on SQLite, where one writer at a time holds the lock, they add little throughput and
    make the queue on that lock longer, and SQLite's busy handler favours newcomers over the
    writers that have waited longest. Measured on the 2 (shared) cores of the development
    machine, 16 clients for 30 s: ``-w 4 --threads 4`` filed 209 cases, the longest wait for the
    lock 11.5 s (the busy timeout, 15 s, ends in "database is locked"); ``-w 4`` with one thread
    each filed 180, the longest wait 1 s. No ``--preload``: each worker builds its own app and
    engine after the fork, so no database connection is ever shared between processes.
    """

    def __init__(self, desk: Desk, *, workers: int = 4, name: str = "gunicorn"):
        options = [
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--timeout",
            "120",
            "--graceful-timeout",
            "20",
        ]
        super().__init__(options, desk.env(), desk.folder, name=name)
        desk.processes.append(self.process)
        self.wait_until_answers(timeout=90)

    def stop(self, timeout: float = 40) -> str:
        """SIGTERM; the run fails if gunicorn still runs ``timeout`` s later (its workers have
        20 s to finish the requests in hand)."""
        output = super().stop(timeout)
        assert not self.killed, f"gunicorn did not stop within {timeout} s of SIGTERM:\n{output}"
        return output


class Worker:
    """A ``supportdesk worker`` process sending to ``smtp_port``."""

    def __init__(self, desk: Desk, smtp_port: int, *args: str, name: str = "worker", **settings):
        self.log = desk.folder / f"{name}.log"
        self.process = desk.start(
            [str(BIN / "supportdesk"), "worker", "--interval", "0.2", *args],
            self.log,
            SUPPORTDESK_SMTP_PORT=smtp_port,
            **settings,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_started(self, timeout: float = 120) -> None:
        """Until the worker has printed its banner: it is polling the outbox from then on."""
        wait_until(lambda: "SMTP" in self.output(), timeout=timeout, what="the worker to start")

    def stop(self) -> str:
        """SIGTERM: the worker finishes the message in hand and exits 0; returns its output."""
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=60)
        assert code == 0, f"worker exited with {code}:\n{self.output()}"
        return self.output()


@dataclass
class Received:
    message_id: str
    subject: str
    recipients: list[str]


class SmtpReceiver:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that records every message's Message-ID.

    With ``delay`` it answers DATA that many seconds after it has the message, as a slow mail
    server does: a sender killed meanwhile never hears the 250, although the mail arrived.
    ``in_flight`` is set while such an answer is pending.
    """

    def __init__(self, port: int | None = None, delay: float = 0.0):
        self.port = port or free_port()
        self.delay = delay
        self.received: list[Received] = []
        self.in_flight = threading.Event()
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope) -> str:
        mail = BytesParser(policy=policy.default).parsebytes(envelope.content)
        with self._lock:
            self.received.append(
                Received(str(mail["Message-ID"]), str(mail["Subject"]), list(envelope.rcpt_tos))
            )
        if self.delay:
            self.in_flight.set()
            await asyncio.sleep(self.delay)
            self.in_flight.clear()
        return "250 Message accepted"

    def start(self) -> SmtpReceiver:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def message_ids(self) -> Counter[str]:
        with self._lock:
            return Counter(item.message_id for item in self.received)


def wait_until(condition, *, timeout: float, what: str, poll: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(poll)
