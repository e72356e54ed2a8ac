"""The OpenAPI document describes every API route and is a valid OpenAPI 3.1 document."""

from __future__ import annotations

import re

import pytest


def openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.removeprefix("/api/v1"))


def test_every_api_route_is_described(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    assert document["servers"] == [{"url": "/api/v1"}]
    routes = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")]
    assert len(routes) >= 10
    for rule in routes:
        path = openapi_path(rule.rule)
        assert path in document["paths"], f"{rule.rule} is not in the OpenAPI document"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = document["paths"][path].get(method.lower())
            assert operation, f"{method} {rule.rule} is not in the OpenAPI document"
            assert "default" in operation["responses"] or path == "/openapi.json"
    described = {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    }
    served = {
        (openapi_path(rule.rule), method.lower())
        for rule in routes
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert described == served  # nothing described that does not exist


def test_security_schemes_and_public_operations(client):
    document = client.get("/api/v1/openapi.json").get_json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    assert schemes["cookieAuth"]["in"] == "cookie"
    assert document["paths"]["/help/search"]["get"]["security"] == []
    assert "contact" in document["components"]["schemas"]["NewTicket"]["properties"]["type"]["enum"]


def test_the_document_is_valid_openapi(client):
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(client.get("/api/v1/openapi.json").get_json())


def test_a_mounted_desk_describes_its_own_prefix(tmp_path):
    from flask import Flask

    from supportdesk import SupportDesk
    from supportdesk.testing import base_config

    host = Flask("host")
    host.config.update(base_config(tmp_path))
    SupportDesk(host, url_prefix="/support")
    document = host.test_client().get("/support/api/v1/openapi.json").get_json()
    assert document["servers"] == [{"url": "/support/api/v1"}]
