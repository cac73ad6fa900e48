"""Running totals for /metrics (wallet/tallies.py): the ``wallet_metrictally`` table, the triggers that
write it in the same transaction as each change, and its first fill (one scan of the ledger and the
delivery log, at migrate time; the triggers are created first, in the same transaction, so on PostgreSQL
the tables' lock keeps writers out until both are committed: no change is missed or counted twice).

PostgreSQL: ``wallet_tally_tx`` AFTER INSERT OR DELETE and AFTER UPDATE OF status (when it changes) on the
partitioned ledger (cloned onto every partition, present and future; a row moved between partitions by
an UPDATE of ``created_at`` is a DELETE and an INSERT, which cancel out); ``wallet_tally_attempt`` AFTER
INSERT on the delivery log, once per statement over its transition table (one tally row per series of a
batch; an UPDATE that moves an attempt to another partition is not an INSERT statement, so it is not
counted again; attempts are immutable: a retention DELETE or a dropped partition leaves the counter alone). SQLite: the same, written as SQLite triggers, without the DELETE branch (ledger rows are
never deleted, and the test runner's flush deletes tables in no fixed order).

A later migration that rebuilds ``wallet_transaction`` or ``wallet_deliveryattempt`` (Django's SQLite
table remake, a 0007-style copy) drops these triggers with the old table: it must create them again
(tests/wallet/test_metric_tallies.py checks they exist).
"""

from django.db import migrations, models

# The histogram's upper bounds in milliseconds and their labels (wallet.metrics.DURATION_BUCKETS).
BUCKETS = (
    (5, "0.005"),
    (10, "0.01"),
    (25, "0.025"),
    (50, "0.05"),
    (100, "0.1"),
    (250, "0.25"),
    (500, "0.5"),
    (1000, "1.0"),
    (2500, "2.5"),
    (5000, "5.0"),
)


def _bucket(column: str) -> str:
    whens = " ".join(f"WHEN {column} <= {ms} THEN '{label}'" for ms, label in BUCKETS)
    return f"CASE {whens} ELSE '+Inf' END"


COLUMNS = "(metric, kind, status, outcome, le, n, ms)"
FILL_SQL = [
    f"""INSERT INTO wallet_metrictally {COLUMNS}
        SELECT 'tx', t.kind, t.status, '', '', count(*), 0
          FROM wallet_transaction t JOIN wallet_gamesession s ON s.id = t.session_id
         WHERE NOT s.is_demo GROUP BY t.kind, t.status""",
    f"""INSERT INTO wallet_metrictally {COLUMNS}
        SELECT 'attempt', coalesce(t.kind, ''), '', a.outcome, {_bucket("a.duration_ms")}, count(*),
               coalesce(sum(a.duration_ms), 0)
          FROM wallet_deliveryattempt a LEFT JOIN wallet_transaction t ON t.id = a.transaction_id
         GROUP BY coalesce(t.kind, ''), a.outcome, {_bucket("a.duration_ms")}""",
]

NOT_DEMO = "NOT coalesce((SELECT s.is_demo FROM wallet_gamesession s WHERE s.id = {row}.session_id), false)"
PG_SQL = f"""
CREATE FUNCTION wallet_tally_tx() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF {NOT_DEMO.format(row="NEW")} THEN
            INSERT INTO wallet_metrictally {COLUMNS} VALUES ('tx', NEW.kind, NEW.status, '', '', 1, 0);
        END IF;
    ELSIF TG_OP = 'UPDATE' THEN
        IF {NOT_DEMO.format(row="NEW")} THEN
            INSERT INTO wallet_metrictally {COLUMNS}
                VALUES ('tx', OLD.kind, OLD.status, '', '', -1, 0), ('tx', NEW.kind, NEW.status, '', '', 1, 0);
        END IF;
    ELSE
        IF {NOT_DEMO.format(row="OLD")} THEN
            INSERT INTO wallet_metrictally {COLUMNS} VALUES ('tx', OLD.kind, OLD.status, '', '', -1, 0);
        END IF;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER wallet_tally_tx AFTER INSERT OR DELETE ON wallet_transaction
    FOR EACH ROW EXECUTE FUNCTION wallet_tally_tx();
CREATE TRIGGER wallet_tally_tx_status AFTER UPDATE OF status ON wallet_transaction
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION wallet_tally_tx();
CREATE FUNCTION wallet_tally_attempt() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO wallet_metrictally {COLUMNS}
        SELECT 'attempt', k.kind, '', k.outcome, k.le, count(*), sum(k.duration_ms)
          FROM (SELECT coalesce((SELECT t.kind FROM wallet_transaction t WHERE t.id = a.transaction_id), '') AS kind,
                       a.outcome, {_bucket("a.duration_ms")} AS le, a.duration_ms
                  FROM new_attempts a) k
         GROUP BY k.kind, k.outcome, k.le;
    RETURN NULL;
END $$;
CREATE TRIGGER wallet_tally_attempt AFTER INSERT ON wallet_deliveryattempt
    REFERENCING NEW TABLE AS new_attempts FOR EACH STATEMENT EXECUTE FUNCTION wallet_tally_attempt();
"""
PG_DROP_SQL = """
DROP TRIGGER wallet_tally_tx ON wallet_transaction;
DROP TRIGGER wallet_tally_tx_status ON wallet_transaction;
DROP TRIGGER wallet_tally_attempt ON wallet_deliveryattempt;
DROP FUNCTION wallet_tally_tx();
DROP FUNCTION wallet_tally_attempt();
"""
SQLITE_SQL = [
    f"""CREATE TRIGGER wallet_tally_tx AFTER INSERT ON wallet_transaction WHEN {NOT_DEMO.format(row="NEW")}
        BEGIN INSERT INTO wallet_metrictally {COLUMNS} VALUES ('tx', NEW.kind, NEW.status, '', '', 1, 0); END""",
    f"""CREATE TRIGGER wallet_tally_tx_status AFTER UPDATE OF status ON wallet_transaction
        WHEN OLD.status IS NOT NEW.status AND {NOT_DEMO.format(row="NEW")}
        BEGIN INSERT INTO wallet_metrictally {COLUMNS}
            VALUES ('tx', OLD.kind, OLD.status, '', '', -1, 0), ('tx', NEW.kind, NEW.status, '', '', 1, 0); END""",
    f"""CREATE TRIGGER wallet_tally_attempt AFTER INSERT ON wallet_deliveryattempt
        BEGIN INSERT INTO wallet_metrictally {COLUMNS}
            VALUES ('attempt', coalesce((SELECT t.kind FROM wallet_transaction t WHERE t.id = NEW.transaction_id), ''),
                    '', NEW.outcome, {_bucket("NEW.duration_ms")}, 1, NEW.duration_ms); END""",
]
SQLITE_DROP_SQL = [
    "DROP TRIGGER wallet_tally_tx",
    "DROP TRIGGER wallet_tally_tx_status",
    "DROP TRIGGER wallet_tally_attempt",
]


def install(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    with schema_editor.connection.cursor() as cursor:
        if postgres:
            cursor.execute(PG_SQL)
        else:
            for sql in SQLITE_SQL:
                cursor.execute(sql)
        for sql in FILL_SQL:
            cursor.execute(sql)


def uninstall(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute(PG_DROP_SQL)
        else:
            for sql in SQLITE_DROP_SQL:
                cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("wallet", "0010_wallet_call_log"),
    ]

    operations = [
        migrations.CreateModel(
            name="MetricTally",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("metric", models.CharField(max_length=10)),
                ("kind", models.CharField(max_length=10)),
                ("status", models.CharField(blank=True, max_length=10)),
                ("outcome", models.CharField(blank=True, max_length=10)),
                ("le", models.CharField(blank=True, max_length=8)),
                ("n", models.BigIntegerField()),
                ("ms", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(install, uninstall, elidable=False),
    ]
