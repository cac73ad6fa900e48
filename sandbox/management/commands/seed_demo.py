"""Seed a fresh install: the superuser and a demo partner wired to the sandbox partner. Idempotent.

Development and tests only: the command belongs to the sandbox app, which production settings do not install,
and under production settings (``HUB_PRODUCTION``) it refuses to run as well, so a production database never
gets the default ``admin`` password or a partner wired to the sandbox.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from sandbox import services as sandbox_services
from tenants import services
from tenants.models import CredentialPurpose, Partner

DEMO_SLUG = "demo-casino"
DEMO_SANDBOX_TENANT = "demo"
DEMO_EXT_CID = "demo-casino"


class Command(BaseCommand):
    help = "Create the superuser (HUB_ADMIN_EMAIL / HUB_ADMIN_PASSWORD) and the demo partner pointing at the sandbox."

    def handle(self, *args, **opts):
        if settings.HUB_PRODUCTION:
            raise CommandError(
                "seed_demo is for development and tests: it refuses to run under production settings (it would "
                "create the superuser with HUB_ADMIN_PASSWORD, 'admin' by default, and a partner wired to the "
                "sandbox). Use `manage.py createsuperuser` and `manage.py onboard_partner`."
            )
        self._superuser()
        self._demo_partner()

    def _superuser(self) -> None:
        User = get_user_model()  # noqa: N806 - a model class
        email = settings.HUB_ADMIN_EMAIL
        if User.objects.filter(username=email).exists():
            self.stdout.write(f"superuser {email} exists")
            return
        User.objects.create_superuser(username=email, email=email, password=settings.HUB_ADMIN_PASSWORD)
        self.stdout.write(f"superuser {email} created")

    @transaction.atomic
    def _demo_partner(self) -> None:
        if Partner.objects.filter(slug=DEMO_SLUG).exists():
            self.stdout.write("demo partner exists")
            return
        sandbox = settings.HUB_SANDBOX_URL
        result = services.partner_onboard(
            name="Demo Casino",
            actor="command:seed_demo",
            slug=DEMO_SLUG,
            igsp=True,
            public_api=True,
            default_currency="USD",
            allowed_currencies=["EUR", "GBP"],
            igsp_hooks_url=f"{sandbox}/t/{DEMO_SANDBOX_TENANT}/igsp/hooks",
            ext_clients=[
                {
                    "ext_cid": DEMO_EXT_CID,
                    "base_url": f"{sandbox}/t/{DEMO_SANDBOX_TENANT}/adapter",
                    "name": "Demo Casino brand",
                }
            ],
        )
        self._configure_sandbox(result)
        self.stdout.write(f"demo partner created (cID {result.partner.pk}), wired to the sandbox at {sandbox}")

    def _configure_sandbox(self, result) -> None:
        """Hand the sandbox partner the keys a real partner would hold."""
        sandbox_services.tenant_configure(
            slug=DEMO_SANDBOX_TENANT,
            igsp_api_key=result.credentials[CredentialPurpose.IGSP].credential.public_id,
            igsp_secret=result.credentials[CredentialPurpose.IGSP].secret,
            integration_api_key=result.credentials[CredentialPurpose.INTEGRATION_API].secret,
        )
