"""Fewer trigger calls per ledger write: a bet's pending insert and its confirmation ran four (the guard before
each, a tally after each), now two.

- The guard (``wallet_tx_guard``, 0007): its one function now runs from three triggers, one per operation, and
  the UPDATE one only for an UPDATE that sets ``round_id``, ``kind`` or ``refunds_id`` (``BEFORE UPDATE OF``).
  A confirmation, a decline, a delivery's lease or outcome sets none of them and runs no guard; ``save()`` of a
  whole row sets them all and is still checked.
- The tallies (``wallet_tally_tx``, 0011) no longer count *pending* rows: a row is counted once it leaves
  pending, and ``wallet.tallies.read`` counts the pending rows live (the partial index ``tx_due_idx`` holds
  only them), in the same statement as the sums. So a pending insert (every bet, every win) runs no tally
  trigger, and a confirmation adds one delta row instead of two. The pending deltas already written are
  cancelled here, in the same transaction as the new triggers.
"""

from django.db import migrations

# wallet_tally_tx as 0011 wrote it but for the rows its UPDATE branch inserts (forwards: none for pending)
TALLY_FUNCTION = """\
CREATE OR REPLACE FUNCTION wallet_tally_tx() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NOT coalesce((SELECT s.is_demo FROM wallet_gamesession s WHERE s.id = NEW.session_id), false) THEN
            INSERT INTO wallet_metrictally (metric, kind, status, outcome, le, n, ms)
                VALUES ('tx', NEW.kind, NEW.status, '', '', 1, 0);
        END IF;
    ELSIF TG_OP = 'UPDATE' THEN
        IF NOT coalesce((SELECT s.is_demo FROM wallet_gamesession s WHERE s.id = NEW.session_id), false) THEN
            INSERT INTO wallet_metrictally (metric, kind, status, outcome, le, n, ms)
{update_rows}
        END IF;
    ELSE
        IF NOT coalesce((SELECT s.is_demo FROM wallet_gamesession s WHERE s.id = OLD.session_id), false) THEN
            INSERT INTO wallet_metrictally (metric, kind, status, outcome, le, n, ms)
                VALUES ('tx', OLD.kind, OLD.status, '', '', -1, 0);
        END IF;
    END IF;
    RETURN NULL;
END $$;
"""
FORWARD_UPDATE_ROWS = """                SELECT 'tx', OLD.kind, OLD.status, '', '', -1, 0 WHERE OLD.status <> 'pending'
                UNION ALL
                SELECT 'tx', NEW.kind, NEW.status, '', '', 1, 0 WHERE NEW.status <> 'pending';"""
REVERSE_UPDATE_ROWS = """                VALUES ('tx', OLD.kind, OLD.status, '', '', -1, 0), ('tx', NEW.kind, NEW.status, '', '', 1, 0);"""

PG_SQL = """
DROP TRIGGER wallet_tx_guard ON wallet_transaction;
CREATE TRIGGER wallet_tx_guard_insert BEFORE INSERT ON wallet_transaction
    FOR EACH ROW EXECUTE FUNCTION wallet_tx_guard();
CREATE TRIGGER wallet_tx_guard_update BEFORE UPDATE OF round_id, kind, refunds_id ON wallet_transaction
    FOR EACH ROW EXECUTE FUNCTION wallet_tx_guard();
CREATE TRIGGER wallet_tx_guard_delete BEFORE DELETE ON wallet_transaction
    FOR EACH ROW EXECUTE FUNCTION wallet_tx_guard();

{tally_forward}DROP TRIGGER wallet_tally_tx ON wallet_transaction;
CREATE TRIGGER wallet_tally_tx_insert AFTER INSERT ON wallet_transaction
    FOR EACH ROW WHEN (NEW.status <> 'pending') EXECUTE FUNCTION wallet_tally_tx();
CREATE TRIGGER wallet_tally_tx_delete AFTER DELETE ON wallet_transaction
    FOR EACH ROW WHEN (OLD.status <> 'pending') EXECUTE FUNCTION wallet_tally_tx();
""".format(tally_forward=TALLY_FUNCTION.format(update_rows=FORWARD_UPDATE_ROWS))
PG_REVERSE_SQL = """
DROP TRIGGER wallet_tx_guard_insert ON wallet_transaction;
DROP TRIGGER wallet_tx_guard_update ON wallet_transaction;
DROP TRIGGER wallet_tx_guard_delete ON wallet_transaction;
CREATE TRIGGER wallet_tx_guard BEFORE INSERT OR UPDATE OR DELETE ON wallet_transaction
    FOR EACH ROW EXECUTE FUNCTION wallet_tx_guard();

{tally_reverse}DROP TRIGGER wallet_tally_tx_insert ON wallet_transaction;
DROP TRIGGER wallet_tally_tx_delete ON wallet_transaction;
CREATE TRIGGER wallet_tally_tx AFTER INSERT OR DELETE ON wallet_transaction
    FOR EACH ROW EXECUTE FUNCTION wallet_tally_tx();
""".format(tally_reverse=TALLY_FUNCTION.format(update_rows=REVERSE_UPDATE_ROWS))
NOT_DEMO = "NOT coalesce((SELECT s.is_demo FROM wallet_gamesession s WHERE s.id = {row}.session_id), false)"
COLUMNS = "(metric, kind, status, outcome, le, n, ms)"
SQLITE_SQL = [
    "DROP TRIGGER wallet_tally_tx",
    "DROP TRIGGER wallet_tally_tx_status",
    f"""CREATE TRIGGER wallet_tally_tx AFTER INSERT ON wallet_transaction
        WHEN NEW.status <> 'pending' AND {NOT_DEMO.format(row="NEW")}
        BEGIN INSERT INTO wallet_metrictally {COLUMNS} VALUES ('tx', NEW.kind, NEW.status, '', '', 1, 0); END""",
    f"""CREATE TRIGGER wallet_tally_tx_status AFTER UPDATE OF status ON wallet_transaction
        WHEN OLD.status IS NOT NEW.status AND {NOT_DEMO.format(row="NEW")}
        BEGIN INSERT INTO wallet_metrictally {COLUMNS}
            SELECT 'tx', OLD.kind, OLD.status, '', '', -1, 0 WHERE OLD.status <> 'pending'
            UNION ALL SELECT 'tx', NEW.kind, NEW.status, '', '', 1, 0 WHERE NEW.status <> 'pending'; END""",
]
SQLITE_REVERSE_SQL = [
    "DROP TRIGGER wallet_tally_tx",
    "DROP TRIGGER wallet_tally_tx_status",
    f"""CREATE TRIGGER wallet_tally_tx AFTER INSERT ON wallet_transaction WHEN {NOT_DEMO.format(row="NEW")}
        BEGIN INSERT INTO wallet_metrictally {COLUMNS} VALUES ('tx', NEW.kind, NEW.status, '', '', 1, 0); END""",
    f"""CREATE TRIGGER wallet_tally_tx_status AFTER UPDATE OF status ON wallet_transaction
        WHEN OLD.status IS NOT NEW.status AND {NOT_DEMO.format(row="NEW")}
        BEGIN INSERT INTO wallet_metrictally {COLUMNS}
            VALUES ('tx', OLD.kind, OLD.status, '', '', -1, 0), ('tx', NEW.kind, NEW.status, '', '', 1, 0); END""",
]
# the pending deltas written so far, cancelled (forwards) or written back from the live count (backwards)
CANCEL_PENDING = f"""INSERT INTO wallet_metrictally {COLUMNS}
    SELECT 'tx', kind, status, '', '', -sum(n), 0 FROM wallet_metrictally
     WHERE metric = 'tx' AND status = 'pending' GROUP BY kind, status HAVING sum(n) <> 0"""
RESTORE_PENDING = f"""INSERT INTO wallet_metrictally {COLUMNS}
    SELECT 'tx', t.kind, t.status, '', '', count(*), 0
      FROM wallet_transaction t JOIN wallet_gamesession s ON s.id = t.session_id
     WHERE t.status = 'pending' AND NOT s.is_demo GROUP BY t.kind, t.status"""


def forwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute("LOCK TABLE wallet_transaction IN SHARE ROW EXCLUSIVE MODE")
            cursor.execute(PG_SQL)
        else:
            for sql in SQLITE_SQL:
                cursor.execute(sql)
        cursor.execute(CANCEL_PENDING)


def backwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute("LOCK TABLE wallet_transaction IN SHARE ROW EXCLUSIVE MODE")
            cursor.execute(PG_REVERSE_SQL)
        else:
            for sql in SQLITE_REVERSE_SQL:
                cursor.execute(sql)
        cursor.execute(RESTORE_PENDING)


class Migration(migrations.Migration):
    dependencies = [
        ("wallet", "0013_partner_lookup_indexes"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
