"""The audit trail of every write to partners, ExtCIDs and credentials: who (``Actor``) did what to which row."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from tenants.models import AuditLog, Partner

Actor = AbstractBaseUser | str | None


def actor_label(actor: Actor) -> str:
    """How the audit log names an actor: a user by name, a service by its label, nobody as ``system``."""
    return _actor_fields(actor)["actor_label"]


def _actor_fields(actor: Actor) -> dict[str, Any]:
    if actor is None:
        return {"actor": None, "actor_label": "system"}
    if isinstance(actor, str):
        return {"actor": None, "actor_label": actor}
    return {"actor": actor, "actor_label": actor.get_username()}


def audit_value(value: Any) -> Any:
    """A field's value as the audit log's JSON stores it (a user by name, a time in ISO 8601, a row by pk)."""
    if isinstance(value, AbstractBaseUser):
        return value.get_username()
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "pk") and not isinstance(value, (str, int)):
        return str(value.pk)
    return value


def audit_record(*, actor: Actor, action: str, obj, partner: Partner | None, changes: dict | None = None) -> AuditLog:
    return AuditLog.objects.create(
        **_actor_fields(actor),
        partner=partner,
        action=action,
        object_type=obj._meta.model_name,
        object_id=str(obj.pk),
        changes={k: audit_value(v) for k, v in (changes or {}).items()},
    )
