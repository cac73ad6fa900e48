"""Cache invalidation: the Public API games list is rebuilt when the catalog changes."""

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from catalog.models import BetLine, Game


@receiver([post_save, post_delete], sender=Game)
@receiver([post_save, post_delete], sender=BetLine)
def catalog_changed(**kwargs: Any) -> None:
    from integration_hub.public_api.services import games_cache_bump

    games_cache_bump()
