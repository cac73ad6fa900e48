"""The contract watch's counters in the admin: field, the contract's rule, count, last seen and the redacted example;
an account manager sees only the partners assigned to them."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from contractwatch import services as watch
from contractwatch.models import ContractViolation
from tenants import services as tenant_services
from wallet.calllog import Answer
from wallet.transport import OK, WalletResult

pytestmark = pytest.mark.django_db


def partner(name):
    return tenant_services.partner_onboard(
        name=name,
        actor="test",
        igsp=False,
        public_api=True,
        ext_clients=[{"ext_cid": name, "base_url": "https://wallet.example"}],
    ).partner


def test_the_admin_shows_each_counter_of_the_partners_the_user_manages(client, admin_user, django_user_model):
    mine, theirs = partner("mine"), partner("theirs")
    manager = django_user_model.objects.create_user(username="am", is_staff=True)
    manager.user_permissions.add(Permission.objects.get(codename="view_contractviolation"))
    tenant_services.partner_update(partner=mine, actor="test", account_manager=manager)
    answer = WalletResult(OK, http_status=200, body={"balance": 12, "txID": "w-1", "api_key": "k-very-secret"})
    now = timezone.now()
    watch.answers_check(
        [Answer(mine.pk, "public_api", "bet", answer, now), Answer(theirs.pk, "public_api", "win", answer, now)]
    )
    row = ContractViolation.objects.get(partner=mine)
    assert (row.field, row.rule, row.expected, row.count) == ("balance", "type", "type: string", 1)

    client.force_login(manager)
    listing = client.get("/admin/contractwatch/contractviolation/").content.decode()
    assert "mine" in listing
    assert "type: string" in listing
    assert "theirs" not in listing
    page = client.get(f"/admin/contractwatch/contractviolation/{row.pk}/change/").content.decode()
    assert "integration-adapter POST /bet 200" in page
    assert "[REDACTED]" in page
    assert "k-very-secret" not in page
    other = ContractViolation.objects.get(partner=theirs)
    assert client.get(f"/admin/contractwatch/contractviolation/{other.pk}/change/").status_code == 302  # not found

    client.force_login(admin_user)
    assert "theirs" in client.get("/admin/contractwatch/contractviolation/").content.decode()
