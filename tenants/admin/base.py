"""What every tenants admin shares: the action pages' template and one-time token, the permissions the key and
go-live actions ask for, the go-live override field, and the scoping of rows to the partners the user manages.

- ``TenantAdminMixin``: ``core.admin.ActionFormMixin`` set up for the tenants pages (``action_form.html``, the
  ``keys`` form prefix, ``tenants.services.form_submission_claim``), ``manage_credentials`` and
  ``change_partner_status`` as action permissions, and ``go_live_override`` (honoured only from staff who may
  switch partners live);
- ``PartnerScopedAdminMixin``: rows that belong to a partner (ExtCIDs, keys, audit entries) are listed only
  for the partners the user manages (``tenants.selectors.partners_visible_to``); superusers see all.
"""

from __future__ import annotations

from typing import Any

from core.admin import ActionFormMixin, ServiceAdminMixin
from tenants import services
from tenants.selectors import partners_visible_to

ACTION_FORM_TEMPLATE = "admin/tenants/action_form.html"
ACTION_FORM_PREFIX = "keys"

# Fields an admin form may change through partner_update (status only via suspend / activate) and
# ext_client_update.
PARTNER_EDITABLE_FIELDS = tuple(f for f in services.PARTNER_FIELDS if f != "status")
EXT_CLIENT_EDITABLE_FIELDS = services.EXT_CLIENT_FIELDS


class TenantAdminMixin(ActionFormMixin):
    action_form_template = ACTION_FORM_TEMPLATE
    action_form_prefix = ACTION_FORM_PREFIX
    submission_claim = staticmethod(services.form_submission_claim)

    def has_manage_credentials_permission(self, request, obj=None):
        return request.user.has_perm("tenants.manage_credentials")

    def has_change_partner_status_permission(self, request, obj=None):
        return request.user.has_perm("tenants.change_partner_status")

    def go_live_override(self, request, data) -> str:
        """The form's go-live override reason, from staff who may switch partners live only (others: ignored)."""
        if not self.has_change_partner_status_permission(request):
            return ""
        return (data.get("go_live_override") or "").strip()


class PartnerScopedAdminMixin:
    """Rows with a ``partner``: those of the partners the user manages (superusers: all)."""

    def get_queryset(self, request):
        qs = super().get_queryset(request)  # type: ignore[misc]
        if request.user.is_superuser:
            return qs
        return qs.filter(partner__in=partners_visible_to(request.user).values("pk"))


def ext_client_create_from_form(
    admin_: ServiceAdminMixin, data: dict, *, partner: Any, actor: Any, go_live_override: Any, label: str = ""
) -> Any:
    """``services.ext_client_create`` with an ExtCID form's cleaned data (the ExtCID admin's and the partner's
    inline alike); a refusal is the form's error (``call_service``)."""
    return admin_.call_service(
        services.ext_client_create,
        label=label,
        partner=partner,
        actor=actor,
        ext_cid=data["ext_cid"],
        base_url=data["base_url"],
        name=data.get("name", ""),
        currencies=data.get("currencies") or partner.currencies,
        is_active=data.get("is_active", True),
        go_live_override=go_live_override,
    )
