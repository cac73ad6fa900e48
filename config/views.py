"""Operational endpoints (liveness, readiness, metrics) and the error handlers of the root URLconf."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from core.api.exceptions import render_error
from core.errors import INTERNAL_ERROR_MESSAGE
from wallet.metrics import hub_metrics_snapshot


@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


def _check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        return type(exc).__name__


def _check_broker() -> str | None:
    from kombu import Connection

    try:
        with Connection(
            settings.CELERY_BROKER_URL, connect_timeout=2, transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS
        ) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return None
    except Exception as exc:  # noqa: BLE001
        return type(exc).__name__


@require_GET
def readyz(request):
    checks = {"database": _check_database(), "broker": _check_broker()}
    ready = all(v is None for v in checks.values())
    body = {
        "status": "ready" if ready else "not ready",
        "checks": {name: ("ok" if err is None else f"error: {err}") for name, err in checks.items()},
        "broker": settings.CELERY_BROKER_URL.split("://", 1)[0],
    }
    return JsonResponse(body, status=200 if ready else 503)


def _authorized(request: HttpRequest, token: str) -> bool:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    return scheme.lower() == "bearer" and secrets.compare_digest(value.strip().encode(), token.encode())


def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus scrapes: the hub's database-backed figures (``wallet/metrics.py``), then this process's own.

    When ``HUB_METRICS_TOKEN`` is set, a scrape must send ``Authorization: Bearer <token>`` (compared in
    constant time); under production settings /metrics answers 403 until the token is set."""
    token = settings.HUB_METRICS_TOKEN
    if not token and settings.HUB_PRODUCTION:
        return HttpResponse(
            "Forbidden: /metrics is disabled until HUB_METRICS_TOKEN is set.\n", status=403, content_type="text/plain"
        )
    if token and not _authorized(request, token):
        response = HttpResponse("Unauthorized\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    # The hub's database-backed metrics (a cached snapshot), then this process's own (default registry) metrics.
    body = hub_metrics_snapshot() + generate_latest(REGISTRY)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)


# --- Error handlers (handler400/403/404/500 of config.urls) ------------------------------------
# Django renders these for errors outside DRF views (an unknown path, a middleware failure, a plain view's
# bug). Partners' paths answer in their protocol's JSON shape; the admin and the pages keep Django's HTML.


def _error_style(request) -> str | None:
    path = request.path_info
    if path.startswith("/api/"):
        return "public_api"
    if path.startswith("/igsp/"):
        return "igsp"
    if path in ("/healthz", "/readyz", "/metrics"):
        return "hub"
    return None


def _json_error(request, status: int, message: str, fallback, *args):
    style = _error_style(request)
    if style is None:
        return fallback(request, *args)
    return JsonResponse(render_error(style, status, message), status=status)


def bad_request(request, exception):
    return _json_error(request, 400, "Bad request.", defaults.bad_request, exception)


def permission_denied(request, exception):
    return _json_error(request, 403, "Forbidden.", defaults.permission_denied, exception)


def page_not_found(request, exception):
    return _json_error(request, 404, "Not found.", defaults.page_not_found, exception)


def server_error(request):
    return _json_error(request, 500, INTERNAL_ERROR_MESSAGE, defaults.server_error)
