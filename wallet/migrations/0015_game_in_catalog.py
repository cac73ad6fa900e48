"""``GameSession.game`` points at the catalog app's ``Game`` (the same table, ``games_game``): state only."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
        ("wallet", "0014_ledger_triggers_off_the_bet"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="gamesession",
                    name="game",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="sessions", to="catalog.game"
                    ),
                ),
            ],
        ),
    ]
