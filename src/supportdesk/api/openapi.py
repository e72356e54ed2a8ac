"""The OpenAPI 3.1 description of ``/api/v1``, served at ``/api/v1/openapi.json``.

Built from Python data so that it can follow the installed ticket types and the desk's mount
point; ``tests/api/test_openapi.py`` checks that every API route is described here."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify

from ..models import Status
from ..ticket_types import ticket_types
from . import API_PREFIX, bp
from .tickets import IDEMPOTENCY_KEY_MAX, MAX_LIMIT, ORDER_ID_MAX

JSON = "application/json"
PROBLEM = "application/problem+json"
DATE_TIME = {"type": "string", "format": "date-time"}
NULLABLE_STRING = {"type": ["string", "null"]}
STATUS_ENUM = {"type": "string", "enum": [str(s) for s in Status]}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def problem_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM: {"schema": ref("Problem")}}}


PROBLEMS = {
    "400": "The request is malformed (bad JSON, a cursor not made by this API: `bad-cursor`).",
    "401": "No valid bearer token and no session (`unauthorized`).",
    "403": "A read-only token tried to write (`insufficient-scope`), a missing CSRF token on a "
    "session write (`csrf-failed`), or an action this caller may not take on the case.",
    "404": "No such case, or one this caller may not see (`not-found`).",
    "409": "The case changed meanwhile, another agent claimed it (`conflict`), or the "
    "idempotency key was used for another case (`idempotency-key-reused`).",
    "413": "The upload is larger than allowed (`payload-too-large`).",
    "415": "The body is not JSON (`unsupported-media-type`).",
    "422": "Invalid fields (`validation-error`); `errors` maps each field to a message.",
    "429": "Too many requests (`rate-limited`); wait for `Retry-After` seconds.",
}


def responses(success: dict[str, Any], *codes: str) -> dict[str, Any]:
    answers = dict(success)
    for code in codes:
        answers[code] = problem_response(PROBLEMS[code])
    answers["default"] = problem_response("Any other error, as a problem document.")
    return answers


def ok(schema: str, description: str, status: str = "200", **extra: Any) -> dict[str, Any]:
    return {
        status: {"description": description, "content": {JSON: {"schema": ref(schema)}}, **extra}
    }


def json_request(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {JSON: {"schema": ref(schema)}}}


REF_PARAMETER = {
    "name": "ref",
    "in": "path",
    "required": True,
    "description": "The case's public reference, e.g. `SD-AB12-CD34`.",
    "schema": {"type": "string", "maxLength": 16},
}
AUTH = ("401", "429")


def schemas() -> dict[str, Any]:
    attachment = {
        "type": "object",
        "required": ["id", "filename", "content_type", "size", "url"],
        "properties": {
            "id": {"type": "integer"},
            "filename": {"type": "string"},
            "content_type": {"type": "string"},
            "size": {"type": "integer", "minimum": 0},
            "url": {"type": "string", "description": "Download address (`/files/<id>`)."},
        },
    }
    message = {
        "type": "object",
        "required": ["id", "author", "body", "internal", "via", "created_at", "attachments"],
        "properties": {
            "id": {"type": "integer"},
            "author": {"type": "string", "enum": ["seller", "staff", "system"]},
            "author_name": NULLABLE_STRING,
            "body": {"type": "string"},
            "internal": {"type": "boolean", "description": "An internal note (staff only)."},
            "via": {"type": "string"},
            "created_at": DATE_TIME,
            "attachments": {"type": "array", "items": ref("Attachment")},
        },
    }
    summary = {
        "type": "object",
        "required": ["ref", "url", "api_url", "type", "subject", "status", "created_at"],
        "properties": {
            "ref": {"type": "string"},
            "url": {"type": "string", "description": "The case's page in the desk."},
            "api_url": {"type": "string"},
            "type": {"type": "string"},
            "subject": {"type": "string"},
            "status": STATUS_ENUM,
            "priority": {"type": "string"},
            "order_id": NULLABLE_STRING,
            "fields": {"type": "object"},
            "created_at": DATE_TIME,
            "updated_at": DATE_TIME,
            "merged_into": NULLABLE_STRING,
        },
    }
    detail = {
        "allOf": [
            ref("TicketSummary"),
            {
                "type": "object",
                "required": ["messages"],
                "properties": {
                    "messages": {"type": "array", "items": ref("Message")},
                    "assignee": {**NULLABLE_STRING, "description": "Staff only."},
                    "queue": {"type": "string", "description": "Staff only."},
                },
            },
        ]
    }
    return {
        "Problem": {
            "type": "object",
            "description": "RFC 9457 problem details; `type` is stable for each kind of error.",
            "required": ["type", "title", "status"],
            "properties": {
                "type": {"type": "string"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "errors": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        },
        "Attachment": attachment,
        "Message": message,
        "TicketSummary": summary,
        "Ticket": detail,
        "TicketPage": {
            "type": "object",
            "required": ["items", "next_cursor"],
            "properties": {
                "items": {"type": "array", "items": ref("TicketSummary")},
                "next_cursor": {
                    **NULLABLE_STRING,
                    "description": "Pass as `cursor` for the next page; null on the last one.",
                },
            },
        },
        "NewTicket": {
            "type": "object",
            "required": ["type", "subject", "body"],
            "properties": {
                "type": {
                    "type": "string",
                    "enum": sorted(k for k, t in ticket_types().items() if not t.own_intake),
                },
                "subject": {"type": "string", "minLength": 1, "maxLength": 300},
                "body": {"type": "string", "minLength": 1, "maxLength": 20_000},
                "fields": {
                    "type": "object",
                    "description": "The type's extra fields, validated by the type.",
                },
                "order_id": {**NULLABLE_STRING, "maxLength": ORDER_ID_MAX},
            },
        },
        "NewMessage": {
            "type": "object",
            "required": ["body"],
            "properties": {
                "body": {"type": "string", "minLength": 1, "maxLength": 20_000},
                "internal": {
                    "type": "boolean",
                    "default": False,
                    "description": "Staff only: an internal note, never shown to the seller.",
                },
                "status": {**STATUS_ENUM, "description": "Staff only: the case's next status."},
            },
        },
        "NewAttachment": {
            "type": "object",
            "required": ["file"],
            "properties": {
                "file": {"type": "string", "contentMediaType": "application/octet-stream"},
                "body": {"type": "string", "description": "The message the file comes with."},
            },
        },
        "StatusChange": {
            "type": "object",
            "required": ["status"],
            "properties": {"status": STATUS_ENUM},
        },
        "HelpSearchResults": {
            "type": "object",
            "required": ["results", "total", "took_ms"],
            "properties": {
                "results": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["slug", "locale", "title", "url", "snippet", "score"],
                        "properties": {
                            "slug": {"type": "string"},
                            "locale": {"type": "string"},
                            "title": {"type": "string"},
                            "url": {"type": "string"},
                            "snippet": {
                                "type": "string",
                                "description": "Plain text; matched words between « and ».",
                            },
                            "score": {"type": "number"},
                        },
                    },
                },
                "total": {"type": "integer"},
                "took_ms": {"type": "number"},
            },
        },
        "HelpArticle": {
            "type": "object",
            "required": ["slug", "locale", "title", "body_markdown", "body_html", "url"],
            "properties": {
                "slug": {"type": "string"},
                "locale": {"type": "string"},
                "title": {"type": "string"},
                "category": {"type": ["string", "null"]},
                "tags": {"type": "array", "items": {"type": "string"}},
                "related": {"type": "array", "items": {"type": "string"}},
                "questions": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "Other ways sellers ask what the article answers, one "
                    "sentence each; the search finds the article by them. Possibly empty.",
                },
                "body_markdown": {"type": "string"},
                "body_html": {"type": "string"},
                "updated_at": DATE_TIME,
                "url": {"type": "string"},
                "translations": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "locale": {"type": "string"},
                            "title": {"type": "string"},
                            "url": {"type": "string"},
                        },
                    },
                },
            },
        },
    }


def paths() -> dict[str, Any]:
    lang = {
        "name": "lang",
        "in": "query",
        "schema": {"type": "string", "enum": ["en", "fr"]},
    }
    public: list[dict[str, Any]] = []
    return {
        "/tickets": {
            "get": {
                "operationId": "listTickets",
                "summary": "Cases the caller may see: a seller's own, an agent's queues.",
                "tags": ["cases"],
                "parameters": [
                    {"name": "status", "in": "query", "schema": STATUS_ENUM},
                    {"name": "type", "in": "query", "schema": {"type": "string"}},
                    {
                        "name": "cursor",
                        "in": "query",
                        "description": "`next_cursor` of the previous page.",
                        "schema": {"type": "string"},
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                    },
                ],
                "responses": responses(
                    ok("TicketPage", "One page, newest case first."), "400", "422", *AUTH
                ),
            },
            "post": {
                "operationId": "createTicket",
                "summary": "Open a case of any installed type.",
                "tags": ["cases"],
                "parameters": [
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "description": "Sending the same key again returns the first case "
                        "(same status and body) instead of opening a second one.",
                        "schema": {
                            "type": "string",
                            "minLength": 1,
                            "maxLength": IDEMPOTENCY_KEY_MAX,
                        },
                    }
                ],
                "requestBody": json_request("NewTicket"),
                "responses": responses(
                    ok(
                        "TicketSummary",
                        "The case was opened (or, with a known Idempotency-Key, found).",
                        "201",
                        headers={
                            "Location": {
                                "description": "The case in the API.",
                                "schema": {"type": "string"},
                            }
                        },
                    ),
                    "400",
                    "403",
                    "409",
                    "415",
                    "422",
                    *AUTH,
                ),
            },
        },
        "/tickets/{ref}": {
            "parameters": [REF_PARAMETER],
            "get": {
                "operationId": "getTicket",
                "summary": "A case with its messages (internal notes for staff only).",
                "tags": ["cases"],
                "responses": responses(ok("Ticket", "The case."), "404", *AUTH),
            },
        },
        "/tickets/{ref}/messages": {
            "parameters": [REF_PARAMETER],
            "post": {
                "operationId": "addMessage",
                "summary": "Reply; staff may add an internal note and set the status.",
                "tags": ["cases"],
                "requestBody": json_request("NewMessage"),
                "responses": responses(
                    ok("Message", "The message was added.", "201"),
                    "400",
                    "403",
                    "404",
                    "409",
                    "415",
                    "422",
                    *AUTH,
                ),
            },
        },
        "/tickets/{ref}/attachments": {
            "parameters": [REF_PARAMETER],
            "post": {
                "operationId": "addAttachment",
                "summary": "Send a file (PNG, JPEG, GIF, WebP, PDF, text, email) with a message.",
                "tags": ["cases"],
                "requestBody": {
                    "required": True,
                    "content": {"multipart/form-data": {"schema": ref("NewAttachment")}},
                },
                "responses": responses(
                    ok("Message", "The message and its attachment were added.", "201"),
                    "400",
                    "403",
                    "404",
                    "409",
                    "413",
                    "422",
                    *AUTH,
                ),
            },
        },
        "/tickets/{ref}/status": {
            "parameters": [REF_PARAMETER],
            "post": {
                "operationId": "changeStatus",
                "summary": "Move the case (staff: any allowed move; seller: close or reopen).",
                "tags": ["cases"],
                "requestBody": json_request("StatusChange"),
                "responses": responses(
                    ok("TicketSummary", "The case after the change."),
                    "400",
                    "403",
                    "404",
                    "409",
                    "415",
                    "422",
                    *AUTH,
                ),
            },
        },
        "/tickets/{ref}/claim": {
            "parameters": [REF_PARAMETER],
            "post": {
                "operationId": "claimTicket",
                "summary": "Take an unassigned case (agents).",
                "tags": ["cases"],
                "responses": responses(
                    ok("TicketSummary", "The case, now assigned to the caller."),
                    "403",
                    "404",
                    "409",
                    *AUTH,
                ),
            },
        },
        "/help/search": {
            "get": {
                "operationId": "searchHelp",
                "summary": "Search the published help articles (public).",
                "tags": ["help"],
                "security": public,
                "parameters": [
                    {"name": "q", "in": "query", "required": True, "schema": {"type": "string"}},
                    lang,
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 50},
                    },
                ],
                "responses": responses(
                    ok("HelpSearchResults", "The matching articles, best first."),
                    "400",
                ),
            },
        },
        "/help/articles/{slug}": {
            "get": {
                "operationId": "getHelpArticle",
                "summary": "A published help article (public).",
                "tags": ["help"],
                "security": public,
                "parameters": [
                    {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}},
                    lang,
                ],
                "responses": responses(ok("HelpArticle", "The article."), "400", "404"),
            },
        },
        "/openapi.json": {
            "get": {
                "operationId": "getOpenApi",
                "summary": "This document.",
                "tags": ["meta"],
                "security": public,
                "responses": {
                    "200": {
                        "description": "The OpenAPI 3.1 document.",
                        "content": {JSON: {"schema": {"type": "object"}}},
                    }
                },
            },
        },
    }


def document() -> dict[str, Any]:
    prefix = current_app.extensions["supportdesk"].url_prefix
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Supportdesk API",
            "version": "1.0.0",
            "description": "Cases and help articles for integrations and a marketplace's own "
            "front ends. Authenticate with a bearer token (`supportdesk create-token`; read or "
            "write scope) or the browser session (send `X-CSRFToken` on writes). Errors are "
            "`application/problem+json` with a stable `type`.",
        },
        "servers": [{"url": prefix + API_PREFIX}],
        "security": [{"bearerAuth": []}, {"cookieAuth": []}],
        "tags": [{"name": "cases"}, {"name": "help"}, {"name": "meta"}],
        "paths": paths(),
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
                "cookieAuth": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": current_app.config.get("SESSION_COOKIE_NAME", "session"),
                },
            },
            "schemas": schemas(),
        },
    }


@bp.get("/openapi.json")
def openapi_document() -> Response:
    return jsonify(document())
