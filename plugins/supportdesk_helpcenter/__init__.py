"""Help centre: bilingual help pages and their search."""

from __future__ import annotations

__version__ = "0.1.0"
