"""The catalog (provider, games, bet lines) moves from ``games`` to its own app, below the ledger.

State only: the tables keep their names (``games_provider``, ``games_game``, ``games_betline``), their rows and
their constraints; ``games`` 0010 drops the models from its own state once the ledger's and the free rounds'
foreign keys point here (``wallet`` 0015, ``freerounds`` 0002). The content types move too, so the models'
permissions and admin history follow them.
"""

import uuid

import django.db.models.deletion
from django.db import migrations, models

MODELS = ("provider", "game", "betline")


def move_content_types(old: str, new: str):
    def run(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        taken = set(ContentType.objects.filter(app_label=new, model__in=MODELS).values_list("model", flat=True))
        ContentType.objects.filter(app_label=old, model__in=[m for m in MODELS if m not in taken]).update(app_label=new)

    return run


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("games", "0009_images_horizontal_337x181"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="Provider",
                    fields=[
                        ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ("name", models.CharField(max_length=200)),
                        ("currencies", models.JSONField(blank=True, default=list)),
                        ("restricted_countries", models.JSONField(blank=True, default=list)),
                        ("images", models.JSONField(blank=True, default=list)),
                        ("min_age", models.PositiveSmallIntegerField(default=18)),
                        ("min_kyc_level", models.CharField(default="basic", max_length=32)),
                        ("updated_at", models.DateTimeField(auto_now=True, db_index=True)),
                    ],
                    options={
                        "db_table": "games_provider",
                        "ordering": ["name"],
                    },
                ),
                migrations.CreateModel(
                    name="Game",
                    fields=[
                        ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ("slug", models.SlugField(max_length=100, unique=True)),
                        ("name", models.CharField(max_length=200)),
                        (
                            "rtp",
                            models.DecimalField(
                                decimal_places=4, help_text="Return to player, e.g. 0.9500.", max_digits=5
                            ),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("active", "Active"),
                                    ("inactive", "Inactive"),
                                    ("pending", "Pending"),
                                    ("deprecated", "Deprecated"),
                                ],
                                default="active",
                                max_length=20,
                            ),
                        ),
                        ("categories", models.JSONField(blank=True, default=list)),
                        ("currencies", models.JSONField(blank=True, default=list)),
                        ("locales", models.JSONField(blank=True, default=list)),
                        ("platforms", models.JSONField(blank=True, default=list)),
                        ("images", models.JSONField(blank=True, default=dict)),
                        ("has_free_spins", models.BooleanField(default=False)),
                        ("updated_at", models.DateTimeField(auto_now=True, db_index=True)),
                        ("deleted_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "provider",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT, related_name="games", to="catalog.provider"
                            ),
                        ),
                    ],
                    options={
                        "db_table": "games_game",
                        "ordering": ["name"],
                    },
                ),
                migrations.CreateModel(
                    name="BetLine",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("currency", models.CharField(max_length=12)),
                        ("position", models.PositiveSmallIntegerField(help_text="1-based bet line number.")),
                        ("max_bet", models.DecimalField(decimal_places=8, max_digits=20)),
                        ("max_multiplier", models.DecimalField(decimal_places=2, max_digits=12)),
                        (
                            "game",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE, related_name="bet_lines", to="catalog.game"
                            ),
                        ),
                    ],
                    options={
                        "db_table": "games_betline",
                        "ordering": ["game", "currency", "position"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("game", "currency", "position"), name="games_betline_unique_position"
                            ),
                            models.CheckConstraint(
                                condition=models.Q(("position__gte", 1)), name="games_betline_position_gte_1"
                            ),
                            models.CheckConstraint(
                                condition=models.Q(("max_bet__gt", 0)), name="games_betline_max_bet_gt_0"
                            ),
                        ],
                    },
                ),
            ],
        ),
        migrations.RunPython(move_content_types("games", "catalog"), move_content_types("catalog", "games")),
    ]
