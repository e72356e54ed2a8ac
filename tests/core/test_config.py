"""Configuration load order, the instance folder, and the refusal of a default secret."""

from __future__ import annotations

import pytest

from supportdesk import ConfigurationError, create_app
from supportdesk.config import DEFAULT_SECRET_KEY, settings_from_env


def write_instance_config(instance, text):
    instance.mkdir(parents=True, exist_ok=True)
    (instance / "config.py").write_text(text)


def test_load_order_defaults_then_instance_file_then_environment(tmp_path, monkeypatch):
    instance = tmp_path / "inst"
    write_instance_config(
        instance,
        "SECRET_KEY = 'from-file'\nSUPPORTDESK_SITE_NAME = 'File desk'\n"
        "SUPPORTDESK_LOGIN_RATE_LIMIT = '3 per minute'\n",
    )
    monkeypatch.setenv("SUPPORTDESK_INSTANCE", str(instance))
    monkeypatch.setenv("SUPPORTDESK_SITE_NAME", "Env desk")
    app = create_app({"TESTING": True})
    assert app.config["SUPPORTDESK_SITE_NAME"] == "Env desk"  # environment beats the file
    assert app.config["SECRET_KEY"] == "from-file"  # the file beats the defaults
    assert app.config["SUPPORTDESK_LOGIN_RATE_LIMIT"] == "3 per minute"
    assert app.config["SUPPORTDESK_SELF_REGISTRATION"] is False  # a default
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'supportdesk.db'}"
    assert app.instance_path == str(instance)


def test_environment_names_and_values():
    env = {
        "SUPPORTDESK_SECRET_KEY": "123",
        "SUPPORTDESK_DATABASE_URL": "postgresql+psycopg://db/desk",
        "SUPPORTDESK_REDIS_URL": "redis://127.0.0.1:6379/0",
        "SUPPORTDESK_SELF_REGISTRATION": "true",
        "SUPPORTDESK_DISABLED_PLUGINS": '["fraud"]',
        "SUPPORTDESK_SESSION_COOKIE_SECURE": "true",
        "SUPPORTDESK_INSTANCE": "/somewhere",
        "OTHER": "ignored",
    }
    assert settings_from_env(env) == {
        "SECRET_KEY": "123",  # a secret stays a string even when it looks like a number
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://db/desk",
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
        "SUPPORTDESK_SELF_REGISTRATION": True,
        "SUPPORTDESK_DISABLED_PLUGINS": ["fraud"],
        "SESSION_COOKIE_SECURE": True,
    }


def test_the_instance_folder_is_created(tmp_path, monkeypatch):
    instance = tmp_path / "new" / "instance"
    monkeypatch.setenv("SUPPORTDESK_INSTANCE", str(instance))
    create_app({"TESTING": True})
    assert instance.is_dir()


def test_the_desk_refuses_to_start_with_the_default_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("SUPPORTDESK_INSTANCE", str(tmp_path / "inst"))
    with pytest.raises(ConfigurationError, match="supportdesk init"):
        create_app()
    with pytest.raises(ConfigurationError):
        create_app({"SECRET_KEY": DEFAULT_SECRET_KEY})


def test_debug_and_testing_may_use_the_default_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("SUPPORTDESK_INSTANCE", str(tmp_path / "inst"))
    assert create_app({"DEBUG": True}).debug
    assert create_app({"TESTING": True}).testing


def test_a_real_secret_from_the_environment_is_accepted(tmp_path, monkeypatch):
    monkeypatch.setenv("SUPPORTDESK_INSTANCE", str(tmp_path / "inst"))
    monkeypatch.setenv("SUPPORTDESK_SECRET_KEY", "a-long-random-value")
    assert create_app().config["SECRET_KEY"] == "a-long-random-value"


def test_cookie_defaults_are_safe(app):
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_upload_limits_that_cannot_fit_are_refused_at_start(make_app):
    with pytest.raises(ConfigurationError, match="MAX_CONTENT_LENGTH"):
        make_app(
            MAX_CONTENT_LENGTH=5 * 1024 * 1024, SUPPORTDESK_ATTACHMENT_MAX_BYTES=2 * 1024 * 1024
        )
    app = make_app(
        MAX_CONTENT_LENGTH=12 * 1024 * 1024, SUPPORTDESK_ATTACHMENT_MAX_BYTES=2 * 1024 * 1024
    )
    assert app.config["SUPPORTDESK_MAX_ATTACHMENTS"] * 2 * 1024 * 1024 < 12 * 1024 * 1024
