"""The seller's side of the desk: their cases."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("seller", __name__)

from . import views  # noqa: E402, F401  (adds its routes to bp)
