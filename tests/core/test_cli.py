"""The command line: init, demo and the console script itself."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import sqlalchemy as sa

from supportdesk import create_app
from supportdesk.extensions import db
from supportdesk.models import Queue, User
from supportdesk.testing import database_url_for_tests, reset_postgres_schema
from tests.servers import free_port, wait_until_answers


def cli_app(tmp_path: Path):
    instance = tmp_path / "fresh-instance"
    config = {
        "TESTING": True,
        "SUPPORTDESK_INSTANCE_PATH": str(instance),
        "SUPPORTDESK_STRICT_PLUGINS": True,
        "SUPPORTDESK_PASSWORD_HASH": "pbkdf2:sha256:1000",
        "WTF_CSRF_ENABLED": False,
    }
    if url := database_url_for_tests():
        config["SQLALCHEMY_DATABASE_URI"] = url
    app = create_app(config)
    with app.app_context():
        reset_postgres_schema()
    return app, instance


def test_init_writes_a_random_secret_and_builds_the_database(tmp_path, monkeypatch):
    app, instance = cli_app(tmp_path)
    result = app.test_cli_runner().invoke(args=["init"])
    assert result.exit_code == 0, result.output
    config_text = (instance / "config.py").read_text()
    secret = re.search(r"SECRET_KEY = '([0-9a-f]{64})'", config_text).group(1)
    assert oct((instance / "config.py").stat().st_mode)[-3:] == "600"
    with app.app_context():
        keys = set(db.session.scalars(sa.select(Queue.key)))
        assert {"seller_support", "fraud", "guarantee", "feedback"} <= keys
    again = app.test_cli_runner().invoke(args=["init"])  # a second run changes nothing
    assert again.exit_code == 0
    assert secret in (instance / "config.py").read_text()
    monkeypatch.setenv("SUPPORTDESK_INSTANCE", str(instance))
    assert create_app().config["SECRET_KEY"] == secret  # and the desk now starts outside debug


def test_demo_creates_users_with_printed_passwords(tmp_path):
    app, _instance = cli_app(tmp_path)
    result = app.test_cli_runner().invoke(args=["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    passwords = dict(re.findall(r"(\S+@example\.com)\s+(\S+)", result.output))
    assert set(passwords) == {"seller@example.com", "agent@example.com", "admin@example.com"}
    client = app.test_client()
    with app.app_context():
        agent = db.session.scalar(sa.select(User).where(User.email == "agent@example.com"))
        assert agent.check_password(passwords["agent@example.com"])
        assert {q.key for q in agent.queues} >= {"seller_support", "fraud"}
    login = client.post(
        "/sign-in",
        data={"email": "seller@example.com", "password": passwords["seller@example.com"]},
    )
    assert login.status_code == 302
    rerun = app.test_cli_runner().invoke(args=["demo", "--no-serve"])
    assert rerun.exit_code == 0, rerun.output  # running it twice is fine


def test_the_console_script_is_the_flask_cli(tmp_path):
    env = {**os.environ, "SUPPORTDESK_INSTANCE": str(tmp_path / "inst")}
    env.pop("SUPPORTDESK_TEST_DATABASE_URL", None)
    script = Path(sys.executable).with_name("supportdesk")
    result = subprocess.run([script, "--help"], capture_output=True, text=True, env=env, check=True)
    for command in ("init", "run", "demo", "create-user", "create-token", "plugins", "db"):
        assert re.search(rf"^\s+{command}\s", result.stdout, re.M), command
    flask = subprocess.run(
        [Path(sys.executable).with_name("flask"), "--app", "supportdesk", "plugins"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert "contact" in flask.stdout and "loaded" in flask.stdout


def test_the_quick_start_demo_serves_the_desk(tmp_path):
    """`supportdesk demo`, as the README's quick start runs it: it prints the demo accounts,
    then serves the desk, and the printed seller can sign in (the page answers, in French too)."""
    env = {**os.environ, "SUPPORTDESK_INSTANCE": str(tmp_path / "instance")}
    env.pop("SUPPORTDESK_TEST_DATABASE_URL", None)
    port = free_port()
    log = tmp_path / "demo.log"
    script = Path(sys.executable).with_name("supportdesk")
    with log.open("wb") as output:
        process = subprocess.Popen(
            [script, "demo", "--port", str(port)], env=env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        wait_until_answers(f"http://127.0.0.1:{port}/sign-in", 60, process=process, log=log)
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/help", headers={"Accept-Language": "fr"}
        )
        with urllib.request.urlopen(request, timeout=10) as page:  # noqa: S310 (loopback)
            assert page.status == 200 and 'lang="fr"' in page.read().decode()
    finally:
        process.terminate()
        process.wait(timeout=30)
    printed = log.read_text()
    assert re.search(r"seller\s+seller@example\.com\s+\S+", printed)
    assert "Ignoring a call" not in printed


def test_run_refuses_a_default_secret(tmp_path):
    env = {**os.environ, "SUPPORTDESK_INSTANCE": str(tmp_path / "inst")}
    for name in ("SUPPORTDESK_TEST_DATABASE_URL", "SUPPORTDESK_SECRET_KEY", "FLASK_DEBUG"):
        env.pop(name, None)
    script = Path(sys.executable).with_name("supportdesk")
    result = subprocess.run(
        [script, "run", "--port", "0"], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr + result.stdout
