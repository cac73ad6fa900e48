"""The certification runner against the sandbox partner, over real HTTP (live server serving hub + sandbox).

A clean sandbox passes every case; each injected fault makes exactly the matching cases fail.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from certification import services, tasks
from certification.models import CertificationRun, RunStatus
from tests.conftest import wire_partner

pytestmark = pytest.mark.django_db(transaction=True)

PLAYER = "cert-player"
SESSION = "cert-session-1"
START = Decimal("500.00")


@pytest.fixture
def cert(sandbox, live_hub, transactional_db, settings):
    settings.HUB_CERTIFICATION_BUDGET_SECONDS = 2.0
    wired = wire_partner(sandbox, live_hub)
    sandbox.configure_tenant(wired.slug, strict_sessions=True)
    sandbox.set_balance(wired.slug, PLAYER, "USD", str(START))
    sandbox.register_session(wired.slug, SESSION, PLAYER, "USD")
    return wired


def run(wired, protocol: str, groups=None, budget=None) -> CertificationRun:
    run = services.run_start(
        partner=wired.partner,
        protocol=protocol,
        actor="test",
        via="test",
        currency="USD",
        player_id=PLAYER,
        session_id=SESSION,
        groups=groups,
        budget_seconds=budget,
    )
    tasks.execute_run(str(run.pk))
    run.refresh_from_db()
    return run


def failing(run: CertificationRun) -> set[str]:
    return {r.case_id for r in run.results.filter(passed=False)}


def balance(wired) -> Decimal:
    return Decimal(wired.sandbox.get_account(wired.slug, PLAYER, "USD")["balance"])


@pytest.mark.parametrize("protocol", ["igsp", "public_api"])
def test_clean_sandbox_passes_every_case_and_stays_money_neutral(cert, protocol):
    result = run(cert, protocol)
    print({r.case_id: r.actual for r in result.results.filter(passed=False)})
    assert failing(result) == set()
    assert result.status == RunStatus.PASSED
    assert result.total == result.done >= 50
    assert balance(cert) == START
    assert result.adjustments == []
