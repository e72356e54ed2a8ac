"""A plugin that keeps failing is paused, admins see it, and a success resets the count."""

from __future__ import annotations

import json

import pytest

from supportdesk.plugins import plugin_host
from supportdesk.tickets import open_ticket, reply
from tests.plugins.flaky import Flaky
from tests.plugins.sample import seen


def _open(seller, subject="Hello"):
    return open_ticket(seller=seller, type_key="contact", subject=subject, body="Help me")


def _info(app, name):
    return {i.name: i for i in plugin_host(app).loaded()}[name]


def test_a_plugin_is_paused_after_the_failure_limit(register_plugin, make_user):
    from tests.plugins import sample

    flaky = Flaky()
    app = register_plugin(flaky, sample, SUPPORTDESK_PLUGIN_FAILURE_LIMIT=3)
    with app.app_context():
        seller = make_user()
        for n in range(5):
            _open(seller, subject=f"case {n}")
    assert flaky.calls == ["ticket_opened"] * 3  # the 4th and 5th cases no longer call it
    info = _info(app, "flaky")
    assert info.paused and info.failures == 3
    assert info.health == (
        "paused after 3 failures: last error ticket_opened: RuntimeError: ticket_opened is broken"
    )
    assert len([event for event in seen if event[0] == "opened"]) == 5  # others still hear
    assert _info(app, "sample").health == "ok"


def test_a_paused_plugin_s_slots_are_skipped_too(register_plugin):
    flaky = Flaky()
    app = register_plugin(flaky, SUPPORTDESK_PLUGIN_FAILURE_LIMIT=2)
    client = app.test_client()
    for _ in range(4):
        assert client.get("/").status_code == 200
    assert flaky.calls == ["template_slot"] * 2
    assert _info(app, "flaky").paused


def test_a_success_resets_the_count(register_plugin, make_user):
    flaky = Flaky()
    app = register_plugin(flaky, SUPPORTDESK_PLUGIN_FAILURE_LIMIT=3)
    with app.app_context():
        seller = make_user()
        ticket = _open(seller)
        for n in range(2):
            reply(ticket, actor=seller, body=f"more {n}")
        assert _info(app, "flaky").failures_in_a_row == {"ticket_opened": 1, "message_added": 2}
        flaky.broken = False
        reply(ticket, actor=seller, body="again")
        assert _info(app, "flaky").failures_in_a_row["message_added"] == 0
        flaky.broken = True
        for n in range(2):
            reply(ticket, actor=seller, body=f"and {n}")
        info = _info(app, "flaky")
        assert (info.failures, info.paused, info.health) == (2, False, "ok")


def test_a_limit_of_zero_never_pauses(register_plugin, make_user):
    flaky = Flaky()
    app = register_plugin(flaky, SUPPORTDESK_PLUGIN_FAILURE_LIMIT=0)
    with app.app_context():
        seller = make_user()
        for n in range(7):
            _open(seller, subject=f"case {n}")
    assert len(flaky.calls) == 7
    assert _info(app, "flaky").health == "ok"


def test_decision_hooks_keep_raising(register_plugin, make_user):
    import types

    from supportdesk import hookimpl

    denier = types.ModuleType("denier")
    denier.score_ticket = hookimpl(lambda ticket: 1 / 0)
    app = register_plugin(denier, SUPPORTDESK_PLUGIN_FAILURE_LIMIT=1)
    with app.app_context():
        seller = make_user()
        for _ in range(2):
            with pytest.raises(ZeroDivisionError):
                _open(seller)
    assert not _info(app, "denier").paused


def test_the_plugins_command_shows_health(register_plugin):
    from supportdesk.accounts import create_user

    flaky = Flaky()
    # No ``app`` fixture here: its context would be the one the command sees.
    app = register_plugin(flaky, SUPPORTDESK_PLUGIN_FAILURE_LIMIT=1)
    with app.app_context():
        _open(create_user("s@example.com", role="seller", password="long enough password"))
    result = app.test_cli_runner().invoke(args=["plugins"])
    assert result.exit_code == 0, result.output
    assert "contact 0.1.0 (built-in) loaded\n    health: ok" in result.output
    assert "health: paused after 1 failures: last error ticket_opened" in result.output
    listed = json.loads(app.test_cli_runner().invoke(args=["plugins", "--json"]).output)
    flaky_row = next(row for row in listed if row["name"] == "flaky")
    assert flaky_row["paused"] is True and flaky_row["failures"] == 1
    assert flaky_row["health"].startswith("paused after 1 failures")


def test_the_admin_plugins_page(register_plugin, make_user, login, admin, agent, seller):
    flaky = Flaky()
    app = register_plugin(flaky, SUPPORTDESK_PLUGIN_FAILURE_LIMIT=1)
    with app.app_context():
        _open(make_user())
    client = app.test_client()
    assert client.get("/admin/plugins").status_code == 302  # anonymous: sign in first
    for user in (seller, agent):
        assert login(app.test_client(), user).get("/admin/plugins").status_code == 403
    page = login(client, admin).get("/admin/plugins")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for name in ("helpcenter", "contact", "fraud", "disputes", "flaky"):
        assert f'data-plugin="{name}"' in html
    assert "paused after 1 failures" in html
    assert "ticket_opened: RuntimeError: ticket_opened is broken" in html
    assert "desk.helpcenter" in html  # blueprints
    assert 'href="/admin/plugins"' in html  # the admin's menu links to it
    assert 'href="/admin/plugins"' not in login(app.test_client(), agent).get("/").get_data(
        as_text=True
    )
