"""The contract watch over real HTTP: a partner's wallet that breaks its contract (a balance as a JSON number, an
error code the contract does not list, a missing field) is counted with the field and the rule, an incident opens
once (email + signed webhook) and resolves when the answers conform again, and the partner's portal shows it; a
wallet that keeps the contract (the sandbox) counts nothing, and no partner sees another's."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connections

from alerts.models import Incident
from contractwatch import services as watch
from contractwatch.models import ContractViolation, ContractWatchMinute
from core import signing
from core.errors import ApplicationError
from portal import services as portal_services
from tests.portal.conftest import play, portal_client
from tests.wallet.test_policies import new_session
from wallet import calllog, delivery, services
from wallet.models import WalletCall

from .conftest import alerting


@pytest.fixture(autouse=True)
def _alert_tasks_run_inline(tasks_inline):
    """Each alert email and webhook call is its own task: here it runs as it is published."""


def counters(partner) -> dict[tuple[str, str, str, str], ContractViolation]:
    return {(v.protocol, v.call_kind, v.field, v.rule): v for v in ContractViolation.objects.filter(partner=partner)}


def test_a_drifting_wallet_is_counted_alerted_once_and_shown_on_its_portal_only(
    broken, keeper, game, live_hub, admin_user, django_user_model, alert_receiver, settings
):
    url, got = alert_receiver
    settings.HUB_CONTRACT_DRIFT_VIOLATIONS = 3
    secret = alerting(broken.partner, django_user_model, url)
    alerting(keeper.partner, django_user_model, url)
    wallet = broken.wallet
    wallet.answer("public_api", "balance", 200, {"balance": 12.5})  # a number where the contract says a string
    wallet.answer("public_api", "bet", 400, {"message": "Declined", "code": "wallet_on_fire"})  # not a listed code
    wallet.answer("igsp", "bet", 200, {"balance": 999.0, "session_token": "tok-very-secret-123"})  # no transaction_id
    wallet.answer("igsp", "win", 200, {"balance": "1002.00", "transaction_id": "w-2"})  # a string, not a number

    pa, igsp = broken.session(game, "public_api"), broken.session(game, "igsp")
    assert services.session_balance(session=pa) == Decimal("12.5")  # the hub copes; the watch notices
    with pytest.raises(ApplicationError):
        services.bet_place(session=pa, amount=Decimal("1.00"))
    assert not Incident.objects.exists()  # two violating answers: under the threshold
    bet = services.bet_place(session=igsp, amount=Decimal("1.00"))
    assert Incident.objects.filter(partner=broken.partner, kind="contract_drift", resolved_at=None).count() == 1
    win = services.win_record(round=bet.round, amount=Decimal("3.00"))
    delivery.deliver(win.pk)  # the delivery's answer, through the pump's record
    services.session_balance(session=pa)

    found = counters(broken.partner)
    assert set(found) == {
        ("public_api", "balance", "balance", "type"),
        ("public_api", "bet", "code", "enum"),
        ("igsp", "bet", "transaction_id", "required"),
        ("igsp", "win", "balance", "type"),
    }
    balance = found[("public_api", "balance", "balance", "type")]
    assert balance.count == 2
    assert balance.expected == "type: string"
    assert balance.contract == "integration-adapter GET /balance 200"
    assert balance.example == {"balance": "12.5"}
    assert balance.example_status == 200
    code = found[("public_api", "bet", "code", "enum")]
    assert code.count == 1
    assert code.expected.startswith("one of: game_not_found")
    assert "insufficient_funds" in code.expected
    assert code.example["code"] == "wallet_on_fire"
    assert code.example_status == 400
    missing = found[("igsp", "bet", "transaction_id", "required")]
    assert missing.expected == "required"
    assert missing.contract == "igsp-platforms TransactionResponse"
    assert missing.example["session_token"] == "[REDACTED]"  # redacted as the delivery log is
    assert "tok-very-secret-123" not in json.dumps([v.example for v in found.values()])
    assert found[("igsp", "win", "balance", "type")].expected == "type: number"

    # One incident, notified once: the account manager's email and the partner's signed webhook.
    assert Incident.objects.filter(kind="contract_drift").count() == 1
    assert watch.evaluate()["opened"] == 0
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [f"am@{broken.partner.slug}.example"]
    assert "wallet answers break the contract" in mail.outbox[0].subject
    assert broken.partner.name in mail.outbox[0].subject
    assert "transaction_id" in mail.outbox[0].body
    assert "tok-very-secret-123" not in mail.outbox[0].body
    assert len(got) == 1
    headers, body = got[0]
    signing.alert_verify([secret], body, headers)
    payload = json.loads(body)
    assert payload["event"] == "incident.opened"
    assert payload["incident"]["kind"] == "contract_drift"
    assert payload["incident"]["partnerId"] == str(broken.partner.pk)
    details = payload["incident"]["details"]
    assert details["violations"] == 3
    assert details["threshold"] == 3  # opened by the third violating answer
    assert {(f["kind"], f["field"], f["rule"]) for f in details["fields"]} == {
        ("balance", "balance", "type"),
        ("bet", "code", "enum"),
        ("bet", "transaction_id", "required"),
    }
    assert "tok-very-secret-123" not in body.decode()

    # The sandbox keeps the contract: its answers are checked and count nothing.
    play(keeper, game, protocol="igsp")
    play(keeper, game, protocol="public_api", player="p-2")
    assert not ContractViolation.objects.filter(partner=keeper.partner).exists()
    assert sum(ContractWatchMinute.objects.filter(partner=keeper.partner).values_list("answers", flat=True)) >= 8
    assert not Incident.objects.filter(partner=keeper.partner).exists()

    # The partner's portal shows its own counters: field, rule, count, last seen, the example; the other's shows none.
    home = portal_client(live_hub, portal_services.portal_link_issue(partner=broken.partner, actor=admin_user).url)
    page = home.get("/portal/").text
    assert 'id="contract-watch"' in page
    assert 'id="contract-incident"' in page
    assert "transaction_id" in page
    assert "type: string" in page
    assert "wallet_on_fire" in page
    assert "[REDACTED]" in page
    assert "tok-very-secret-123" not in page
    other = portal_client(live_hub, portal_services.portal_link_issue(partner=keeper.partner, actor=admin_user).url)
    page = other.get("/portal/").text
    assert 'id="contract-clean"' in page
    assert "wallet_on_fire" not in page
    assert "transaction_id" not in page

    # The wallet is fixed: once its answers conformed for HUB_CONTRACT_RESOLVE_MINUTES the incident resolves.
    before = {key: v.count for key, v in found.items()}
    wallet.conform()
    long_ago = timedelta(minutes=settings.HUB_CONTRACT_RESOLVE_MINUTES + 1)
    for row in ContractWatchMinute.objects.filter(partner=broken.partner):
        ContractWatchMinute.objects.filter(pk=row.pk).update(minute=row.minute - long_ago)
    assert watch.evaluate()["resolved"] == 0  # no answer since: nothing says it conforms yet
    services.session_balance(session=pa)
    services.bet_place(session=igsp, amount=Decimal("1.00"))
    assert {key: v.count for key, v in counters(broken.partner).items()} == before  # conforming answers count nothing
    assert watch.evaluate()["resolved"] == 1
    assert Incident.objects.get(kind="contract_drift").resolved_at is not None
    assert len(mail.outbox) == 2
    assert mail.outbox[1].subject.startswith("[hub] resolved:")
    assert len(got) == 2
    assert json.loads(got[1][1])["event"] == "incident.resolved"


def test_an_undocumented_status_and_an_answer_that_is_not_json(broken, game):
    broken.wallet.answer("public_api", "balance", 403, {"message": "Forbidden"})
    broken.wallet.answer("igsp", "balance", 200, b"<html>ok</html>")
    with pytest.raises(ApplicationError):
        services.session_balance(session=broken.session(game, "public_api"))
    with pytest.raises(ApplicationError):
        services.session_balance(session=broken.session(game, "igsp"))
    found = counters(broken.partner)
    status = found[("public_api", "balance", "(status)", "status")]
    assert status.expected == "one of the documented statuses: 200, 401, 404, 500"
    assert status.example_status == 403
    body = found[("igsp", "balance", "(body)", "json")]
    assert body.expected == "a JSON object"
    assert body.example == {"text": "<html>ok</html>"}


def test_a_wallet_that_keeps_the_contract_counts_nothing(keeper, game, settings):
    settings.HUB_CONTRACT_DRIFT_VIOLATIONS = 1
    keeper.faults(bet={"decline_code": "insufficient_funds"})  # a refusal the contract documents
    for protocol in ("igsp", "public_api"):
        session = new_session(keeper, game, protocol)
        services.session_balance(session=session)
        with pytest.raises(ApplicationError):
            services.bet_place(session=session, amount=Decimal("1.00"))
    assert not ContractViolation.objects.exists()
    assert not Incident.objects.exists()
    assert sum(ContractWatchMinute.objects.values_list("violations", flat=True)) == 0
    assert sum(ContractWatchMinute.objects.values_list("answers", flat=True)) >= 4


def test_answers_are_watched_on_the_batch_threads_not_the_callers(broken, game, settings):
    """As in production (HUB_BATCH_SECONDS on): the bet's and balance call's answers are read on the call log's batch
    thread, the delivery's on the ``answers`` batch thread; never on the thread that called the wallet."""
    settings.HUB_BATCH_SECONDS = 0.05
    seen: list[tuple[str, str]] = []

    def spy(answers):  # registered after the watch: runs last in each batch
        seen.extend((threading.current_thread().name, a.kind) for a in answers)
        connections.close_all()  # the batch threads' own connections, so the test database can be dropped

    calllog.watch_answers(spy)
    try:
        session = broken.session(game, "igsp")
        bet = services.bet_place(session=session, amount=Decimal("1.00"))
        delivery.deliver(services.win_record(round=bet.round, amount=Decimal("2.00")).pk)
        deadline = time.monotonic() + 5
        while len(seen) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        while WalletCall.objects.filter(partner=broken.partner).count() < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        calllog._WATCHERS.remove(spy)
    assert sorted(seen) == [("batcher-answers", "win"), ("batcher-call-log", "bet")]
    assert ContractWatchMinute.objects.get(partner=broken.partner).answers == 2


def test_the_watch_off_checks_nothing_and_a_watch_failure_never_loses_a_call_record(
    broken, game, settings, monkeypatch
):
    broken.wallet.answer("public_api", "balance", 200, {"balance": 1})
    session = broken.session(game, "public_api")
    settings.HUB_CONTRACT_WATCH_SAMPLE = 0
    services.session_balance(session=session)
    assert not ContractWatchMinute.objects.exists()
    assert not ContractViolation.objects.exists()

    settings.HUB_CONTRACT_WATCH_SAMPLE = 1.0

    def broken_rules(*args):
        raise RuntimeError("a bug in the watch")

    monkeypatch.setattr(watch.rules, "violations", broken_rules)
    services.session_balance(session=session)
    assert WalletCall.objects.filter(partner=broken.partner).count() == 2
    assert not ContractViolation.objects.exists()
