"""Games fixtures: the data-migrated catalog, restored if a transactional test flushed it."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from django.apps import apps
from hypothesis.configuration import set_hypothesis_home_dir

from catalog.models import Provider
from games import catalog
from games.models import Market

# Hypothesis' caches go under .pytest_cache/ (git-ignored), not a new .hypothesis/ at the top level.
set_hypothesis_home_dir(Path(__file__).resolve().parents[2] / ".pytest_cache" / "hypothesis")


@pytest.fixture
def seeded(db):
    """The catalog and demo markets as migrations 0003/0004 seed them (re-seeded after a flush)."""
    if not Provider.objects.filter(pk=catalog.PROVIDER_ID).exists():
        importlib.import_module("games.migrations.0003_seed_catalog").seed(apps, None)
        importlib.import_module("games.migrations.0005_free_rounds_traderhero_only").forwards(apps, None)
    if not Market.objects.exists():
        importlib.import_module("games.migrations.0004_seed_demo_markets").seed(apps, None)
