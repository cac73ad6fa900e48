"""Void a market: every open stake is refunded through the wallet's delivery engine."""

from django.core.management.base import BaseCommand, CommandError

from core.errors import ApplicationError
from games.markets import settlement


class Command(BaseCommand):
    help = "Void a prediction market and refund every open stake: manage.py void_market <market id>"

    def add_arguments(self, parser):
        parser.add_argument("market_id")

    def handle(self, *args, **opts):
        try:
            paid = settlement.market_settle(market_id=opts["market_id"], action="void", actor="command:void_market")
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        except Exception as exc:  # noqa: BLE001
            raise CommandError(f"cannot void {opts['market_id']}: {type(exc).__name__}") from None
        self.stdout.write(f"voided: {paid} stake(s) written to the wallet outbox as refunds")
