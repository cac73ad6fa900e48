"""The ledger in the admin, for account managers: read-only lists, delivery actions, reconciliation. One module
per admin, registered on import (Django's admin autodiscover imports this package):

- ``sessions``: game sessions; ``rounds``: rounds; ``transactions``: transactions, their delivery attempts
  inline, the delivery actions (retry now, resolve manually) and the reconciliation report; ``attempts``:
  delivery attempts; ``inbound_hooks``: the partners' inbound hooks and their outcomes;
- ``base``: what every ledger admin shares (``LedgerAdmin``, the capped ``LedgerPaginator``, the partner filter,
  the round-details link).

Rules kept here:
- the ledger is read-only in the admin: no add, no delete, no edit; the only
  writes are the delivery actions, which call ``wallet.services``
  (``delivery_retry_now``, ``delivery_resolve_manually``) with
  ``actor=request.user`` (those services write the audit entries);
- account managers see only rows of the partners they manage
  (``wallet.selectors.scope_to_user`` → ``partners_visible_to``); superusers
  see all, partner-less public demo sessions included; another partner's row
  answers like a missing one;
- a session's key hash is never shown (it is not a field of any admin form
  or list, and not searchable).
"""

from __future__ import annotations

from .attempts import DeliveryAttemptAdmin
from .base import LedgerAdmin, LedgerPaginator, PartnerFilter
from .inbound_hooks import HookOutcome, HookOutcomeFilter, InboundHookAdmin
from .rounds import RoundAdmin
from .sessions import GameSessionAdmin
from .transactions import DeliveryAttemptInline, ReconciliationForm, ResolveManuallyForm, TransactionAdmin

__all__ = [
    "DeliveryAttemptAdmin",
    "DeliveryAttemptInline",
    "GameSessionAdmin",
    "HookOutcome",
    "HookOutcomeFilter",
    "InboundHookAdmin",
    "LedgerAdmin",
    "LedgerPaginator",
    "PartnerFilter",
    "ReconciliationForm",
    "ResolveManuallyForm",
    "RoundAdmin",
    "TransactionAdmin",
]
