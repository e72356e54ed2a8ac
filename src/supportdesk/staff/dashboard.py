"""The staff dashboard: open cases, response times, SLA breaches, satisfaction."""

from __future__ import annotations
