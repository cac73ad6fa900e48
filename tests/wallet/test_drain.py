"""The delivery pump's hot path (measured by ``python -m bench.drain``)."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants import selectors
from tenants.models import CredentialPurpose
from wallet.delivery.pumping import _warm_signing_keys
from wallet.models import TxKind, TxStatus

pytestmark = pytest.mark.django_db


def test_pump_rewarms_a_signing_key_about_to_expire_so_worker_threads_find_it(ledger, partner_a, settings):
    # Before: the pump's warm-up hit a cached key 0.3 s from expiry; the worker threads sending the batch a
    # moment later missed it, and each opened a PostgreSQL connection and decrypted the key again.
    settings.HUB_SIGNING_KEY_CACHE_SECONDS = 2
    selectors.signing_key_cache_clear()
    tx = ledger.tx(ledger.session(partner_a), TxKind.WIN, "1.00", status=TxStatus.PENDING)
    cache_key = (partner_a.pk, CredentialPurpose.IGSP)
    key = selectors.partner_signing_key(partner=partner_a, purpose=CredentialPurpose.IGSP)
    assert key is not None
    selectors._signing_keys[cache_key] = (time.monotonic() + 0.3, key)
    _warm_signing_keys([tx])
    assert selectors._signing_keys[cache_key][0] >= time.monotonic() + 0.9
    with CaptureQueriesContext(connection) as queries:  # what a worker thread then does: no query
        assert selectors.partner_signing_key(partner=partner_a, purpose=CredentialPurpose.IGSP).secret == key.secret
    assert not queries.captured_queries
    with CaptureQueriesContext(connection) as queries:  # a fresh key is not looked up again
        _warm_signing_keys([tx])
    assert not queries.captured_queries
