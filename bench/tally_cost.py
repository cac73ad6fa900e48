"""What the /metrics tally triggers add to a bet's writes; hand-run, not part of ``make bench``.

``DATABASE_URL=postgres://…/<a migrated scratch database> python -m bench.tally_cost`` (default 2,000 bets):
each bet as the wallet writes it (a round, the pending bet in one transaction; the confirming UPDATE of
its status in a second), in blocks of 100 alternating with the tally triggers enabled and disabled
(``ALTER TABLE … DISABLE TRIGGER``) so both see the same machine load. Prints p50/mean per bet of each.
"""

from __future__ import annotations

import os
import statistics
import time
import uuid

BETS = int(os.environ.get("BENCH_TALLY_BETS", "2000"))
BLOCK = 100
TRIGGERS = ("wallet_tally_tx_insert", "wallet_tally_tx_delete", "wallet_tally_tx_status")


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    import django

    django.setup()
    from decimal import Decimal

    from django.db import connection, transaction

    from catalog.models import Game
    from integration_hub.session_api.launch import SESSION_KEY_PREFIX
    from tenants import services as tenant_services
    from wallet import services

    partner = tenant_services.partner_onboard(
        name=f"tally cost {uuid.uuid4().hex[:6]}", actor="bench", igsp=True, public_api=False,
        igsp_hooks_url="https://hooks.example/igsp",
    ).partner  # fmt: skip
    game = Game.objects.get(slug=Game.TRADERHERO_JACKPOT)
    session = services.session_create(
        protocol="igsp",
        key_prefix=SESSION_KEY_PREFIX,
        partner=partner,
        game=game,
        player_id="cost",
        currency="USD",
        balance=Decimal("100"),
    ).session

    def bet(cursor) -> float:
        rnd, tx = uuid.uuid4(), uuid.uuid4()
        t = time.perf_counter()
        with transaction.atomic():
            cursor.execute(
                "INSERT INTO wallet_round (id, status, free_rounds_id, created_at, settled_at, partner_id, session_id)"
                " VALUES (%s, 'open', '', now(), NULL, %s, %s)",
                [rnd, partner.pk, session.pk],
            )
            cursor.execute(
                """INSERT INTO wallet_transaction (id, kind, amount, currency, tx_type, free_rounds_id, status,
                    finished, partner_tx_id, partner_balance, error_code, error_message, attempts, next_attempt_at,
                    lease_until, last_error, stuck, resolution_note, created_at, updated_at, confirmed_at,
                    partner_id, refunds_id, round_id, session_id)
                VALUES (%s, 'bet', 1.00, 'USD', 'regular', '', 'pending', false, '', NULL, '', '', 0, NULL, NULL,
                    '', false, '', now(), now(), NULL, %s, NULL, %s, %s)""",
                [tx, partner.pk, rnd, session.pk],
            )
        with transaction.atomic():
            cursor.execute(
                "UPDATE wallet_transaction SET status = 'confirmed', confirmed_at = now(), updated_at = now()"
                " WHERE id = %s AND status = 'pending'",
                [tx],
            )
        return (time.perf_counter() - t) * 1000

    samples: dict[bool, list[float]] = {True: [], False: []}
    with connection.cursor() as cursor:
        for block in range(2 * BETS // BLOCK):
            on = block % 2 == 0
            verb = "ENABLE" if on else "DISABLE"
            for name in TRIGGERS:
                cursor.execute(f"ALTER TABLE wallet_transaction {verb} TRIGGER {name}")
            for _ in range(BLOCK):
                samples[on].append(bet(cursor))
        for name in TRIGGERS:
            cursor.execute(f"ALTER TABLE wallet_transaction ENABLE TRIGGER {name}")
    for on, label in ((True, "with triggers"), (False, "without")):
        s = samples[on]
        print(f"{label:>14}: {len(s)} bets, p50 {statistics.median(s):.3f} ms, mean {statistics.mean(s):.3f} ms")
    print(f"added per bet: p50 {statistics.median(samples[True]) - statistics.median(samples[False]):+.3f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
