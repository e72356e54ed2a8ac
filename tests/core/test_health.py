"""The health check a load balancer polls: 200 while the database answers, 503 when it does not."""

from __future__ import annotations

from supportdesk import create_app
from supportdesk.testing import base_config


def test_health_answers_ok_while_the_database_answers(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_health_answers_503_when_the_database_is_unreachable(tmp_path):
    # Nothing listens on port 1: every connection is refused at once.
    app = create_app(
        {
            **base_config(tmp_path),
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none",
        }
    )
    response = app.test_client().get("/health")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "unreachable"}
