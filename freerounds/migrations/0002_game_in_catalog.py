"""``FreeRoundsProgress.game`` points at the catalog app's ``Game`` (the same table, ``games_game``): state only."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
        ("freerounds", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="freeroundsprogress",
                    name="game",
                    field=models.ForeignKey(
                        help_text="Locked to the game it started in.",
                        on_delete=django.db.models.deletion.PROTECT,
                        to="catalog.game",
                    ),
                ),
            ],
        ),
    ]
