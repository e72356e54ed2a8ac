"""Known-vulnerability audit of every package installed in the CI venv, with pip-audit.

pip-audit asks PyPI's JSON API for each installed version (``/pypi/NAME/VERSION/json``). Where that
answer is missing (a PyPI mirror that serves only the project pages, as on the CI machines), this
script falls back to the project page (``/pypi/NAME/json``), whose ``vulnerabilities`` describe
its newest release: when the installed version IS that release, the answer is exact. A package
still left unaudited is listed by name; a known vulnerability fails the step unless it is waived
in ``.ci/audit-waivers.txt`` (one ``ID  reason`` per line).

Usage: python .ci/audit_dependencies.py PIP_AUDIT_EXECUTABLE
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path

WAIVERS = Path(__file__).with_name("audit-waivers.txt")
PYPI = "https://pypi.org/pypi/{name}/json"


def waivers() -> dict[str, str]:
    found = {}
    if WAIVERS.is_file():
        for line in WAIVERS.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                vuln_id, _, reason = line.partition(" ")
                found[vuln_id] = reason.strip()
    return found


def project_page(name: str) -> dict | None:
    try:
        with urllib.request.urlopen(PYPI.format(name=name), timeout=20) as answer:  # noqa: S310
            return json.load(answer)
    except (OSError, ValueError):
        return None


def main(pip_audit: str) -> int:
    run = subprocess.run(  # noqa: S603
        [pip_audit, "--skip-editable", "--progress-spinner", "off", "-f", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode not in (0, 1):
        print(run.stderr)
        return run.returncode
    report = json.loads(run.stdout)
    found: list[tuple[str, str, str, list[str]]] = []  # name, version, id, fixed in
    audited = unaudited = 0
    missing: list[str] = []
    skipped = [
        dep["name"]
        for dep in report["dependencies"]
        if "skip_reason" in dep and "editable" not in dep["skip_reason"]
    ]
    with ThreadPoolExecutor(max_workers=8) as pool:
        pages = dict(zip(skipped, pool.map(project_page, skipped), strict=True))
    for dep in report["dependencies"]:
        name = dep["name"]
        if "skip_reason" not in dep:
            audited += 1
            found += [(name, dep["version"], v["id"], v["fix_versions"]) for v in dep["vulns"]]
            continue
        if name not in pages:
            continue
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = ""
        page = pages[name]
        if page is None or page["info"]["version"] != version:
            unaudited += 1
            missing.append(f"{name} {version}")
            continue
        audited += 1
        found += [
            (name, version, v["id"], v.get("fixed_in") or []) for v in page["vulnerabilities"]
        ]
    waived = waivers()
    print(f"audited: {audited} packages; not audited: {unaudited}")
    for line in missing:
        print(f"  not audited (no vulnerability data for this version): {line}")
    failing = 0
    for name, version, vuln_id, fixed in found:
        if vuln_id in waived:
            print(f"  waived {vuln_id} in {name} {version}: {waived[vuln_id]}")
        else:
            failing += 1
            print(f"  VULNERABLE {name} {version}: {vuln_id} (fixed in {', '.join(fixed) or '?'})")
    if not found:
        print("No known vulnerability in the audited packages.")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
