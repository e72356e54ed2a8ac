"""The plugin contract: every hook a plugin may implement.

Hooks are called with keyword arguments, and an implementation may accept any subset of them,
so arguments can be added in later versions without breaking a plugin. Arguments are never
removed or renamed within a major ``HOOKS_VERSION``.

Failure isolation, hook by hook:

* start-up hooks (``register_*``, ``extend_ticket_type``, ``startup``) run once; a raising
  plugin is reported by name and unregistered (strict mode re-raises);
* event hooks (``ticket_opened``, ``ticket_changed``, ``message_added``) and page hooks
  (``menu_links``, ``template_slot``, ``suggest_articles``, ``load_demo_content``) are
  isolated: a raising plugin is logged and skipped. After
  ``SUPPORTDESK_PLUGIN_FAILURE_LIMIT`` failures in a row (default 5), a plugin's event hooks and
  slots are paused for the rest of the process, and the admin plugins page says so;
* search hooks (``search_document_indexed``, ``search_document_removed``,
  ``search_source_cleared``, ``search_neighbours``) are isolated too: a raising plugin is
  logged and skipped, the index and the query go on without it;
* decision hooks (``permission_allowed``, ``score_ticket``, ``assign_ticket``, ``load_actor``)
  raise: a wrong decision must not pass silently;
* ``prepare_for_workers`` and ``warm_up_pages`` are isolated: a raising plugin is logged and
  skipped, and its workers build for themselves what it would have built.

``python -m supportdesk.hookdocs`` writes the reference page ``docs/hooks.md`` from this module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click
    from flask import Blueprint, Flask, Request
    from markupsafe import Markup

    from .models import Message, Outbox, Ticket, User
    from .search import Document
    from .ticket_types import ExtraField, TicketType

#: ``major.minor``: a minor step adds hooks or arguments; a major step may remove or rename one.
HOOKS_VERSION = "1.4"

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


@dataclass(frozen=True)
class SlotContent:
    """Markup for a template slot; lower ``priority`` comes first (plain strings count as 100).
    ``html`` is escaped unless it is ``Markup``."""

    html: str | Markup
    priority: int = 100


# --- start-up --------------------------------------------------------------------------------


@hookspec
def register_blueprints(app: Flask) -> list[Blueprint]:
    """Called once while the desk is set up.

    Return the plugin's blueprints; the core mounts them inside its ``desk`` blueprint (under the
    desk's URL prefix), so endpoints read ``desk.<blueprint>.<view>``. Name each blueprint after
    the plugin. Failure: reported by name, the plugin is unregistered (strict mode raises).
    """


@hookspec
def register_ticket_types(app: Flask) -> list[TicketType]:
    """Called once at set-up.

    Return the ticket types this plugin provides (see
    :class:`supportdesk.ticket_types.TicketType`). A key already taken by another plugin is a
    start-up error. Failure: reported by name, the plugin is unregistered (strict mode raises).
    """


@hookspec
def extend_ticket_type(ticket_type: TicketType) -> list[ExtraField] | None:
    """Called once per ticket type, after every plugin has registered its types.

    Return extra fields to add to ``ticket_type`` (another plugin's type included), or None.
    They are validated like the type's own fields; a name the type already has is a start-up
    error. Failure: reported by name, the plugin is unregistered (strict mode raises).
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Called once at set-up with the ``supportdesk`` command group: add the plugin's commands
    with ``cli.add_command``. The return value is ignored. Failure: reported by name, the plugin
    is unregistered (strict mode raises)."""


@hookspec
def register_search_sources(app: Flask) -> list[Any] | None:
    """Called once at set-up. Return the plugin's :class:`supportdesk.search.SearchSource`
    objects (a name and a function yielding its documents); ``supportdesk reindex`` rebuilds
    them. Failure: reported by name, the plugin is unregistered (strict mode raises)."""


@hookspec
def register_migrations(app: Flask) -> Path | None:
    """Called by ``supportdesk db …`` (never at start-up: tables appear only on ``db upgrade``).

    Return the folder of this plugin's Alembic revisions (its own branch, whose first revision
    carries the plugin's name as branch label), or None when it has no tables. Failure:
    reported by name, the plugin is unregistered (strict mode raises).
    """


@hookspec
def register_notification_channels(app: Flask) -> dict[str, Callable[[Outbox], None]] | None:
    """Called once at set-up. Return ``{channel: deliver}``: ``supportdesk worker`` hands each
    outbox row whose ``channel`` is one of these to ``deliver(row)``, outside any transaction.

    ``deliver`` returns when the row is delivered; raising
    :class:`supportdesk.mail.render.Undeliverable` gives the row up for good, and any other
    exception retries it later with the outbox's back-off and attempt limit. Enqueue rows with
    :func:`supportdesk.outbox.enqueue_to_address` (``channel=…``). Failure of the hook itself:
    reported by name, the plugin is unregistered (strict mode raises).
    """


@hookspec
def startup(app: Flask) -> None:
    """Called once after every plugin is registered. Check the plugin's configuration and raise
    a clear error for a bad one. Failure: the desk refuses to start (strict mode) or runs
    without the plugin, which the plugins page reports."""


@hookspec
def prepare_for_workers(app: Flask) -> None:
    """Called in a preforking server's parent (``gunicorn --preload``) just before it forks its
    first worker, after the core has compiled the templates, loaded the catalogues and answered
    its warm-up pages (``SUPPORTDESK_WARM_UP_WORKERS``; the connection they used is closed
    again): build what every worker would otherwise build for itself at its first pages (data
    read from the plugin's own files, say), so that the workers share one copy of it. Nothing
    here may read or write the database, and a process that never forks never calls it (the
    tests, the command line). Failure: logged with the plugin's name and skipped; the workers
    then build it themselves."""


@hookspec
def warm_up_pages(app: Flask) -> list[str] | None:
    """Called in a preforking server's parent (``gunicorn --preload``) before its first fork,
    with a request context of ``app`` (build the paths with ``url_for``), when
    ``SUPPORTDESK_WARM_UP_WORKERS`` is on: return paths of this plugin's pages that a visitor
    may open, that read the database and write nothing (no log, no counter). The parent
    answers each once in each language, then closes its database connection, so that the
    workers share what those pages built and first touched. Failure: logged with the plugin's
    name and skipped."""


@hookspec
def load_demo_content(app: Flask) -> None:
    """Called by ``supportdesk demo`` inside an application context, after the demo users exist:
    add the plugin's sample content (articles, cases). Must be safe to run twice. Failure:
    logged with the plugin's name and skipped."""


# --- requests and pages ----------------------------------------------------------------------


@hookspec(firstresult=True)
def load_actor(request: Request) -> User | None:
    """Called on each request with no signed-in desk user; the first non-None result wins.

    A host marketplace maps its own signed-in user to a desk :class:`~supportdesk.models.User`
    here (find or create it, e.g. by ``external_id``); return None to leave the visitor
    anonymous. Failure: raises (the request fails rather than guess who the visitor is).
    """


@hookspec
def menu_links(actor: User | None, request: Request) -> list[Link]:
    """Called for every page. Return navigation :class:`Link` objects for this actor (anonymous
    is None); they are grouped by ``section`` and sorted by ``order``. Failure: logged with the
    plugin's name and skipped."""


@hookspec
def template_slot(slot: str, context: dict[str, Any]) -> list[str | Markup | SlotContent] | None:
    """Called when a core page renders a named slot; return None for slots you do not fill.

    Slots and their ``context``: ``seller_home`` (``actor``), ``case_sidebar`` (``ticket``,
    ``actor``, ``staff``: True on the staff workspace), ``staff_sidebar`` (``actor``,
    ``queues``: each queue's ``open``, ``overdue`` and ``due_soon`` counts),
    ``article_footer`` (``article``), ``footer`` (nothing). Return a list (or one item) of
    strings (escaped), ``Markup`` (inserted as HTML), :class:`SlotContent` or ``(priority,
    markup)`` tuples; every plugin's pieces are sorted by priority, lowest first (default 100).
    Failure: logged with the plugin's name and skipped; paused after repeated failures.
    """


@hookspec
def permission_allowed(actor: User | None, action: str, obj: Any) -> bool | None:
    """Asked by :func:`supportdesk.permissions.may`. True allows, None abstains, and any False
    denies whatever the others say. With no True, the core's own rule decides. Failure: raises
    (a permission is never granted by accident)."""


@hookspec
def suggest_articles(text: str, locale: str, limit: int) -> list[Suggestion]:
    """Asked while a seller writes a case: return up to ``limit`` :class:`Suggestion` objects
    for ``text`` in ``locale``; every plugin's answers are merged, best score first, each URL
    once. Failure: logged with the plugin's name and skipped (suggestions are only a help)."""


# --- case events, after the commit -----------------------------------------------------------


@hookspec
def ticket_opened(ticket: Ticket) -> None:
    """Called after a new case is committed. The return value is ignored; to write, open your
    own transaction (:func:`supportdesk.database.write_transaction`). Failure: logged with the
    plugin's name and skipped, never a lost case; paused after repeated failures."""


@hookspec
def ticket_changed(ticket: Ticket, changes: dict[str, tuple[Any, Any]], actor: User | None) -> None:
    """Called after a change to a case is committed; ``changes`` maps each changed field to
    ``(old, new)`` and ``actor`` is who made it (None for the system). The return value is
    ignored. Failure: logged with the plugin's name and skipped; paused after repeated
    failures."""


@hookspec
def message_added(ticket: Ticket, message: Message) -> None:
    """Called after a reply or an internal note is committed (check ``message.internal``).
    The return value is ignored. Failure: logged with the plugin's name and skipped; paused
    after repeated failures."""


# --- the search index ------------------------------------------------------------------------


@hookspec
def search_document_indexed(document: Document) -> None:
    """Called by :func:`supportdesk.search.index` after the document's row is written, inside
    the caller's transaction: rows the plugin writes with ``db.session`` commit or roll back
    with the document (write them in ``db.session.begin_nested()``, so that a failing statement
    of yours undoes only your rows; never commit). The return value is ignored. Failure:
    logged with the plugin's name and skipped; the document is indexed all the same."""


@hookspec
def search_document_removed(source: str, key: str, locale: str | None) -> None:
    """Called by :func:`supportdesk.search.remove`, inside the caller's transaction, after
    document ``key`` of ``source`` left the index in ``locale`` (None: in every language).
    Forget what the plugin keeps of it. The return value is ignored. Failure: logged with the
    plugin's name and skipped."""


@hookspec
def search_source_cleared(source: str) -> None:
    """Called by :func:`supportdesk.search.clear`, inside the caller's transaction, after every
    document of ``source`` left the index; ``supportdesk reindex`` then indexes each one again
    (``search_document_indexed``) in the same transaction. The return value is ignored.
    Failure: logged with the plugin's name and skipped."""


@hookspec
def search_neighbours(
    source: str, text: str, locale: str | None, limit: int
) -> list[tuple[str, float]] | None:
    """Asked by :func:`supportdesk.search.search` for a person's query: up to ``limit``
    ``(key, similarity)`` pairs, the documents of ``source`` nearest to ``text`` in meaning,
    similarity from 0 (unrelated) to 1; None leaves the query to the lexical ranking. The core
    blends the answers with the lexical ranking (:mod:`supportdesk.search.blending`, weight
    ``SUPPORTDESK_SEARCH_NEIGHBOURS_WEIGHT``); a key the index does not hold (in ``locale``
    and the query's facet) is left out. Failure: logged with the plugin's name and skipped;
    the query is ranked without it."""


# --- decisions -------------------------------------------------------------------------------


@hookspec
def score_ticket(ticket: Ticket) -> list[Score]:
    """Called when a case is opened, before the commit: return :class:`Score` risk signals; the
    points of all plugins add up on the case and staff see every reason. Failure: raises (the
    case is not opened)."""


@hookspec(firstresult=True)
def assign_ticket(ticket: Ticket) -> User | None:
    """Called when a case is opened, before the commit; the first non-None result wins. Return
    the agent to assign, or None to leave the case unassigned in its queue. Failure: raises
    (the case is not opened)."""
