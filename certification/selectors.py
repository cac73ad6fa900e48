"""Reads of certification runs, scoped by partner (and by the account manager's partners in the admin), and a
run's report read as its people read it: a summary per case group, the failures (each with its fix) first."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Max, Q, QuerySet

from tenants.models import ExtClient, Partner

from .cases import GROUPS, cases_for
from .models import CaseResult, CertificationRun, RunStatus


def runs_for_partner(*, partner: Partner) -> QuerySet[CertificationRun]:
    return CertificationRun.objects.filter(partner=partner).order_by("-created_at")


def run_for_partner(*, partner: Partner, run_id) -> CertificationRun | None:
    try:
        return CertificationRun.objects.filter(partner=partner, pk=run_id).first()
    except (ValueError, TypeError, ValidationError):
        return None


def recent_runs_for_partner(*, partner: Partner, limit: int = 20) -> list[CertificationRun]:
    """The partner's newest runs (the portal's overview and certification page)."""
    return list(runs_for_partner(partner=partner).select_related("ext_client")[:limit])


@dataclass(frozen=True)
class Targets:
    """What a partner can certify: its IGSP hooks (when it has a hooks URL) and its ExtCIDs (active first)."""

    igsp: bool
    ext_cids: list[str]

    @property
    def protocols(self) -> list[str]:
        return (["igsp"] if self.igsp else []) + (["public_api"] if self.ext_cids else [])


def certifiable_targets(*, partner: Partner) -> Targets:
    ext_cids = list(
        ExtClient.objects.filter(partner=partner).order_by("-is_active", "ext_cid").values_list("ext_cid", flat=True)
    )
    return Targets(igsp=bool(partner.igsp_hooks_url), ext_cids=ext_cids)


def passing_full_run(*, partner: Partner, protocol: str, ext_client=None, version: str | None = None):
    """The newest passing full run (every case group) of code ``version`` (None: of any version), or None."""
    qs = CertificationRun.objects.filter(partner=partner, protocol=protocol, status=RunStatus.PASSED, groups=[])
    if version is not None:
        qs = qs.filter(hub_version=version)
    if ext_client is not None:
        qs = qs.filter(ext_client=ext_client)
    return qs.order_by("-finished_at").first()


# --------------------------------------------------------------- reports --


@dataclass(frozen=True)
class GroupSummary:
    """One case group of a run: ``passed`` and ``failed`` of ``total`` cases (the rest not run yet, or never)."""

    group: str
    total: int
    passed: int
    failed: int

    @property
    def pending(self) -> int:
        return max(0, self.total - self.passed - self.failed)

    @property
    def state(self) -> str:
        """fail (a case failed) | pass (every case passed) | pending (cases still to run, or never run)."""
        if self.failed:
            return "fail"
        return "pass" if self.total and self.passed == self.total else "pending"


@dataclass(frozen=True)
class RunReport:
    run: CertificationRun
    groups: list[GroupSummary]  # failing groups first, then the unfinished, then the passing; each in runner order
    failures: list[CaseResult]  # in the order they ran
    passes: list[CaseResult]

    @property
    def failing_groups(self) -> list[GroupSummary]:
        return [g for g in self.groups if g.state == "fail"]


_STATE_ORDER = {"fail": 0, "pending": 1, "pass": 2}


def run_report(*, run: CertificationRun) -> RunReport:
    """The run's results by group. A finished run with results counts what it ran (its own code's cases); a run
    still queued or running, or one that ran nothing (an error), counts the cases it plans to run."""
    results = list(run.results.all())
    ran = Counter(r.group for r in results)
    passed = Counter(r.group for r in results if r.passed)
    if run.finished and results:
        totals = dict(ran)
    else:
        totals = Counter(c.group for c in cases_for(run.protocol, run.groups or None))
        for group, n in ran.items():  # a case of older code than the runner's current list
            totals[group] = max(totals.get(group, 0), n)
    order = {g: i for i, g in enumerate(GROUPS)}
    summaries = [
        GroupSummary(group=g, total=n, passed=passed[g], failed=ran[g] - passed[g]) for g, n in totals.items() if n
    ]
    summaries.sort(key=lambda s: (_STATE_ORDER[s.state], order.get(s.group, len(order)), s.group))
    return RunReport(
        run=run,
        groups=summaries,
        failures=[r for r in results if not r.passed],
        passes=[r for r in results if r.passed],
    )


# ------------------------------------------------------ the dashboard's view --

FINISHED = (RunStatus.PASSED, RunStatus.FAILED, RunStatus.ERROR)


def failing_certifications(*, partners: Iterable[Partner]) -> dict[Any, list[CertificationRun]]:
    """Partner pk → the newest finished run of each target (IGSP, each ExtCID) that failed or errored: the partners
    failing certification on the operations dashboard. A later passing run of the same target clears it (as it
    resolves the alert). Partners with no failing target are left out."""
    ids = [p.pk for p in partners]
    if not ids:
        return {}
    newest = (
        CertificationRun.objects.filter(partner_id__in=ids, status__in=FINISHED, finished_at__isnull=False)
        .values("partner_id", "protocol", "ext_client_id")
        .annotate(last=Max("finished_at"))
        .order_by()
    )
    match = Q(pk__in=[])
    for row in newest:
        match |= Q(
            partner_id=row["partner_id"],
            protocol=row["protocol"],
            finished_at=row["last"],
            **(
                {"ext_client__isnull": True}
                if row["ext_client_id"] is None
                else {"ext_client_id": row["ext_client_id"]}
            ),
        )
    out: dict[Any, list[CertificationRun]] = {}
    runs = CertificationRun.objects.filter(match, status__in=(RunStatus.FAILED, RunStatus.ERROR))
    for run in runs.select_related("ext_client").order_by("partner_id", "protocol", "-created_at"):
        out.setdefault(run.partner_id, []).append(run)
    return out
