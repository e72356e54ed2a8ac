"""The pieces of the HTTP benchmark that talk to processes: a small browser-like client that
signs in through the real forms, ``wrk`` and the workers' memory (the gunicorn servers are
``tests.servers.GunicornServer``)."""

from __future__ import annotations

import http.client
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from tests.servers import GunicornServer

LUA_SCRIPT = Path(__file__).with_name("wrk_requests.lua")
_CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')


#: The message of every benchmark filing: a seller's first message of a usual length.
FILING_MESSAGE = (
    "Hello, a buyer says the parcel never arrived although the tracking shows it as delivered "
    "two days ago. I have the proof of postage. What should I do next, and will the payout for "
    "this order be held while you look into it?"
)


def contact_form(boundary: str, csrf: str, key: str, number: object) -> str:
    """The contact form as a browser sends it, for every benchmark that files a case (``wrk``'s
    script gets it with ``number`` a placeholder): multipart, every field in page order, an
    empty file input, and ``seen_suggestions`` as the form's script adds it once it showed help
    articles; ``key`` is the idempotency key, ``number`` goes into the subject."""
    fields = [
        ("csrf_token", csrf),
        ("idempotency_key", key),
        ("held", ""),
        ("topic", "shipping"),
        ("order_id", ""),
        ("subject", f"Parcel shown as delivered but not received {number}"),
        ("body", FILING_MESSAGE),
        ("attachments", None),
        ("reply_language", "en"),
        ("seen_suggestions", "1"),
    ]
    parts = []
    for name, value in fields:
        disposition = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"'
        if value is None:
            parts.append(
                f'{disposition}; filename=""\r\nContent-Type: application/octet-stream\r\n\r\n\r\n'
            )
        else:
            parts.append(f"{disposition}\r\n\r\n{value}\r\n")
    return "".join(parts) + f"--{boundary}--\r\n"


class Client:
    """Just enough of a browser: keeps cookies, reads CSRF tokens from forms, does not follow
    redirects (so that their status can be checked)."""

    AGENT = "supportdesk-bench"

    def __init__(self, base: str):
        self.base = base
        self.cookies: dict[str, str] = {}

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> tuple[int, dict[str, str], str]:
        parts = urlsplit(self.base)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        sent = {"User-Agent": self.AGENT, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = self.cookie_header()
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        text = response.read().decode("utf-8", "replace")
        conn.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, text

    def form_token(self, path: str) -> str:
        status, _headers, html = self.request("GET", path)
        found = _CSRF_INPUT.search(html)
        if status != 200 or not found:
            raise RuntimeError(f"GET {path}: {status}, no CSRF token in the form")
        return found.group(1)

    def sign_in(self, email: str, password: str) -> None:
        """Through the real sign-in form: its CSRF token, then the POST."""
        token = self.form_token("/sign-in")
        body = urlencode({"csrf_token": token, "email": email, "password": password})
        status, _headers, _html = self.request(
            "POST",
            "/sign-in",
            body.encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        if status != 302:
            raise RuntimeError(f"signing in as {email} answered {status}")

    def contact_token(self) -> str:
        return self.form_token("/contact")

    def check_filing(self, csrf: str) -> None:
        """One case filed the way the benchmark files them: 303 to its confirmation page."""
        boundary = "----supportdeskcheck"
        body = contact_form(boundary, csrf, "benchcheck0000000000", "check")
        status, headers, html = self.request(
            "POST",
            "/contact",
            body.encode(),
            {"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        location = headers.get("location", "")
        if status != 303 or "/contact/sent/SD-" not in location:
            raise RuntimeError(f"filing a case answered {status} {location}: {html[:2000]}")
        status, _headers, html = self.request("GET", urlsplit(location).path)
        if status != 200:
            raise RuntimeError(f"the confirmation page answered {status}")

    def check_page(self, path: str, expected: str) -> None:
        status, _headers, html = self.request("GET", path)
        if status != 200 or expected not in html:
            raise RuntimeError(f"GET {path}: {status}, {expected!r} not in the page")


@dataclass
class WrkResult:
    rps: float
    requests: int
    #: CPU time the server's workers spent per request during the run, in milliseconds: less
    #: sensitive than the rate to what else the machine runs meanwhile.
    cpu_ms_per_request: float
    non_2xx_3xx: int
    socket_errors: str
    expected: int
    unexpected: int
    first_unexpected: int
    #: Mixed loads: the filings sent, and the responses that were a filing's 303.
    posted: int = 0
    redirected: int = 0

    def problems(self) -> list[str]:
        found = []
        if self.non_2xx_3xx:
            found.append(f"{self.non_2xx_3xx} non-2xx/3xx responses")
        if self.unexpected:
            found.append(
                f"{self.unexpected} responses with another status than the page's "
                f"(first: {self.first_unexpected})"
            )
        if self.socket_errors:
            found.append(f"socket errors: {self.socket_errors}")
        return found


def wrk(
    server: GunicornServer,
    settings: dict[str, str],
    *,
    seconds: int,
    threads: int,
    connections: int,
) -> WrkResult:
    """Load ``server`` for ``seconds`` with ``wrk_requests.lua``, which ``settings`` (its
    ``BENCH_*`` environment variables) tell what to send and which status to expect."""
    cpu_before = cpu_ms(server.pid)
    output = subprocess.run(
        [
            "wrk",
            "-t",
            str(threads),
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "--timeout",
            "30s",
            "-s",
            str(LUA_SCRIPT),
            server.base,
        ],
        env={**os.environ, "BENCH_AGENT": Client.AGENT, **settings},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    cpu_used = cpu_ms(server.pid) - cpu_before
    counted = re.search(
        r"BENCH expected=(\d+) unexpected=(\d+) first_unexpected=(\d+)"
        r" posted=(\d+) redirected=(\d+)",
        output,
    )
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    if not (counted and rps and total):
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    non_ok = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    return WrkResult(
        rps=float(rps.group(1)),
        requests=int(total.group(1)),
        cpu_ms_per_request=cpu_used / max(1, int(total.group(1))),
        non_2xx_3xx=int(non_ok.group(1)) if non_ok else 0,
        socket_errors=errors.group(1) if errors else "",
        expected=int(counted.group(1)),
        unexpected=int(counted.group(2)),
        first_unexpected=int(counted.group(3)),
        posted=int(counted.group(4)),
        redirected=int(counted.group(5)),
    )


def cpu_ms(master: int) -> float:
    """CPU time (user + system) the workers of ``master`` have used so far, in milliseconds."""
    ticks = 0
    for pid in children(master):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks * 1000 / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        parent = int(text.rsplit(")", 1)[1].split()[1])
        if parent == pid:
            found.append(int(stat.parent.name))
    return found


def memory(pid: int) -> dict[str, int]:
    """RSS, PSS and USS (Private_Clean + Private_Dirty) of a process in KiB, from
    ``/proc/<pid>/smaps_rollup``."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, _, value = line.partition(":")
        fields[name] = int(value.split()[0])
    return {
        "rss": fields["Rss"],
        "pss": fields["Pss"],
        "uss": fields["Private_Clean"] + fields["Private_Dirty"],
    }


def worker_memory(master: int) -> list[dict[str, int]]:
    return [memory(pid) for pid in children(master)]
