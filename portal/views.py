"""The partner portal's pages (read-only but for "retry now" and "start a certification run"): thin views over
``portal.selectors`` and ``certification.selectors``, writes through ``portal.services``.

A magic link is ``/portal/enter#<token>``: the token is in the fragment, which the browser never sends, so no
access log, proxy or ``Referer`` sees it. The page at ``/portal/enter`` posts it (its script reads the fragment
and removes it from the address bar; without scripts the user pastes it into the form); the POST checks the
link, remembers it in the session (a new session key) and redirects to ``/portal/``. Links of the old shape
(``/portal/enter/<token>``) are refused without being looked at: their token has been in a URL. Every page checks
the link again (revoked, expired or its partner suspended → 403 at the next click). Every read is scoped to the
link's partner: another partner's delivery or certification run is a 404.

Certification (``/portal/certification``): the partner starts a run against its own wallet (the admin's and the
API's ``run_start``: one active run per protocol, the daily allowance, declared test players once live; refusals
are shown on the page with their status, 409/429/403/400), watches it (the run page refreshes itself while the run
is queued or running) and reads the same report and printable page its account manager sees.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from functools import wraps

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.dateparse import parse_datetime
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from certification import reports as certification_reports
from certification import selectors as certification_selectors
from contractwatch import selectors as contractwatch_selectors
from core.errors import ApplicationError, NotFound
from core.net import client_ip
from core.ratelimit import rate_hit
from tenants.models import PartnerStatus

from . import selectors, services
from .forms import PortalCertifyForm

SESSION_KEY = "hub_portal_link"
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def _secure(response):
    response["Content-Security-Policy"] = POLICY
    # No referrer to other sites; our own forms need one: under no-referrer Chromium posts them with "Origin: null",
    # which Django's CSRF check refuses (the portal's paths carry no token: the link's is in the fragment).
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"
    return response


def _denied(request, *, status: int = 403, retired: bool = False):
    html = render_to_string("portal/denied.html", {"retired": retired}, request=request)
    return _secure(HttpResponseForbidden(html) if status == 403 else HttpResponse(html, status=status))


def portal_view(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        link = selectors.portal_link_valid(request.session.get(SESSION_KEY))
        if link is None:
            request.session.pop(SESSION_KEY, None)
            return _denied(request)
        wait = rate_hit("portal", str(link.partner_id), settings.HUB_PORTAL_RATE)
        if wait is not None:  # the partner's pages, whoever opens them (HUB_PORTAL_RATE)
            refused = HttpResponse(
                "Too many requests: try again in a moment.", status=429, content_type="text/plain; charset=utf-8"
            )
            refused["Retry-After"] = str(wait)
            return _secure(refused)
        request.portal_link = link
        return _secure(view(request, link.partner, *args, **kwargs))

    return never_cache(wrapper)


@require_http_methods(["GET", "HEAD", "POST"])
@ensure_csrf_cookie
@never_cache
def enter(request):
    if request.method != "POST":
        return _secure(render(request, "portal/enter.html"))
    link = services.portal_link_open(token=request.POST.get("token", "").strip(), client_ip=client_ip(request) or "")
    if link is None:
        return _denied(request)
    request.session.cycle_key()
    request.session[SESSION_KEY] = str(link.pk)
    return _secure(redirect("portal:home"))


@require_safe
@never_cache
def enter_retired(request, token: str):
    """A link of the old shape (its token in the path, so in some access log): refused, whatever the token."""
    return _denied(request, status=410, retired=True)


@require_POST
def leave(request):
    request.session.pop(SESSION_KEY, None)
    return _secure(HttpResponse(render_to_string("portal/denied.html", request=request)))


@require_safe
@portal_view
def home(request, partner):
    return _home_page(request, partner)


def _uuid_or_blank(value: str) -> str:
    """The "retry requested" notice echoes a transaction id from the address, never any other text of it."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return ""


def _home_page(request, partner, *, refusal: ApplicationError | None = None, status: int = 200):
    """The portal's home page; with ``refusal``, a "retry now" refused, shown above the stuck deliveries and
    answered with its status (and ``Retry-After`` when it has one)."""
    health = selectors.endpoint_health_windows(partner=partner)
    response = render(
        request,
        "portal/home.html",
        {
            "partner": partner,
            "link": request.portal_link,
            "breaker": selectors.breaker_status(partner=partner),
            "health": health,
            "health_series": {name: h["series"] for name, h in health.items()},
            "contract": contractwatch_selectors.contract_watch_for(partner=partner),
            "stuck": list(selectors.stuck_deliveries_for(partner=partner).order_by("created_at")[:100]),
            "keys": selectors.keys_for(partner=partner),
            "certification_runs": certification_selectors.recent_runs_for_partner(partner=partner, limit=5),
            "retried": _uuid_or_blank(request.GET.get("retried", "")),
            "refusal": refusal,
        },
        status=status,
    )
    if refusal is not None and refusal.retry_after:
        response["Retry-After"] = str(refusal.retry_after)
    return response


def _before(value: str) -> datetime | None:
    try:
        parsed = parse_datetime(value or "")
    except ValueError:
        return None
    return parsed if parsed is not None and parsed.tzinfo is not None else None


@require_safe
@portal_view
def log(request, partner):
    q = request.GET.get("q", "")
    kind = request.GET.get("kind", "")
    if kind not in ("", "bet", "win", "refund", "balance"):
        kind = ""
    page = selectors.delivery_log(partner=partner, q=q, kind=kind, before=_before(request.GET.get("before", "")))
    return render(
        request,
        "portal/log.html",
        {"partner": partner, "link": request.portal_link, "page": page, "q": q, "kind": kind},
    )


@require_safe
@portal_view
def log_entry(request, partner, source: str, pk: int):
    entry = selectors.delivery_log_entry(partner=partner, source=source, pk=pk)
    if entry is None:
        raise Http404("No such call.")
    return render(
        request,
        "portal/entry.html",
        {
            "partner": partner,
            "link": request.portal_link,
            "entry": entry,
            "source": source,
            "request_json": json.dumps(entry.request, indent=2) if entry.request else "(not recorded)",
            "response_json": json.dumps(entry.response_body, indent=2) if entry.response_body else "(no answer body)",
        },
    )


@require_POST
@portal_view
def retry(request, partner, tx_id):
    try:
        services.portal_retry_now(link=request.portal_link, tx_id=tx_id)
    except NotFound as exc:
        raise Http404("No such stuck delivery.") from exc
    except ApplicationError as exc:  # being sent right now (409), or retried a moment ago (429): on the page
        return _home_page(request, partner, refusal=exc, status=exc.status_code)
    return redirect(f"/portal/?retried={tx_id}")


# ---------------------------------------------------------- certification --

REFRESH_SECONDS = 3  # the run page reloads itself this often while the run is queued or running


def _certification_page(request, partner, form=None, *, refusal: ApplicationError | None = None, status: int = 200):
    targets = certification_selectors.certifiable_targets(partner=partner)
    if form is None:
        form = PortalCertifyForm(partner=partner, targets=targets)
    response = render(
        request,
        "portal/certification.html",
        {
            "partner": partner,
            "link": request.portal_link,
            "form": form,
            "targets": targets,
            "refusal": refusal,
            "runs": certification_selectors.recent_runs_for_partner(partner=partner),
            "test_players": partner.certification_test_players or [],
            "live": partner.status != PartnerStatus.ONBOARDING,
        },
        status=status,
    )
    if refusal is not None and refusal.retry_after:
        response["Retry-After"] = str(refusal.retry_after)
    return response


@require_safe
@portal_view
def certification(request, partner):
    return _certification_page(request, partner)


@require_POST
@portal_view
def certification_start(request, partner):
    targets = certification_selectors.certifiable_targets(partner=partner)
    form = PortalCertifyForm(request.POST, partner=partner, targets=targets)
    if not form.is_valid():
        return _certification_page(request, partner, form, status=400)
    try:
        run = services.portal_certification_start(link=request.portal_link, **form.cleaned_data)
    except ApplicationError as exc:  # a run still active (409), the day's allowance spent (429), not a test player
        return _certification_page(request, partner, form, refusal=exc, status=exc.status_code)
    return redirect("portal:certification-run", run.pk)


def _run(partner, run_id):
    run = certification_selectors.run_for_partner(partner=partner, run_id=run_id)
    if run is None:
        raise Http404("No such certification run.")
    return run


@require_safe
@portal_view
def certification_run(request, partner, run_id):
    run = _run(partner, run_id)
    return render(
        request,
        "portal/certification_run.html",
        {
            "partner": partner,
            "link": request.portal_link,
            "run": run,
            "report": certification_selectors.run_report(run=run),
            "refresh_seconds": REFRESH_SECONDS,
        },
    )


@require_safe
@portal_view
def certification_run_print(request, partner, run_id):
    run = _run(partner, run_id)
    return render(
        request, "certification/print.html", {"run": run, "report": certification_selectors.run_report(run=run)}
    )


@require_safe
@portal_view
def certification_run_json(request, partner, run_id):
    run = _run(partner, run_id)
    body = json.dumps(certification_reports.run_document(run), indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="certification-{partner.slug}-{run.pk}.json"'
    return response
