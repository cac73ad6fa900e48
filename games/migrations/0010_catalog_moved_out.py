"""The catalog's models leave the ``games`` app's state (``catalog`` 0001 holds them now): the tables stay."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
        ("freerounds", "0002_game_in_catalog"),
        ("games", "0009_images_horizontal_337x181"),
        ("wallet", "0015_game_in_catalog"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="BetLine"),
                migrations.DeleteModel(name="Game"),
                migrations.DeleteModel(name="Provider"),
            ],
        ),
    ]
