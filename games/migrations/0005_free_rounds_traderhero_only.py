"""Free rounds are played in TraderHero only: a prediction-market position settles when its market
resolves (weeks later), so a free-rounds allotment there could never close with its bonus withdrawal."""

from django.db import migrations

from games import catalog

PREDICTION_MARKETS_SLUG = "prediction-markets"


def forwards(apps, schema_editor):
    Game = catalog.seed_model(apps, "Game")
    BetLine = catalog.seed_model(apps, "BetLine")
    Game.objects.filter(slug=PREDICTION_MARKETS_SLUG).update(has_free_spins=False)
    BetLine.objects.filter(game__slug=PREDICTION_MARKETS_SLUG).delete()


class Migration(migrations.Migration):
    dependencies = [("games", "0004_seed_demo_markets")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
