"""Certify a partner's wallet from a script: queue a run (a worker executes it) or run it here with --wait."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from certification import reports, services
from certification.cases import GROUPS
from core.errors import ApplicationError
from tenants.models import Partner


class Command(BaseCommand):
    help = (
        "Run the certification cases against a partner's wallet. IGSP: --protocol igsp --player-id P. "
        "Public API: --protocol public_api --session-id S [--ext-cid E]. Exit code 1 when the run does not pass."
    )

    def add_arguments(self, parser):
        parser.add_argument("partner", help="Partner slug or id (cID).")
        parser.add_argument("--protocol", required=True, choices=["igsp", "public_api"])
        parser.add_argument("--currency", default="", help="Test player's currency (default: the partner's).")
        parser.add_argument("--player-id", default="", help="IGSP: the test player.")
        parser.add_argument("--session-id", default="", help="Public API: the test player's sessionID.")
        parser.add_argument("--ext-cid", default="", help="Public API: the ExtCID (default: the first active).")
        parser.add_argument("--groups", default="", help=f"Comma-separated subset of: {', '.join(GROUPS)}.")
        parser.add_argument(
            "--queue", action="store_true", help="Hand the run to a Celery worker and return (default: run here)."
        )
        parser.add_argument("--json", action="store_true", help="Print the whole run (cases, exchanges) as JSON.")

    def handle(self, *args, **opts):
        partner = Partner.objects.filter(slug=opts["partner"]).first()
        if partner is None:
            try:
                partner = Partner.objects.filter(pk=opts["partner"]).first()
            except Exception:  # noqa: BLE001 - not a UUID
                partner = None
        if partner is None:
            raise CommandError(f"Unknown partner {opts['partner']!r}.")
        groups = [g.strip() for g in opts["groups"].split(",") if g.strip()]
        try:
            run = services.run_start(
                partner=partner,
                protocol=opts["protocol"],
                actor="command:certify_partner",
                via="command",
                currency=opts["currency"] or partner.default_currency,
                player_id=opts["player_id"],
                session_id=opts["session_id"],
                ext_cid=opts["ext_cid"],
                groups=groups,
                enqueue=opts["queue"],
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        if opts["queue"]:
            self.stdout.write(json.dumps(reports.run_summary(run)) if opts["json"] else f"Queued run {run.pk}.")
            return
        run = services.run_execute(run_id=run.pk)
        if opts["json"]:
            self.stdout.write(json.dumps(reports.run_document(run), indent=2, ensure_ascii=False))
        else:
            for row in run.results.all():
                mark = "PASS" if row.passed else "FAIL"
                self.stdout.write(f"{mark} {row.case_id:32} {row.title}")
                if not row.passed:
                    self.stdout.write(
                        f"     expected: {row.expected}\n     actual:   {row.actual}\n     fix: {row.fix}"
                    )
            self.stdout.write(
                f"{run.status.upper()}: {run.passed_count}/{run.total} passed (run {run.pk}, hub {run.hub_version[:12]})"
            )
        if run.status != "passed":
            raise SystemExit(1)
