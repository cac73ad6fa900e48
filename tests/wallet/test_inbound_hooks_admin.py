"""Inbound IGSP hooks in the admin: listed with their reconciliation outcome, filterable (mismatches first),
read-only, scoped to the account manager's partners (Django test client over the admin's real views)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from wallet.models import InboundHook

from .conftest import make_manager

pytestmark = pytest.mark.django_db

URL = "/admin/wallet/inboundhook/"


def hook(partner, tx_id, *, mismatch=False, reconciled=False, stale=None, action="bet"):
    response = {"status": "ok", "reconciled": reconciled, "mismatch": mismatch, "session_id": None}
    if stale is not None:
        response["stale"] = stale
    return InboundHook.objects.create(
        partner=partner,
        transaction_id=tx_id,
        action=action,
        payload={"action": action, "transaction_id": tx_id},
        response=response,
        mismatch=mismatch,
    )


@pytest.fixture
def hooks(partner_a, partner_b):
    made = {
        "a-bad": hook(partner_a, "a-bad-tx", mismatch=True),
        "a-ok": hook(partner_a, "a-ok-tx", reconciled=True),
        "a-stale": hook(partner_a, "a-stale-tx", stale=True, action="balance"),
        "b-bad": hook(partner_b, "b-bad-tx", mismatch=True),
    }
    # The mismatch is the oldest: newest-first alone would list it last.
    now = timezone.now()
    for minutes, name in enumerate(("b-bad", "a-stale", "a-ok", "a-bad")):
        InboundHook.objects.filter(pk=made[name].pk).update(received_at=now - timedelta(minutes=minutes))
    return made


def test_the_account_manager_sees_only_own_partners_hooks_with_outcomes_mismatches_first(client, manager_a, hooks):
    assert reverse("admin:wallet_inboundhook_changelist") == URL
    client.force_login(manager_a)
    resp = client.get(URL)
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "a-ok-tx" in html
    assert "a-bad-tx" in html
    assert "a-stale-tx" in html
    assert "b-bad-tx" not in html  # another manager's partner
    assert html.index("a-bad-tx") < html.index("a-ok-tx")  # mismatches first
    assert "Mismatch" in html
    assert "Reconciled" in html
    assert "Stale" in html
    only = client.get(URL, {"outcome": "mismatch"}).content.decode()
    assert "a-bad-tx" in only
    assert "a-ok-tx" not in only
    assert "a-stale-tx" not in only
    assert "b-bad-tx" not in only
    # Another partner's hook by its id: not found for this manager.
    assert client.get(reverse("admin:wallet_inboundhook_change", args=[hooks["b-bad"].pk])).status_code in (302, 404)
    assert client.get(reverse("admin:wallet_inboundhook_change", args=[hooks["a-bad"].pk])).status_code == 200


def test_the_superuser_sees_every_partners_hooks(client, superuser, hooks):
    client.force_login(superuser)
    html = client.get(URL, {"outcome": "mismatch"}).content.decode()
    assert "a-bad-tx" in html
    assert "b-bad-tx" in html
    assert "a-ok-tx" not in html


def test_the_hooks_list_is_read_only(client, manager_a, hooks):
    client.force_login(manager_a)
    target = hooks["a-bad"]
    change = reverse("admin:wallet_inboundhook_change", args=[target.pk])
    client.post(change, {"transaction_id": "edited", "mismatch": ""})
    assert client.get(reverse("admin:wallet_inboundhook_add")).status_code == 403
    assert client.post(reverse("admin:wallet_inboundhook_delete", args=[target.pk]), {"post": "yes"}).status_code == 403
    target.refresh_from_db()
    assert target.transaction_id == "a-bad-tx"
    assert target.mismatch


def test_a_staff_user_without_the_view_permission_sees_nothing(client, django_user_model, hooks):
    nobody = make_manager(django_user_model, "nobody", perms=())
    client.force_login(nobody)
    assert client.get(URL).status_code == 403
