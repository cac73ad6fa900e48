"""What every ledger admin shares: ``LedgerAdmin`` (read-only, scoped to the partners the user may see, a
capped count), the partner filter, the round-details link, and the helpers of the delivery actions' forms.
"""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin import ActionLocation, ModelAdmin
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html

from core.admin import ReadOnlyAdminMixin
from core.db import Pk
from tenants.selectors import partners_visible_to
from wallet.round_links import round_details_link
from wallet.selectors import scope_to_user


def changelist_url(model: str, **params: Any) -> str:
    url = reverse(f"admin:wallet_{model}_changelist")
    return f"{url}?{urlencode(params)}" if params else url


# A POST the change form sends for one of its actions (Django's own test, ModelAdmin._changeform_view).
CHANGE_FORM_ACTION = f"{ActionLocation.CHANGE_FORM.value}-action"
SAVE_BUTTONS = ("_save", "_continue", "_addanother", "_saveasnew")


def actor(request: HttpRequest) -> AbstractBaseUser:
    """The signed-in admin user (the admin site lets no one else in), as the services' audit actor."""
    if not isinstance(request.user, AbstractBaseUser):
        raise PermissionDenied
    return request.user


def is_change_form_action(request: HttpRequest) -> bool:
    return CHANGE_FORM_ACTION in request.POST and not any(k in request.POST for k in SAVE_BUTTONS)


# ------------------------------------------------------------------ filters --


class PartnerFilter(admin.SimpleListFilter):
    """The partners the user may see (not a scan of the ledger for the partners that occur in it)."""

    title = "partner"
    parameter_name = "partner"

    def lookups(self, request: HttpRequest, model_admin: ModelAdmin[Any]) -> list[tuple[str, str]]:
        return [(str(p.pk), p.name) for p in partners_visible_to(request.user).only("pk", "name")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if not value:
            return queryset
        return queryset.filter(partner_id=value) if value in {k for k, _ in self.lookup_choices} else queryset.none()


# -------------------------------------------------------------------- base --


class LedgerPaginator(Paginator):
    """Counts at most ``COUNT_CAP`` rows: a COUNT(*) of a filtered 5-million-row ledger is seconds per page.

    Beyond the cap the list shows "more than 10,000" (templates/admin/wallet/pagination.html) and pages up
    to the cap; a narrower filter (partner, status, a date) reaches the rest.
    """

    COUNT_CAP = 10_000

    @cached_property
    def count(self) -> int:
        # the admin's changelist pages a QuerySet (Paginator's stub types object_list as any sliceable)
        n = cast(QuerySet[Any], self.object_list)[: self.COUNT_CAP + 1].count()
        self.capped = n > self.COUNT_CAP
        return min(n, self.COUNT_CAP)

    capped = False


class LedgerAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only, scoped to the partners the user may see.

    Cheap on a big ledger: a capped count (``LedgerPaginator``), no second COUNT(*) of the unfiltered
    list, and no ``date_hierarchy`` (its MIN/MAX and DISTINCT year queries read the whole ledger on
    every page; the ``created_at`` list filter covers dates).
    """

    actions = None
    list_per_page = 50
    paginator = LedgerPaginator
    show_full_result_count = False  # no second COUNT(*) over the whole (scoped) ledger per page

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return scope_to_user(super().get_queryset(request), request.user)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.get_fields(request, obj)


def round_details_anchor(round_id: Pk) -> str:
    """A fresh signed link to the round's details page (``wallet/round_links.py``), valid for
    HUB_ROUND_DETAILS_TTL_SECONDS: the page an account manager opens or sends to a partner's support agent. Only
    rows the user may see (the admin's scoped querysets) get one."""
    link = round_details_link(round_id)
    return format_html('<a href="{}" target="_blank" rel="noopener noreferrer">Round details</a>', link.url)
