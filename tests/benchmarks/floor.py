"""A reference beside the hello-world for the filing measurement of the HTTP benchmark: the least
a Flask application on this stack does to store a case durably.

It reads the signed session cookie, parses the multipart form, inserts one row through the
Flask-SQLAlchemy session and commits (on SQLite in WAL mode, as the desk), then answers 303; no
sign-in check, no CSRF, no validation, no message, event, outbox or search index. Served with
the same gunicorn settings, its rate tells how much of the hello-world's is left to any
application that files a case in one database transaction.

Its database: ``FLOOR_DATABASE_URL``, else a SQLite file named by ``FLOOR_DATABASE``.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Flask, redirect, request, session
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import Mapped, mapped_column

app = Flask(__name__)
app.config["SECRET_KEY"] = "benchmark-floor"
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("FLOOR_DATABASE_URL") or (
    "sqlite:///" + os.environ.get("FLOOR_DATABASE", "floor.db")
)
db = SQLAlchemy(app)


class FloorCase(db.Model):
    __tablename__ = "bench_floor_cases"
    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime]


with app.app_context():
    if db.engine.dialect.name == "sqlite":

        @sa.event.listens_for(db.engine, "connect")
        def _wal(connection, _record) -> None:
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA busy_timeout = 5000")

    db.create_all()
    db.engine.dispose()


@app.route("/", defaults={"path": ""}, methods=["GET", "POST"])
@app.route("/<path:path>", methods=["GET", "POST"])
def file_case(path: str):
    if request.method == "GET":
        return "ready"
    session.get("_user_id")
    db.session.add(
        FloorCase(
            subject=request.form.get("subject", ""),
            body=request.form.get("body", ""),
            created_at=datetime.now(UTC),
        )
    )
    db.session.commit()
    return redirect("/sent", code=303)
