"""Onboard a partner from a script: prints its credentials (once) as JSON."""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from core.errors import ApplicationError
from tenants import allowlist, services


class Command(BaseCommand):
    help = "Create a partner with its keys. IGSP: --mode igsp --hooks-url URL. Public API: --mode public_api --ext-cid ID --base-url URL."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--mode", required=True, choices=["igsp", "public_api"])
        parser.add_argument("--hooks-url", default="", help="IGSP hooks URL (https).")
        parser.add_argument(
            "--ext-cid", action="append", default=[], help="ExtCID (repeatable, pairs with --base-url)."
        )
        parser.add_argument("--base-url", action="append", default=[], help="Base URL for the ExtCID's reverse calls.")
        parser.add_argument("--currency", default="USD", help="Default currency.")
        parser.add_argument("--currencies", default="", help="Other allowed currencies, comma-separated.")
        parser.add_argument(
            "--ip-allowlist", default="", help="CIDRs allowed to call our APIs, comma-separated (empty = any address)."
        )
        parser.add_argument("--json", action="store_true", help="Print the credentials as JSON.")

    def handle(self, *args, **opts):
        if len(opts["ext_cid"]) != len(opts["base_url"]):
            raise CommandError("Give one --base-url per --ext-cid.")
        try:
            result = services.partner_onboard(
                name=opts["name"],
                actor="command:onboard_partner",
                igsp=opts["mode"] == "igsp",
                public_api=opts["mode"] == "public_api",
                default_currency=opts["currency"],
                allowed_currencies=[c.strip() for c in opts["currencies"].split(",") if c.strip()],
                igsp_hooks_url=opts["hooks_url"],
                ext_clients=[
                    {"ext_cid": e, "base_url": u} for e, u in zip(opts["ext_cid"], opts["base_url"], strict=False)
                ],
                ip_allowlist=[c.strip() for c in opts["ip_allowlist"].split(",") if c.strip()],
            )
        except ValidationError as exc:
            messages = (
                [f"{k}: {', '.join(v)}" for k, v in exc.message_dict.items()]
                if hasattr(exc, "error_dict")
                else exc.messages
            )
            raise CommandError("; ".join(messages)) from None
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        payload = {**result.credentials_payload(), "ipAllowlist": result.partner.ip_allowlist}
        if warning := allowlist.warning(result.partner.ip_allowlist):
            self.stderr.write(self.style.WARNING(warning))
        if opts["json"]:
            self.stdout.write(json.dumps(payload, indent=2))
        else:
            for key, value in payload.items():
                self.stdout.write(f"{key}: {value}")
            self.stdout.write(self.style.WARNING("Store these secrets now: they are not shown again."))
