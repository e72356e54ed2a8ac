"""The plugin contract: every hook a plugin may implement.

Hooks are called with keyword arguments, and an implementation may accept any subset of them,
so arguments can be added in later versions without breaking a plugin. Arguments are never
removed or renamed within a major ``HOOKS_VERSION``.

Failure isolation, hook by hook:

* start-up hooks (``register_*``, ``startup``) run once; a raising plugin is reported by name and
  skipped (strict mode re-raises);
* event hooks (``ticket_opened``, ``ticket_changed``, ``message_added``) and page hooks
  (``menu_links``, ``template_slot``) are isolated: a raising plugin is logged and skipped;
* decision hooks (``permission_allowed``, ``score_ticket``, ``assign_ticket``, ``load_actor``,
  ``suggest_articles``) raise: a wrong decision must not pass silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click
    from flask import Blueprint, Flask, Request
    from markupsafe import Markup

    from .models import Message, Ticket, User
    from .ticket_types import TicketType

HOOKS_VERSION = "1.0"

hookspec = pluggy.HookspecMarker("supportdesk")
hookimpl = pluggy.HookimplMarker("supportdesk")


@dataclass(frozen=True)
class Link:
    """A navigation entry. ``section`` is ``seller``, ``staff`` or ``admin``; lower ``order`` first."""

    label: str
    url: str
    section: str = "seller"
    order: int = 100
    endpoint: str | None = None


@dataclass(frozen=True)
class Suggestion:
    """A help article offered to a seller before a case is filed."""

    title: str
    url: str
    snippet: str = ""
    score: float = 0.0


@dataclass(frozen=True)
class Score:
    """One risk signal: ``points`` add up across plugins; ``reason`` is shown to staff."""

    points: int
    reason: str
    details: dict[str, Any] = field(default_factory=dict)


# --- start-up --------------------------------------------------------------------------------


@hookspec
def register_blueprints(app: Flask) -> list[Blueprint]:
    """Called once when the desk is set up. Return the plugin's blueprints; the core mounts them
    under the desk's URL prefix. Name each blueprint after the plugin."""


@hookspec
def register_ticket_types(app: Flask) -> list[TicketType]:
    """Called once at set-up. Return the ticket types this plugin provides (see
    :class:`supportdesk.ticket_types.TicketType`). A key already taken is a start-up error."""


@hookspec
def register_commands(cli: click.Group) -> None:
    """Called once at set-up with the ``supportdesk`` command group; add the plugin's commands."""


@hookspec
def register_search_sources(app: Flask) -> None:
    """Called once at set-up: register the plugin's documents with the core search service."""


@hookspec
def register_migrations(app: Flask) -> Path | None:
    """Called by ``supportdesk db …``. Return the folder of this plugin's Alembic revisions (its
    own branch, labelled with the plugin's name), or None when it has no tables."""


@hookspec
def startup(app: Flask) -> None:
    """Called once after every plugin is registered. Check the plugin's configuration and raise
    a clear error for a bad one: the desk then refuses to start."""


@hookspec
def load_demo_content(app: Flask) -> None:
    """Called by ``supportdesk demo`` inside an application context, after the demo users exist:
    add the plugin's sample content (articles, cases). Must be safe to run twice."""


# --- requests and pages ----------------------------------------------------------------------


@hookspec(firstresult=True)
def load_actor(request: Request) -> User | None:
    """Called on each request with no signed-in desk user, first result wins. A host
    marketplace maps its own signed-in user to a desk :class:`~supportdesk.models.User` here
    (find or create it, e.g. by ``external_id``); return None to leave the visitor anonymous."""


@hookspec
def menu_links(actor: User | None, request: Request) -> list[Link]:
    """Called for every page. Return navigation links for this actor (anonymous is None)."""


@hookspec
def template_slot(slot: str, context: dict[str, Any]) -> list[str | Markup] | None:
    """Called when a core page renders the named slot (``seller_home``, ``case_sidebar``,
    ``staff_sidebar``, ``article_footer``, …). Strings are escaped; return ``Markup`` to insert
    HTML. Results from all plugins are joined."""


@hookspec
def permission_allowed(actor: User | None, action: str, obj: Any) -> bool | None:
    """Asked by :func:`supportdesk.permissions.may`. True allows, None abstains, and any False
    denies whatever the others say. With no True, the core's own rule decides."""


@hookspec
def suggest_articles(text: str, locale: str, limit: int) -> list[Suggestion]:
    """Asked while a seller writes a case: return up to ``limit`` help articles for ``text``."""


# --- case events, after the commit -----------------------------------------------------------


@hookspec
def ticket_opened(ticket: Ticket) -> None:
    """Called after a new case is committed."""


@hookspec
def ticket_changed(ticket: Ticket, changes: dict[str, tuple[Any, Any]], actor: User | None) -> None:
    """Called after a change to a case is committed; ``changes`` maps each changed field to
    ``(old, new)``."""


@hookspec
def message_added(ticket: Ticket, message: Message) -> None:
    """Called after a reply or an internal note is committed (check ``message.internal``)."""


# --- decisions -------------------------------------------------------------------------------


@hookspec
def score_ticket(ticket: Ticket) -> list[Score]:
    """Called when a case is opened, before the commit: return risk signals; all are kept."""


@hookspec(firstresult=True)
def assign_ticket(ticket: Ticket) -> User | None:
    """Called when a case is opened, before the commit; first result wins. Return the agent to
    assign, or None to leave the case unassigned in its queue."""
