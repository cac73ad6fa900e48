"""Cost as the ledger grows: ``python -m bench.ledger`` or part ``l`` of ``make bench``.

Builds a big ledger in a bench database (``hub_ledger<BENCH_DB_SUFFIX>``) with ``INSERT … SELECT
generate_series`` in PostgreSQL (no ORM row by row): BENCH_LEDGER_SESSIONS (1,000,000) sessions on four
partners, BENCH_LEDGER_TX / 2 rounds with a bet and a win each (BENCH_LEDGER_TX: 5,000,000
transactions), one delivery attempt per win, a year of history, a backlog of 500 pending wins, some
declined bets and refunds. The secondary indexes are dropped during the load and rebuilt after it (as
a restore would), FK triggers are off during the load (``session_replication_role = replica``, which also
silences the /metrics tally triggers: ``wallet.tallies.recount`` counts the loaded rows once after it, as a
restore would bring the tally table's own rows); then ``VACUUM (ANALYZE)``.

Measured, in this process (Django pointed at the bench database), each three times (the median counts):

- a TraderHero bet (``games.services.bet_jackpot``, the hook to the null partner) on the full database and
  on its empty twin (a copy taken before the build: same partners, keys and session), alternating in
  blocks of 25 so both see the same machine load: p50 over BENCH_LEDGER_BETS (300) bets each;
- the sweeper (``wallet.delivery.sweep``), /metrics (the hub collector, uncached), the reconciliation
  report of one partner and day, and the admin's transaction list (first page; filtered by partner and
  status) through Django's test client as a superuser; a partner's transaction look-up (first page, by an unknown
  partner transaction id, by a player) and the portal's log (first page, a player's search) and day of health.

Every statement of those operations is EXPLAIN (ANALYZE, BUFFERS)ed (writes inside a rolled-back
transaction) and the plans are written under var/bench/plans/<operation>.txt; a plan with a Seq Scan on
one of the big tables is reported. Goals: bet p50 ≤ 1.2× the empty figure; each operation < 300 ms and
no sequential scan of a big table.
"""

from __future__ import annotations

import os
import re
import statistics
import sys
import time
from decimal import Decimal

from .common import PG_ADMIN_URL, ROOT, Stack, flush_redis_db, log, vacuum_analyze
from .goals import Goal, print_goals

SESSIONS = int(os.environ.get("BENCH_LEDGER_SESSIONS", "1000000"))
TXS = int(os.environ.get("BENCH_LEDGER_TX", "5000000"))
BETS = int(os.environ.get("BENCH_LEDGER_BETS", "300"))
PENDING = 500
PARTNERS = 4
LIMIT_MS = 300.0
BIG_TABLES = ("wallet_transaction", "wallet_gamesession", "wallet_round", "wallet_deliveryattempt")
PLANS_DIR = ROOT / "var" / "bench" / "plans"


# ------------------------------------------------------------------- build --


def _secondary_indexes(cursor) -> list[tuple[str, str]]:
    """(name, CREATE INDEX …) of the big tables' indexes that back no constraint."""
    cursor.execute(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = 'public' AND i.tablename = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
        """,
        [list(BIG_TABLES)],
    )
    return list(cursor.fetchall())


def build(
    partner_ids: list[str], game_id: str, exclude_session: str, *, sessions: int = SESSIONS, txs: int = TXS
) -> dict:
    """Fill the ledger with generate_series; returns the timings."""
    from django.db import connection

    rounds = txs // 2
    partners = "ARRAY[" + ",".join(f"'{p}'" for p in partner_ids) + "]::uuid[]"
    n = len(partner_ids)
    # session i: created over the last year, in order; its partner is partners[1 + i % n]
    s_created = f"now() - interval '365 days' * (1 - i::float8 / {sessions})"
    steps = {
        "sessions": f"""
            INSERT INTO wallet_gamesession (id, protocol, player_id, player_name, currency, partner_session_ref,
                key_hash, device, language, return_url, deposit_url, is_demo, demo_balance, last_balance,
                balance_mismatch, status, expires_at, created_at, settings_snapshot, ext_client_id, game_id,
                partner_id, last_balance_at)
            SELECT md5('s' || i)::uuid, 'igsp', 'p' || (i % 200000), '', 'USD', 'ledger-' || i,
                md5('k' || i) || md5('kk' || i), 'desktop', 'en', '', '', (i % 50 = 0), NULL, 100.00,
                false, 'expired', {s_created} + interval '1 hour', {s_created}, '{{}}', NULL, '{game_id}',
                ({partners})[1 + i % {n}], NULL
            FROM generate_series(1, {sessions}) i""",
        # round j belongs to session s = 1 + (j - 1) % sessions, a few minutes after the session opened
        "rounds": f"""
            INSERT INTO wallet_round (id, status, free_rounds_id, created_at, settled_at, partner_id, session_id)
            SELECT md5('r' || j)::uuid, 'settled', '', c, c + interval '2 seconds', ({partners})[1 + s % {n}],
                md5('s' || s)::uuid
            FROM (SELECT j, 1 + (j - 1) % {sessions} AS s,
                         now() - interval '365 days' * (1 - (1 + (j - 1) % {sessions})::float8 / {sessions})
                           + interval '1 minute' * ((j - 1) / {sessions}) AS c
                  FROM generate_series(1, {rounds}) j) g""",
        # a bet and a win per round; the last PENDING wins are the delivery backlog; 1 bet in 1,000 declined
        "transactions": f"""
            INSERT INTO wallet_transaction (id, kind, amount, currency, tx_type, free_rounds_id, status, finished,
                partner_tx_id, partner_balance, error_code, error_message, attempts, next_attempt_at, lease_until,
                last_error, stuck, resolution_note, created_at, updated_at, confirmed_at, partner_id, refunds_id,
                round_id, session_id)
            SELECT md5(k || r.id::text)::uuid, k, CASE k WHEN 'bet' THEN 1.00 ELSE 1.90 END, 'USD', '', '',
                CASE WHEN k = 'win' AND r.n > {rounds - PENDING} THEN 'pending'
                     WHEN k = 'bet' AND r.n % 1000 = 7 THEN 'declined' ELSE 'confirmed' END,
                k = 'win', '', 100.00, '', '', CASE k WHEN 'win' THEN 1 ELSE 0 END, NULL, NULL, '', false, '',
                r.created_at + CASE k WHEN 'win' THEN interval '2 seconds' ELSE interval '0' END,
                r.created_at + interval '3 seconds',
                CASE WHEN k = 'win' AND r.n > {rounds - PENDING} THEN NULL
                     ELSE r.created_at + interval '50 milliseconds' END,
                r.partner_id, NULL, r.id, r.session_id
            FROM (SELECT row_number() OVER () AS n, * FROM wallet_round WHERE session_id <> '{exclude_session}') r, (VALUES ('bet'), ('win')) kinds(k)""",
        "attempts": """
            INSERT INTO wallet_deliveryattempt (started_at, duration_ms, http_status, outcome, error, error_code,
                response, partner_id, transaction_id)
            SELECT t.created_at, 20 + (abs(hashtext(t.id::text)) % 200), 200, 'ok', '', '', NULL, t.partner_id, t.id
            FROM wallet_transaction t WHERE t.kind = 'win' AND t.status = 'confirmed'""",
    }
    timings: dict[str, float] = {}
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '256MB'")
        cursor.execute("SET session_replication_role = replica")  # no FK triggers during the load
        indexes = _secondary_indexes(cursor)
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        for step, sql in steps.items():
            t = time.monotonic()
            cursor.execute(sql)
            timings[step] = round(time.monotonic() - t, 1)
            log(f"  ledger: {step} {cursor.rowcount:,} rows in {timings[step]:.1f} s")
        # a few refunds of declined bets (the reconciliation's void refunds)
        cursor.execute(
            """INSERT INTO wallet_transaction (id, kind, amount, currency, tx_type, free_rounds_id, status, finished,
                partner_tx_id, partner_balance, error_code, error_message, attempts, next_attempt_at, lease_until,
                last_error, stuck, resolution_note, created_at, updated_at, confirmed_at, partner_id, refunds_id,
                round_id, session_id)
            SELECT md5('f' || b.id::text)::uuid, 'refund', b.amount, b.currency, '', '', 'confirmed', true, '', 100.00,
                '', '', 1, NULL, NULL, '', false, '', b.created_at + interval '1 second', b.created_at
                + interval '2 seconds', b.created_at + interval '2 seconds', b.partner_id, b.id, b.round_id, b.session_id
            FROM wallet_transaction b WHERE b.kind = 'bet' AND b.status = 'declined'"""
        )
        cursor.execute("SET session_replication_role = origin")
        t = time.monotonic()
        for _, definition in indexes:
            # A partitioned table's index reads "ON ONLY <table>": as is, it would stay invalid and absent
            # from every partition (the partitions were scanned whole). Built over the partitions instead.
            cursor.execute(definition.replace(" ON ONLY ", " ON "))
        timings["indexes"] = round(time.monotonic() - t, 1)
        log(f"  ledger: {len(indexes)} secondary indexes rebuilt in {timings['indexes']:.1f} s")
    from wallet import tallies

    t = time.monotonic()
    tallies.recount()  # the load ran without triggers
    timings["tallies"] = round(time.monotonic() - t, 1)
    log(f"  ledger: /metrics tallies recounted in {timings['tallies']:.1f} s")
    return timings


# ----------------------------------------------------------------- measure --


SEQ_SCAN_ROWS = 1000  # an empty or tiny partition is scanned whole by design; a big one is not


def seq_scanned(plan: str) -> list[str]:
    """The big tables a plan reads sequentially: the table or one of its partitions, when the scan read more
    than SEQ_SCAN_ROWS rows (kept plus removed by its filter)."""
    found, current, rows = [], None, 0
    for line in [*plan.splitlines(), "->"]:
        if "->" in line or line.lstrip().startswith("Seq Scan"):
            if current and rows > SEQ_SCAN_ROWS:
                found.append(current)
            current, rows = None, 0
            match = re.search(r"Seq Scan on (\w+)", line)
            if match:
                name = match.group(1)
                current = next((t for t in BIG_TABLES if re.fullmatch(rf"{t}(_p\d+|_default)?", name)), None)
                actual = re.search(r"actual time=\S+ rows=(\d+) loops=(\d+)", line)
                rows = int(actual.group(1)) * int(actual.group(2)) if actual else SEQ_SCAN_ROWS + 1
        elif current and (removed := re.search(r"Rows Removed by Filter: (\d+)", line)):
            rows += int(removed.group(1))
    return found


def explain(captured: list[dict], name: str) -> tuple[list[str], str]:
    """EXPLAIN (ANALYZE, BUFFERS) every statement (writes rolled back); (seq scans of big tables, plan text)."""
    from django.db import connection, transaction

    PLANS_DIR.mkdir(parents=True, exist_ok=True)
    out, seq = [], []
    for q in captured:
        sql = q["sql"]
        verb = sql.lstrip().split(" ", 1)[0].upper()
        if verb not in ("SELECT", "UPDATE", "DELETE", "INSERT", "WITH"):
            continue
        if "django_session" in sql or ("auth_user" in sql and "wallet_" not in sql):
            continue  # the admin's login session and user: not the ledger
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                    plan = "\n".join(row[0] for row in cursor.fetchall())
                transaction.set_rollback(True)
        except Exception as exc:  # noqa: BLE001 - a statement that cannot be re-run as text: say so
            plan = f"(not explained: {type(exc).__name__}: {exc})"
        seq += seq_scanned(plan)
        out.append(f"-- {q.get('time', '?')} s\n{sql}\n\n{plan}\n")
    text = "\n\n".join(out)
    (PLANS_DIR / f"{name}.txt").write_text(text)
    return sorted(set(seq)), text


def timed_op(name: str, fn, *, runs: int = 3) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, captured = [], []
    for i in range(runs):
        with CaptureQueriesContext(connection) as ctx:
            t = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t) * 1000)
        if i == 0:
            captured = list(ctx.captured_queries)
    seq, _ = explain(captured, name)
    result = {
        "ms_median": round(statistics.median(times), 1),
        "ms_runs": [round(x, 1) for x in times],
        "queries": len(captured),
        "sql_ms": round(sum(float(q.get("time") or 0) for q in captured) * 1000, 1),  # the first run's
        "seq_scans": seq,
        "plan": str((PLANS_DIR / f"{name}.txt").relative_to(ROOT)),
    }
    log(f"  {name:<28} {result['ms_median']:8.1f} ms ({result['queries']} queries) seq scans: {seq or 'none'}")
    return result


def use_database(name: str) -> None:
    from django.db import connection

    connection.close()
    connection.settings_dict["NAME"] = name


def bet_samples(session, n: int, *, warm: int = 0) -> list[float]:
    """Wall ms of ``n`` TraderHero bets in this process (the bet service as the view calls it)."""
    from games import services as play

    for _ in range(warm):
        play.bet_jackpot(session=session, direction="up", amount=Decimal("1.00"))
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        play.bet_jackpot(session=session, direction="up", amount=Decimal("1.00"))
        samples.append((time.perf_counter() - t) * 1000)
    return samples


def summary(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered), 2),
        "p90_ms": round(ordered[int(len(ordered) * 0.9)], 2),
    }


def operations(partner) -> dict:
    """The operations whose cost must stay flat: name → callable."""
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse
    from prometheus_client import generate_latest

    from integration_hub.reports import transactions_page
    from portal import selectors as portal
    from wallet import delivery
    from wallet.metrics import HUB_REGISTRY
    from wallet.models import Transaction
    from wallet.reconciliation import reconciliation_report

    user_model = get_user_model()
    admin_user = user_model.objects.filter(is_superuser=True).first() or user_model.objects.create_superuser(
        "ledger-bench@example.com", "ledger-bench@example.com", "x-unused-x"
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(admin_user)
    url = reverse("admin:wallet_transaction_changelist")
    day = (
        Transaction.objects.filter(partner=partner)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[5000]
        .date()
    )

    player = Transaction.objects.filter(partner=partner).values_list("session__player_id", flat=True).first()

    def get(query: str):
        def run():
            response = client.get(url + query)
            assert response.status_code == 200, response.status_code

        return run

    return {
        "sweeper": lambda: delivery.sweep(),
        "metrics": lambda: generate_latest(HUB_REGISTRY),
        "reconciliation_report": lambda: reconciliation_report(partner=partner, date=day),
        "admin_tx_list": get(""),
        "admin_tx_partner_pending": get(f"?partner={partner.pk}&status__exact=pending"),
        "admin_tx_partner_confirmed": get(f"?partner={partner.pk}&status__exact=confirmed"),
        # What a partner may ask: both protocols' transaction look-up, the portal's log and health.
        "lookup_page": lambda: transactions_page(partner, cursor=None, limit=50),
        "lookup_partner_tx_id": lambda: transactions_page(partner, cursor=None, limit=50, transaction_id="w-1001"),
        "lookup_player": lambda: transactions_page(partner, cursor=None, limit=50, player_id=player),
        "portal_log": lambda: portal.delivery_log(partner=partner),
        "portal_search_player": lambda: portal.delivery_log(partner=partner, q=player or ""),
        "portal_health_day": lambda: portal.endpoint_health(partner=partner, window="day"),
    }


def run(*, redis_db: int | None = None) -> tuple[dict, list[Goal]]:
    """Build the ledger and measure; returns (results, goals). Django must not be set up yet."""
    from . import hubctl

    redis_db = int(os.environ.get("BENCH_REDIS_DB", "15")) if redis_db is None else redis_db
    base = int(os.environ.get("BENCH_HUB_PORT", "18200"))
    null_port = int(os.environ.get("BENCH_NULL_PORT", "18202"))
    stack = Stack(
        "ledger",
        hub_port=base,
        sandbox_port=int(os.environ.get("BENCH_SANDBOX_PORT", "18201")),
        redis_db=redis_db,
        extra_env={"HUB_METRICS_CACHE_SECONDS": "0"},
    )
    reuse = os.environ.get("BENCH_LEDGER_REUSE") == "1"  # measure again on the ledger the last run built
    if not reuse:
        stack.prepare()
    hubctl.setup(stack)
    stack._spawn("nullpartner", [sys.executable, "-m", "bench.nullpartner", str(null_port)], stack.env())
    from .common import wait_tcp

    wait_tcp(null_port)
    from catalog.models import Game
    from integration_hub.session_api.launch import SESSION_KEY_PREFIX
    from tenants import services as tenant_services
    from tenants.models import Partner
    from wallet import services

    hooks = f"http://127.0.0.1:{null_port}/hooks"
    if reuse:
        return measure(stack, redis_db, Partner.objects.filter(name="ledger partner 0").get(), {"reused": True})
    partner_ids = [
        str(
            tenant_services.partner_onboard(
                name=f"ledger partner {i}", actor="bench:ledger", igsp=True, public_api=False, igsp_hooks_url=hooks
            ).partner.pk
        )
        for i in range(PARTNERS)
    ]
    game = Game.objects.get(slug=Game.TRADERHERO_JACKPOT)
    partner = Partner.objects.get(pk=partner_ids[0])
    session = services.session_create(
        protocol="igsp",
        key_prefix=SESSION_KEY_PREFIX,
        partner=partner,
        game=game,
        player_id="ledger-bettor",
        currency="USD",
        balance=Decimal("1000000.00"),
    ).session
    session = type(session).objects.select_related("partner", "ext_client", "game").get(pk=session.pk)
    import psycopg
    from django.db import connection

    results: dict = {"sessions": SESSIONS, "transactions": TXS}
    # The empty ledger's twin: same partners, keys and session, so the bets alternate between the two
    # databases in the same minutes (this machine's load moves absolute figures 2-3x).
    empty_db = f"{stack.hub_db}_empty"
    connection.close()
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{empty_db}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{empty_db}" TEMPLATE "{stack.hub_db}"')
    log(f"(l) building {SESSIONS:,} sessions and {TXS:,} transactions (generate_series)")
    t = time.monotonic()
    results["build_s"] = build(partner_ids, str(game.pk), str(session.pk))
    vacuum_analyze(stack.hub_db)
    results["build_s"]["total_incl_vacuum"] = round(time.monotonic() - t, 1)
    log(f"  ledger built in {results['build_s']['total_incl_vacuum']:.0f} s")
    return measure(stack, redis_db, partner, results)


def measure(stack: Stack, redis_db: int, partner, results: dict) -> tuple[dict, list[Goal]]:
    from wallet.models import GameSession

    empty_db = f"{stack.hub_db}_empty"
    results.setdefault("sessions", SESSIONS)
    results.setdefault("transactions", TXS)
    results.setdefault("build_s", {"total_incl_vacuum": 0})
    session = GameSession.objects.select_related("partner", "ext_client", "game").get(player_id="ledger-bettor")
    log(f"(l) {BETS} bets on each ledger, alternating in blocks of 25 (empty twin: {empty_db})")
    samples: dict[str, list[float]] = {stack.hub_db: [], empty_db: []}
    for block in range(2 * max(1, BETS // 25)):
        name = (stack.hub_db, empty_db)[block % 2]
        use_database(name)
        samples[name] += bet_samples(session, 25, warm=5)
    use_database(stack.hub_db)
    results["bet_full"], results["bet_empty"] = summary(samples[stack.hub_db]), summary(samples[empty_db])
    log("(l) operations on the full ledger (median of 3; plans in var/bench/plans/)")
    results["operations"] = {name: timed_op(name, fn) for name, fn in operations(partner).items()}
    stack.stop_all()
    flush_redis_db(redis_db)
    return results, goals(results)


def goals(r: dict) -> list[Goal]:
    empty, full = r["bet_empty"]["p50_ms"], r["bet_full"]["p50_ms"]
    ratio = full / empty if empty else float("inf")
    rows = [
        Goal(
            f"Ledger {r['transactions'] / 1e6:.0f}M tx: bet p50",
            "≤ 1.2× empty ledger",
            f"{ratio:.2f}× ({full:.2f} ms vs {empty:.2f} ms; built in {r['build_s']['total_incl_vacuum']:.0f} s)",
            ratio <= 1.2,
        )
    ]
    for name, op in r["operations"].items():
        seq = f", seq scan of {', '.join(op['seq_scans'])}" if op["seq_scans"] else ", index-backed"
        rows.append(
            Goal(
                f"Ledger: {name}",
                "< 300 ms, index-backed",
                f"{op['ms_median']:.0f} ms ({op['queries']} queries, SQL {op['sql_ms']:.0f} ms{seq})",
                op["ms_median"] < LIMIT_MS and not op["seq_scans"],
            )
        )
    return rows


def main() -> int:
    import json

    results, rows = run()
    path = ROOT / "var" / "bench-ledger.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"ledger": results, "goals": [g.as_dict() for g in rows]}, indent=2, default=str))
    print_goals(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
