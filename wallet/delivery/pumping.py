"""The per-partner delivery pump (``wallet.delivery``): the Celery task ``wallet.deliver_partner`` runs one.

A committed win or refund *kicks* its partner's pump (``wallet.outbox.kick``: one conditional UPDATE of
``PartnerDeliveryState.pump_until``, whose winner publishes the task with a fresh ``pump_token``). The
pump (:class:`Pump`) then, for one time slice (``HUB_PUMP_MAX_SECONDS``):

- claims the partner's due rows in batches (``wallet.delivery.lease.claim_batch``) and keeps up to the
  partner's cap (``lease.partner_cap``) calls in flight, signed here and sent from the process's event loop
  (``wallet.delivery.attempts.start``; a transport that does not prepare its calls, on worker threads), which
  never touch the database (rows arrive with their sessions; the signing key is warmed here, on the main thread);
- records finished calls in bulk (``wallet.delivery.attempts.record``): failures before anything else
  is claimed (they may open the breaker), a batch of successes while the next calls are in flight;
- asks the breaker (``wallet.delivery.breaker.gate``) before each claim, unless the last batch was
  clean: open → the pump pauses (the sweeper kicks it when the pause ends); probe → one row is sent
  and its answer decides;
- refreshes its flag every third of its TTL and stops claiming when the flag has changed hands; a
  stale duplicate message (another token) exits at once;
- counts against the cap the partner's rows it finds leased by someone else when it starts (a killed
  worker's calls: on RabbitMQ its unacknowledged message reaches another worker at once, with the same
  token, while the partner may still be answering those calls; or a pump whose flag expired, finishing its
  calls), until their leases expire or they are recorded;
- releases the flag at the end, and kicks the next turn if rows are still due.

The module is ``pumping``, not ``pump``: the package re-exports the function :func:`pump`, which would
shadow a submodule of the same name (``import wallet.delivery.pump as m`` would give the function).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from django.conf import settings
from django.utils import timezone

from core.db import Pk, one_round_trip

from .. import outbox
from ..models import PartnerDeliveryState, Transaction
from . import attempts, breaker, lease

# Set when the worker process begins its shutdown (``wallet.tasks`` connects Celery's
# ``worker_shutting_down``): every pump stops claiming, lets its calls in flight finish (at most the wallet
# timeout), records them and releases its flag, so a warm shutdown ends in seconds. A row cut by a harder
# stop keeps its lease until it expires: only a delay.
STOPPING = threading.Event()
FOREIGN_RECHECK_SECONDS = 0.25  # how often a pump sharing the cap with leases not its own counts them again


def pump(partner_id: Pk, token: str, *, max_seconds: float | None = None) -> Counter[str]:
    """Deliver a partner's due rows until none is left (or the time slice ends); one pump per partner."""
    return Pump(partner_id, token, max_seconds).run()


class Pump:
    """One time slice of one partner's pump; ``run()`` returns the outcomes counted (``delivered``,
    ``retry``, ``breaker_open``, ``not_owner``)."""

    def __init__(self, partner_id: Pk, token: str, max_seconds: float | None = None) -> None:
        self.partner_id, self.token = partner_id, token
        self.max_seconds = settings.HUB_PUMP_MAX_SECONDS if max_seconds is None else max_seconds
        self.stats: Counter = Counter()
        self.cap = self.refill = 1  # the partner's cap and the batch size worth a claim; set by run()
        self.started = self.last_refresh = 0.0
        self.in_flight: dict = {}  # future → row
        self.finished: list = []  # (row, started, result) not recorded yet
        self.owner = True  # the flag is still ours
        self.paused = False  # the breaker is open
        self.probing = False  # the one row in flight is the breaker's probe
        self.exhausted = False  # a claim found nothing due
        self.breaker_clean = False  # known after the first recorded success
        self.foreign = 0  # the partner's rows leased by another (or a killed) pump: they count against the cap
        self.foreign_checked = 0.0

    def run(self) -> Counter:
        if not PartnerDeliveryState.objects.filter(partner_id=self.partner_id, pump_token=self.token).exists():
            self.stats["not_owner"] += 1  # a stale duplicate: the current pump has another token
            return self.stats
        self.cap = lease.partner_cap(self.partner_id)
        self.refill = max(1, self.cap // 2)
        self.started = self.last_refresh = time.monotonic()
        self._count_foreign(self.started)
        executor = ThreadPoolExecutor(max_workers=self.cap, thread_name_prefix="hub-deliver")
        try:
            self._loop(executor)
        finally:
            self._finish(executor)
        if self.owner and not self.paused and lease.has_due(self.partner_id):
            outbox.kick(self.partner_id)  # rows arrived after the last claim, or the time slice ended: next turn
        return self.stats

    def _loop(self, executor: ThreadPoolExecutor) -> None:
        while True:
            if self.in_flight:
                done, _ = wait(list(self.in_flight), timeout=0.05, return_when=FIRST_COMPLETED)
                for future in done:
                    self.finished.append((self.in_flight.pop(future), *future.result()))
            # Calls that failed are recorded before anything else is claimed (they may open the breaker);
            # a batch of successes is recorded after the next claim, while the new calls are in flight.
            clean = self.breaker_clean and not any(result.failed for _, _, result in self.finished)
            if not clean and self._batch_ready():
                self._record()
            now_mono = time.monotonic()
            if now_mono - self.last_refresh > outbox.pump_ttl() / 3:
                self.owner, self.last_refresh = outbox.pump_refresh(self.partner_id, self.token), now_mono
            if self.foreign and now_mono - self.foreign_checked > FOREIGN_RECHECK_SECONDS:
                self._count_foreign(now_mono)
            free = self.cap - len(self.in_flight) - (0 if clean else len(self.finished)) - self.foreign
            if (
                self._accepting(now_mono)
                and free > 0
                and (free >= self.refill or not self.in_flight)
                and self._claim(executor, free, clean)
            ):
                continue
            if self._batch_ready():
                self._record()
                continue
            if not self.in_flight and not self.finished:
                if self.foreign and self._accepting(now_mono):
                    time.sleep(FOREIGN_RECHECK_SECONDS)  # the whole cap is someone else's until their leases end
                    continue
                break

    def _count_foreign(self, now_mono: float) -> None:
        """The partner's rows under a live lease that are not this pump's (its own are in flight or
        finished, not recorded yet; recording clears their lease)."""
        leased = lease.in_flight(self.partner_id, timezone.now())
        self.foreign = max(0, leased - len(self.in_flight) - len(self.finished))
        self.foreign_checked = now_mono

    def _accepting(self, now_mono: float) -> bool:
        """Claim more rows: the flag is ours, no pause, no probe in flight, rows left, time left."""
        return (
            self.owner
            and not STOPPING.is_set()
            and not self.paused
            and not self.probing
            and not self.exhausted
            and now_mono - self.started < self.max_seconds
        )

    def _batch_ready(self) -> bool:
        """Finished calls worth a write: the last ones, or at least a refill's worth."""
        return bool(self.finished) and (not self.in_flight or len(self.finished) >= self.refill)

    def _claim(self, executor: ThreadPoolExecutor, free: int, clean: bool) -> bool:
        """Ask the breaker, claim up to ``free`` rows and send them; False when nothing was due."""
        # Only this pump sends the partner's deliveries: after a clean batch the breaker is closed.
        gate = breaker.CLOSED if clean else breaker.gate(self.partner_id, timezone.now())[0]
        if gate == breaker.OPEN:
            self.paused = True
            self.stats["breaker_open"] += 1
            return True
        self.probing = gate == breaker.PROBE
        if clean and self._batch_ready():
            rows = self._record_and_claim(free)
        else:
            rows = lease.claim_batch(self.partner_id, 1 if self.probing else free)
        if not rows:
            self.probing, self.exhausted = False, True  # rows coming due later: kicked at the end
            return False
        _warm_signing_keys(rows)
        for tx in rows:
            self.in_flight[attempts.start(tx, executor)] = tx
        if self._batch_ready():
            self._record()
        return True

    def _record_and_claim(self, free: int) -> list[Transaction]:
        """A clean batch recorded and the next one claimed in one round trip (and one commit): after a clean
        batch, recording it is one statement, and the claim another (``core.db.one_round_trip``)."""
        batch = self.finished
        try:
            with one_round_trip():
                self._record()
                return lease.claim_batch(self.partner_id, free)
        except BaseException:
            self.finished = batch + self.finished  # nothing was written: recorded again by _finish
            raise

    def _record(self) -> None:
        outcomes, opened = attempts.record(self.partner_id, self.finished, breaker_clean=self.breaker_clean)
        # A success resets the breaker's count; any failure (or a 4xx-only batch) leaves it unknown.
        self.breaker_clean = "delivered" in outcomes and "retry" not in outcomes
        self.stats.update(outcomes)
        self.finished = []
        self.paused = self.paused or opened
        if self.probing:  # the probe's answer decides: closed again, or paused again
            self.probing = False
            self.paused = self.paused or "delivered" not in outcomes

    def _finish(self, executor: ThreadPoolExecutor) -> None:
        """After the loop (or an exception in it): let the calls in flight finish, record, release the flag."""
        if self.in_flight:
            for future in list(self.in_flight):
                self.finished.append((self.in_flight.pop(future), *future.result()))
        executor.shutdown(wait=True)
        try:
            if self.finished:
                self._record()
        finally:
            outbox.pump_release(self.partner_id, self.token)


def _warm_signing_keys(rows: list[Transaction]) -> None:
    """Look the signing key up here (main thread), so worker threads find it cached: a key that would
    expire within half its TTL is looked up again now (before, a key about to expire here expired in the
    worker threads, and each of up to ``cap`` threads opened a PostgreSQL connection to look it up)."""

    from tenants import selectors
    from tenants.models import CredentialPurpose

    purposes = {"igsp": CredentialPurpose.IGSP, "public_api": CredentialPurpose.INTEGRATION_API}
    seen = set()
    for tx in rows:
        key = (tx.session.partner_id, tx.session.protocol)
        if key not in seen and tx.session.protocol in purposes:
            seen.add(key)
            selectors.partner_signing_key(
                partner=tx.session.partner,
                purpose=purposes[tx.session.protocol],
                fresh_for=settings.HUB_SIGNING_KEY_CACHE_SECONDS / 2,
            )
