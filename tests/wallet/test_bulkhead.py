"""One slow partner cannot stall the others: the bet bulkhead.

A partner holds at most a share of a web process's threads with bet calls (the thread guard, always on,
no shared store), and at most its own cap across the cluster when the admin sets one. Over either a bet
is refused at once (503 ``partner_busy``, Retry-After) and nothing is written; the cluster-wide slot
store holds the partner's cap across threads (and, with Redis, across processes and nodes).
"""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import httpx
import pytest
from django.conf import settings as django_settings

from tenants import services as tenant_services
from tenants.models import AuditLog
from tests.conftest import Wired, run_together, wire_partner
from wallet import services
from wallet.models import GameSession, Round, Transaction, TxKind, TxStatus

SLOW_MS = 4500  # the slow partner's answer to every bet: longer than six quick bets take on a loaded 2-core machine
QUICK = 1.0  # seconds: a refusal, or a fast partner's bet, takes far less than the slow partner's answer


def open_session(wired: Wired, game) -> tuple[str, str]:
    """A real-money IGSP session (id, player key) whose player has 1000 USD at the partner."""
    player = "p-" + uuid.uuid4().hex[:8]
    created = services.session_create(
        protocol="igsp",
        partner=wired.partner,
        game=game,
        player_id=player,
        currency="USD",
        partner_session_ref=f"s-{uuid.uuid4().hex[:10]}",
    )
    wired.sandbox.set_balance(wired.slug, player, "USD", "1000.00")
    return str(created.session.pk), created.key


def timed_bet(base_url: str, session: tuple[str, str]) -> tuple[httpx.Response, float]:
    sid, key = session
    started = time.perf_counter()
    response = httpx.post(
        f"{base_url}/igsp/v1/sessions/{sid}/bet",
        headers={"X-Casino-Key": key},
        json={"direction": "up", "amount": "1.00"},
        timeout=15,
    )
    return response, time.perf_counter() - started


def wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_slow_partner_is_capped_and_the_fast_partner_keeps_its_latency(wired, sandbox, live_hub, game, settings):
    settings.HUB_WALLET_TIMEOUT_SECONDS = 8.0
    settings.HUB_JACKPOT_ROUND_SECONDS = 0
    # The default guard: half of a process's threads (the live server is one process).
    settings.HUB_PARTNER_MAX_BETS_IN_FLIGHT = None
    settings.HUB_WEB_THREADS, settings.HUB_PARTNER_BET_THREAD_SHARE = 4, 0.5
    slow, fast = wired, wire_partner(sandbox, live_hub)
    slow.faults(bet={"latency_ms": SLOW_MS})
    slow_sessions = [open_session(slow, game) for _ in range(5)]
    fast_sessions = [open_session(fast, game) for _ in range(3)]

    with ThreadPoolExecutor(max_workers=2) as pool:
        # Given: the slow partner has as many bets in flight as its cap allows.
        in_cap = [pool.submit(timed_bet, live_hub.url, s) for s in slow_sessions[:2]]
        wait_for(
            lambda: (
                Transaction.objects.filter(partner=slow.partner, kind=TxKind.BET, status=TxStatus.PENDING).count() == 2
            )
        )
        # When: more bets for the slow partner come, and bets for the fast one.
        over_cap = [timed_bet(live_hub.url, s) for s in slow_sessions[2:]]
        fast_bets = [timed_bet(live_hub.url, s) for s in fast_sessions]
        still_busy = not any(f.done() for f in in_cap)
        in_cap = [f.result() for f in in_cap]

    # Then: over the cap, the bet is refused at once with a retryable error in the IGSP shape.
    for response, seconds in over_cap:
        assert response.status_code == 503, response.text
        assert response.json() == {
            "error": "partner_busy",
            "message": "The casino wallet is busy; try again.",
            "status": 503,
        }
        assert response.headers["Retry-After"] == "1"
        assert seconds < QUICK, seconds
    assert still_busy  # the refusals and the fast bets happened while the slow partner was saturated
    # … and nothing was written for them: only the two admitted bets have rows.
    assert Transaction.objects.filter(partner=slow.partner).filter(kind=TxKind.BET).count() == 2
    assert Round.objects.filter(partner=slow.partner).count() == 2
    for sid, _ in slow_sessions[2:]:
        assert not Transaction.objects.filter(session_id=sid).exists()
    player = GameSession.objects.get(pk=slow_sessions[2][0]).player_id
    assert Decimal(slow.sandbox.get_account(slow.slug, player, "USD")["balance"]) == Decimal("1000.00")
    # The admitted ones went through; the fast partner's bets kept their latency meanwhile.
    for response, seconds in in_cap:
        assert response.status_code == 201, response.text
        assert seconds >= SLOW_MS / 1000
    for response, seconds in fast_bets:
        assert response.status_code == 201, response.text
        assert seconds < QUICK, seconds
    # Slots are given back: the slow partner takes bets again.
    slow.faults()
    response, _ = timed_bet(live_hub.url, slow_sessions[2])
    assert response.status_code == 201, response.text


def test_a_partners_own_bet_cap_overrides_the_default_and_is_audited(wired, game, settings):
    from wallet import bulkhead

    settings.HUB_PARTNER_MAX_BETS_IN_FLIGHT = 8
    tenant_services.partner_update(partner=wired.partner, actor="test", max_bets_in_flight=1)
    entry = AuditLog.objects.get(action="partner.update", partner=wired.partner)
    assert entry.changes["max_bets_in_flight"] == {"from": None, "to": 1}
    wired.partner.refresh_from_db()
    assert bulkhead.bet_cap(wired.partner) == 1
    sid, _ = open_session(wired, game)
    session = GameSession.objects.select_related("partner").get(pk=sid)
    held = bulkhead.store().acquire(bulkhead.bet_key(wired.partner.pk), 1, 30)
    assert held is not None
    try:
        with pytest.raises(bulkhead.PartnerBusy) as err:
            services.bet_place(session=session, amount=Decimal("1.00"))
        assert err.value.status_code == 503
        assert err.value.code == "partner_busy"
        assert err.value.retry_after == 1
        assert not Transaction.objects.filter(session_id=sid).exists()
    finally:
        bulkhead.store().release(bulkhead.bet_key(wired.partner.pk), held)
    assert services.bet_place(session=session, amount=Decimal("1.00")).transaction.status == TxStatus.CONFIRMED


@pytest.mark.parametrize(
    ("threads", "share", "explicit", "cap"),
    [(8, 0.5, None, 4), (16, 0.5, None, 8), (3, 0.5, None, 1), (1, 0.5, None, 1), (8, 0.25, None, 2), (8, 0.5, 64, 64)],
)
def test_the_thread_guard_is_a_share_of_a_process_threads(settings, threads, share, explicit, cap):
    from wallet import bulkhead

    settings.HUB_WEB_THREADS, settings.HUB_PARTNER_BET_THREAD_SHARE = threads, share
    settings.HUB_PARTNER_MAX_BETS_IN_FLIGHT = explicit
    assert bulkhead.process_cap() == cap


def test_the_thread_guard_counts_per_partner_and_gives_back():
    from wallet import bulkhead

    guard = bulkhead.ThreadGuard()
    assert guard.acquire("a", 2)
    assert guard.acquire("a", 2)
    assert not guard.acquire("a", 2)  # full for a …
    assert guard.acquire("b", 2)  # … not for b
    guard.release("a")
    assert guard.held("a") == 1
    assert guard.acquire("a", 2)
    for key in ("a", "a", "b"):
        guard.release(key)
    assert guard.held("a") == guard.held("b") == 0


def test_without_its_own_cap_a_partners_bets_share_no_count_across_processes(wired, game, settings, monkeypatch):
    """The default bulkhead caps threads, not a partner's traffic: no shared (Redis) count is read or written, so
    every node adds capacity for the partner. Its own cap, set in the admin, is the one cluster-wide count."""
    from wallet import bulkhead

    settings.HUB_PARTNER_MAX_BETS_IN_FLIGHT = None
    used = []

    class Recording(bulkhead.LocalSlots):
        def acquire(self, key, cap, ttl):
            used.append((key, cap))
            return super().acquire(key, cap, ttl)

    recording = Recording()
    monkeypatch.setattr(bulkhead, "store", lambda: recording)
    sid, _ = open_session(wired, game)
    session = GameSession.objects.select_related("partner").get(pk=sid)
    assert services.bet_place(session=session, amount=Decimal("1.00")).transaction.status == TxStatus.CONFIRMED
    assert used == []
    assert bulkhead.threads().held(bulkhead.bet_key(wired.partner.pk)) == 0  # given back

    tenant_services.partner_update(partner=wired.partner, actor="test", max_bets_in_flight=3)
    session = GameSession.objects.select_related("partner").get(pk=sid)
    assert services.bet_place(session=session, amount=Decimal("1.00")).transaction.status == TxStatus.CONFIRMED
    assert used == [(bulkhead.bet_key(wired.partner.pk), 3)]


def test_a_full_thread_guard_refuses_before_anything_is_written(wired, game, settings):
    from wallet import bulkhead

    settings.HUB_PARTNER_MAX_BETS_IN_FLIGHT = None
    settings.HUB_WEB_THREADS, settings.HUB_PARTNER_BET_THREAD_SHARE = 2, 0.5
    sid, _ = open_session(wired, game)
    session = GameSession.objects.select_related("partner").get(pk=sid)
    key = bulkhead.bet_key(wired.partner.pk)
    assert bulkhead.threads().acquire(key, 1)  # another thread of this process is in a bet for the partner
    try:
        with pytest.raises(bulkhead.PartnerBusy):
            services.bet_place(session=session, amount=Decimal("1.00"))
        assert not Transaction.objects.filter(session_id=sid).exists()
    finally:
        bulkhead.threads().release(key)
    assert services.bet_place(session=session, amount=Decimal("1.00")).transaction.status == TxStatus.CONFIRMED


def test_the_bet_cap_is_set_in_the_admin_and_audited(admin_client, admin_user, igsp_partner):
    from django.urls import reverse

    from tests.tenants.test_admin import change_form_data

    change = reverse("admin:tenants_partner_change", args=[igsp_partner.pk])
    page = admin_client.get(change)
    assert "Concurrent bet calls" in page.content.decode()
    data = change_form_data(page)
    data.update(max_bets_in_flight="4")
    assert admin_client.post(change, data).status_code == 302
    igsp_partner.refresh_from_db()
    assert igsp_partner.max_bets_in_flight == 4
    entry = AuditLog.objects.get(action="partner.update")
    assert entry.actor == admin_user
    assert entry.changes == {"max_bets_in_flight": {"from": None, "to": 4}}
    data.update(max_bets_in_flight="300")
    page = admin_client.post(change, data)
    assert page.status_code == 200
    assert "less than or equal to 256" in page.content.decode()
    igsp_partner.refresh_from_db()
    assert igsp_partner.max_bets_in_flight == 4


@pytest.mark.parametrize("value", [0, 257])
def test_a_partners_bet_cap_must_be_between_1_and_256(igsp_partner, value):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        tenant_services.partner_update(partner=igsp_partner, actor="test", max_bets_in_flight=value)


def test_demo_bets_take_no_slot(igsp_partner, game, settings):
    from wallet import bulkhead

    settings.HUB_PARTNER_MAX_BETS_IN_FLIGHT = 1
    created = services.session_create(
        protocol="igsp",
        partner=igsp_partner,
        game=game,
        player_id="demo",
        currency="EUR",
        is_demo=True,
        demo_balance=Decimal("100"),
    )
    held = bulkhead.store().acquire(bulkhead.bet_key(igsp_partner.pk), 1, 30)
    try:
        assert services.bet_place(session=created.session, amount=Decimal("1.00")).balance == Decimal("99.00")
    finally:
        bulkhead.store().release(bulkhead.bet_key(igsp_partner.pk), held)


# ------------------------------------------------------------- slot store --


def _stores():
    params = [pytest.param("local", id="local")]
    params.append(
        pytest.param(
            "redis", id="redis", marks=pytest.mark.skipif(not django_settings.REDIS_URL, reason="REDIS_URL is not set")
        )
    )
    return params


@pytest.fixture(params=_stores())
def slot_store(request):
    from wallet import bulkhead

    return bulkhead.LocalSlots() if request.param == "local" else bulkhead.RedisSlots(django_settings.REDIS_URL)


def test_the_cap_holds_under_concurrency(slot_store):
    key, cap, n = f"test:{uuid.uuid4().hex}", 5, 32
    held, lock, peak = [], threading.Lock(), [0]

    def attempt(_):
        token = slot_store.acquire(key, cap, 30)
        if token is not None:
            with lock:
                held.append(token)
                peak[0] = max(peak[0], len(held))
        return token

    tokens = run_together(n, attempt)
    granted = [t for t in tokens if t is not None]
    assert len(granted) == cap
    assert peak[0] == cap
    assert len(set(granted)) == cap
    assert slot_store.acquire(key, cap, 30) is None
    slot_store.release(key, granted[0])
    again = slot_store.acquire(key, cap, 30)
    assert again is not None
    assert slot_store.acquire(key, cap, 30) is None
    for token in [again, *granted[1:]]:
        slot_store.release(key, token)
    assert all(t is not None for t in [slot_store.acquire(key, cap, 30) for _ in range(cap)])


def test_a_slot_is_given_back_when_the_call_raises(slot_store):
    from wallet import bulkhead

    key = f"test:{uuid.uuid4().hex}"
    for _ in range(3):
        with pytest.raises(RuntimeError), bulkhead.slot(key, 1, using=slot_store, ttl=30):
            raise RuntimeError("the partner call blew up")
    with (
        bulkhead.slot(key, 1, using=slot_store, ttl=30),
        pytest.raises(bulkhead.PartnerBusy),
        bulkhead.slot(key, 1, using=slot_store, ttl=30),
    ):
        pass
    with bulkhead.slot(key, 1, using=slot_store, ttl=30):
        pass


def test_an_expired_slot_is_reclaimed(slot_store):
    key = f"test:{uuid.uuid4().hex}"
    leaked = slot_store.acquire(key, 1, 0.3)  # a process killed mid-call never releases it
    assert leaked is not None
    assert slot_store.acquire(key, 1, 30) is None
    time.sleep(0.5)
    assert slot_store.acquire(key, 1, 30) is not None


@pytest.mark.skipif(not django_settings.REDIS_URL, reason="REDIS_URL is not set")
def test_with_redis_the_cap_is_shared_by_every_process():
    from wallet import bulkhead

    one, other = bulkhead.RedisSlots(django_settings.REDIS_URL), bulkhead.RedisSlots(django_settings.REDIS_URL)
    key = f"test:{uuid.uuid4().hex}"
    token = one.acquire(key, 2, 30)
    assert token is not None
    assert other.acquire(key, 2, 30) is not None
    assert one.acquire(key, 2, 30) is None
    assert other.acquire(key, 2, 30) is None
    one.release(key, token)
    assert other.acquire(key, 2, 30) is not None


def test_redis_down_falls_back_to_the_process_cap():
    from wallet import bulkhead

    store = bulkhead.RedisSlots("redis://127.0.0.1:1/0")  # nothing listens there
    key = f"test:{uuid.uuid4().hex}"
    token = store.acquire(key, 1, 30)
    assert token is not None
    assert store.acquire(key, 1, 30) is None
    store.release(key, token)
    assert store.acquire(key, 1, 30) is not None
