"""Concurrent clients over real HTTP (the standard library's ``http.client``): sellers filing
cases through the contact form and through the API, each with an attachment, agents working
the queue meanwhile, and a record of every response.

A client opens a new connection for each request, as many browsers behind as many proxies do,
and never retries: a request that fails is recorded as it failed.
"""

from __future__ import annotations

import hashlib
import html
import http.client
import json
import os
import random
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

#: How long the filing loads run: the issue's 60 seconds unless SUPPORTDESK_LOAD_SECONDS says
#: otherwise (e.g. 10 while developing); the other tests load the desk for at most 15 seconds.
LOAD_SECONDS = float(os.environ.get("SUPPORTDESK_LOAD_SECONDS") or 60)
SHORT_LOAD_SECONDS = min(LOAD_SECONDS, 15.0)
#: Bytes that the desk accepts as a PNG image (it sniffs the signature), unique per file.
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ATTACHMENT_BYTES = 24 * 1024


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class Exchange:
    """One request and what came back; ``problem`` says what was wrong with it, if anything."""

    label: str
    status: int | None
    seconds: float
    problem: str | None = None


class Browser:
    """One person's session on one server: cookies kept between requests."""

    def __init__(self, base: str, log: list[Exchange], *, timeout: float = 90):
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.log = log
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.headers: dict[str, str] = {}

    def request(
        self,
        method: str,
        path: str,
        *,
        label: str,
        expect: tuple[int, ...],
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer | None:
        """Send one request and record it; None when no answer came (refused, timed out)."""
        sent = {"Connection": "close", **self.headers, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.monotonic()
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            answer = Answer(response.status, response.headers, response.read())
        except (OSError, http.client.HTTPException) as exc:
            self.log.append(
                Exchange(label, None, time.monotonic() - started, f"no answer: {exc!r}")
            )
            return None
        finally:
            connection.close()
        self._keep_cookies(answer)
        self.log.append(
            Exchange(label, answer.status, time.monotonic() - started, problem_of(answer, expect))
        )
        return answer

    def _keep_cookies(self, answer: Answer) -> None:
        for header in answer.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if value and "max-age=0" not in header.lower():
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)

    def get(self, path: str, *, label: str, expect: tuple[int, ...] = (200,)) -> Answer | None:
        return self.request("GET", path, label=label, expect=expect)

    def post_form(
        self,
        path: str,
        fields: dict[str, str],
        *,
        label: str,
        expect: tuple[int, ...],
        files: list[tuple[str, str, bytes]] = (),
    ) -> Answer | None:
        if files:
            body, content_type = multipart(fields, files)
        else:
            body, content_type = urlencode(fields).encode(), "application/x-www-form-urlencoded"
        return self.request(
            "POST",
            path,
            label=label,
            expect=expect,
            body=body,
            headers={"Content-Type": content_type},
        )

    def sign_in(self, email: str, password: str) -> bool:
        """Through the real form (CSRF token and all); False, and recorded, if it fails."""
        page = self.get("/sign-in", label="sign-in page")
        if page is None or page.status != 200:
            return False
        answer = self.post_form(
            "/sign-in",
            {"csrf_token": hidden(page.text, "csrf_token"), "email": email, "password": password},
            label="sign in",
            expect=(302,),
        )
        return answer is not None and answer.status == 302


def problem_of(answer: Answer, expect: tuple[int, ...]) -> str | None:
    if b"database is locked" in answer.body:
        return f"{answer.status} says 'database is locked'"
    if answer.status >= 500 or answer.status not in expect:
        return f"{answer.status} (expected {expect}): {answer.text[:300]!r}"
    return None


def multipart(fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """A ``multipart/form-data`` body as browsers send it."""
    boundary = f"----reliability{secrets.token_hex(12)}"
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    for name, filename, data in files:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: image/png\r\n\r\n'
        )
        parts.append(head.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def hidden(page: str, name: str) -> str:
    """The value of the form field ``name`` in an HTML page."""
    for tag in re.findall(r"<input[^>]*>", page):
        if re.search(rf'name="{re.escape(name)}"', tag):
            found = re.search(r'value="([^"]*)"', tag)
            return html.unescape(found.group(1)) if found else ""
    raise AssertionError(f"no field {name!r} in the page")


def attachment() -> bytes:
    return PNG_SIGNATURE + os.urandom(ATTACHMENT_BYTES)


@dataclass
class Filing:
    """One case a client tried to file, and how far the desk acknowledged it."""

    channel: str  # "form" or "api"
    subject: str
    sha256: str
    ref: str | None = None
    opened: bool = False  # the desk answered that the case is open (303 to the confirmation, 201)
    attached: bool = False  # ... and that it holds the attachment
    finished_at: float = 0.0


def file_by_form(browser: Browser, subject: str) -> Filing:
    """The contact form, as a signed-in seller's browser sends it, then the confirmation."""
    data = attachment()
    filing = Filing("form", subject, hashlib.sha256(data).hexdigest())
    page = browser.get("/contact", label="contact form")
    if page is None or page.status != 200:
        return filing
    fields = {
        "csrf_token": hidden(page.text, "csrf_token"),
        "idempotency_key": hidden(page.text, "idempotency_key"),
        "held": "",
        "topic": "payments",
        "order_id": "",
        "subject": subject,
        "body": f"Payout missing for {subject}; the proof is attached.",
        "reply_language": "en",
        "seen_suggestions": "1",  # what contact.js sends once it has shown suggestions
    }
    answer = browser.post_form(
        "/contact",
        fields,
        label="file by form",
        expect=(303,),
        files=[("attachments", "proof.png", data)],
    )
    if answer is None or answer.status != 303:
        return filing
    location = urlsplit(answer.headers["Location"]).path
    filing.ref = location.rstrip("/").rsplit("/", 1)[-1]
    filing.opened = filing.attached = location.startswith("/contact/sent/")
    filing.finished_at = time.monotonic()
    browser.get(location, label="confirmation")
    return filing


def file_by_api(api: Browser, subject: str) -> Filing:
    """``POST /api/v1/tickets`` (with an Idempotency-Key), then the attachment."""
    data = attachment()
    filing = Filing("api", subject, hashlib.sha256(data).hexdigest())
    body = {
        "type": "contact",
        "subject": subject,
        "body": f"Payout missing for {subject}.",
        "fields": {"topic": "payments", "reply_language": "en"},
    }
    answer = api.request(
        "POST",
        "/api/v1/tickets",
        label="file by API",
        expect=(201,),
        body=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Idempotency-Key": subject},
    )
    if answer is None or answer.status != 201:
        return filing
    filing.ref, filing.opened = json.loads(answer.body)["ref"], True
    filing.finished_at = time.monotonic()
    sent = api.post_form(
        f"/api/v1/tickets/{filing.ref}/attachments",
        {"body": "The proof."},
        label="attach by API",
        expect=(201,),
        files=[("file", "proof.png", data)],
    )
    filing.attached = sent is not None and sent.status == 201
    return filing


@dataclass
class Load:
    """Clients filing cases in threads for a while; everything they saw is kept here."""

    prefix: str = field(default_factory=lambda: f"LOAD{secrets.token_hex(3).upper()}")
    exchanges: list[Exchange] = field(default_factory=list)
    filings: list[Filing] = field(default_factory=list)
    seconds: float = 0.0
    started_at: float = 0.0
    ended_at: float = 0.0
    deadline: float = 0.0

    def run(self, clients: list[Callable[[Load, int], None]], seconds: float) -> None:
        """Start every client at once; each files until ``deadline`` (``seconds`` from now,
        unless the test moves it meanwhile)."""
        start = threading.Barrier(len(clients) + 1)

        def run_client(client: Callable[[Load, int], None], number: int) -> None:
            start.wait()
            client(self, number)

        threads = [
            threading.Thread(target=run_client, args=(client, n), daemon=True)
            for n, client in enumerate(clients)
        ]
        for thread in threads:
            thread.start()
        self.started_at = time.monotonic()
        self.deadline = self.started_at + seconds
        start.wait()
        for thread in threads:
            thread.join()
        self.ended_at = time.monotonic()
        self.seconds = self.ended_at - self.started_at

    def subject(self, client: int, count: int) -> str:
        return f"{self.prefix}-{client:02d}-{count:05d}-{secrets.token_hex(3)}"

    def problems(self) -> list[Exchange]:
        return [exchange for exchange in self.exchanges if exchange.problem]

    def acknowledged(self, before: float | None = None) -> dict[str, Filing]:
        """The filings the desk said it opened (before a moment, if given), by subject."""
        return {
            f.subject: f
            for f in self.filings
            if f.opened and (before is None or f.finished_at < before)
        }


def seller_client(base: str, email: str, password: str, token: str) -> Callable:
    """A seller who signs in once, then files by form and by API in turn until the deadline."""

    def work(load: Load, number: int) -> None:
        browser = Browser(base, load.exchanges)
        if not browser.sign_in(email, password):
            return
        api = Browser(base, load.exchanges)
        api.headers["Authorization"] = f"Bearer {token}"
        count = 0
        while time.monotonic() < load.deadline:
            subject = load.subject(number, count)
            filing = (file_by_form if count % 2 == 0 else file_by_api)(
                browser if count % 2 == 0 else api, subject
            )
            load.filings.append(filing)
            count += 1

    return work


_CASE_LINK = re.compile(r'href="/staff/cases/(SD-[A-Z0-9-]+)"')


def agent_client(base: str, email: str, password: str, queue: str) -> Callable:
    """An agent working the queue while sellers file: opens the queue page, picks one of the
    cases shown, answers it, sets it to wait on the seller and back to open, until the
    deadline. Agents doing this at once move cases both ways between the same statuses of
    one queue; a case another agent changed meanwhile is a 409 the agent is shown, not an
    error."""

    def work(load: Load, number: int) -> None:
        browser = Browser(base, load.exchanges)
        if not browser.sign_in(email, password):
            return
        pick = random.Random(number)
        while time.monotonic() < load.deadline:
            page = browser.get(f"/staff/queues/{queue}", label="queue page")
            refs = _CASE_LINK.findall(page.text) if page is not None else []
            if not refs:
                time.sleep(0.05)
                continue
            ref = pick.choice(refs)
            case = browser.get(f"/staff/cases/{ref}", label="case page")
            if case is None or case.status != 200:
                continue
            token = hidden(case.text, "csrf_token")
            browser.post_form(
                f"/staff/cases/{ref}/reply",
                {
                    "reply-csrf_token": token,
                    "reply-body": f"Looking into {ref}.",
                    "reply-status": "",
                    "reply-canned": "",
                    "reply-send": "1",
                },
                label="agent reply",
                expect=(302, 409),
            )
            for status in ("waiting", "open"):
                browser.post_form(
                    f"/staff/cases/{ref}/status",
                    {"csrf_token": token, "status": status},
                    label="agent status",
                    expect=(302, 409),
                )

    return work
