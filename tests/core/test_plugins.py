"""The plugin host: discovery, selection, failure isolation and hook checks."""

from __future__ import annotations

import logging
import textwrap

import pytest

from supportdesk.plugins import PluginError, plugin_host
from supportdesk.tickets import open_ticket
from tests.plugins import bad_startup, failing, misspelled, sample

BUILT_IN = {"helpcenter", "contact", "fraud", "disputes"}


def test_built_in_plugins_load_through_the_entry_point_group(app):
    infos = {i.name: i for i in plugin_host(app).loaded()}
    assert set(infos) >= BUILT_IN
    for name in BUILT_IN:
        assert infos[name].status == "loaded"
        assert infos[name].source == "built-in"
    keys = set(app.extensions["supportdesk"].ticket_types)
    assert {"contact", "fraud_report", "guarantee_claim", "feedback_dispute"} <= keys


def test_allow_list_loads_only_the_named_plugins(make_app):
    app = make_app(SUPPORTDESK_PLUGINS=["contact"])
    statuses = {i.name: i.status for i in plugin_host(app).loaded()}
    assert statuses["contact"] == "loaded"
    assert statuses["fraud"] == statuses["disputes"] == "disabled"
    assert set(app.extensions["supportdesk"].ticket_types) == {"contact"}


def test_deny_list_disables_a_plugin_and_its_ticket_types(make_app):
    app = make_app(SUPPORTDESK_DISABLED_PLUGINS=["fraud"])
    statuses = {i.name: i.status for i in plugin_host(app).loaded()}
    assert statuses["fraud"] == "disabled"
    assert "fraud_report" not in app.extensions["supportdesk"].ticket_types
    assert "contact" in app.extensions["supportdesk"].ticket_types


def test_plugin_selection_from_the_environment(make_app, monkeypatch):
    monkeypatch.setenv("SUPPORTDESK_DISABLED_PLUGINS", '["disputes", "fraud"]')
    app = make_app()
    assert set(app.extensions["supportdesk"].ticket_types) == {"contact"}


@pytest.fixture
def broken_entry_point(tmp_path, monkeypatch):
    """An installed distribution whose plugin module raises on import."""
    site = tmp_path / "site"
    dist_info = site / "marketplace_broken-1.2.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: marketplace-broken\nVersion: 1.2\n"
    )
    (dist_info / "entry_points.txt").write_text(
        "[supportdesk.plugins]\nbroken = marketplace_broken\n"
    )
    (site / "marketplace_broken.py").write_text(
        textwrap.dedent("""
            raise ImportError("a dependency of this plugin is missing")
        """)
    )
    monkeypatch.syspath_prepend(str(site))
    return "broken"


def test_a_plugin_that_fails_to_import_is_reported_and_the_desk_stays_up(
    make_app, broken_entry_point, caplog
):
    with caplog.at_level(logging.ERROR):
        app = make_app(SUPPORTDESK_STRICT_PLUGINS=False)
    info = {i.name: i for i in plugin_host(app).loaded()}[broken_entry_point]
    assert info.status == "failed"
    assert "a dependency of this plugin is missing" in info.error
    assert info.source == "marketplace-broken" and info.version == "1.2"
    assert "broken" in caplog.text
    assert app.test_client().get("/").status_code == 200
    assert {i.name for i in plugin_host(app).loaded() if i.status == "loaded"} >= BUILT_IN


def test_strict_mode_re_raises_the_import_failure(make_app, broken_entry_point):
    with pytest.raises(PluginError, match="broken"):
        make_app(SUPPORTDESK_STRICT_PLUGINS=True)


def test_plugins_command_lists_the_failure(make_app, broken_entry_point):
    app = make_app(SUPPORTDESK_STRICT_PLUGINS=False)
    result = app.test_cli_runner().invoke(args=["plugins"])
    assert result.exit_code == 0
    assert "broken 1.2 (marketplace-broken) failed" in result.output
    assert "a dependency of this plugin is missing" in result.output
    assert "contact 0.1.0 (built-in) loaded" in result.output


def test_a_misspelled_hook_is_caught_with_a_suggestion(make_app):
    app = make_app(plugins=[misspelled], SUPPORTDESK_STRICT_PLUGINS=False)
    info = {i.name: i for i in plugin_host(app).loaded()}["misspelled"]
    assert info.status == "failed"
    assert "ticket_opend" in info.error and "ticket_opened" in info.error
    assert not plugin_host(app).pm.has_plugin("misspelled")


def test_a_misspelled_hook_fails_start_up_in_strict_mode(make_app):
    with pytest.raises(PluginError, match="ticket_opend"):
        make_app(plugins=[misspelled])


def test_a_registered_plugin_adds_its_blueprint_type_menu_and_slot(
    register_plugin, login, make_user
):
    app = register_plugin(sample)
    client = app.test_client()
    assert client.get("/sample/").data == b"sample page"
    info = {i.name: i for i in plugin_host(app).loaded()}["sample"]
    assert info.blueprints == ["desk.sample"]
    assert "register_ticket_types" in info.hooks
    page = client.get("/").get_data(as_text=True)
    assert 'href="/sample/"' in page
    assert "&lt;b&gt;escaped&lt;/b&gt;" in page and "<i>trusted</i>" in page


def test_event_hooks_run_after_the_commit(register_plugin, make_user):
    app = register_plugin(sample)
    with app.app_context():
        seller = make_user()
        ticket = open_ticket(
            seller=seller, type_key="sample_case", subject="s", body="b", fields={"amount": "3"}
        )
        assert sample.seen == [("opened", ticket.ref)]
        assert ticket.fields == {"amount": 3}


def test_failing_event_hooks_slots_and_menus_are_isolated(register_plugin, make_user, caplog):
    app = register_plugin(sample, failing)
    with app.app_context(), caplog.at_level(logging.ERROR):
        seller = make_user()
        ticket = open_ticket(seller=seller, type_key="contact", subject="Hello", body="Help me")
        assert ticket.id is not None
    assert ("opened", ticket.ref) in sample.seen  # the other plugin still heard of it
    assert "failing" in caplog.text and "event hook exploded" in caplog.text
    page = app.test_client().get("/")
    assert page.status_code == 200
    assert "<i>trusted</i>" in page.get_data(as_text=True)


def test_a_plugin_rejecting_its_configuration_is_reported(make_app):
    with pytest.raises(PluginError, match="SAMPLE_API_KEY is not set"):
        make_app(plugins=[bad_startup])
    app = make_app(plugins=[bad_startup], SAMPLE_API_KEY="k")
    assert {i.name: i.status for i in plugin_host(app).loaded()}["bad_startup"] == "loaded"


def test_each_application_has_its_own_plugin_manager(make_app):
    plain = make_app()
    extended = make_app(plugins=[sample])
    assert plugin_host(plain) is not plugin_host(extended)
    assert not plugin_host(plain).pm.has_plugin("sample")
    assert plain.test_client().get("/sample/").status_code == 404


def test_a_duplicate_ticket_type_key_is_refused(make_app):
    import types

    from supportdesk import TicketType, hookimpl

    impostor = types.ModuleType("impostor")
    impostor.register_ticket_types = hookimpl(lambda app: [TicketType("contact", "Mine", "q")])
    with pytest.raises(Exception, match="already registered"):
        make_app(plugins=[impostor])
