"""Data migration: the games' stored images gain ``horizontal_337x181`` (Core API GameInfoImages, optional)."""

from django.db import migrations

KEY, PATH = "horizontal_337x181", "/horizontal_337x181.png"


def forwards(apps, schema_editor):
    Game = apps.get_model("games", "Game")
    for game in Game.objects.all():
        images = dict(game.images or {})
        if KEY not in images:
            images[KEY] = PATH
            Game.objects.filter(pk=game.pk).update(images=images)


def backwards(apps, schema_editor):
    Game = apps.get_model("games", "Game")
    for game in Game.objects.all():
        images = dict(game.images or {})
        if images.pop(KEY, None) is not None:
            Game.objects.filter(pk=game.pk).update(images=images)


class Migration(migrations.Migration):
    dependencies = [("games", "0008_demo_books")]
    operations = [migrations.RunPython(forwards, backwards)]
