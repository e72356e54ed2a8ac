"""Shared fixtures come from ``supportdesk.testing`` (a pytest plugin installed with the package)."""

import pytest

from tests.plugins import sample


@pytest.fixture(autouse=True)
def _forget_sample_events():
    sample.seen.clear()
