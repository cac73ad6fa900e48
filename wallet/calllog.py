"""The delivery log's records: what was sent to a partner's wallet and what it answered, redacted and bounded.

Every call to a partner wallet is on record for the partner portal (``portal``): wins and refunds as
``DeliveryAttempt`` rows (written by ``wallet.delivery.attempts._record`` with the batch), bets and balance
calls as ``WalletCall`` rows (:func:`record_call`, after the call and outside the money's transaction: a
failure to log never changes a bet). The payload is stored, never the signature headers; every value passes
the log redaction (``core.logging.redact_value``), and a record larger than ``MAX_CHARS`` characters of JSON is
kept as its first ``MAX_CHARS`` characters.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from core.logging import redact_value

from .models import WalletCall
from .transport import WalletResult

logger = logging.getLogger("wallet.calllog")

MAX_CHARS = 4096


def _plain(value):
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(type(value).__name__)


def bounded(value) -> dict | None:
    """``value`` (a payload or an answer) redacted and at most ``MAX_CHARS`` characters of JSON."""
    if value is None:
        return None
    try:
        plain = json.loads(json.dumps(value, default=_plain))
    except (TypeError, ValueError, RecursionError):
        plain = {"text": str(value)[:MAX_CHARS]}
    if not isinstance(plain, dict):
        plain = {"value": plain}
    plain = redact_value(plain, depth=-4)  # payloads nest a level or two; deeper than 8 is redacted
    text = json.dumps(plain)
    if len(text) > MAX_CHARS:
        return {"truncated": True, "preview": text[:MAX_CHARS]}
    return plain


def request_record(result: WalletResult) -> dict | None:
    return bounded(result.request)


def response_record(result: WalletResult) -> dict | None:
    if result.http_status is None:
        return None  # no answer: the error says why
    if result.body is not None:
        return bounded(result.body)
    return bounded({"text": result.response_text}) if result.response_text else None


def record_call(*, kind: str, session, result: WalletResult, tx=None) -> None:
    """One ``WalletCall`` row for a bet or balance call. Never raises (the call's outcome stands)."""
    if session.partner_id is None:
        return
    try:
        WalletCall.objects.create(
            partner_id=session.partner_id,
            session_id=session.pk,
            transaction_id=getattr(tx, "pk", None),
            kind=kind,
            player_id=session.player_id[:200],
            round_id=getattr(tx, "round_id", None),
            started_at=timezone.now() - timedelta(milliseconds=result.duration_ms),
            duration_ms=result.duration_ms,
            http_status=result.http_status,
            outcome=result.outcome,
            error=result.error[:500],
            error_code=result.error_code[:64],
            request=request_record(result),
            response_body=response_record(result),
        )
    except Exception as exc:  # noqa: BLE001 - the log must never turn a placed bet into an error
        logger.warning("wallet call not logged: %s", type(exc).__name__)
