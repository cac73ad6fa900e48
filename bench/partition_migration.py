"""Hand-run: the ledger's partitioning migration on a million rows (``python -m bench.partition_migration``).

Builds a fresh PostgreSQL database ``hub_partbench`` (BENCH_PG_URL's server), migrates it, then steps the
wallet back to the plain tables of 0006 and fills them with PARTBENCH_ROUNDS (500,000) rounds, each with a
bet and a win (1,000,000 transactions) over the last ~18 months, and one delivery attempt per win
(500,000): generate_series, not the ORM. Then it times ``migrate`` (wallet 0007: plain → monthly
partitions) and checks that every row, every sum and the guards survived, times the reverse too, and
drops the database. Prints the figures.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from urllib.parse import urlsplit, urlunsplit

ROUNDS = int(os.environ.get("PARTBENCH_ROUNDS", "500000"))
ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DB = os.environ.get("PARTBENCH_DB", "hub_partbench")


def _db_url(name: str) -> str:
    parts = urlsplit(ADMIN_URL)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def main() -> int:
    _admin(f"DROP DATABASE IF EXISTS {DB}")
    _admin(f"CREATE DATABASE {DB}")
    env = {**os.environ, "DATABASE_URL": _db_url(DB), "DJANGO_SETTINGS_MODULE": "config.settings.dev"}
    env.pop("REDIS_URL", None)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from catalog.models import Game
    from tenants import services
    from wallet.models import GameSession
    from wallet.partitions import is_partitioned

    partner = services.partner_onboard(
        name="Partition Bench",
        actor="bench",
        igsp=True,
        public_api=False,
        default_currency="EUR",
        allowed_currencies=["EUR"],
        igsp_hooks_url="https://hooks.partbench.example/igsp",
    ).partner
    session = GameSession.objects.create(
        partner=partner,
        protocol="igsp",
        game=Game.objects.first(),
        player_id="p1",
        currency="EUR",
        key_hash="0" * 64,
        expires_at=timezone.now(),
    )
    call_command("migrate", "wallet", "0006_session_last_balance_at", verbosity=0)
    assert not is_partitioned("wallet_transaction")
    t0 = time.monotonic()
    args = {"s": str(session.pk), "p": str(partner.pk), "n": ROUNDS}
    with connection.cursor() as cur:
        cur.execute(
            """INSERT INTO wallet_round (id, session_id, partner_id, status, free_rounds_id, created_at)
               SELECT md5('r' || g)::uuid, %(s)s, %(p)s, 'settled', '', now() - g * interval '1 minute'
                 FROM generate_series(1, %(n)s) g""",
            args,
        )
        cur.execute(
            """INSERT INTO wallet_transaction (id, round_id, session_id, partner_id, kind, amount, currency, tx_type,
                   free_rounds_id, status, finished, partner_tx_id, error_code, error_message, attempts,
                   last_error, stuck, resolution_note, created_at, updated_at, confirmed_at)
               SELECT md5(k || g)::uuid, md5('r' || g)::uuid, %(s)s, %(p)s, k, (g %% 1000) / 4.0, 'EUR',
                      'regular', '', 'confirmed', k = 'win', '', '', '', 1, '', false, '',
                      now() - g * interval '1 minute', now(), now() - g * interval '1 minute'
                 FROM generate_series(1, %(n)s) g, unnest(ARRAY['bet', 'win']) k""",
            args,
        )
        cur.execute(
            """INSERT INTO wallet_deliveryattempt (transaction_id, partner_id, started_at, duration_ms, outcome,
                   error, error_code)
               SELECT md5('win' || g)::uuid, %(p)s, now() - g * interval '1 minute', 10, 'ok', '', ''
                 FROM generate_series(1, %(n)s) g""",
            args,
        )
        cur.execute("ANALYZE")
        cur.execute("SELECT count(*), sum(amount) FROM wallet_transaction")
        before = cur.fetchone()
    connection.commit() if not connection.get_autocommit() else None
    built = time.monotonic() - t0
    print(f"built {before[0]:,} transactions, {ROUNDS:,} rounds, {ROUNDS:,} attempts in {built:.1f} s")

    t0 = time.monotonic()
    call_command("migrate", verbosity=0)
    forward = time.monotonic() - t0
    with connection.cursor() as cur:
        cur.execute("SELECT count(*), sum(amount) FROM wallet_transaction")
        after = cur.fetchone()
        cur.execute("SELECT count(*) FROM wallet_deliveryattempt")
        attempts = cur.fetchone()[0]
        cur.execute("SELECT count(DISTINCT tableoid) FROM wallet_transaction")
        parts = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM wallet_tx_guard_round_kind")
        guards = cur.fetchone()[0]
    assert is_partitioned("wallet_transaction")
    assert after == before
    assert attempts == ROUNDS
    assert guards == before[0]
    print(f"plain → partitioned: {forward:.1f} s; rows and sums equal; {parts} monthly partitions hold rows")

    t0 = time.monotonic()
    call_command("migrate", "wallet", "0006_session_last_balance_at", verbosity=0)
    backward = time.monotonic() - t0
    with connection.cursor() as cur:
        cur.execute("SELECT count(*), sum(amount) FROM wallet_transaction")
        assert cur.fetchone() == before
    print(f"partitioned → plain (reverse): {backward:.1f} s; rows and sums equal")
    connection.close()
    _admin(f"DROP DATABASE IF EXISTS {DB}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
