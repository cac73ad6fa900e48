"""A partner certifies its wallet alone, in Debian's Chromium: from its portal it starts a run, watches the page
refresh while a worker runs it, and reads the report (the summary per group first, the failure with its fix, the
passes folded) and the printable page; nothing the portal's CSP refuses, no console error. Screenshots in
test-artifacts/."""

from __future__ import annotations

from unittest import mock

from django.conf import settings as dj_settings

from certification import tasks
from certification.models import CertificationRun, RunStatus
from portal import services as portal_services
from tests.certification.conftest import PLAYER, cert  # noqa: F401
from tests.pages.browser.conftest import DESKTOP, Watched, chromium, needs_chromium, screenshot  # noqa: F401

pytestmark = needs_chromium


def test_partner_starts_watches_and_reads_a_certification_run_in_the_portal(chromium, cert, live_hub):  # noqa: F811
    issued = portal_services.portal_link_issue(partner=cert.partner, actor="test", label="dev")
    context = chromium.new_context(**DESKTOP)
    context.set_default_timeout(15_000)
    try:
        watched = Watched(context.new_page(), live_hub.url)
        page = watched.page
        page.goto(issued.url.replace(dj_settings.HUB_PUBLIC_URL, live_hub.url))
        page.wait_for_url(f"{live_hub.url}/portal/")
        page.click("#certification-start-link")
        page.wait_for_url(f"{live_hub.url}/portal/certification")
        page.select_option("#id_protocol", "igsp")
        page.fill("#id_player_id", PLAYER)
        page.click("#certification-form details.groups summary")
        for group in ("balance", "idempotency"):
            page.check(f"input[name=groups][value={group}]")
        screenshot(page, "portal-certification-start.png")
        with mock.patch("certification.services.publish") as publish:
            page.click("#certification-submit")
            page.wait_for_selector("#run-refreshing")
        run = CertificationRun.objects.get(partner=cert.partner)
        publish.assert_called_once_with("certification.execute_run", str(run.pk))
        assert page.url == f"{live_hub.url}/portal/certification/{run.pk}"
        assert page.locator("#run-state").inner_text() == "queued"
        screenshot(page, "portal-certification-queued.png")

        cert.sandbox.set_faults(cert.slug, {"win": {"double_credit": True}}, seed=1)  # credits a repeated win twice
        tasks.execute_run(str(run.pk))  # the worker, while the page keeps refreshing itself
        run.refresh_from_db()
        assert run.status == RunStatus.FAILED
        page.wait_for_selector("#run-state:text-is('failed')")  # the page saw the end by itself
        assert page.locator("#run-refreshing").count() == 0

        first = page.locator("#cert-summary .cert-group").first
        assert first.get_attribute("data-group") == "idempotency"
        assert "fail" in first.get_attribute("class")
        assert "idempotency" in page.locator("#cert-summary").inner_text()
        failure = run.results.filter(passed=False).first()
        card = page.locator(f"#case-{failure.case_id}")
        assert card.is_visible()
        assert failure.fix in card.locator(".cert-fix").inner_text()
        assert not page.locator("#cert-passes").evaluate("d => d.open")  # passes folded
        assert not page.locator("#cert-passes table").is_visible()
        screenshot(page, "portal-certification-run.png")

        page.goto(f"{live_hub.url}/portal/certification/{run.pk}/print")
        assert page.locator("#cert-summary .cert-group").first.get_attribute("data-group") == "idempotency"
        assert page.locator("#cert-passes table").is_visible()  # printed: every case, nothing folded
        screenshot(page, "portal-certification-print.png")
        watched.check()
    finally:
        context.close()
