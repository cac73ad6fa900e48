"""Fewer ledger indexes for every write to maintain (issue #15).

A bet's confirmation changes indexed columns (status, confirmed_at), so PostgreSQL can never make it a HOT
update: every INSERT and UPDATE of a ledger row adds an entry to each index whose predicate holds. Three of
them were read by no query: ``partner_id`` alone (the leading column of (partner, created_at), (partner,
status, created_at) and (partner, confirmed_at)), the ``varchar_pattern_ops`` twin Django adds to an indexed
CharField (nothing runs LIKE on a status), and ``refunds_id`` over every row although only refunds set it (now
partial: ``refunds_id = …`` implies IS NOT NULL, so the look-ups by a bet still use it). The status index
itself stays (the admin's list filtered by a rare status). Dropping an index is instant; the partial one is
built on the refunds only.
"""

import django.db.models.deletion
from django.db import migrations, models


STATUS_LIKE = "wallet_transaction_status_a914a29c_like"


def _drop_status_like(apps, schema_editor):
    # Django keeps no state for the LIKE twin of an indexed CharField; on PostgreSQL it drops it IF EXISTS
    # when the field changes, so removing it here leaves later migrations of the field working.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {STATUS_LIKE}")


def _create_status_like(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX {STATUS_LIKE} ON wallet_transaction (status varchar_pattern_ops)")


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0008_partner_alert_webhook_url"),
        ("wallet", "0011_metric_tallies"),
    ]

    operations = [
        migrations.RunPython(_drop_status_like, _create_status_like, elidable=False),
        # Only the indexes go: Django's AlterField would also drop and re-add the partner's foreign key (adding
        # it back validates every ledger row under a lock that stops writes), and on SQLite it remakes the
        # table, which its running-total triggers do not survive.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="transaction",
                    name="partner",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="transactions",
                        to="tenants.partner",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "wallet_transaction_partner_id_d79b7922"',
                    'CREATE INDEX "wallet_transaction_partner_id_d79b7922" ON "wallet_transaction" ("partner_id")',
                )
            ],
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="transaction",
                    name="refunds",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        help_text="For refunds: the bet it reverses.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="refunded_by",
                        to="wallet.transaction",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "wallet_transaction_refunds_id_e4b7fd62"',
                    'CREATE INDEX "wallet_transaction_refunds_id_e4b7fd62" ON "wallet_transaction" ("refunds_id")',
                )
            ],
        ),
        migrations.AddIndex(
            model_name="transaction",
            index=models.Index(
                condition=models.Q(("refunds__isnull", False)), fields=["refunds"], name="tx_refunds_idx"
            ),
        ),
    ]
