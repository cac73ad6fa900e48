"""Certification writes: start a run, execute it (on a worker), and the go-live gate.

The admin's "Certify" page, ``manage.py certify_partner``, the partners' own signed API endpoint and the partner
portal's "Start a run" (``portal.services.portal_certification_start``) all call ``run_start``; the Celery task ``certification.execute_run`` calls ``run_execute``. The gate
(``go_live_check``) is registered with ``tenants.services`` (``certification.apps``), so every path that
switches a partner live (admin action, registration API, command) obeys it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from core.errors import ApplicationError, Conflict, TooManyRequests
from core.tasks import publish
from tenants import selectors as tenant_selectors
from tenants import services as tenant_services
from tenants.models import CredentialPurpose, ExtClient, Partner, PartnerStatus
from wallet import currency as wallet_currency

from . import runner, selectors
from .cases import GROUPS, Context, show
from .drivers import AdapterDriver, IgspDriver
from .models import CaseResult, CertificationRun, RunProtocol, RunStatus
from .version import hub_version

logger = logging.getLogger(__name__)

TASK = "certification.execute_run"
DEFAULT_GAME_ID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"


class CertificationRequired(ApplicationError):
    status_code = 409
    code = "certification_required"


class RunInProgress(Conflict):
    code = "run_in_progress"


class TooManyRuns(TooManyRequests):
    """The partner's daily allowance of API-started runs is spent; ``retry_after`` is the time to UTC midnight."""


class RunNotQueued(ApplicationError):
    """The run could not be handed to a worker (the task broker is unreachable). The run is ended at once
    (``NOT_QUEUED``), so nothing holds the partner's one active run and a new start may follow at once."""

    status_code = 503
    code = "run_not_queued"
    retry_after = 30


NOT_QUEUED = "The run could not be queued (the hub's task broker is unreachable): nothing was run."


class NotATestPlayer(ApplicationError):
    """A live partner started a run through the API against a player it has not declared a test player."""

    status_code = 403
    code = "not_a_test_player"


ACTIVE = (RunStatus.QUEUED, RunStatus.RUNNING)
# The doors through which the partner itself starts runs (``via``): its signed API and its portal. They share the
# partner's daily allowance and, once it is live, may only target its declared test players; the account
# manager's doors (admin, command) are not limited.
PARTNER_DOORS = ("api", "portal")


def _stale_after() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "HUB_CERTIFICATION_STALE_SECONDS", 3600)))


def _daily_cap() -> int:
    return int(getattr(settings, "HUB_CERTIFICATION_RUNS_PER_DAY", 20))


def _seconds_to_midnight(now: datetime) -> int:
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1, int((midnight - now).total_seconds()) + 1)


def _check_run_limits(*, partner: Partner, protocol: str, via: str) -> None:
    """One queued or running run per partner and protocol; at most HUB_CERTIFICATION_RUNS_PER_DAY runs a UTC day
    started by the partner itself (``PARTNER_DOORS``: its API and its portal, one allowance). Runs left queued or running past HUB_CERTIFICATION_STALE_SECONDS (a worker
    that died) end as errors first, so they never block the partner for good. The caller holds the partner's row
    lock: two concurrent starts are decided one after the other (the unique constraint backs it)."""
    now = timezone.now()
    CertificationRun.objects.filter(partner=partner, status__in=ACTIVE, created_at__lt=now - _stale_after()).update(
        status=RunStatus.ERROR, error="Abandoned: no worker finished the run.", finished_at=now
    )
    active = CertificationRun.objects.filter(partner=partner, protocol=protocol, status__in=ACTIVE).first()
    if active is not None:
        raise RunInProgress(
            f"Run {active.pk} of this protocol is still {active.status}: wait for its result before starting another."
        )
    if via not in PARTNER_DOORS:
        return
    cap = _daily_cap()
    start_of_day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    today = (
        CertificationRun.objects.filter(partner=partner, requested_via__in=PARTNER_DOORS, created_at__gte=start_of_day)
        .exclude(status=RunStatus.ERROR, error=NOT_QUEUED)  # never reached a worker: it spends no allowance
        .count()
    )
    if today >= cap:
        raise TooManyRuns(
            f"At most {cap} certification runs a day can be started through the API or the portal; "
            "try again after 00:00 UTC.",
            retry_after=_seconds_to_midnight(now),
        )


def _check_run_target(*, partner: Partner, via: str, player: str) -> None:
    """A run bets and wins real money at the partner's wallet, and the runner's balance restore moves money outside
    the hub's ledger: once the partner is live, runs it starts itself (API, portal) may only target the test players
    the account manager declared (``Partner.certification_test_players``: IGSP player ids, Public API sessionIDs).
    While onboarding, any player; runs the account manager starts (admin, command) are not limited."""
    if via not in PARTNER_DOORS or partner.status == PartnerStatus.ONBOARDING:
        return
    if player in (partner.certification_test_players or []):
        return
    raise NotATestPlayer(
        f"{player} is not one of this partner's declared test players: once live, certification runs started "
        "through the API or the portal may only target test players. Ask your account manager to declare it.",
    )


def _budget() -> Decimal:
    return Decimal(str(getattr(settings, "HUB_CERTIFICATION_BUDGET_SECONDS", 5)))


def run_start(
    *,
    partner: Partner,
    protocol: str,
    actor: tenant_services.Actor,
    via: str,
    currency: str,
    player_id: str = "",
    session_id: str = "",
    ext_cid: str = "",
    groups: list[str] | None = None,
    budget_seconds: Decimal | None = None,
    enqueue: bool = True,
) -> CertificationRun:
    """Validate and queue a run; a worker executes it (``certification.execute_run``) after commit.

    The task is published once the run is committed (a worker never looks for a run not written yet). If the broker
    cannot take it, the run is ended (``NOT_QUEUED``, no incident: nothing ran) and ``RunNotQueued`` (503) raised,
    so the caller answers at once and the partner may start again; inside a caller's transaction the task is
    published when that commits, and a failure there ends the run the same way (logged: no one is left to answer).
    ``enqueue=False`` (the command run in the foreground) leaves it queued for the caller's ``run_execute``."""
    in_callers_transaction = transaction.get_connection().in_atomic_block
    run = _run_queue(
        partner=partner,
        protocol=protocol,
        actor=actor,
        via=via,
        currency=currency,
        player_id=player_id,
        session_id=session_id,
        ext_cid=ext_cid,
        groups=groups,
        budget_seconds=budget_seconds,
    )
    if not enqueue:
        return run
    if in_callers_transaction:
        transaction.on_commit(lambda: _hand_to_worker(run, answer=False))
    else:
        _hand_to_worker(run, answer=True)
    return run


def _hand_to_worker(run: CertificationRun, *, answer: bool) -> None:
    """Publish the run's task; if the broker refuses it, end the run (still queued: no worker has it) and, when
    ``answer``, raise ``RunNotQueued``."""
    try:
        publish(TASK, str(run.pk))
    except Exception as exc:  # noqa: BLE001 - whatever the broker raised, the run is not queued
        logger.warning("certification run %s could not be queued: %s", run.pk, type(exc).__name__)
        now = timezone.now()
        CertificationRun.objects.filter(pk=run.pk, status=RunStatus.QUEUED).update(
            status=RunStatus.ERROR, error=NOT_QUEUED, finished_at=now
        )
        run.refresh_from_db()
        if answer:
            raise RunNotQueued(
                "The run could not be queued: the hub cannot reach its task queue right now. Nothing was run and "
                "no run is left in progress; start it again in a moment."
            ) from None


@transaction.atomic
def _run_queue(
    *,
    partner: Partner,
    protocol: str,
    actor: tenant_services.Actor,
    via: str,
    currency: str,
    player_id: str,
    session_id: str,
    ext_cid: str,
    groups: list[str] | None,
    budget_seconds: Decimal | None,
) -> CertificationRun:
    """``run_start``'s checks and writes, in one transaction: the run (queued) and its audit entry."""
    groups = sorted(set(groups or []))
    unknown = [g for g in groups if g not in GROUPS]
    if unknown:
        raise ApplicationError(f"Unknown case groups: {', '.join(unknown)}.", code="invalid_request")
    currency = (currency or "").strip()
    if currency not in partner.currencies:
        raise ApplicationError(f"Currency {currency or '(none)'} is not one of the partner's currencies.")
    ext_client = None
    # A protocol not enabled yet, or an inactive ExtCID, can be certified: that is how a part is added to a live
    # partner without an override (the go-live gate wants its passing run before it serves players).
    if protocol == RunProtocol.IGSP:
        if not partner.igsp_hooks_url:
            raise ApplicationError("The partner has no IGSP hooks URL.")
        if not player_id.strip():
            raise ApplicationError("Name the test player (player_id) the partner created for certification.")
        target = partner.igsp_hooks_url
    elif protocol == RunProtocol.PUBLIC_API:
        qs = ExtClient.objects.filter(partner=partner)
        # The one named, else the first active one, else the first.
        ext_client = qs.filter(ext_cid=ext_cid).first() if ext_cid else qs.order_by("-is_active", "ext_cid").first()
        if ext_client is None:
            raise ApplicationError(
                "Unknown ExtCID." if ext_cid or partner.public_api_enabled else "The partner has no ExtCID to certify."
            )
        if not session_id.strip():
            raise ApplicationError("Name the test player's sessionID the partner created for certification.")
        target = ext_client.base_url
    else:
        raise ApplicationError("protocol must be igsp or public_api.", code="invalid_request")
    locked = Partner.objects.select_for_update().filter(pk=partner.pk).first() or partner
    _check_run_target(
        partner=locked, via=via, player=(player_id if protocol == RunProtocol.IGSP else session_id).strip()
    )
    _check_run_limits(partner=partner, protocol=protocol, via=via)
    try:
        with transaction.atomic():
            run = _run_create(
                partner=partner,
                protocol=protocol,
                ext_client=ext_client,
                target=target,
                player_id=player_id,
                session_id=session_id,
                currency=currency,
                groups=groups,
                budget_seconds=budget_seconds,
                via=via,
                actor=actor,
            )
    except IntegrityError:  # a start that raced ours on another database connection
        raise RunInProgress("A run of this protocol is already queued or running.") from None
    tenant_services.audit_record(
        actor=actor,
        action="certification.start",
        obj=partner,
        partner=partner,
        changes={"run": str(run.pk), "protocol": protocol, "groups": groups, "via": via},
    )
    return run


def _run_create(
    *, partner, protocol, ext_client, target, player_id, session_id, currency, groups, budget_seconds, via, actor
) -> CertificationRun:
    return CertificationRun.objects.create(
        partner=partner,
        protocol=protocol,
        ext_client=ext_client,
        target_url=target,
        player_id=player_id.strip(),
        session_id=session_id.strip(),
        currency=currency,
        groups=groups,
        budget_seconds=budget_seconds if budget_seconds is not None else _budget(),
        hub_version=hub_version(),
        requested_via=via,
        requested_by=actor if actor is not None and not isinstance(actor, str) else None,
        requested_label=tenant_services.actor_label(actor),
        total=len(runner.select(protocol, groups)),
    )


def _context(run: CertificationRun) -> Context:
    # A slow answer is a timing failure, not a lost call: wait well past the budget before giving up.
    timeout = max(float(run.budget_seconds) * 2, float(run.budget_seconds) + 2)
    places = wallet_currency.precision(run.currency)
    if run.protocol == RunProtocol.IGSP:
        key = tenant_selectors.partner_signing_key(partner=run.partner, purpose=CredentialPurpose.IGSP)
        if key is None:
            raise ApplicationError("The partner has no active IGSP key.")
        driver: IgspDriver | AdapterDriver = IgspDriver(
            url=run.target_url, api_key=key.credential.public_id or "", secret=key.secret, timeout=timeout
        )
        session_id = f"cert-{run.pk}"
    else:
        key = tenant_selectors.partner_signing_key(partner=run.partner, purpose=CredentialPurpose.INTEGRATION_API)
        if key is None:
            raise ApplicationError("The partner has no active Integration API key.")
        driver = AdapterDriver(base_url=run.target_url, key=key.secret, timeout=timeout)
        session_id = run.session_id
    return Context(
        driver=driver,
        protocol=run.protocol,
        player_id=run.player_id,
        currency=run.currency,
        session_id=session_id,
        game_id=DEFAULT_GAME_ID,
        places=places,
        budget_seconds=float(run.budget_seconds),
    )


def run_execute(*, run_id) -> CertificationRun:
    """Execute a queued run (idempotent: a run that already started is left alone)."""
    claimed = CertificationRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=timezone.now()
    )
    run = CertificationRun.objects.select_related("partner").get(pk=run_id)
    if not claimed:
        return run
    try:
        ctx = _context(run)
    except ApplicationError as exc:
        return _finish(run, RunStatus.ERROR, error=str(exc))
    seq = [0]

    def on_result(item, passed, expected, actual, exchanges, ms):
        seq[0] += 1
        CaseResult.objects.create(
            run=run,
            seq=seq[0],
            case_id=item.id,
            group=item.group,
            title=item.title,
            passed=passed,
            expected=expected[:2000],
            actual=actual[:2000],
            fix="" if passed else item.fix,
            exchanges=exchanges,
            ms=ms,
        )
        CertificationRun.objects.filter(pk=run.pk).update(
            done=F("done") + 1,
            passed_count=F("passed_count") + (1 if passed else 0),
            failed_count=F("failed_count") + (0 if passed else 1),
        )

    start, end = runner.execute(ctx, runner.select(run.protocol, run.groups), on_result)
    run.refresh_from_db()
    run.start_balance = "" if start is None else str(start)
    run.end_balance = "" if end is None else str(end)
    run.adjustments = ctx.adjustments
    if start is None:
        first = ctx.exchanges[0] if ctx.exchanges else None
        why = show(first) if first is not None else "no call made"
        return _finish(run, RunStatus.ERROR, error=f"The test player's balance could not be read ({why}): no case run.")
    return _finish(run, RunStatus.PASSED if run.failed_count == 0 and run.done else RunStatus.FAILED)


def _finish(run: CertificationRun, status: str, error: str = "") -> CertificationRun:
    run.status = status
    run.error = error
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "error", "finished_at", "start_balance", "end_balance", "adjustments"])
    _alert(run)
    return run


def _alert(run: CertificationRun) -> None:
    """A failed run opens an incident (mail to the account manager, the partner's alert webhook); a passing one
    resolves the partner's open certification incidents (alerts/services.py). Never fails the run."""
    from alerts import services as alerts

    try:
        if run.status == RunStatus.PASSED:
            alerts.notify_certification_passed(partner=run.partner)
        elif run.status in (RunStatus.FAILED, RunStatus.ERROR):
            summary = run.error or f"{run.failed_count} of {run.total} cases failed"
            alerts.notify_certification_failed(
                partner=run.partner, run_id=run.pk, summary=summary, details={"protocol": run.protocol}
            )
    except Exception:
        logger.exception("certification alert for run %s not sent", run.pk)


# -------------------------------------------------------------- the gate --


class NothingToCertify(CertificationRequired):
    code = "nothing_to_certify"


def missing_certifications(*, scope: tenant_services.GoLiveScope) -> list[str]:
    """What of ``scope`` has no passing full run yet, one entry per protocol/ExtCID.

    A partner's first go-live needs runs of the current code (``hub_version``); a partner returning from
    suspension, and a part added to a live partner, need a passing full run of that part by any code version."""
    partner = scope.partner
    version = hub_version() if scope.first_time else None
    missing = []
    if scope.igsp and selectors.passing_full_run(partner=partner, protocol="igsp", version=version) is None:
        missing.append("IGSP hooks")
    for ext in scope.ext_clients:
        if selectors.passing_full_run(partner=partner, protocol="public_api", ext_client=ext, version=version) is None:
            missing.append(f"ExtCID {ext.ext_cid}")
    return missing


def go_live_check(
    *, scope: tenant_services.GoLiveScope, actor: tenant_services.Actor, override_reason: str = ""
) -> None:
    """Registered with tenants.services: refuses to put a partner, or a part of a live one, live without a passing
    full run (or an override reason, audited as ``partner.go_live_override``). A partner with nothing to certify
    (no protocol enabled, a Public API partner without an active ExtCID) is refused, override or not."""
    if not getattr(settings, "HUB_CERTIFICATION_GATE", True):
        return
    partner = scope.partner
    if scope.whole and not scope.igsp and not scope.ext_clients:
        raise NothingToCertify(
            "Nothing to certify: the partner has no active ExtCID"
            + (" and IGSP is not enabled" if not partner.igsp_enabled else "")
            + ". Add or activate an ExtCID (or enable a protocol), certify it, then go live."
        )
    missing = missing_certifications(scope=scope)
    if not missing:
        return
    reason = (override_reason or "").strip()
    what = "before going live" if scope.whole else "before it serves this live partner"
    code = f" of hub version {hub_version()[:12]}" if scope.first_time else ""
    if not reason:
        raise CertificationRequired(
            f"Certification required {what}: no passing full run{code} for {', '.join(missing)}. "
            "Run Certify (an ExtCID can be certified while inactive), or give a go-live override reason.",
        )
    tenant_services.audit_record(
        actor=actor,
        action="partner.go_live_override",
        obj=partner,
        partner=partner,
        changes={
            "reason": reason[:500],
            "missing": missing,
            "scope": "partner" if scope.whole else "part of a live partner",
            "hub_version": hub_version(),
        },
    )


def partner_is_live(partner: Partner) -> bool:
    return partner.status == PartnerStatus.ACTIVE
