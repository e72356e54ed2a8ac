"""supportdesk: a support desk for marketplace sellers, built as a Flask core hosting plugins.

Public names: :func:`create_app`, :class:`SupportDesk` (mount the desk in your own Flask app),
``hookimpl`` (mark a plugin's hook implementations), ``HOOKS_VERSION`` (the version of the
contract in :mod:`supportdesk.hookspecs`) and ``plugin_config`` (a plugin's settings).
"""

from .app import ConfigurationError, SupportDesk, create_app
from .hookspecs import HOOKS_VERSION, Link, Score, SlotContent, Suggestion, hookimpl
from .plugins import plugin_config
from .rate_limits import FilingLimit
from .ticket_types import (
    ExtraField,
    FieldErrors,
    SlaPolicy,
    TicketType,
    clean_past_date,
    clean_rating,
)

__all__ = [
    "HOOKS_VERSION",
    "ConfigurationError",
    "ExtraField",
    "FieldErrors",
    "FilingLimit",
    "Link",
    "Score",
    "SlaPolicy",
    "SlotContent",
    "Suggestion",
    "SupportDesk",
    "TicketType",
    "clean_past_date",
    "clean_rating",
    "create_app",
    "hookimpl",
    "plugin_config",
]
