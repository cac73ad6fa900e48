"""Re-encrypt every stored secret with the first key of HUB_FERNET_KEYS (master-key rotation)."""

from django.core.management.base import BaseCommand

from tenants import services


class Command(BaseCommand):
    help = "Re-encrypt stored secrets with the primary master key. Put the new key first in HUB_FERNET_KEYS, run this, then drop the old key."

    def handle(self, *args, **opts):
        count = services.credentials_reencrypt_all()
        self.stdout.write(f"re-encrypted {count} secrets")
