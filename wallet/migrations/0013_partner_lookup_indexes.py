"""Indexes for the partner-facing look-ups (issue #25 item 4), built without blocking writes.

- ``tx_partner_txid_idx`` (partner, partner_tx_id): both protocols' transaction look-up by the partner's own
  transaction id, and the portal's search by it, read one row instead of the partner's whole ledger.
- ``walletcall_partner_round_idx`` (partner, round_id) where a round is set: the portal's search by round.

On PostgreSQL the ledger is partitioned, and ``CREATE INDEX CONCURRENTLY`` cannot build an index of a partitioned
table: the index is declared on the parent alone (``ON ONLY``: instant, invalid until every partition has its
own), each partition's is built ``CONCURRENTLY`` (writes go on) and attached, which makes the parent's valid.
Partitions created later get it from the parent. So the migration is not atomic; SQLite builds plain indexes.
"""

from django.db import migrations, models

TX_INDEX = "tx_partner_txid_idx"
CALL_INDEX = "walletcall_partner_round_idx"


def _partitions(cursor, table: str) -> list[str]:
    cursor.execute("SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = %s::regclass", [table])
    return [row[0] for row in cursor.fetchall()]


def _create(apps, schema_editor):
    execute = schema_editor.execute
    if schema_editor.connection.vendor != "postgresql":
        execute(f'CREATE INDEX IF NOT EXISTS "{TX_INDEX}" ON "wallet_transaction" ("partner_id", "partner_tx_id")')
        execute(
            f'CREATE INDEX IF NOT EXISTS "{CALL_INDEX}" ON "wallet_walletcall" ("partner_id", "round_id") '
            'WHERE "round_id" IS NOT NULL'
        )
        return
    with schema_editor.connection.cursor() as cursor:
        partitions = _partitions(cursor, "wallet_transaction")
    columns = '("partner_id", "partner_tx_id")'
    if partitions:
        execute(f'CREATE INDEX IF NOT EXISTS "{TX_INDEX}" ON ONLY "wallet_transaction" {columns}')
        for partition in partitions:
            own = f"{TX_INDEX}_{partition.removeprefix('wallet_transaction_')}"
            execute(f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{own}" ON "{partition}" {columns}')
            execute(f'ALTER INDEX "{TX_INDEX}" ATTACH PARTITION "{own}"')
    else:  # a plain table (the partitioning migration reversed)
        execute(f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{TX_INDEX}" ON "wallet_transaction" {columns}')
    execute(
        f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{CALL_INDEX}" ON "wallet_walletcall" ("partner_id", "round_id") '
        'WHERE "round_id" IS NOT NULL'
    )


def _drop(apps, schema_editor):
    # Dropping the parent's index drops its partitions' too.
    schema_editor.execute(f'DROP INDEX IF EXISTS "{TX_INDEX}"')
    schema_editor.execute(f'DROP INDEX IF EXISTS "{CALL_INDEX}"')


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY runs outside a transaction

    dependencies = [
        ("wallet", "0012_ledger_write_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(
                    model_name="transaction",
                    index=models.Index(fields=["partner", "partner_tx_id"], name=TX_INDEX),
                ),
                migrations.AddIndex(
                    model_name="walletcall",
                    index=models.Index(
                        fields=["partner", "round_id"], name=CALL_INDEX, condition=models.Q(round_id__isnull=False)
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(_create, _drop, elidable=False)],
        ),
    ]
