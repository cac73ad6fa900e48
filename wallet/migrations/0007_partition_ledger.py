"""The ledger (``wallet_transaction``) and the delivery log (``wallet_deliveryattempt``) become monthly
range-partitioned tables on PostgreSQL (by ``created_at`` and ``started_at``); SQLite keeps plain tables.

PostgreSQL requires every unique constraint of a partitioned table to contain the partition key, so the
two money constraints (one bet and one win per round; one refund per bet) move to two small guard tables
filled by a trigger in the same statement as the insert: a duplicate still fails with an IntegrityError
naming ``tx_one_bet_one_win_per_round`` / ``tx_one_refund_per_bet``, as before. A partitioned table cannot
be the target of a foreign key without its partition key either, so the two references into the ledger
(a refund's bet, an attempt's transaction) are kept by the application (``db_constraint=False``; ledger
rows are never deleted). The conversion copies the rows into the new tables (tested on a million rows:
bench/partition_migration.py) and is reversible. ``wallet/partitions.py`` creates the upcoming months and
drops attempts past their retention.
"""

from datetime import UTC, datetime

import django.db.models.deletion
from django.db import migrations, models

TABLES = (("wallet_transaction", "created_at"), ("wallet_deliveryattempt", "started_at"))
GUARDS_SQL = """
CREATE TABLE wallet_tx_guard_round_kind (
    round_id uuid NOT NULL, kind varchar(10) NOT NULL,
    CONSTRAINT tx_one_bet_one_win_per_round PRIMARY KEY (round_id, kind));
CREATE TABLE wallet_tx_guard_refund (bet_id uuid NOT NULL, CONSTRAINT tx_one_refund_per_bet PRIMARY KEY (bet_id));
INSERT INTO wallet_tx_guard_round_kind SELECT round_id, kind FROM wallet_transaction WHERE kind IN ('bet', 'win');
INSERT INTO wallet_tx_guard_refund SELECT refunds_id FROM wallet_transaction WHERE kind = 'refund';
CREATE FUNCTION wallet_tx_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.kind IN ('bet', 'win') THEN
            INSERT INTO wallet_tx_guard_round_kind (round_id, kind) VALUES (NEW.round_id, NEW.kind);
        ELSIF NEW.kind = 'refund' THEN
            INSERT INTO wallet_tx_guard_refund (bet_id) VALUES (NEW.refunds_id);
        END IF;
        RETURN NEW;
    ELSIF TG_OP = 'UPDATE' THEN
        IF NEW.round_id IS DISTINCT FROM OLD.round_id OR NEW.kind IS DISTINCT FROM OLD.kind
           OR NEW.refunds_id IS DISTINCT FROM OLD.refunds_id THEN
            RAISE EXCEPTION 'a ledger row''s round, kind and refunded bet never change'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    ELSE
        DELETE FROM wallet_tx_guard_round_kind WHERE round_id = OLD.round_id AND kind = OLD.kind;
        DELETE FROM wallet_tx_guard_refund WHERE OLD.kind = 'refund' AND bet_id = OLD.refunds_id;
        RETURN OLD;
    END IF;
END $$;
CREATE TRIGGER wallet_tx_guard BEFORE INSERT OR UPDATE OR DELETE ON wallet_transaction
    FOR EACH ROW EXECUTE FUNCTION wallet_tx_guard();
"""
DROP_GUARDS_SQL = """
DROP TRIGGER wallet_tx_guard ON wallet_transaction;
DROP FUNCTION wallet_tx_guard();
DROP TABLE wallet_tx_guard_round_kind;
DROP TABLE wallet_tx_guard_refund;
"""
UNIQUE_SQL = """
CREATE UNIQUE INDEX tx_one_bet_one_win_per_round ON wallet_transaction (round_id, kind)
    WHERE kind IN ('bet', 'win');
CREATE UNIQUE INDEX tx_one_refund_per_bet ON wallet_transaction (refunds_id) WHERE kind = 'refund';
"""


def _month(d: datetime, add: int = 0) -> datetime:
    index = d.year * 12 + d.month - 1 + add
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def _shape(cursor, table):
    """What the plain table has besides its columns: its indexes and its foreign keys and the primary key."""
    cursor.execute(
        """SELECT i.relname, pg_get_indexdef(i.oid), c.conname IS NOT NULL
             FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
             LEFT JOIN pg_constraint c ON c.conindid = i.oid AND c.conrelid = x.indrelid
            WHERE x.indrelid = %s::regclass""",
        [table],
    )
    indexes = cursor.fetchall()
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid), contype FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('f', 'p', 'u')",
        [table],
    )
    return indexes, cursor.fetchall()


def _rebuild(cursor, table, key, *, partitioned):
    """Copy ``table`` into a new table of the same name, partitioned by month of ``key`` or plain."""
    indexes, constraints = _shape(cursor, table)
    cursor.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
    cursor.execute(f"ALTER TABLE {table} RENAME TO {table}_old")
    for name, _definition, kind in constraints:
        cursor.execute(f'ALTER TABLE {table}_old DROP CONSTRAINT "{name}"')
    for name, _definition, is_constraint in indexes:
        if not is_constraint:
            cursor.execute(f'DROP INDEX "{name}"')
    tail = f" PARTITION BY RANGE ({key})" if partitioned else ""
    cursor.execute(
        f"CREATE TABLE {table} (LIKE {table}_old INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING CONSTRAINTS){tail}"
    )
    pk = next(name for name, _d, kind in constraints if kind == "p")
    cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{pk}" PRIMARY KEY (id{", " + key if partitioned else ""})')
    if partitioned:
        cursor.execute(f"SELECT min({key}) FROM {table}_old")
        first = cursor.fetchone()[0] or datetime.now(UTC)
        month, last = _month(first), _month(datetime.now(UTC), 3)
        while month <= last:
            nxt = _month(month, 1)
            cursor.execute(
                f"CREATE TABLE {table}_p{month:%Y%m} PARTITION OF {table} "
                f"FOR VALUES FROM ('{month.isoformat()}') TO ('{nxt.isoformat()}')"
            )
            month = nxt
        cursor.execute(f"CREATE TABLE {table}_default PARTITION OF {table} DEFAULT")
    cursor.execute(f"INSERT INTO {table} SELECT * FROM {table}_old")
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 0) + 1, false) FROM {table}"
        if table == "wallet_deliveryattempt"
        else "SELECT 1"
    )
    for name, definition, is_constraint in indexes:
        if not is_constraint:
            if partitioned and definition.startswith("CREATE UNIQUE"):
                raise RuntimeError(f"{name}: a unique index cannot live on a partitioned table")
            cursor.execute(definition.replace(" ON ONLY ", " ON "))
    for name, definition, kind in constraints:
        if kind == "f":
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    cursor.execute(f"DROP TABLE {table}_old")


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP INDEX tx_one_bet_one_win_per_round; DROP INDEX tx_one_refund_per_bet")
        for table, key in TABLES:
            _rebuild(cursor, table, key, partitioned=True)
        cursor.execute(GUARDS_SQL)


def unpartition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(DROP_GUARDS_SQL)
        for table, key in TABLES:
            _rebuild(cursor, table, key, partitioned=False)
        cursor.execute(UNIQUE_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("wallet", "0006_session_last_balance_at"),
    ]

    operations = [
        migrations.AlterField(
            model_name="transaction",
            name="refunds",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                help_text="For refunds: the bet it reverses.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="refunded_by",
                to="wallet.transaction",
            ),
        ),
        migrations.AlterField(
            model_name="deliveryattempt",
            name="transaction",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="delivery_attempts",
                to="wallet.transaction",
            ),
        ),
        migrations.RunPython(partition, unpartition, elidable=False),
    ]
