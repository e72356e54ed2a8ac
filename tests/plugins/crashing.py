"""A plugin page that crashes, to see the desk's 500 page."""

from flask import Blueprint, abort

from supportdesk import hookimpl

name = "crashing"
bp = Blueprint("crashing", __name__)


@bp.get("/crash")
def crash():
    raise RuntimeError("boom")


@bp.get("/forbidden")
def forbidden():
    abort(403)


@hookimpl
def register_blueprints(app):
    return [bp]
