"""Seed five open demo markets (fixed ids), closing about four months after the migration runs."""

import uuid
from datetime import timedelta
from decimal import Decimal

from django.db import migrations
from django.utils import timezone

MARKETS = (
    (
        "5a1e7000-0000-4000-8000-000000000201",
        "Will Bitcoin close above $150,000 on the last day of the quarter?",
        Decimal("300"),
        Decimal("0"),
        Decimal("0"),
        120,
    ),
    (
        "5a1e7000-0000-4000-8000-000000000202",
        "Will the home team win the cup final?",
        Decimal("200"),
        Decimal("60"),
        Decimal("0"),
        100,
    ),
    (
        "5a1e7000-0000-4000-8000-000000000203",
        "Will Ethereum trade above $5,000 at month end?",
        Decimal("500"),
        Decimal("0"),
        Decimal("150"),
        90,
    ),
    (
        "5a1e7000-0000-4000-8000-000000000204",
        "Will the central bank cut interest rates at its next meeting?",
        Decimal("400"),
        Decimal("220"),
        Decimal("80"),
        130,
    ),
    (
        "5a1e7000-0000-4000-8000-000000000205",
        "Will a new all-time high be set in the 100 m sprint this season?",
        Decimal("100"),
        Decimal("0"),
        Decimal("45"),
        150,
    ),
)


def seed(apps, schema_editor):
    Market = apps.get_model("games", "Market")
    now = timezone.now()
    for market_id, title, b, q_yes, q_no, days in MARKETS:
        Market.objects.get_or_create(
            id=uuid.UUID(market_id),
            defaults={
                "title": title,
                "status": "open",
                "b": b,
                "q_yes": q_yes,
                "q_no": q_no,
                "close_at": now + timedelta(days=days),
            },
        )


def unseed(apps, schema_editor):
    Market = apps.get_model("games", "Market")
    Market.objects.filter(
        id__in=[uuid.UUID(m[0]) for m in MARKETS], positions__isnull=True, events__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("games", "0003_seed_catalog")]
    operations = [migrations.RunPython(seed, unseed)]
