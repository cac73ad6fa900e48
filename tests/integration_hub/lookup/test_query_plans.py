"""Every partner-facing query is index-backed (PostgreSQL only).

A ledger of 26 partners (7,000 transactions, two months of history, the partner under test the biggest: 2,000 of
them) with their sessions, rounds, wallet calls and delivery attempts is ANALYZEd; each statement the lookups (both
protocols), the reconciliation report and the portal run is EXPLAIN ANALYZEd, and none may scan a big table
sequentially or read more than MAX_ROWS_READ of its rows (an index walked over the partner's whole ledger, under a
filter no index answers, is a scan too).

``enable_seqscan`` is off while the plans are taken, and this is why: on a few thousand rows a sequential scan, or a
hash join over one, is often the cheapest plan and the planner rightly takes it (it would not on the 5 M-row bench
ledger), so with it on the verdict would depend on the planner's costing of tiny tables. With sequential scans
priced out, a Seq Scan still in a plan means no index can answer that statement, and the bound on the rows read
catches an index that answers it only by reading everything.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from games import history
from integration_hub.reports import transactions_page
from portal import selectors as portal
from tenants.models import Partner
from wallet import reconciliation
from wallet import selectors as wallet_selectors
from wallet.models import (
    AttemptOutcome,
    DeliveryAttempt,
    GameSession,
    Round,
    Transaction,
    TxKind,
    TxStatus,
    WalletCall,
)

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans are PostgreSQL's")

PARTNERS, DAYS = 26, 60
SESSIONS = (1000, 100)  # per partner: the one under test (the first), the others
PLAYERS = (100, 10)
BIG_TABLES = (
    "wallet_transaction",
    "wallet_gamesession",
    "wallet_round",
    "wallet_deliveryattempt",
    "wallet_walletcall",
)
MAX_ROWS_READ = 120  # per big table and query: a page (51 rows) or one player's rows, never a partner's ledger


def _load(game) -> dict:
    """26 partners with 1,000 sessions (the first) or 100 of one round (a bet, a win with one delivery attempt, a wallet call
    for the bet and a balance call), spread over two months. Returns the first partner's handles."""
    now = timezone.now()
    partners = Partner.objects.bulk_create(
        Partner(name=f"Plan {i}", slug=f"plan-{i}-{uuid.uuid4().hex[:6]}", status="active") for i in range(PARTNERS)
    )
    sessions, rounds, txs, attempts, calls = [], [], [], [], []
    for p_index, partner in enumerate(partners):
        n_sessions, n_players = (SESSIONS[0], PLAYERS[0]) if p_index == 0 else (SESSIONS[1], PLAYERS[1])
        for s_index in range(n_sessions):
            player = f"player-{s_index % n_players}"
            at = now - timedelta(days=DAYS * s_index / n_sessions, minutes=p_index)
            session = GameSession(
                partner=partner,
                protocol="igsp",
                game=game,
                player_id=player,
                currency="USD",
                partner_session_ref=f"ref-{p_index}-{s_index}",
                key_hash=hashlib.sha256(f"{p_index}-{s_index}".encode()).hexdigest(),
                expires_at=at + timedelta(hours=4),
            )
            rnd = Round(session=session, partner=partner, status="settled")
            bet = Transaction(
                round=rnd,
                session=session,
                partner=partner,
                kind=TxKind.BET,
                amount=Decimal("1.00"),
                currency="USD",
                status=TxStatus.CONFIRMED,
                partner_tx_id=f"wallet-bet-{p_index}-{s_index}",
                confirmed_at=at,
            )
            win = Transaction(
                round=rnd,
                session=session,
                partner=partner,
                kind=TxKind.WIN,
                amount=Decimal("2.00"),
                currency="USD",
                status=TxStatus.PENDING if s_index % 50 == 0 else TxStatus.CONFIRMED,
                stuck=s_index % 50 == 0,
                partner_tx_id=f"wallet-win-{p_index}-{s_index}",
                confirmed_at=None if s_index % 50 == 0 else at,
            )
            sessions.append(session)
            rounds.append(rnd)
            txs += [bet, win]
            attempts.append(
                DeliveryAttempt(
                    transaction=win, partner=partner, started_at=at, duration_ms=40, outcome=AttemptOutcome.OK
                )
            )
            calls += [
                WalletCall(
                    partner=partner,
                    session=session,
                    transaction=bet,
                    kind="bet",
                    player_id=player,
                    round_id=rnd.pk,
                    started_at=at,
                    duration_ms=30,
                    outcome=AttemptOutcome.OK,
                ),
                WalletCall(
                    partner=partner,
                    session=session,
                    kind="balance",
                    player_id=player,
                    started_at=at,
                    duration_ms=10,
                    outcome=AttemptOutcome.OK,
                ),
            ]
    GameSession.objects.bulk_create(sessions)
    Round.objects.bulk_create(rounds)
    Transaction.objects.bulk_create(txs)
    DeliveryAttempt.objects.bulk_create(attempts)
    WalletCall.objects.bulk_create(calls)
    with connection.cursor() as cursor:
        # created_at is auto_now_add: move every row to its moment (the ledger's rows change partitions).
        cursor.execute("UPDATE wallet_gamesession SET created_at = expires_at - interval '4 hours'")
        cursor.execute(
            "UPDATE wallet_round r SET created_at = s.created_at FROM wallet_gamesession s WHERE s.id = r.session_id"
        )
        cursor.execute(
            """UPDATE wallet_transaction t SET created_at = s.created_at
                    + CASE WHEN t.kind = 'win' THEN interval '1 second' ELSE interval '0' END
                 FROM wallet_gamesession s WHERE s.id = t.session_id"""
        )
        for table in BIG_TABLES:
            cursor.execute(f"ANALYZE {table}")
    mine = partners[0]
    bet = Transaction.objects.filter(partner=mine, kind=TxKind.BET).order_by("created_at")[100]
    return {"partner": mine, "bet": bet, "day": bet.created_at.date(), "now": now}


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _problems(sql: str, max_rows: int) -> list[str]:
    """What is wrong with one statement's plan: a sequential scan of a big table, or too many of its rows read."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # see the module's docstring
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
        (raw,) = cursor.fetchone()
    plan = (raw if isinstance(raw, list) else json.loads(raw))[0]["Plan"]
    if os.environ.get("HUB_PLANS_DEBUG"):
        cursor = connection.cursor()
        cursor.execute(f"EXPLAIN ANALYZE {sql}")
        print(sql[:300], "\n", "\n".join(r[0] for r in cursor.fetchall()))
    found, read = [], {}
    for node in _nodes(plan):
        relation = node.get("Relation Name", "")
        table = next((t for t in BIG_TABLES if relation == t or relation.startswith(f"{t}_")), None)
        if table is None:
            continue
        loops = node.get("Actual Loops", 1)
        rows = node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)
        rows += node.get("Rows Removed by Index Recheck", 0)
        read[table] = read.get(table, 0) + rows * loops
        # The months to come are empty partitions, which the planner rightly reads sequentially (nothing to read).
        if node["Node Type"] == "Seq Scan" and rows:
            found.append(f"Seq Scan on {relation}")
    found += [f"{n} rows of {t} read" for t, n in read.items() if n > max_rows]
    return found


def _check(label: str, run, failures: list[str], max_rows: int = MAX_ROWS_READ) -> None:
    with CaptureQueriesContext(connection) as captured:
        run()
    statements = [q["sql"] for q in captured.captured_queries if q["sql"].lstrip("( ").upper().startswith("SELECT")]
    assert statements, label
    for sql in statements:
        if problems := _problems(sql, max_rows):
            failures.append(f"{label}: {'; '.join(problems)}\n    {sql[sql.find(' FROM ') :][:300]}")


@pytest.fixture
def ledger(db, game):
    return _load(game)


def _page(partner, **filters):
    return lambda: transactions_page(partner, cursor=None, limit=50, **filters)


def test_every_transaction_lookup_is_index_backed(ledger):
    partner, bet, now = ledger["partner"], ledger["bet"], ledger["now"]
    first = transactions_page(partner, cursor=None, limit=50)
    failures: list[str] = []
    for label, run in [
        ("no filter", _page(partner)),
        ("next page", lambda: transactions_page(partner, cursor=first[1]["next"], limit=50)),
        ("since/until", _page(partner, since=now - timedelta(days=20), until=now - timedelta(days=19))),
        ("player", _page(partner, player_id="player-3")),
        ("player and window", _page(partner, player_id="player-3", since=now - timedelta(days=10))),
        ("our round", _page(partner, round_id=bet.round_id)),
        ("our txID", _page(partner, transaction_id=str(bet.pk))),
        ("the partner's own txID", _page(partner, transaction_id=bet.partner_tx_id)),
        ("a uuid-looking partner txID", _page(partner, transaction_id=str(uuid.uuid4()))),
        ("status", _page(partner, status=TxStatus.PENDING)),
        (
            "round details",
            lambda: history.round_details(
                rnd=wallet_selectors.round_for_partner(partner=partner, round_id=bet.round_id)
            ),
        ),
        ("reconciliation", lambda: reconciliation.reconciliation_report(partner=partner, date=ledger["day"])),
    ]:
        _check(label, run, failures)
    assert not failures, "\n".join(failures)


def test_every_portal_query_is_index_backed(ledger):
    partner, bet = ledger["partner"], ledger["bet"]
    win = Transaction.objects.get(round_id=bet.round_id, kind=TxKind.WIN)
    attempt = DeliveryAttempt.objects.filter(transaction_id=win.pk).get()
    failures: list[str] = []
    for label, run in [
        ("log", lambda: portal.delivery_log(partner=partner)),
        ("log, older page", lambda: portal.delivery_log(partner=partner, before=ledger["now"] - timedelta(days=30))),
        ("log of wins", lambda: portal.delivery_log(partner=partner, kind="win")),
        ("log of bets", lambda: portal.delivery_log(partner=partner, kind="bet")),
        ("search a player", lambda: portal.delivery_log(partner=partner, q="player-3")),
        ("search the partner's txID", lambda: portal.delivery_log(partner=partner, q=bet.partner_tx_id)),
        ("search our bet's id", lambda: portal.delivery_log(partner=partner, q=str(bet.pk))),
        ("search our win's id", lambda: portal.delivery_log(partner=partner, q=str(win.pk))),
        ("search a round", lambda: portal.delivery_log(partner=partner, q=str(bet.round_id))),
        ("search a round's wins", lambda: portal.delivery_log(partner=partner, q=str(bet.round_id), kind="win")),
        ("one entry", lambda: portal.delivery_log_entry(partner=partner, source="delivery", pk=attempt.pk)),
        ("health, hour", lambda: portal.endpoint_health(partner=partner, window="hour")),
        ("stuck", lambda: list(portal.stuck_deliveries_for(partner=partner).order_by("created_at")[:100])),
    ]:
        _check(label, run, failures)
    # The week's health reads the week's calls by design (at most HEALTH_SAMPLE of each source): 234 here.
    _check("health, week", lambda: portal.endpoint_health(partner=partner, window="week"), failures, max_rows=300)
    assert not failures, "\n".join(failures)
