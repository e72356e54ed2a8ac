"""The case workspace: thread, reply, note, status, assignment, merge, history."""

from __future__ import annotations
