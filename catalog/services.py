"""Catalog services: hide and restore a game (the admin's actions). No money moves here (the wallet does that).

The player's actions (bets, cash-outs, the page's state) are ``games/services.py``.
"""

from __future__ import annotations

from django.utils import timezone

from .models import Game

# ---------------------------------------------------------------- catalog --


def game_soft_delete(*, game: Game) -> Game:
    """Hide a game: it disappears from launches and full listings and shows up in delta syncs."""
    if game.deleted_at is None:
        game.deleted_at = timezone.now()
        game.save(update_fields=["deleted_at", "updated_at"])
    return game


def game_restore(*, game: Game) -> Game:
    if game.deleted_at is not None:
        game.deleted_at = None
        game.save(update_fields=["deleted_at", "updated_at"])
    return game
