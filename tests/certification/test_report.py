"""A run's report as its readers read it (``certification.selectors.run_report``): a summary per case group at the
top, failing groups first (``idempotency 6/8``), every failure with its fix, the passes folded on the run pages and
listed on the printable page. The admin's run page and printable page show it (the portal's: tests/portal/)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from certification import selectors
from certification.cases import cases_for
from certification.models import CaseResult, CertificationRun, RunStatus

pytestmark = pytest.mark.django_db

FAILING = ("idem_win_twice", "idem_refund_twice")


def stored_run(partner, *, groups=("signature", "idempotency"), failing=FAILING, status=RunStatus.FAILED):
    """A finished IGSP run of the runner's real cases of ``groups``, the ``failing`` ones failed (the real runs are
    proven in test_runner.py: this is about how their results read)."""
    cases = cases_for("igsp", list(groups))
    run = CertificationRun.objects.create(
        partner=partner,
        protocol="igsp",
        currency="USD",
        target_url="http://wallet.test/hooks",
        player_id="cert-player",
        hub_version="v1",
        groups=list(groups),
        status=status,
        total=len(cases),
        done=len(cases),
        finished_at=timezone.now(),
    )
    for seq, case in enumerate(cases, 1):
        passed = case.id not in failing
        CaseResult.objects.create(
            run=run,
            seq=seq,
            case_id=case.id,
            group=case.group,
            title=case.title,
            passed=passed,
            expected="credited once",
            actual="ok" if passed else "credited twice",
            fix="" if passed else case.fix,
        )
    run.passed_count = run.results.filter(passed=True).count()
    run.failed_count = run.results.filter(passed=False).count()
    run.save()
    return run


def counts(group: str) -> tuple[int, int]:
    cases = [c for c in cases_for("igsp", [group])]
    return sum(1 for c in cases if c.id not in FAILING), len(cases)


def test_the_summary_counts_each_group_and_puts_the_failing_groups_first(igsp_partner):
    assert set(FAILING) <= {c.id for c in cases_for("igsp", ["idempotency"])}  # the cases this test fails exist
    run = stored_run(igsp_partner)
    report = selectors.run_report(run=run)
    idem_passed, idem_total = counts("idempotency")
    sig_passed, sig_total = counts("signature")
    assert [(g.group, g.passed, g.total, g.state) for g in report.groups] == [
        ("idempotency", idem_passed, idem_total, "fail"),  # after the signature group in the runner, first here
        ("signature", sig_total, sig_total, "pass"),
    ]
    assert report.groups[0].failed == 2
    assert sig_passed == sig_total
    assert [r.case_id for r in report.failures] == [c.id for c in cases_for("igsp", ["idempotency"]) if c.id in FAILING]
    fixes = {c.id: c.fix for c in cases_for("igsp")}
    assert all(r.fix == fixes[r.case_id] and r.fix for r in report.failures)  # each failure with its fix
    assert len(report.passes) == run.passed_count
    assert all(r.passed for r in report.passes)


def test_a_queued_run_counts_the_cases_it_will_run_and_a_run_that_ran_nothing_shows_them_not_run(igsp_partner):
    run = CertificationRun.objects.create(
        partner=igsp_partner, protocol="igsp", currency="USD", target_url="x", hub_version="v1", groups=["balance"]
    )
    [group] = selectors.run_report(run=run).groups
    assert (group.group, group.passed, group.total, group.pending, group.state) == (
        "balance",
        0,
        len(cases_for("igsp", ["balance"])),
        len(cases_for("igsp", ["balance"])),
        "pending",
    )
    full = CertificationRun.objects.create(
        partner=igsp_partner, protocol="public_api", currency="USD", target_url="x", hub_version="v1"
    )
    summary = selectors.run_report(run=full).groups
    assert sum(g.total for g in summary) == len(cases_for("public_api"))
    assert len(summary) > 10

    CertificationRun.objects.filter(pk=run.pk).update(status=RunStatus.ERROR, finished_at=timezone.now())
    run.refresh_from_db()
    [group] = selectors.run_report(run=run).groups
    assert group.state == "pending"
    assert group.passed == 0
    assert group.total == group.pending > 0


def test_runs_are_read_per_partner(igsp_partner, public_partner):
    mine = stored_run(igsp_partner)
    theirs = stored_run(public_partner)
    assert selectors.run_for_partner(partner=igsp_partner, run_id=mine.pk) == mine
    assert selectors.run_for_partner(partner=igsp_partner, run_id=theirs.pk) is None
    assert selectors.run_for_partner(partner=igsp_partner, run_id="not-a-uuid") is None
    assert selectors.recent_runs_for_partner(partner=igsp_partner) == [mine]
    targets = selectors.certifiable_targets(partner=public_partner)
    assert targets.protocols == ["public_api"]
    assert targets.ext_cids == [public_partner.ext_clients.get().ext_cid]


def _between(html: str, start: str, end: str) -> str:
    return html[html.index(start) : html.index(end, html.index(start))]


def test_admin_run_page_opens_with_the_summary_then_the_failures_with_their_fix_then_the_passes_folded(
    igsp_partner, admin_client
):
    run = stored_run(igsp_partner)
    html = admin_client.get(reverse("admin:certification_run_report", args=[run.pk])).content.decode()
    idem_passed, idem_total = counts("idempotency")
    _, sig_total = counts("signature")
    summary = _between(html, 'id="cert-summary"', "</section>")
    groups = re.findall(r'data-group="(\w+)"><span class="cert-group-name">\w+</span> <b>(\d+/\d+)</b>', summary)
    assert groups == [("idempotency", f"{idem_passed}/{idem_total}"), ("signature", f"{sig_total}/{sig_total}")]
    assert html.index('id="cert-summary"') < html.index('id="cert-failures"') < html.index('id="cert-passes"')
    failures = _between(html, 'id="cert-failures"', "</section>")
    for case in cases_for("igsp", ["idempotency"]):
        if case.id in FAILING:
            assert case.id in failures
            assert f"<strong>How to fix:</strong> {case.fix}" in failures.replace("&#x27;", "'")
    assert '<details class="cert-passes" id="cert-passes">' in html
    passes = html[html.index('id="cert-passes"') :]  # the last part of the page
    assert "sig_" in passes
    assert not any(case_id in passes for case_id in FAILING)


def test_printable_page_has_the_summary_and_lists_every_case_unfolded(igsp_partner, admin_client):
    run = stored_run(igsp_partner)
    html = admin_client.get(reverse("admin:certification_run_print", args=[run.pk])).content.decode()
    assert html.index('id="cert-summary"') < html.index('id="cert-failures"') < html.index('id="cert-passes"')
    assert '<details class="cert-passes"' not in html  # a folded section does not print
    assert all(case.id in html for case in cases_for("igsp", ["signature", "idempotency"]))
    assert "<style" not in html
    assert "certification/print.css" in html  # one stylesheet, served under any CSP
