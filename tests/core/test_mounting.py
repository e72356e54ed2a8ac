"""The desk mounted inside a marketplace's own Flask application."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask, request, session
from flask_sqlalchemy import SQLAlchemy

from supportdesk import SupportDesk, hookimpl
from supportdesk.extensions import db
from supportdesk.models import Role, User
from supportdesk.testing import base_config


class HostUsers:
    """The marketplace maps its own signed-in user to a desk seller (find or create)."""

    name = "host_users"

    @hookimpl
    def load_actor(self, request):
        host_user = session.get("host_user")
        if not host_user:
            return None
        user = db.session.query(User).filter_by(external_id=host_user).one_or_none()
        if user is None:
            user = User(email=f"{host_user}@shop.example", role=Role.SELLER, external_id=host_user)
            db.session.add(user)
            db.session.commit()
        return user


def mount_desk(host: Flask, tmp_path: Path, *plugins: object) -> None:
    """Mount the desk under ``/support`` of ``host``, on a database of its own, with the test
    settings but the host's own ``TESTING``, and ``plugins`` beside the installed ones."""
    config = base_config(tmp_path)
    config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'desk.db'}"
    config["SUPPORTDESK_EXTRA_PLUGINS"] = list(plugins)
    config.pop("TESTING")
    host.config.update(config)
    SupportDesk(host, url_prefix="/support")
    with host.app_context():
        db.create_all()


def build_host(tmp_path, *, with_host_db=False):
    host = Flask("marketplace")
    host.config.update(SECRET_KEY="host-secret", TESTING=True)
    host_db = None
    if with_host_db:
        host.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'host.db'}"
        host_db = SQLAlchemy(host)

    @host.get("/")
    def shop_home():
        return "marketplace home"

    @host.get("/login/<name>")
    def host_login(name):
        session["host_user"] = name
        return "ok"

    mount_desk(host, tmp_path, HostUsers())
    return host, host_db


def test_both_applications_answer_side_by_side(tmp_path):
    host, _ = build_host(tmp_path)
    client = host.test_client()
    assert client.get("/").data == b"marketplace home"
    page = client.get("/support/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'href="/support/_desk/static/desk.css"' in html
    assert client.get("/support/_desk/static/desk.css").status_code == 200
    assert client.get("/support/sign-in").status_code == 200


def test_the_host_keeps_its_own_404_and_the_desk_its_own(tmp_path):
    host, _ = build_host(tmp_path)
    client = host.test_client()
    host_404 = client.get("/no-such-shop-page")
    assert host_404.status_code == 404
    assert "Seller support" not in host_404.get_data(as_text=True)
    desk_404 = client.get("/support/no-such-desk-page")
    assert desk_404.status_code == 404
    staff = client.get("/support/staff/")
    assert staff.status_code == 302  # the desk asks for sign-in on its own pages
    assert staff.headers["Location"].startswith("/support/sign-in")


def test_the_host_signed_in_user_becomes_the_desk_seller(tmp_path):
    host, _ = build_host(tmp_path)
    client = host.test_client()
    client.get("/login/alice")
    page = client.get("/support/").get_data(as_text=True)
    assert "alice@shop.example" in page  # shown as the signed-in person
    with host.app_context():
        assert db.session.query(User).filter_by(external_id="alice").one().role == Role.SELLER


def test_a_host_with_its_own_flask_sqlalchemy_keeps_its_database(tmp_path):
    host, host_db = build_host(tmp_path, with_host_db=True)

    class Product(host_db.Model):
        id = host_db.Column(host_db.Integer, primary_key=True)

    with host.app_context():
        host_db.create_all()
        host_db.session.add(Product())
        host_db.session.commit()
        assert host.extensions["sqlalchemy"] is host_db
        assert str(host_db.engine.url).endswith("host.db")
        assert str(db.engine.url).endswith("desk.db")
        assert host_db.session.query(Product).count() == 1
    assert host.test_client().get("/support/").status_code == 200


def test_host_routes_get_no_desk_headers_or_templates(tmp_path):
    host, _ = build_host(tmp_path)

    @host.get("/plain")
    def plain():
        return "plain"

    response = host.test_client().get("/plain")
    assert "Content-Security-Policy" not in response.headers


@pytest.mark.parametrize("prefix", ["/help-desk", "/a/b"])
def test_any_prefix_works(tmp_path, prefix):
    host = Flask("marketplace")
    host.config.update(base_config(tmp_path))
    host.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'desk.db'}"
    SupportDesk(host, url_prefix=prefix)
    with host.app_context():
        db.create_all()
    assert host.test_client().get(f"{prefix}/").status_code == 200


def test_a_host_with_its_own_flask_login_keeps_it_and_maps_its_users(tmp_path):
    from flask_login import LoginManager, UserMixin, login_user

    class ShopUser(UserMixin):
        def __init__(self, user_id):
            self.id = user_id

    host = Flask("marketplace")
    host.config.update(SECRET_KEY="host-secret", TESTING=True)
    host_login = LoginManager(host)
    host_login.login_view = "shop_login"
    host_login.user_loader(ShopUser)

    @host.get("/shop-login", defaults={"name": None})
    @host.get("/shop-login/<name>")
    def shop_login(name):
        if name is None:
            return "the shop's sign-in form"
        login_user(ShopUser(name))
        session["host_user"] = name  # what HostUsers.load_actor maps
        return "signed in at the shop"

    mount_desk(host, tmp_path, HostUsers())
    assert host.login_manager is host_login  # the host's sign-in stays in charge
    client = host.test_client()
    anonymous = client.get("/support/staff/")
    assert anonymous.status_code == 302
    assert "/shop-login" in anonymous.headers["Location"]  # the host's own sign-in page
    assert "/shop-login" in client.get("/support/sign-in").headers["Location"]
    client.get("/shop-login/bob")
    page = client.get("/support/")
    assert page.status_code == 200
    assert "bob@shop.example" in page.get_data(as_text=True)
    assert client.get("/support/staff/").status_code == 403  # a seller, not staff


def test_a_mounted_desk_is_prepared_for_a_preforking_servers_workers(tmp_path):
    """What ``gunicorn --preload`` does before its first fork, done on the host's app."""
    from supportdesk import prefork

    host = build_host(tmp_path)[0]

    prefork.prepare_for_workers(host)

    compiled = {name for _loader, name in host.jinja_env.cache}
    assert {"desk/layout.html", "supportdesk_helpcenter/search.html"} <= compiled
    assert host.test_client().get("/support/sign-in").status_code == 200


def test_a_mounted_desk_does_not_answer_pages_in_the_hosts_parent(tmp_path):
    """The warm-up of a preforking server's parent is for a desk of its own: in a host's
    application it would run the host's request hooks too, which may write."""
    from supportdesk import prefork

    host = build_host(tmp_path)[0]
    seen = []
    host.before_request(lambda: seen.append(request.path) and None)
    assert host in prefork._unprepared
    prefork._before_fork()
    assert seen == []
    assert "desk/layout.html" in {name for _loader, name in host.jinja_env.cache}  # prepared
