"""Fixtures for the sandbox partner tests (helpers live in ``helpers.py``)."""

from __future__ import annotations

import httpx
import pytest

from .helpers import make_tenant


@pytest.fixture
def tenant(db):
    return make_tenant()


@pytest.fixture
def live_tenant(transactional_db):
    return make_tenant()


@pytest.fixture
def live(live_server, live_tenant):
    """(base_url, httpx client) against pytest-django's live server; modules mark urls("sandbox.urls")."""
    with httpx.Client(base_url=live_server.url, timeout=5.0) as client:
        yield live_server.url, client
