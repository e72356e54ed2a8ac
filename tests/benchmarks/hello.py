"""The baseline of the HTTP benchmark: a bare Flask application that answers every path and
method with "Hello, World!", served by gunicorn with the same settings as the desk.

It answers any path so that the load generator sends it exactly what it sends the desk (the
same URLs, the same form bodies and cookies): only the application differs.
"""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.route("/", defaults={"path": ""}, methods=["GET", "POST"])
@app.route("/<path:path>", methods=["GET", "POST"])
def hello(path: str) -> str:
    return "Hello, World!"
