"""The per-partner delivery pump over real HTTP: batches under the in-flight cap, one message per
burst, stale duplicates, the breaker inside a batch, manual resolutions racing a batch."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from tests.wallet_send import observe_send, patch_send
from wallet import delivery, services, tasks
from wallet import transport as transport_module
from wallet.delivery import attempts
from wallet.models import DeliveryAttempt, GameSession, PartnerDeliveryState, Transaction, TxKind, TxStatus

from ..test_policies import balance_at_sandbox, movements, new_session


def pending_wins(wired, game, n, *, protocol="igsp", amount="2.00"):
    session = new_session(wired, game, protocol)
    rounds = [services.bet_place(session=session, amount=Decimal("1.00")).round for _ in range(n)]
    return [services.win_record(round=r, amount=Decimal(amount)) for r in rounds]


def take_flag(partner) -> str:
    """What ``kick`` does before it enqueues: own the pump flag (the test then runs the pump itself)."""
    import uuid

    token = uuid.uuid4()
    PartnerDeliveryState.objects.update_or_create(
        partner=partner, defaults={"pump_until": timezone.now() + timedelta(seconds=30), "pump_token": token}
    )
    return str(token)


def send_timeline(monkeypatch) -> list[tuple[float, int]]:
    """Count partner calls in flight at once: ``[(when a call started, calls then in flight)]`` after the run."""
    lock, in_flight, seen = threading.Lock(), [0], []

    def started(*args, **kwargs):
        with lock:
            in_flight[0] += 1
            seen.append((time.monotonic(), in_flight[0]))

    def ended():
        with lock:
            in_flight[0] -= 1

    observe_send(monkeypatch, started, ended)
    return seen


@pytest.fixture
def no_broker(monkeypatch):
    sent: list[tuple] = []
    monkeypatch.setattr(tasks.deliver_partner, "delay", lambda *a: sent.append(a))
    return sent


@pytest.mark.parametrize("protocol", ["igsp", "public_api"])
def test_pump_delivers_a_batch_concurrently_under_the_partner_cap(
    wired, game, settings, monkeypatch, no_broker, protocol
):
    settings.HUB_PARTNER_MAX_IN_FLIGHT = 4
    wins = pending_wins(wired, game, 12, protocol=protocol)
    no_broker.clear()  # the kick of the first win's commit; this test runs the pump itself
    wired.faults(win={"latency_ms": 150})
    seen = send_timeline(monkeypatch)
    last_balance = GameSession.objects.get(pk=wins[0].session_id).last_balance  # from the last bet
    stats = delivery.pump(wired.partner.pk, take_flag(wired.partner))
    assert stats["delivered"] == 12
    assert max(n for _, n in seen) == 4  # calls overlap, never more than the cap
    assert (
        Transaction.objects.filter(
            pk__in=[w.pk for w in wins], status=TxStatus.CONFIRMED, attempts=1, lease_until=None
        ).count()
        == 12
    )
    assert DeliveryAttempt.objects.filter(transaction__in=wins, outcome="ok").count() == 12
    assert all(movements(wired, w.pk) == 1 for w in wins)
    assert balance_at_sandbox(wired) == Decimal("1000.00") - 12 + 24
    # Deliveries finish out of order: each keeps the partner's balance on its own row, none overwrites the
    # session's last known balance.
    assert Transaction.objects.filter(pk__in=[w.pk for w in wins], partner_balance__isnull=False).count() == 12
    assert GameSession.objects.get(pk=wins[0].session_id).last_balance == last_balance
    state = PartnerDeliveryState.objects.get(partner=wired.partner)
    assert state.pump_until is None
    assert state.pump_token is None  # released
    assert not no_broker  # nothing left to hand over


def test_a_burst_committed_together_enqueues_one_pump_and_a_stale_duplicate_exits(wired, game, no_broker):
    session = new_session(wired, game, "igsp")
    rounds = [services.bet_place(session=session, amount=Decimal("1.00")).round for _ in range(10)]
    no_broker.clear()
    with transaction.atomic():
        for r in rounds:
            services.win_record(round=r, amount=Decimal("1.00"))
    assert len(no_broker) == 1
    assert no_broker[0][0] == str(wired.partner.pk)
    # The broker redelivers an old message after the flag changed hands: it sends nothing.
    stale = delivery.pump(wired.partner.pk, "00000000-0000-4000-8000-000000000000")
    assert stale == {"not_owner": 1}
    assert not DeliveryAttempt.objects.exists()
    assert delivery.pump(*no_broker[0])["delivered"] == 10


def test_breaker_opens_inside_a_batch_and_the_sweeper_waits_for_the_pause(wired, game, settings, no_broker):
    settings.HUB_BREAKER_FAILURES = 3
    settings.HUB_PARTNER_MAX_IN_FLIGHT = 2
    wins = pending_wins(wired, game, 20)
    wired.faults(win={"error_rate": 1.0})
    stats = delivery.pump(wired.partner.pk, take_flag(wired.partner))
    sent = DeliveryAttempt.objects.filter(transaction__in=wins).count()
    assert stats["retry"] == sent
    assert 3 <= sent <= 4  # stopped once the breaker opened (≤ one batch more)
    assert Transaction.objects.filter(pk__in=[w.pk for w in wins], attempts=0).count() == 20 - sent
    state = PartnerDeliveryState.objects.get(partner=wired.partner)
    assert state.open_until > timezone.now()
    assert state.pump_token is None
    no_broker.clear()
    assert delivery.sweep()["kicked"] == 0
    assert not no_broker  # paused: no pump churn
    bet = services.bet_place(session=Transaction.objects.get(pk=wins[0].pk).session, amount=Decimal("1.00"))
    late = services.win_record(round=bet.round, amount=Decimal("1.00"))  # committed while paused
    assert not no_broker
    assert Transaction.objects.get(pk=late.pk).status == TxStatus.PENDING
    wins.append(late)
    # The pause ends: the sweeper kicks the pump, one probe goes first, then the rest.
    wired.faults()
    PartnerDeliveryState.objects.filter(pk=state.pk).update(open_until=timezone.now() - timedelta(seconds=1))
    Transaction.objects.filter(pk__in=[w.pk for w in wins]).update(next_attempt_at=timezone.now())
    assert delivery.sweep()["kicked"] == 1
    stats = delivery.pump(*no_broker[-1])
    assert stats["delivered"] == 21
    assert PartnerDeliveryState.objects.get(pk=state.pk).open_until is None
    assert all(movements(wired, w.pk) == 1 for w in wins)


def test_a_delivery_resolved_by_hand_while_in_flight_keeps_its_resolution(wired, game, no_broker):
    from django.contrib.auth import get_user_model

    (win,) = pending_wins(wired, game, 1)
    (claimed,) = delivery.claim_batch(wired.partner.pk, 10)
    admin = get_user_model().objects.create_superuser("am", "am@example.com", "pw")
    delivery.delivery_resolve_manually(tx=Transaction.objects.get(pk=win.pk), actor=admin, reason="paid by hand")
    started, result = attempts.send(claimed, in_worker_thread=False)
    assert result.ok
    assert attempts.record(wired.partner.pk, [(claimed, started, result)])[0] == ["delivered"]
    row = Transaction.objects.get(pk=win.pk)
    assert row.status == TxStatus.RESOLVED
    assert row.resolution_note == "paid by hand"
    assert DeliveryAttempt.objects.filter(transaction=win, outcome="ok").count() == 1  # the call is on record


def test_rows_not_yet_due_wait_and_a_pump_hands_over_when_its_slice_ends(wired, game, no_broker):
    wins = pending_wins(wired, game, 3)
    no_broker.clear()
    Transaction.objects.filter(pk=wins[0].pk).update(next_attempt_at=timezone.now() + timedelta(minutes=5))
    stats = delivery.pump(wired.partner.pk, take_flag(wired.partner), max_seconds=0)
    assert sum(stats.values()) == 0
    assert len(no_broker) == 1  # no time: straight to the next turn
    stats = delivery.pump(*no_broker[0])
    assert stats["delivered"] == 2
    assert Transaction.objects.get(pk=wins[0].pk).status == TxStatus.PENDING
    assert Transaction.objects.filter(kind=TxKind.WIN, status=TxStatus.CONFIRMED).count() == 2


def test_worker_threads_that_read_the_signing_key_close_their_connections(wired, game, settings, no_broker):
    from django.db import connection

    settings.HUB_SIGNING_KEY_CACHE_SECONDS = 0  # every call looks its key up from its own thread
    settings.HUB_PARTNER_MAX_IN_FLIGHT = 3
    pending_wins(wired, game, 6)
    no_broker.clear()

    def open_connections() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
            return cursor.fetchone()[0]

    postgres = connection.vendor == "postgresql"
    before = open_connections() if postgres else 0
    assert delivery.pump(wired.partner.pk, take_flag(wired.partner))["delivered"] == 6
    if postgres:
        assert open_connections() <= before


@pytest.mark.parametrize("protocol", ["igsp", "public_api"])
def test_odd_partner_answers_are_recorded_without_failing_the_batch(wired, game, monkeypatch, no_broker, protocol):
    """A 200 with a balance our columns cannot hold, NUL characters in the partner's texts, a body nested
    deeper than the stack: the pump records each (a 200 is delivered, a 4xx retried) instead of failing the
    whole batch's write and re-sending it forever."""
    import json

    wins = pending_wins(wired, game, 4, protocol=protocol)
    no_broker.clear()
    tx_key = "transaction_id" if protocol == "igsp" else "txID"
    answers = {
        str(wins[0].pk): (200, json.dumps({"balance": "1e999", tx_key: "ab\u0000c", "txID": "ab\u0000c"}).encode()),
        str(wins[1].pk): (
            400,
            json.dumps(
                {"error": "odd\u0000", "code": "odd\u0000", "message": "no\u0000pe", "action": "x\u0000"}
            ).encode(),
        ),
        str(wins[2].pk): (200, b"[" * 100_000 + b"]" * 100_000),
        str(wins[3].pk): (200, b'{"balance": NaN}'),
    }

    def fake_send(method, url, *, content=None, headers=None, params=None, timeout=None):
        status, body = answers[json.loads(content)[tx_key]]
        return transport_module.HttpAnswer(status, body), "", 3

    patch_send(monkeypatch, fake_send)
    stats = delivery.pump(wired.partner.pk, take_flag(wired.partner))
    assert (stats["delivered"], stats["retry"]) == (3, 1)
    rows = {str(t.pk): t for t in Transaction.objects.filter(pk__in=[w.pk for w in wins])}
    first = rows[str(wins[0].pk)]
    assert first.status == TxStatus.CONFIRMED
    assert first.partner_balance is None
    assert first.partner_tx_id == "abc"
    refused = rows[str(wins[1].pk)]
    assert refused.status == TxStatus.PENDING
    assert refused.error_code == "odd"
    assert refused.error_message == "nope"
    assert rows[str(wins[2].pk)].status == rows[str(wins[3].pk)].status == TxStatus.CONFIRMED
    attempt = DeliveryAttempt.objects.get(transaction_id=wins[1].pk)
    assert attempt.response == {"message": "nope", "code": "odd", "action": "x"}


def test_a_partners_own_cap_overrides_the_default(wired, game, settings, monkeypatch, no_broker):
    from tenants import services as tenant_services
    from tenants.models import AuditLog

    settings.HUB_PARTNER_MAX_IN_FLIGHT = 32
    tenant_services.partner_update(partner=wired.partner, actor="test", max_in_flight=3)
    assert AuditLog.objects.filter(action="partner.update", partner=wired.partner).exists()
    wins = pending_wins(wired, game, 9)
    no_broker.clear()
    wired.faults(win={"latency_ms": 100})
    seen = send_timeline(monkeypatch)
    assert delivery.pump(wired.partner.pk, take_flag(wired.partner))["delivered"] == 9
    assert max(n for _, n in seen) == 3
    assert delivery.partner_cap(wired.partner.pk) == 3
    assert all(movements(wired, w.pk) == 1 for w in wins)


@pytest.mark.parametrize("value", [0, 257])
def test_a_partners_cap_must_be_between_1_and_256(wired, value):
    from django.core.exceptions import ValidationError

    from tenants import services as tenant_services

    with pytest.raises(ValidationError):
        tenant_services.partner_update(partner=wired.partner, actor="test", max_in_flight=value)
    assert delivery.partner_cap(wired.partner.pk) == 32


def test_the_bench_kicks_the_pump_and_times_the_steps_the_pump_calls(wired, game, monkeypatch, no_broker):
    """``make bench`` kicks a partner's pump and times the pump's steps by patching them where the pump looks
    them up: each patch must reach the pump (one that no longer applies would time nothing, silently)."""
    from collections import Counter

    from bench import delivery_drain as bench

    wins = pending_wins(wired, game, 3)
    no_broker.clear()
    PartnerDeliveryState.objects.filter(partner=wired.partner).update(pump_until=None, pump_token=None)
    bench.enqueue(wired.partner.pk)
    assert len(no_broker) == 1
    assert no_broker[0][0] == str(wired.partner.pk)
    calls: Counter = Counter()
    for module, name in bench.pump_steps():
        real = getattr(module, name)
        monkeypatch.setattr(
            module, name, lambda *a, _real=real, _name=name, **k: calls.update([_name]) or _real(*a, **k)
        )
    assert delivery.pump(*no_broker[0])["delivered"] == 3
    assert all(calls[name] >= 1 for _, name in bench.pump_steps()), calls
    assert all(movements(wired, w.pk) == 1 for w in wins)


def _killed_pump(wired, game, settings, monkeypatch, *, cap: int, wins: int, killed: int):
    """``wins`` pending wins, ``killed`` of them leased by a pump that died mid-call (never recorded), the
    flag still held with its token; returns (wins, token, when the leases end, [(when, calls in flight)])."""
    from wallet.delivery import lease

    settings.HUB_PARTNER_MAX_IN_FLIGHT = cap
    settings.HUB_DELIVERY_LEASE_SECONDS = 4  # room for the pump to start inside it on a loaded machine
    rows = pending_wins(wired, game, wins)
    token = take_flag(wired.partner)
    assert len(lease.claim_batch(wired.partner.pk, killed)) == killed
    leases_end = time.monotonic() + settings.HUB_DELIVERY_LEASE_SECONDS
    wired.faults(win={"latency_ms": 200})
    return rows, token, leases_end, send_timeline(monkeypatch)


def test_a_pump_taking_over_from_a_killed_one_counts_its_calls_still_leased_against_the_cap(
    wired, game, settings, monkeypatch, no_broker
):
    """A worker SIGKILLed mid-pump: on RabbitMQ its unacknowledged message goes to another worker at once
    (same token, the flag still held), while the partner may still be answering the killed pump's calls.
    Until their leases expire those calls count against the partner's cap; then the rows are sent again."""
    wins, token, leases_end, seen = _killed_pump(wired, game, settings, monkeypatch, cap=3, wins=8, killed=2)
    no_broker.clear()
    stats = delivery.pump(wired.partner.pk, token)  # the redelivered message
    while_leased = [n for when, n in seen if when < leases_end - 0.2]
    assert while_leased
    assert max(while_leased) <= 3 - 2  # the partner never has more than 3 calls at once
    # The killed pump's two rows go once their leases end: in this pump if it is still running then (a slow
    # machine), else in the next one, which the sweeper kicks.
    time.sleep(max(0.0, leases_end - time.monotonic()) + 0.2)
    later = delivery.pump(*no_broker[-1])["delivered"] if delivery.sweep()["kicked"] else 0
    assert (stats["delivered"], later) in ((6, 2), (8, 0))
    assert all(movements(wired, w.pk) == 1 for w in wins)
    assert balance_at_sandbox(wired) == Decimal("1000.00") - 8 + 16


def test_a_pump_whose_whole_cap_is_leased_by_a_killed_one_waits_for_the_leases(
    wired, game, settings, monkeypatch, no_broker
):
    """Nothing sent while the killed pump's calls hold the whole cap, no pump message churned meanwhile;
    once their leases end the same pump sends every row."""
    wins, token, leases_end, seen = _killed_pump(wired, game, settings, monkeypatch, cap=2, wins=6, killed=2)
    no_broker.clear()
    stats = delivery.pump(wired.partner.pk, token)
    assert seen
    assert min(when for when, _ in seen) >= leases_end - 0.3
    assert max(n for _, n in seen) <= 2
    assert stats["delivered"] == 6
    assert not no_broker
    assert all(movements(wired, w.pk) == 1 for w in wins)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="one statement per step: PostgreSQL")
def test_a_clean_batch_is_recorded_and_the_next_claimed_in_one_round_trip(wired, game, settings, no_broker):
    """After a clean batch the pump records it and claims the next batch together (one pipeline sync, one
    commit): each is one statement (the claim leases the rows it locks; the record inserts the attempts and
    writes both outcomes), so a batch costs the database two statements and the pump one wait."""
    settings.HUB_PARTNER_MAX_IN_FLIGHT = 4
    wins = pending_wins(wired, game, 16)
    no_broker.clear()
    statements: list[str] = []
    syncs = []

    def count(execute, sql, params, many, context):
        statements.append(sql.split(None, 1)[0].upper())
        syncs.append(connection.connection.pgconn.pipeline_status)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        stats = delivery.pump(wired.partner.pk, take_flag(wired.partner))
    assert stats["delivered"] == 16
    writes = [s for s in statements if s == "WITH"]
    assert 2 * 4 <= len(writes) <= 2 * 16, statements  # every batch: one claim and one record (each a WITH)
    assert "INSERT" not in statements, statements  # the attempts: inside the record's statement
    assert any(status != 0 for status in syncs)  # some were sent in pipeline mode (record + next claim)
    assert Transaction.objects.filter(pk__in=[w.pk for w in wins], status=TxStatus.CONFIRMED, attempts=1).count() == 16
    assert DeliveryAttempt.objects.filter(transaction__in=wins, outcome="ok").count() == 16


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pipeline mode: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_statements_in_one_round_trip_are_one_transaction(igsp_partner):
    """``core.db.one_round_trip`` outside a transaction: the statements queued together commit together, and
    when one fails none is written (the pump's record of a batch and its next claim)."""
    from django.db import DatabaseError

    from core.db import one_round_trip, prepared_cursor
    from tenants.models import Partner

    before = Partner.objects.get(pk=igsp_partner.pk).name
    # The error surfaces once the round trip is sent, after every statement of it.
    with pytest.raises(DatabaseError), one_round_trip(), prepared_cursor() as cursor:  # noqa: PT012
        cursor.execute('UPDATE "tenants_partner" SET name = %s WHERE id = %s', ["renamed", igsp_partner.pk])
        cursor.execute("SELECT 1 / %s", [0])
        cursor.fetchall()
    assert Partner.objects.get(pk=igsp_partner.pk).name == before
    with one_round_trip(), prepared_cursor() as cursor:
        cursor.execute('UPDATE "tenants_partner" SET name = %s WHERE id = %s', ["renamed", igsp_partner.pk])
        cursor.execute("SELECT 1")
        assert cursor.fetchall() == [(1,)]
    assert Partner.objects.get(pk=igsp_partner.pk).name == "renamed"
