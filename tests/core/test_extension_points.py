"""Extension points a marketplace relies on: slots with priorities in core pages, fields added
to another plugin's ticket type, notification channels, per-plugin settings, and the start-up
and decision hooks (commands, search sources, demo content, assignment)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from markupsafe import Markup

from supportdesk import FieldErrors, SlotContent, plugin_config
from supportdesk.extensions import db
from supportdesk.mail.sender import OutboxWorker
from supportdesk.models import Outbox, Role, utcnow
from supportdesk.plugins import plugin_host
from supportdesk.tickets import open_ticket
from supportdesk.web import slot_piece
from tests.plugins import routing
from tests.plugins.marketplace import Marketplace
from tests.servers import free_port


def _open_contact(seller, **fields):
    return open_ticket(
        seller=seller, type_key="contact", subject="Hello", body="Help me", fields=fields
    )


@pytest.mark.parametrize(
    ("piece", "expected"),
    [
        ("text", (100, "text")),
        ((5, Markup("<b>x</b>")), (5, Markup("<b>x</b>"))),
        (SlotContent("y", priority=7), (7, "y")),
    ],
)
def test_slot_pieces_carry_a_priority(piece, expected):
    assert slot_piece(piece) == expected


def test_seller_home_pieces_are_sorted_by_priority(register_plugin):
    from tests.plugins import sample

    app = register_plugin(Marketplace(), sample)
    html = app.test_client().get("/").get_data(as_text=True)
    first, second = html.index("<p>first</p>"), html.index("<p>second</p>")
    trusted = html.index("<i>trusted</i>")  # sample's plain pieces: priority 100
    assert first < second < trusted
    assert "&lt;b&gt;escaped&lt;/b&gt;" in html


def test_case_sidebar_on_the_seller_and_the_staff_case_pages(register_plugin, login, make_user):
    app = register_plugin(Marketplace())
    seller = make_user(Role.SELLER)
    admin = make_user(Role.ADMIN)
    with app.app_context():
        ticket = _open_contact(seller, shop_id="42")
        ref = ticket.ref
    seller_page = login(app.test_client(), seller).get(f"/cases/{ref}").get_data(as_text=True)
    assert f'<p class="mk-seller">shop of {ref}</p>' in seller_page
    staff_page = login(app.test_client(), admin).get(f"/staff/cases/{ref}").get_data(as_text=True)
    assert f'<p class="mk-staff">shop of {ref}</p>' in staff_page


def test_staff_sidebar_gets_the_actor_and_the_queues(register_plugin, login, make_user):
    app = register_plugin(Marketplace())
    agent = make_user(Role.AGENT, email="queue.agent@example.com", queues=["seller-support"])
    page = login(app.test_client(), agent).get("/staff/").get_data(as_text=True)
    assert "queues for queue.agent@example.com" in page


def test_article_footer_gets_the_article(register_plugin):
    from supportdesk_helpcenter import articles
    from supportdesk_helpcenter.articles import ArticleData

    app = register_plugin(Marketplace())
    with app.app_context():
        articles.save(ArticleData(slug="refunds", locale="en", title="Refunds", body="Text"))
    page = app.test_client().get("/help/refunds?lang=en").get_data(as_text=True)
    assert "footer of refunds" in page


def test_a_plugin_adds_a_validated_field_to_another_plugin_s_type(register_plugin, make_user):
    app = register_plugin(Marketplace())
    contact = app.extensions["supportdesk"].ticket_types["contact"]
    assert [f.name for f in contact.extra_fields][-1] == "shop_id"
    assert contact.plugin == "contact"
    seller = make_user()
    with app.app_context():
        with pytest.raises(FieldErrors) as missing:
            _open_contact(seller)
        assert "shop_id" in missing.value.errors
        with pytest.raises(FieldErrors) as bad:
            _open_contact(seller, shop_id="abc")
        assert bad.value.errors["shop_id"] == "a shop number has only digits"
        assert _open_contact(seller, shop_id="42").fields["shop_id"] == 42


def test_an_extension_never_leaks_into_another_desk(make_app, register_plugin):
    register_plugin(Marketplace())
    plain = make_app()
    names = [f.name for f in plain.extensions["supportdesk"].ticket_types["contact"].extra_fields]
    assert "shop_id" not in names


def test_a_field_name_taken_twice_is_a_start_up_error(register_plugin):
    twin = type("Twin", (Marketplace,), {"name": "twin"})
    with pytest.raises(Exception, match="adds field 'shop_id' to ticket type 'contact'"):
        register_plugin(Marketplace(), twin())


def test_a_channel_delivers_its_rows_with_retries(register_plugin, make_user):
    market = Marketplace()
    app = register_plugin(market, SUPPORTDESK_SMTP_PORT=free_port())  # no mail server there
    seller = make_user()
    with app.app_context():
        ticket = _open_contact(seller, shop_id="7")
        market.failures_to_come = 1
        OutboxWorker().run(once=True)
        row = db.session.scalar(sa.select(Outbox).where(Outbox.channel == "sms"))
        assert (row.status, row.attempts) == ("pending", 1)
        assert "SMS gateway down" in row.last_error
        assert row.next_attempt_at > utcnow()
        later = utcnow() + timedelta(days=1)
        OutboxWorker(clock=lambda: later).run(once=True)
        db.session.expire_all()
        row = db.session.get(Outbox, row.id)
        assert (row.status, row.attempts) == ("sent", 2)
        assert market.delivered == [
            {"to": "+33600000000", "kind": "case_opened", "locale": None, "ref": ticket.ref}
        ]
        # Mail rows wait for the unreachable SMTP server; the SMS row did not wait for them.
        mail_statuses = db.session.scalars(
            sa.select(Outbox.status).where(Outbox.channel == "email")
        )
        assert set(mail_statuses) <= {"pending"}


def test_an_undeliverable_or_unknown_channel_row_is_given_up(register_plugin, make_user):
    from supportdesk.outbox import enqueue_to_address

    app = register_plugin(Marketplace())
    with app.app_context():
        for address, channel in (("nobody", "sms"), ("x", "pigeon")):
            enqueue_to_address("note", ticket=None, address=address, locale=None, channel=channel)
        db.session.commit()
        OutboxWorker().run(once=True)
        rows = {r.channel: r for r in db.session.scalars(sa.select(Outbox))}
        assert rows["sms"].status == rows["pigeon"].status == "failed"
        assert rows["sms"].last_error == "no such phone"
        assert "no plugin delivers channel 'pigeon'" in rows["pigeon"].last_error


def test_plugin_config_merges_defaults_configuration_and_environment(make_app, monkeypatch):
    app = make_app(SUPPORTDESK_PLUGIN_WEBHOOKS={"urls": ["http://a"], "timeout": 3})
    defaults = {"urls": [], "timeout": 10, "retries": 4, "secret": None}
    assert plugin_config(app, "webhooks", defaults) == {
        "urls": ["http://a"],
        "timeout": 3,
        "retries": 4,
        "secret": None,
    }
    monkeypatch.setenv("SUPPORTDESK_PLUGIN_WEBHOOKS_SECRET", "12345")
    monkeypatch.setenv("SUPPORTDESK_PLUGIN_WEBHOOKS_RETRIES", "6")
    settings = plugin_config(app, "webhooks", defaults)
    assert settings["secret"] == "12345"  # a secret of digits stays a string
    assert settings["retries"] == 6
    assert plugin_config(app, "absent") == {}


def test_start_up_and_decision_hooks_of_a_plugin(register_plugin, make_user):
    app = register_plugin(routing)
    assert "routing" in app.extensions["supportdesk"].search_sources  # register_search_sources
    result = app.test_cli_runner().invoke(args=["routing-hello"])  # register_commands
    assert result.output == "hello from routing\n"
    plugin_host(app).call_isolated("load_demo_content", app=app)
    assert app.config["ROUTING_DEMO_LOADED"] == 1
    agent = make_user(Role.AGENT, email=routing.ASSIGNEE, queues=["seller-support"])
    with app.app_context():
        ticket = open_ticket(seller=make_user(), type_key="contact", subject="s", body="b")
        assert ticket.assignee_id == agent.id  # assign_ticket
