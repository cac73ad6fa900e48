"""The delivery log's records: what was sent to a partner's wallet and what it answered, redacted and bounded.

Every call to a partner wallet is on record for the partner portal (``portal``): wins and refunds as
``DeliveryAttempt`` rows (written by ``wallet.delivery.attempts.record`` with the batch), bets and balance
calls as ``WalletCall`` rows (:func:`record_call`, after the call and outside the money's transaction: a
failure to log never changes a bet). The payload is stored, never the signature headers; every value passes
the log redaction (``core.logging.redact_value``), and a record larger than ``MAX_CHARS`` characters of JSON is
kept as its first ``MAX_CHARS`` characters.

The same answers are handed to whoever watches them (:func:`watch_answers`; the contract watch,
``contractwatch``, registers itself), off the bet's thread: the bets' and balance calls' from the call-log batch
(``_write_calls``), the deliveries' from a batch of their own (:func:`answers_later`, called by
``wallet.delivery.attempts.record``). A watcher's failure is logged, never raised.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone

from core.batching import Batcher
from core.db import Pk, insert_batch, insert_row
from core.logging import REDACTED, is_sensitive_key, redact_text, redact_value

from .models import GameSession, Transaction, WalletCall
from .transport import WalletResult

logger = logging.getLogger("wallet.calllog")

MAX_CHARS = 4096


def _plain(value: object) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(type(value).__name__)


def _clean(value: Any, depth: int = 0) -> Any:
    """Without NUL characters (PostgreSQL jsonb and SQLite's JSON check refuse them), nested at most 8 deep."""
    if depth > 8:
        return "[too deep]"
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {str(k).replace("\x00", ""): _clean(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v, depth + 1) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # NaN and Infinity are not JSON
    return value


class _Unusual(Exception):
    """A value the one-pass copy does not take (a set, a datetime…): the general path copies it."""


_DEEPEST = 8  # nesting levels kept; a value deeper is redacted


def _copy(value: Any, depth: int) -> Any:
    """``value`` as JSON would hold it, without NULs, every string redacted, sensitive keys' values redacted, in
    one pass (what ``_bounded_general`` does with a JSON round trip and three walks)."""
    if depth > _DEEPEST:
        return REDACTED
    if isinstance(value, str):
        return redact_text(value.replace("\x00", "") if "\x00" in value else value)
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            key = k if isinstance(k, str) else str(k)
            if "\x00" in key:
                key = key.replace("\x00", "")
            out[key] = REDACTED if depth >= _DEEPEST or is_sensitive_key(key) else _copy(v, depth + 1)
        return out
    if isinstance(value, list | tuple):
        return [_copy(v, depth + 1) for v in value]
    if isinstance(value, Decimal):
        return redact_text(format(value, "f"))
    if isinstance(value, float):
        return value if math.isfinite(value) else redact_text(str(value))
    raise _Unusual


def bounded(value: Any) -> dict | None:
    """``value`` (a payload or an answer) redacted and at most ``MAX_CHARS`` characters of JSON."""
    if value is None:
        return None
    try:  # a value that is not an object is kept under "value", one level down
        plain = _copy(value if isinstance(value, dict) else {"value": value}, 0)
    except (_Unusual, RecursionError):
        return _bounded_general(value)
    text = json.dumps(plain)
    if len(text) > MAX_CHARS:
        return {"truncated": True, "preview": text[:MAX_CHARS]}
    return plain


def _bounded_general(value: Any) -> dict:
    try:
        plain = json.loads(json.dumps(_clean(value), default=_plain, allow_nan=False))
    except (TypeError, ValueError, RecursionError):
        plain = {"text": str(value)[:MAX_CHARS]}
    if not isinstance(plain, dict):
        plain = {"value": plain}
    plain = redact_value(_clean(plain), depth=-4)  # payloads nest a level or two; deeper is redacted
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


def record_call(*, kind: str, session: GameSession, result: WalletResult, tx: Transaction | None = None) -> None:
    """One ``WalletCall`` row for a bet or balance call, written with the others of the next HUB_BATCH_SECONDS
    by this process's batch thread (``core.batching``; one statement: ``core.db.insert_batch``).
    Never raises (the call's outcome stands)."""
    if session.partner_id is None:
        return
    CALLS.add((kind, session, result, tx, timezone.now()))


def _write_calls(calls: list[tuple[str, GameSession, WalletResult, Transaction | None, datetime]]) -> None:
    rows = []
    for kind, session, result, tx, ended_at in calls:
        try:
            rows.append(
                WalletCall(
                    partner_id=session.partner_id,  # type: ignore[misc]  # record_call skips partner-less sessions
                    session_id=session.pk,
                    transaction_id=getattr(tx, "pk", None),
                    kind=kind,
                    player_id=session.player_id[:200],
                    round_id=getattr(tx, "round_id", None),
                    started_at=ended_at - timedelta(milliseconds=result.duration_ms),
                    duration_ms=result.duration_ms,
                    http_status=result.http_status,
                    outcome=result.outcome,
                    error=result.error[:500],
                    error_code=result.error_code[:64],
                    request=request_record(result),
                    response_body=response_record(result),
                )
            )
        except Exception as exc:  # noqa: BLE001 - the log must never turn a placed bet into an error
            logger.warning("wallet call not logged: %s", type(exc).__name__)
    try:
        insert_batch(rows)  # one statement for the batch
    except Exception as exc:  # noqa: BLE001 - one bad row (a session deleted meanwhile) must not lose the others
        logger.warning("wallet calls not logged together (%s): one by one", type(exc).__name__)
        for row in rows:
            try:
                insert_row(row)
            except Exception as one:  # noqa: BLE001
                logger.warning("wallet call not logged: %s", type(one).__name__)
    if _WATCHERS:  # already off the bet's thread: the watchers run here, in this batch
        _observe(
            [
                Answer(session.partner_id, session.protocol, kind, result, ended_at)  # type: ignore[arg-type]
                for kind, session, result, _tx, ended_at in calls
            ]
        )


CALLS: Batcher[tuple[str, GameSession, WalletResult, Transaction | None, datetime]] = Batcher(
    "call-log", _write_calls, max_delay=lambda: settings.HUB_BATCH_SECONDS
)


# ------------------------------------------------------------- watchers --


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer of a partner's wallet, as a watcher reads it: the call's kind (balance, bet, win, refund), the
    session's protocol and the result with its parsed body (``WalletResult.body``, unredacted: a watcher that keeps
    any of it redacts it, ``bounded``)."""

    partner_id: Pk
    protocol: str
    kind: str
    result: WalletResult
    at: datetime


_WATCHERS: list[Callable[[list[Answer]], object]] = []


def watch_answers(watcher: Callable[[list[Answer]], object]) -> None:
    """Have ``watcher(answers)`` called with every batch of wallet answers, on a batch thread (an app's
    ``ready()`` registers it; registering twice is once)."""
    if watcher not in _WATCHERS:
        _WATCHERS.append(watcher)


def watching() -> bool:
    return bool(_WATCHERS)


def _observe(answers: list[Answer]) -> None:
    for watcher in list(_WATCHERS):
        try:
            watcher(answers)
        except Exception as exc:  # noqa: BLE001 - a watcher never changes a call's record
            logger.warning("wallet answers not watched: %s", type(exc).__name__)


ANSWERS: Batcher[Answer] = Batcher("answers", _observe, max_delay=lambda: settings.HUB_BATCH_SECONDS)


def answers_later(answers: list[Answer]) -> None:
    """Hand answers to the watchers from this process's ``answers`` batch thread (the delivery pump's: its
    attempts are recorded on the pump's thread, which must not wait for them). Costs a list append per answer."""
    if _WATCHERS:
        for answer in answers:
            ANSWERS.add(answer)


def purge(*, now: datetime | None = None) -> int:
    """Delete ``WalletCall`` rows older than ``HUB_CALL_LOG_DAYS`` (the portal shows a week; balance calls are
    many). Delivery attempts are the payouts' record and are kept."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.HUB_CALL_LOG_DAYS)
    deleted, _ = WalletCall.objects.filter(started_at__lt=cutoff).delete()
    return deleted
