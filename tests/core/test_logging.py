"""Log redaction of Core / Integration API keys written anywhere in free text, not only as ``name=value``."""

from __future__ import annotations

import io
import logging
import secrets
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.logging import REDACTED, RedactSecretsFilter, redact_text, redact_text_fully
from tenants import services
from tenants.models import CredentialPurpose


def logged(emit) -> str:
    """What a handler with the hub's filter writes for the records ``emit(logger)`` logs."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecretsFilter())
    handler.setFormatter(logging.Formatter("%(message)s %(detail)s"))
    logger = logging.getLogger("tests.redaction.freetext")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        emit(logger)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def legacy_key() -> str:
    """A Core / Integration API key as issued before keys had a prefix: token_urlsafe(36), 48 characters."""
    while True:
        key = secrets.token_urlsafe(36)
        if any(c.isupper() for c in key) and any(c.islower() for c in key):  # 1 - 3e-11 of them
            return key


@pytest.mark.django_db
def test_core_and_integration_api_keys_are_redacted_in_free_text(public_partner):
    keys = [public_partner.api_key, public_partner.integration_key, legacy_key(), legacy_key().replace("-", "_")]
    for key in keys:
        out = logged(
            lambda log, key=key: (
                log.warning(f"calling with {key} failed", extra={"detail": ""}),
                log.warning("retrying %s against %s", key, "https://wallet.example/api", extra={"detail": [key]}),
                log.warning("partner said: %r", {"note": f"your key ({key}) is wrong"}, extra={"detail": f"<{key}>"}),
            )
        )
        assert key not in out, key
        assert out.count(REDACTED) == 5
        assert "calling with" in out
        assert "failed" in out
        assert "https://wallet.example/api" in out


@pytest.mark.django_db
def test_new_keys_are_redacted_wherever_they_appear_even_glued_to_text(public_partner):
    for purpose in (CredentialPurpose.CORE_API, CredentialPurpose.INTEGRATION_API):
        key = services.credential_issue(partner=public_partner, purpose=purpose, actor="t").secret
        for text in (f"key:{key}", f"x{key}", f"{key}.", f'"{key}"', f"/t/{key}/balance"):
            assert key not in redact_text(text), text


def test_ids_that_logs_need_stay_readable():
    tx_id, session_id = str(uuid.uuid4()), str(uuid.uuid4())
    text = (
        f"win {tx_id} of session {session_id} round {uuid.uuid4().hex[:12]} public id gp_live_{'ab12' * 8} "
        f"ExtCID brand-one-with-a-rather-long-name-for-the-casino player player-912 "
        f"task wallet.deliver_partner[{uuid.uuid4()}] market prediction_markets_daily_close_at_midnight_x"
    )
    assert redact_text(text) == text


_ALPHABET = "abcdefABCDEFxyzXYZ0123456789 .,/-_:=%\"'{}gGrRpPtTeE"


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=120))
def test_text_the_fast_check_passes_is_text_the_patterns_leave_alone(text):
    assert redact_text(text) == redact_text_fully(text)


@settings(max_examples=500, deadline=None)
@given(
    st.sampled_from(["", "POST /x/", "a ", "/rounds/", "/portal/enter/", "key=", "Bearer "]),
    st.text(alphabet="0123456789abcdefABCDEF-", min_size=20, max_size=60),
)
def test_long_runs_and_marked_places_take_the_full_scan(prefix, run):
    assert redact_text(prefix + run) == redact_text_fully(prefix + run)


def test_a_request_line_of_the_hot_path_is_left_as_it_is():
    line = "POST /igsp/v1/sessions/3a4f4b50-6939-419b-9ebc-0a40fa9b8ad6/bet HTTP/1.1"
    assert redact_text(line) == line
    token = "/portal/enter/abc123DEF456ghi"
    assert redact_text(f"GET {token} HTTP/1.1") == f"GET /portal/enter/{REDACTED} HTTP/1.1"
