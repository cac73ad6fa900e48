"""The partner portal's pages (read-only but for "retry now"): thin views over ``portal.selectors``.

A magic link is ``/portal/enter#<token>``: the token is in the fragment, which the browser never sends, so no
access log, proxy or ``Referer`` sees it. The page at ``/portal/enter`` posts it (its script reads the fragment
and removes it from the address bar; without scripts the user pastes it into the form); the POST checks the
link, remembers it in the session (a new session key) and redirects to ``/portal/``. Links of the old shape
(``/portal/enter/<token>``) are refused without being looked at: their token has been in a URL. Every page checks
the link again (revoked, expired or its partner suspended → 403 at the next click). Every read is scoped to the
link's partner.
"""

from __future__ import annotations

import json
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

from core.errors import ApplicationError, NotFound
from core.net import client_ip
from core.ratelimit import rate_hit

from . import selectors, services

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
    health = selectors.endpoint_health_windows(partner=partner)
    return render(
        request,
        "portal/home.html",
        {
            "partner": partner,
            "link": request.portal_link,
            "breaker": selectors.breaker_status(partner=partner),
            "health": health,
            "health_series": {name: h["series"] for name, h in health.items()},
            "stuck": list(selectors.stuck_deliveries_for(partner=partner).order_by("created_at")[:100]),
            "keys": selectors.keys_for(partner=partner),
            "certification_runs": selectors.certification_runs(partner=partner),
            "retried": request.GET.get("retried", ""),
        },
    )


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
    except ApplicationError as exc:  # being sent right now (409), or retried a moment ago (429)
        refused = HttpResponse(exc.message, status=exc.status_code, content_type="text/plain; charset=utf-8")
        if exc.retry_after:
            refused["Retry-After"] = str(exc.retry_after)
        return refused
    return redirect(f"/portal/?retried={tx_id}")
