"""Seed our provider record, the two games and their USD free-rounds bet lines (ids in games.catalog)."""

from django.db import migrations

from games import catalog


def seed(apps, schema_editor):
    Provider = catalog.seed_model(apps, "Provider")
    Game = catalog.seed_model(apps, "Game")
    BetLine = catalog.seed_model(apps, "BetLine")
    provider, _ = Provider.objects.update_or_create(
        id=catalog.PROVIDER_ID,
        defaults={
            "name": catalog.PROVIDER_NAME,
            "currencies": list(catalog.CURRENCIES),
            "restricted_countries": [],
            "images": catalog.PROVIDER_IMAGES,
        },
    )
    for spec in catalog.GAMES:
        game, _ = Game.objects.update_or_create(
            id=spec["id"],
            defaults={
                "provider": provider,
                "slug": spec["slug"],
                "name": spec["name"],
                "rtp": spec["rtp"],
                "status": "active",
                "categories": spec["categories"],
                "currencies": list(catalog.CURRENCIES),
                "locales": list(catalog.LOCALES),
                "platforms": list(catalog.PLATFORMS),
                "images": catalog.game_images(spec["slug"]),
                "has_free_spins": True,
            },
        )
        for position, max_bet in enumerate(catalog.BET_LINE_MAX_BETS, start=1):
            BetLine.objects.update_or_create(
                game=game,
                currency=catalog.BET_LINE_CURRENCY,
                position=position,
                defaults={"max_bet": max_bet, "max_multiplier": spec["bet_line_multiplier"]},
            )


def unseed(apps, schema_editor):
    BetLine = catalog.seed_model(apps, "BetLine")
    Game = catalog.seed_model(apps, "Game")
    Provider = catalog.seed_model(apps, "Provider")
    ids = [spec["id"] for spec in catalog.GAMES]
    BetLine.objects.filter(game_id__in=ids).delete()
    Game.objects.filter(id__in=ids).delete()
    Provider.objects.filter(id=catalog.PROVIDER_ID).delete()


class Migration(migrations.Migration):
    dependencies = [("games", "0002_markets_jackpot_betlines")]
    operations = [migrations.RunPython(seed, unseed)]
