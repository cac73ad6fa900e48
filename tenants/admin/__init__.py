"""The partner admin used by account managers: one module per admin, registered on import (Django's admin
autodiscover imports this package).

- ``partners``: partners, onboarding (``tenants.services.partner_onboard``), their ExtCIDs and keys inline;
- ``ext_clients``: ExtCIDs; ``credentials``: keys (read-only, rotate / revoke); ``audit``: the audit log;
- ``key_actions``: the issue / rotate / revoke bodies both the partner and the key admin run;
- ``shown_once``: the page that shows new secrets once; ``base``: what every tenants admin shares.

Rules kept here:
- every write calls ``tenants.services`` with ``actor=request.user``; nothing is
  saved by the admin's own ``save()`` / ``delete()`` machinery;
- a plaintext secret exists only in the response that issued it (a
  ``TemplateResponse`` marked ``Cache-Control: no-store``): never in the
  session, the messages framework, the admin log or the database;
- account managers see only the partners they manage (``partners_visible_to``)
  and the ExtCIDs, keys and audit entries of those partners; superusers see all;
- a service's ``ValidationError`` / ``ApplicationError`` becomes a form error or
  an admin error message, never a 500.
"""

from __future__ import annotations

from .audit import AuditLogAdmin
from .credentials import CredentialAdmin
from .ext_clients import ExtClientAdmin
from .partners import CredentialInline, ExtClientInline, PartnerAdmin
from .shown_once import IssuedBlock, issued_block

__all__ = [
    "AuditLogAdmin",
    "CredentialAdmin",
    "CredentialInline",
    "ExtClientAdmin",
    "ExtClientInline",
    "IssuedBlock",
    "PartnerAdmin",
    "issued_block",
]
