"""Optional error tracking with Sentry: on only when ``SENTRY_DSN`` is set (docs/operations.md, "Error tracking").

:func:`init_from_settings` runs once Django's settings are final (``core.apps``: every process that sets Django up,
the web, ``manage.py``, the Celery worker and beat) and again on Celery's ``worker_init`` (``config.celery``); it is
idempotent and does nothing without a DSN (the SDK is not even imported). It starts ``sentry-sdk`` with its Django
and Celery integrations, ``release`` = the hub's version (``certification.version.hub_version``: the version a
certification run certifies), ``environment`` = ``SENTRY_ENVIRONMENT``, no personal data (``send_default_pii``
off), no tracing unless ``SENTRY_TRACES_SAMPLE_RATE`` > 0, no trace headers on the calls to partners' wallets, and
the frames' local variables only with ``SENTRY_LOCAL_VARIABLES``.

Nothing leaves unredacted: every event (and transaction) passes :func:`before_send` (breadcrumbs leave only inside
an event), which applies the logs' redaction (``core.logging.redact_text``) to every string of it (exception
values, messages and their parameters, breadcrumbs, the request's URL, query, body and headers, extra data, the
Celery task's arguments, frames' variables and source lines), replaces the value of every key named like a secret
(``secret``, ``api_key``, ``token``, ``signature``, ``password``…), and drops the request headers that carry
credentials (:data:`DROPPED_HEADERS`) and its cookies. Only Sentry's own identifiers (event, trace and span ids,
the release, the SDK and module list) are left as they are: the redaction would take a 32-digit trace id for a
signature.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, cast

from core.logging import REDACTED, is_sensitive_key, redact_text

if TYPE_CHECKING:  # the SDK is imported only when a DSN is set
    from sentry_sdk.types import Event, Hint

# Request headers that carry a credential or a signature (lower case): dropped from events and breadcrumbs.
DROPPED_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-request-sign",
        "x-signature",
        "x-hub-signature",
        "x-casino-key",
        "x-admin-key",
        "x-sandbox-token",
        "x-csrftoken",
        "x-api-key",
    }
)
# Sentry's own fields, kept as they are (a trace id is 32 hex digits, a release may be a 40-digit commit).
_KEPT_TOP_LEVEL = frozenset(
    {"event_id", "timestamp", "start_timestamp", "release", "dist", "environment", "platform", "level", "sdk"}
    | {"modules", "type", "server_name", "transaction_info"}
)
_KEPT_IDS = frozenset({"event_id", "trace_id", "span_id", "parent_span_id", "segment_id", "profile_id"})

_configured: tuple | None = None


def _scrub(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if depth > 64:  # Sentry's serializer bounds the depth long before
        return REDACTED
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            name = redact_text(key) if isinstance(key, str) else key
            if isinstance(key, str) and key in _KEPT_IDS and isinstance(item, str):
                out[name] = item
            elif isinstance(key, str) and is_sensitive_key(key):
                out[name] = REDACTED
            elif key == "headers" and isinstance(item, dict):
                out[name] = _scrub(_drop_headers(item), depth + 1)
            else:
                out[name] = _scrub(item, depth + 1)
        return out
    if isinstance(value, (list, tuple)):
        return [_scrub(item, depth + 1) for item in value]
    return value


def _drop_headers(headers: dict) -> dict:
    return {k: v for k, v in headers.items() if not (isinstance(k, str) and k.lower() in DROPPED_HEADERS)}


def before_send(event: Event, hint: Hint | None = None) -> Event:
    """The event with every string redacted as the logs are, credential headers and cookies dropped."""
    request = event.get("request")
    if isinstance(request, dict):
        request.pop("cookies", None)
    return cast("Event", {key: (value if key in _KEPT_TOP_LEVEL else _scrub(value)) for key, value in event.items()})


def before_breadcrumb(crumb: dict, hint: dict | None = None) -> dict:
    """A breadcrumb as it is recorded (a log line, a query, an outbound call): its credential headers dropped.

    Its strings are redacted when it leaves, with the event it belongs to (:func:`before_send` walks the event's
    breadcrumbs; a breadcrumb never leaves on its own). Redacting here would run the eight patterns over every SQL
    statement of every request (several per bet) for the rare event."""
    data = crumb.get("data")
    if isinstance(data, dict) and isinstance(data.get("headers"), dict):
        data["headers"] = _drop_headers(data["headers"])
    return crumb


def init(
    *,
    dsn: str,
    environment: str,
    release: str,
    traces_sample_rate: float = 0.0,
    local_variables: bool = False,
) -> bool:
    """Start Sentry (True) unless ``dsn`` is empty (False: nothing is started). The same arguments twice: once."""
    global _configured
    if not dsn:
        return False
    import sentry_sdk  # only here: without a DSN the SDK is not even imported
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration

    wanted = (dsn, environment, release, traces_sample_rate, local_variables)
    if _configured == wanted and sentry_sdk.get_client().is_active():
        return True
    sentry_sdk.init(
        dsn=dsn,
        release=release or None,
        environment=environment or None,
        # Log records at INFO and above are breadcrumbs; at ERROR and above events, through attach_log_handler's
        # handler (the integration's own would see them only after the hub's log filter dropped their traceback).
        integrations=[
            DjangoIntegration(),
            CeleryIntegration(),
            LoggingIntegration(level=logging.INFO, event_level=None),
        ],
        # No personal data (users, cookies, client addresses, SQL parameters): send_default_pii stays at its
        # default, off (sentry-sdk 2.75 warns when it is passed at all: data_collection supersedes it).
        # Off unless asked for: a sampled share of requests and tasks as transactions.
        traces_sample_rate=traces_sample_rate if traces_sample_rate > 0 else None,
        # No sentry-trace / baggage headers on outbound calls: they go to partners' wallets.
        trace_propagation_targets=[],
        include_local_variables=local_variables,
        before_send=before_send,
        before_send_transaction=before_send,
        before_breadcrumb=before_breadcrumb,
        enable_logs=False,
    )
    _configured = wanted
    attach_log_handler()
    return True


def attach_log_handler() -> None:
    """Sentry's event handler first among the root logger's handlers (once), so that an error logged with its
    exception (the DRF handler's "unhandled error in …", Django's "Internal Server Error") arrives with its
    traceback: the hub's handler redacts a record in place and drops its ``exc_info`` (``core.logging``), and
    Sentry's logging integration looks at a record only after every handler. Celery's worker replaces the root
    logger's handlers when it sets up its logging: ``config.celery`` calls this again then."""
    if _configured is None:
        return
    from sentry_sdk.integrations.logging import EventHandler

    root = logging.getLogger()
    if not any(isinstance(handler, EventHandler) for handler in root.handlers):
        root.handlers.insert(0, EventHandler(level=logging.ERROR))


def init_from_settings() -> bool:
    """:func:`init` from the ``SENTRY_*`` settings; False (and nothing started) when ``SENTRY_DSN`` is unset."""
    from django.conf import settings

    dsn = getattr(settings, "SENTRY_DSN", "")
    if not dsn:
        return False
    from certification.version import hub_version

    return init(
        dsn=dsn,
        environment=settings.SENTRY_ENVIRONMENT,
        release=hub_version(),
        traces_sample_rate=settings.SENTRY_TRACES_SAMPLE_RATE,
        local_variables=settings.SENTRY_LOCAL_VARIABLES,
    )


def close() -> None:
    """Flush and stop the client (tests; a process that reconfigures it): the next :func:`init` starts afresh."""
    global _configured
    import sentry_sdk

    client = sentry_sdk.get_client()
    if client.is_active():
        client.flush(timeout=5)
        client.close()
    from sentry_sdk.integrations.logging import EventHandler

    root = logging.getLogger()
    root.handlers = [handler for handler in root.handlers if not isinstance(handler, EventHandler)]
    sentry_sdk.get_global_scope().set_client(None)  # no client: the integrations' hooks stay and do nothing
    _configured = None
