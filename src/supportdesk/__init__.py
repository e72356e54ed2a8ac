"""supportdesk: a support desk for marketplace sellers, built as a Flask core hosting plugins.

Public names: :func:`create_app`, :class:`SupportDesk` (mount the desk in your own Flask app),
``hookimpl`` (mark a plugin's hook implementations) and ``HOOKS_VERSION``.
"""

from .app import ConfigurationError, SupportDesk, create_app
from .hookspecs import HOOKS_VERSION, Link, Score, Suggestion, hookimpl
from .ticket_types import ExtraField, FieldErrors, SlaPolicy, TicketType

__all__ = [
    "HOOKS_VERSION",
    "ConfigurationError",
    "ExtraField",
    "FieldErrors",
    "Link",
    "Score",
    "SlaPolicy",
    "Suggestion",
    "SupportDesk",
    "TicketType",
    "create_app",
    "hookimpl",
]
