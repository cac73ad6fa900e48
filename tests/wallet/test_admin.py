"""The ledger admin: read-only lists with filters, partner isolation, the delivery actions, the index count."""

from __future__ import annotations

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from tenants.models import AuditLog
from wallet.models import AttemptOutcome, Transaction, TxKind, TxStatus

from .conftest import make_manager

pytestmark = pytest.mark.django_db

MODELS = ("gamesession", "round", "transaction", "deliveryattempt")


def url(model: str, view: str = "changelist", *args) -> str:
    return reverse(f"admin:wallet_{model}_{view}", args=args)


@pytest.fixture
def two_ledgers(ledger, partner_a, partner_b):
    """A and B each: a session, a confirmed bet, a stuck pending win with a failed attempt."""
    out = {}
    for key, partner, player in (("a", partner_a, "alice-player"), ("b", partner_b, "bravo-player")):
        session = ledger.session(partner, player=player)
        bet, win = ledger.bet_and_win(session, "10.00", "25.00", win_status=TxStatus.PENDING)
        Transaction.objects.filter(pk=win.pk).update(stuck=True, attempts=3, last_error=f"{key}-boom")
        win.refresh_from_db()
        attempt = ledger.attempt(win, error=f"{key}-attempt-error")
        out[key] = {"session": session, "bet": bet, "win": win, "attempt": attempt}
    return out


def run_action(client, action: str, *txs, **extra):
    data = {"action": action, helpers.ACTION_CHECKBOX_NAME: [str(t.pk) for t in txs], **extra}
    return client.post(url("transaction"), data)


# ------------------------------------------------------------------- lists --


def test_superuser_sees_every_partner_with_filters_and_search(client, superuser, two_ledgers):
    client.force_login(superuser)
    for model in MODELS:
        resp = client.get(url(model))
        assert resp.status_code == 200, model
        body = resp.content.decode()
        assert "Alpha Casino" in body, model
        assert "Bravo Casino" in body, model
    a_win = two_ledgers["a"]["win"]
    resp = client.get(
        url("transaction"),
        {
            "partner": str(a_win.partner_id),
            "status__exact": "pending",
            "kind__exact": "win",
            "stuck__exact": "1",
            "created_at__year": str(a_win.created_at.year),
        },
    )
    assert list(resp.context["cl"].result_list) == [a_win]
    resp = client.get(url("transaction"), {"q": "bravo-player"})
    assert {t.partner.name for t in resp.context["cl"].result_list} == {"Bravo Casino"}
    resp = client.get(url("transaction"), {"q": str(a_win.pk)})
    assert list(resp.context["cl"].result_list) == [a_win]
    resp = client.get(url("gamesession"), {"q": "alice-player", "status__exact": "active", "is_demo__exact": "0"})
    assert list(resp.context["cl"].result_list) == [two_ledgers["a"]["session"]]
    resp = client.get(
        url("deliveryattempt"),
        {"outcome__exact": AttemptOutcome.FAILED, "transaction__kind__exact": TxKind.WIN, "q": str(a_win.pk)},
    )
    assert list(resp.context["cl"].result_list) == [two_ledgers["a"]["attempt"]]


def test_manager_sees_only_own_partner_rows(client, manager_a, two_ledgers):
    client.force_login(manager_a)
    b = two_ledgers["b"]
    for model in MODELS:
        resp = client.get(url(model))
        assert resp.status_code == 200
        body = resp.content.decode()
        assert "Alpha Casino" in body
        for marker in ("Bravo Casino", "bravo-player", "b-boom", "b-attempt-error"):
            assert marker not in body, f"{marker} leaked on {model}"
    # Choosing B in the partner filter (a forged URL) shows nothing, not B's rows.
    resp = client.get(url("transaction"), {"partner": str(b["win"].partner_id)})
    assert list(resp.context["cl"].result_list) == []
    # B's objects answer like missing ones.
    for model, obj in (
        ("gamesession", b["session"]),
        ("round", b["bet"].round),
        ("transaction", b["win"]),
        ("deliveryattempt", b["attempt"]),
    ):
        resp = client.get(url(model, "change", obj.pk))
        assert resp.status_code in (302, 404), model
        if resp.status_code == 302:
            assert resp["Location"] == reverse("admin:index")


def test_ledger_is_read_only(client, superuser, two_ledgers):
    client.force_login(superuser)
    win = two_ledgers["a"]["win"]
    for model in MODELS:
        assert client.get(reverse(f"admin:wallet_{model}_add")).status_code == 403
    resp = client.get(url("transaction", "change", win.pk))
    assert resp.status_code == 200
    assert 'name="_save"' not in resp.content.decode()
    assert client.post(url("transaction", "change", win.pk), {"_save": "Save"}).status_code == 403
    assert client.get(url("transaction", "delete", win.pk)).status_code == 403
    resp = client.get(url("gamesession"))
    assert "delete_selected" not in resp.content.decode()


def row(tx) -> dict:
    return Transaction.objects.filter(pk=tx.pk).values().get()


def posted_back(client, tx, **extra) -> dict:
    """What a browser sends when the transaction page's form is submitted as rendered (hidden inputs: the CSRF
    token, the attempts inline's management form and ids), plus ``extra``."""
    html = client.get(url("transaction", "change", tx.pk)).content.decode()
    form = html[html.index('id="transaction_form"') :]
    form = form[: form.index("</form>")]
    data = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name, value = re.search(r'name="([^"]*)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and 'type="hidden"' in tag:
            data[name.group(1)] = value.group(1) if value else ""
    assert "attempts-TOTAL_FORMS" in data or any(k.endswith("-TOTAL_FORMS") for k in data), data
    return {**data, **extra}


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"_addanother": "1"},
        {"_popup": "1"},
        {"status": "resolved", "amount": "9"},
        {"CHANGE_FORM-action": "retry_now", helpers.ACTION_CHECKBOX_NAME: "x", "_save": "1"},
    ],
    ids=["no-button", "addanother", "popup", "fields", "action-with-save"],
)
def test_a_transaction_post_that_is_not_an_action_changes_nothing(client, manager_a, two_ledgers, data):
    from django.contrib.admin.models import LogEntry

    client.force_login(manager_a)
    win = two_ledgers["a"]["win"]
    before = row(win)
    resp = client.post(url("transaction", "change", win.pk), posted_back(client, win, **data))
    assert row(win) == before  # not even updated_at moved
    assert not LogEntry.objects.exists()
    assert resp.status_code == 403


def test_a_stale_transaction_page_posted_back_does_not_undo_a_delivery(client, manager_a, two_ledgers):
    """The pump delivers the win while the admin handles a POST of its page (between the admin's read of the
    row and its write). Writing the admin's copy would set the delivered win back to pending (to be paid
    again). The row must end as the pump left it: the admin writes nothing."""
    from wallet.admin import TransactionAdmin

    client.force_login(manager_a)
    win = two_ledgers["a"]["win"]
    data = posted_back(client, win)
    real_get_object = TransactionAdmin.get_object
    pump_left = [row(win)]

    def get_object_then_the_pump_delivers(self, request, object_id, from_field=None):
        obj = real_get_object(self, request, object_id, from_field)
        Transaction.objects.filter(pk=win.pk).update(
            status=TxStatus.CONFIRMED, partner_tx_id="ptx-1", confirmed_at=timezone.now(), stuck=False
        )
        pump_left.append(row(win))
        return obj

    with mock.patch.object(TransactionAdmin, "get_object", get_object_then_the_pump_delivers):
        resp = client.post(url("transaction", "change", win.pk), data)
    after = row(win)
    assert (after["status"], after["partner_tx_id"]) == (pump_left[-1]["status"], pump_left[-1]["partner_tx_id"])
    assert after == pump_left[-1]
    assert resp.status_code == 403


def test_the_change_form_still_runs_the_delivery_actions_and_nothing_else_saves(client, manager_a, two_ledgers):
    from django.contrib import admin

    client.force_login(manager_a)
    win = two_ledgers["a"]["win"]
    admin_obj = admin.site.get_model_admin(Transaction)
    request = client.get(url("transaction", "change", win.pk)).wsgi_request
    for call in (
        lambda: admin_obj.save_model(request, win, None, True),
        lambda: admin_obj.delete_model(request, win),
        lambda: admin_obj.delete_queryset(request, Transaction.objects.filter(pk=win.pk)),
        lambda: admin_obj.save_related(request, None, [], True),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert Transaction.objects.filter(pk=win.pk).exists()
    with mock.patch("wallet.tasks.deliver_partner.delay"):
        resp = client.post(
            url("transaction", "change", win.pk),
            {"CHANGE_FORM-action": "resolve_manually", helpers.ACTION_CHECKBOX_NAME: str(win.pk)},
        )
    assert resp.status_code == 200
    assert "resolve-reason" in resp.content.decode()


def test_session_key_hash_never_shown(client, superuser, two_ledgers):
    client.force_login(superuser)
    session = two_ledgers["a"]["session"]
    for page in (
        url("gamesession"),
        url("gamesession", "change", session.pk),
        url("round"),
        url("transaction"),
        url("transaction", "change", two_ledgers["a"]["win"].pk),
    ):
        body = client.get(page).content.decode()
        assert session.key_hash not in body, page
        assert "key_hash" not in body, page
        assert "Key hash" not in body, page
    # Nor can it be searched for.
    resp = client.get(url("gamesession"), {"q": session.key_hash})
    assert list(resp.context["cl"].result_list) == []


def test_transaction_page_shows_its_attempts_inline(client, manager_a, ledger, two_ledgers):
    client.force_login(manager_a)
    win = two_ledgers["a"]["win"]
    ledger.attempt(win, outcome=AttemptOutcome.DECLINED, http_status=400, error="second-attempt")
    resp = client.get(url("transaction", "change", win.pk))
    assert resp.status_code == 200
    body = resp.content.decode()
    assert "a-attempt-error" in body
    assert "second-attempt" in body
    inline = [fs for fs in resp.context["inline_admin_formsets"] if fs.opts.model._meta.model_name == "deliveryattempt"]
    assert len(inline) == 1
    assert len(inline[0].formset.forms) == 2
    assert not inline[0].has_add_permission
    assert not inline[0].has_change_permission


def test_changelist_query_count_does_not_grow_with_rows(
    client, superuser, ledger, partner_a, django_assert_max_num_queries
):
    client.force_login(superuser)
    session = ledger.session(partner_a)
    for _ in range(3):
        ledger.bet_and_win(session, "1.00", "2.00")
    with django_assert_max_num_queries(12) as few:
        client.get(url("transaction"))
    for _ in range(20):
        ledger.bet_and_win(session, "1.00", "2.00")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url("transaction")).status_code == 200


# ------------------------------------------------------------------ actions --


def test_retry_now_requeues_pending_delivery_and_audits(
    client, manager_a, two_ledgers, django_capture_on_commit_callbacks
):
    client.force_login(manager_a)
    win, bet = two_ledgers["a"]["win"], two_ledgers["a"]["bet"]
    later, expired = timezone.now() + timedelta(hours=1), timezone.now() - timedelta(minutes=1)
    Transaction.objects.filter(pk=win.pk).update(next_attempt_at=later, lease_until=expired)  # its worker died
    with mock.patch("wallet.tasks.deliver_partner.delay") as schedule, django_capture_on_commit_callbacks(execute=True):
        resp = run_action(client, "retry_now", win, bet)
    assert resp.status_code == 302
    schedule.assert_called_once()  # the partner's delivery pump is queued
    assert schedule.call_args.args[0] == str(win.partner_id)
    win.refresh_from_db()
    assert win.next_attempt_at <= timezone.now()
    assert win.lease_until is None
    assert win.status == TxStatus.PENDING
    entry = AuditLog.objects.get(action="delivery.retry_now")
    assert entry.actor == manager_a
    assert entry.object_id == str(win.pk)
    assert entry.partner == win.partner
    messages = [str(m) for m in resp.wsgi_request._messages]
    assert any("Queued 1 delivery" in m for m in messages)
    assert any("Skipped 1" in m for m in messages)  # the confirmed bet


def test_retry_now_leaves_a_held_lease_alone_and_is_rate_limited_per_delivery(
    client, manager_a, two_ledgers, django_capture_on_commit_callbacks
):
    from core.errors import Conflict
    from wallet import services

    client.force_login(manager_a)
    win = two_ledgers["a"]["win"]
    held = timezone.now() + timedelta(seconds=30)  # a worker is sending it right now
    Transaction.objects.filter(pk=win.pk).update(lease_until=held)
    with mock.patch("wallet.tasks.deliver_partner.delay") as schedule, django_capture_on_commit_callbacks(execute=True):
        resp = run_action(client, "retry_now", win)
    schedule.assert_not_called()
    win.refresh_from_db()
    assert win.lease_until == held
    assert not AuditLog.objects.filter(action="delivery.retry_now").exists()
    assert any("being sent right now" in str(m) for m in resp.wsgi_request._messages)
    with pytest.raises(Conflict):
        services.delivery_retry_now(tx=win, actor="test")

    Transaction.objects.filter(pk=win.pk).update(lease_until=None)
    with mock.patch("wallet.tasks.deliver_partner.delay") as schedule, django_capture_on_commit_callbacks(execute=True):
        run_action(client, "retry_now", win)
        again = run_action(client, "retry_now", win)  # within HUB_RETRY_NOW_INTERVAL_SECONDS
    schedule.assert_called_once()
    assert any("retried less than" in str(m) for m in again.wsgi_request._messages)
    with pytest.raises(services.RetryTooSoon) as refused:
        services.delivery_retry_now(tx=win, actor="test")
    assert refused.value.status_code == 429
    assert refused.value.retry_after == 60
    assert AuditLog.objects.filter(action="delivery.retry_now").count() == 1


def test_a_retry_now_that_fails_does_not_count_against_the_interval(two_ledgers, django_capture_on_commit_callbacks):
    """Nothing was retried when the retry's transaction rolled back: the next "Retry now" is not refused as too soon."""
    from wallet import services

    win = two_ledgers["a"]["win"]
    with (
        mock.patch("tenants.services.audit_record", side_effect=RuntimeError("audit down")),
        pytest.raises(RuntimeError),
    ):
        services.delivery_retry_now(tx=win, actor="test")
    with mock.patch("wallet.tasks.deliver_partner.delay") as schedule, django_capture_on_commit_callbacks(execute=True):
        services.delivery_retry_now(tx=win, actor="test")
    schedule.assert_called_once()
    assert AuditLog.objects.filter(action="delivery.retry_now").count() == 1


def test_retry_now_from_the_transaction_page(client, manager_a, two_ledgers, django_capture_on_commit_callbacks):
    client.force_login(manager_a)
    win = two_ledgers["a"]["win"]
    page = url("transaction", "change", win.pk)
    assert "retry_now" in client.get(page).content.decode()
    with mock.patch("wallet.tasks.deliver_partner.delay") as schedule, django_capture_on_commit_callbacks(execute=True):
        resp = client.post(page, {"CHANGE_FORM-action": "retry_now", helpers.ACTION_CHECKBOX_NAME: str(win.pk)})
    assert resp.status_code == 302
    schedule.assert_called_once()
    assert schedule.call_args.args[0] == str(win.partner_id)
    assert AuditLog.objects.filter(action="delivery.retry_now", object_id=str(win.pk)).exists()


def test_resolve_manually_asks_a_reason_then_resolves_and_audits(client, manager_a, two_ledgers):
    client.force_login(manager_a)
    win = two_ledgers["a"]["win"]
    # Step 1: the intermediate page.
    resp = run_action(client, "resolve_manually", win)
    assert resp.status_code == 200
    assert "admin/wallet/transaction/resolve_manually.html" in [t.name for t in resp.templates]
    assert str(win.pk) in resp.content.decode()
    # A reason is required: a blank one is refused and nothing changes.
    resp = run_action(client, "resolve_manually", win, apply="1", **{"resolve-reason": "   "})
    assert resp.status_code == 200
    assert resp.context["form"].errors["reason"]
    win.refresh_from_db()
    assert win.status == TxStatus.PENDING
    assert not AuditLog.objects.filter(action="delivery.resolve_manually").exists()
    # Step 2: with a reason.
    resp = run_action(
        client, "resolve_manually", win, apply="1", **{"resolve-reason": "Partner credited by hand, ticket 4711"}
    )
    assert resp.status_code == 302
    win.refresh_from_db()
    assert win.status == TxStatus.RESOLVED
    assert win.resolution_note == "Partner credited by hand, ticket 4711"
    entry = AuditLog.objects.get(action="delivery.resolve_manually")
    assert entry.actor == manager_a
    assert entry.object_id == str(win.pk)
    assert entry.partner == win.partner
    assert entry.changes["reason"] == "Partner credited by hand, ticket 4711"


def test_resolve_manually_leaves_non_pending_rows(client, manager_a, two_ledgers):
    client.force_login(manager_a)
    bet = two_ledgers["a"]["bet"]
    resp = run_action(client, "resolve_manually", bet, apply="1", **{"resolve-reason": "nope"})
    assert resp.status_code == 302
    bet.refresh_from_db()
    assert bet.status == TxStatus.CONFIRMED
    assert not AuditLog.objects.filter(action="delivery.resolve_manually").exists()


def test_manager_cannot_act_on_another_partners_transactions(client, manager_a, two_ledgers):
    client.force_login(manager_a)
    b_win = two_ledgers["b"]["win"]
    with mock.patch("wallet.tasks.deliver_partner.delay") as schedule:
        run_action(client, "retry_now", b_win)
    run_action(client, "resolve_manually", b_win, apply="1", **{"resolve-reason": "not mine"})
    b_win.refresh_from_db()
    assert b_win.status == TxStatus.PENDING
    assert not schedule.called
    assert not AuditLog.objects.filter(action__startswith="delivery.").exists()


def test_actions_need_change_permission(client, django_user_model, partner_a, two_ledgers):
    viewer = make_manager(django_user_model, "viewer", perms=("view_transaction", "view_deliveryattempt"))
    partner_a.account_manager = viewer
    partner_a.save(update_fields=["account_manager"])
    client.force_login(viewer)
    win = two_ledgers["a"]["win"]
    resp = client.get(url("transaction"))
    assert resp.status_code == 200
    assert "retry_now" not in resp.content.decode()
    run_action(client, "retry_now", win)
    run_action(client, "resolve_manually", win, apply="1", **{"resolve-reason": "x"})
    win.refresh_from_db()
    assert win.status == TxStatus.PENDING
    assert not AuditLog.objects.filter(action__startswith="delivery.").exists()


def test_staff_without_wallet_permissions_sees_nothing(client, django_user_model, two_ledgers):
    nobody = make_manager(django_user_model, "nobody", perms=())
    client.force_login(nobody)
    for model in MODELS:
        assert client.get(url(model)).status_code == 403
    assert client.get(url("transaction", "reconciliation")).status_code == 403
    assert "wallet-stuck-deliveries" not in client.get(reverse("admin:index")).content.decode()


# -------------------------------------------------------------------- index --


def test_index_shows_stuck_count_scoped_to_the_user(client, manager_a, superuser, ledger, partner_a, two_ledgers):
    # One more stuck delivery for A; a pending one not (yet) flagged stuck; a stuck-flagged confirmed one.
    session = two_ledgers["a"]["session"]
    ledger.bet_and_win(session, "1.00", "2.00", win_status=TxStatus.PENDING)
    _, win = ledger.bet_and_win(session, "1.00", "3.00", win_status=TxStatus.PENDING)
    Transaction.objects.filter(pk=win.pk).update(stuck=True)
    _, done = ledger.bet_and_win(session, "1.00", "4.00")
    Transaction.objects.filter(pk=done.pk).update(stuck=True)

    client.force_login(manager_a)
    resp = client.get(reverse("admin:index"))
    assert resp.status_code == 200
    body = resp.content.decode()
    assert "<strong>2</strong> stuck deliveries" in body
    link = url("transaction") + "?status__exact=pending&amp;stuck__exact=1"
    assert link in body
    assert "Wallet" in body  # the app list is still there
    resp = client.get(url("transaction"), {"status__exact": "pending", "stuck__exact": "1"})
    assert {t.pk for t in resp.context["cl"].result_list} == {two_ledgers["a"]["win"].pk, win.pk}

    client.force_login(superuser)
    assert "<strong>3</strong> stuck deliveries" in client.get(reverse("admin:index")).content.decode()


def test_index_without_stuck_deliveries(client, manager_a, partner_a):
    client.force_login(manager_a)
    assert "No stuck deliveries" in client.get(reverse("admin:index")).content.decode()


def test_round_and_transaction_pages_link_to_a_working_round_details_page(client, manager_a, two_ledgers):
    import re

    client.force_login(manager_a)
    a = two_ledgers["a"]
    for page in (url("round", "change", a["bet"].round_id), url("transaction", "change", a["win"].pk)):
        body = client.get(page).content.decode()
        links = re.findall(r'href="https?://[^"/]+(/rounds/[^"]+)"[^>]*>Round details<', body)
        assert links, page
        details = client.get(links[0])
        assert details.status_code == 200
        assert str(a["bet"].round_id) in details.content.decode()
        assert str(a["win"].pk) in details.content.decode()
    # The round list has the link column too.
    assert ">Round details<" in client.get(url("round")).content.decode()
