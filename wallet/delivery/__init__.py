"""The delivery engine: wins and refunds retried until the partner answers 200.

- A delivery is *claimed* before it is sent: a row lock (SKIP LOCKED on
  PostgreSQL; SQLite serializes writers) sets a lease longer than the HTTP
  timeout, so two workers never send the same attempt at once (``lease.py``).
- Retries reuse the transaction id; backoff is exponential with jitter, capped
  (``attempts.py``: send one call, record a batch's attempts and outcomes).
- Each partner has one *pump*: a Celery task (``wallet.deliver_partner``) that
  claims that partner's due rows in batches, keeps up to the partner's cap
  (``Partner.max_in_flight``, else HUB_PARTNER_MAX_IN_FLIGHT) calls in flight on the pooled HTTP client, and
  writes the results in bulk (attempts, outcomes, breaker) in one transaction
  per batch (``pumping.py``). A committed win or refund *kicks* the pump: one conditional UPDATE
  of ``PartnerDeliveryState.pump_until`` decides who enqueues it, so a burst of
  10,000 wins is one task, not 10,000 (``wallet/outbox.py``). The flag expires (a killed worker only
  delays), the token in the message makes stale duplicates exit at once.
- The sweeper kicks every partner with due deliveries (a lost broker message,
  a killed worker, a retry coming due, the end of a breaker pause), flags
  deliveries older than HUB_STUCK_AFTER, and declines-and-refunds bets whose
  request died mid-flight (``sweeper.py``).
- Per partner: a cap on concurrent deliveries and a circuit breaker (after
  repeated failures, pause, then let one probe through; ``breaker.py``). Waiting for the
  breaker or the cap does not count as an attempt.
- ``deliver(tx_id)`` delivers one row the same way (tests, the legacy
  per-row task).

Imports point one way: ``breaker`` and ``lease`` ← ``attempts`` ← ``pumping``; ``sweeper`` uses
``lease``, ``wallet.outbox`` and ``wallet.services`` (which never import this package). The account
managers' actions on a delivery (retry now, resolve manually) are ledger writes: they live in
``wallet/services.py`` and are re-exported here for existing callers.

The names below are re-exports: to patch one in a test, patch the module that defines it and that
its callers look it up in (``wallet.delivery.attempts.send``, ``wallet.delivery.lease.claim_batch``,
``wallet.delivery.breaker.gate`` …); patching ``wallet.delivery.X`` changes nothing the engine calls.
"""

from ..services import delivery_resolve_manually, delivery_retry_now
from .attempts import backoff_seconds, deliver
from .breaker import allows as breaker_allows
from .lease import claim, claim_batch, partner_cap
from .pumping import Pump, pump
from .sweeper import orphaned_bets_resolve, sweep

__all__ = [
    "Pump",
    "backoff_seconds",
    "breaker_allows",
    "claim",
    "claim_batch",
    "deliver",
    "delivery_resolve_manually",
    "delivery_retry_now",
    "orphaned_bets_resolve",
    "partner_cap",
    "pump",
    "sweep",
]
