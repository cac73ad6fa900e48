"""Every write to partners, ExtCIDs and credentials. Admin, API, commands and tasks call these.

One module per job, their public names re-exported here (``from tenants import services``):
- ``audit``: the audit trail (``audit_record``) and who acts (``Actor``);
- ``partners``: create, change, suspend, activate; the suspension hooks;
- ``golive``: the go-live scope and gates the apps register;
- ``ext_clients``: a Public API partner's ExtCIDs;
- ``credentials``: keys issued, rotated, revoked, retired, re-encrypted; the one-time admin form claim;
- ``onboarding``: a new partner with its ExtCIDs and keys (``partner_onboard``).
"""

from .audit import Actor, actor_label, audit_record, audit_value
from .credentials import (
    PUBLIC_ID_PREFIX,
    SECRET_PREFIX,
    IssuedCredential,
    credential_issue,
    credential_revoke,
    credential_rotate,
    credential_touch,
    credentials_reencrypt_all,
    credentials_retire_expired,
    form_submission_claim,
)
from .ext_clients import EXT_CLIENT_FIELDS, ExtClientSpec, ext_client_create, ext_client_insert, ext_client_update
from .golive import GO_LIVE_GATES, GoLiveScope, go_live_gates_check, go_live_scope, partner_was_live
from .onboarding import OnboardResult, partner_onboard
from .partners import (
    PARTNER_FIELDS,
    PARTNER_SUSPEND_HOOKS,
    default_partner_status,
    partner_activate,
    partner_create,
    partner_suspend,
    partner_update,
)

__all__ = [
    "EXT_CLIENT_FIELDS",
    "GO_LIVE_GATES",
    "PARTNER_FIELDS",
    "PARTNER_SUSPEND_HOOKS",
    "PUBLIC_ID_PREFIX",
    "SECRET_PREFIX",
    "Actor",
    "ExtClientSpec",
    "GoLiveScope",
    "IssuedCredential",
    "OnboardResult",
    "actor_label",
    "audit_record",
    "audit_value",
    "credential_issue",
    "credential_revoke",
    "credential_rotate",
    "credential_touch",
    "credentials_reencrypt_all",
    "credentials_retire_expired",
    "default_partner_status",
    "ext_client_create",
    "ext_client_insert",
    "ext_client_update",
    "form_submission_claim",
    "go_live_gates_check",
    "go_live_scope",
    "partner_activate",
    "partner_create",
    "partner_onboard",
    "partner_suspend",
    "partner_update",
    "partner_was_live",
]
