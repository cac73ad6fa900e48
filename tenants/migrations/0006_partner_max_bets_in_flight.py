import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0005_seen_signature"),
    ]

    operations = [
        migrations.AddField(
            model_name="partner",
            name="max_bets_in_flight",
            field=models.PositiveSmallIntegerField(
                blank=True,
                help_text="Bets the hub sends this partner's wallet at once; one more is refused at once (503, retry). Empty = the hub's default (HUB_PARTNER_MAX_BETS_IN_FLIGHT, 8).",
                null=True,
                validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(256)],
                verbose_name="concurrent bet calls",
            ),
        ),
    ]
