"""Resolve a market: winners are paid shares × 1 through the wallet's delivery engine, losers get a zero win."""

from django.core.management.base import BaseCommand, CommandError

from core.errors import ApplicationError
from games.markets import settlement


class Command(BaseCommand):
    help = "Resolve a prediction market: manage.py resolve_market <market id> YES|NO"

    def add_arguments(self, parser):
        parser.add_argument("market_id")
        parser.add_argument("outcome", choices=["YES", "NO", "yes", "no"])

    def handle(self, *args, **opts):
        try:
            paid = settlement.market_settle(
                market_id=opts["market_id"],
                action="resolve",
                outcome=opts["outcome"].upper(),
                actor="command:resolve_market",
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        except Exception as exc:  # noqa: BLE001 - e.g. a malformed id
            raise CommandError(f"cannot resolve {opts['market_id']}: {type(exc).__name__}") from None
        self.stdout.write(f"resolved {opts['outcome'].upper()}: {paid} position(s) written to the wallet outbox")
