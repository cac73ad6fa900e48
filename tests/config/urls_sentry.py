"""Test-only URLconf for the error-tracking tests (tests/config/test_sentry.py): a plain view that fails with secrets
in its request, its locals, a log line before it fails and its exception's message; the hub's own URLs besides."""

import json
import logging

from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from config.urls import handler400, handler403, handler404, handler500  # noqa: F401 - the root's handlers

logger = logging.getLogger("tests.sentry")


@csrf_exempt
def wallet_boom(request):
    payload = json.loads(request.body)
    secret = payload["secret"]
    session_key = payload["sessionKey"]
    logger.warning("calling the wallet for %s with secret=%s", session_key, secret)  # a breadcrumb
    raise RuntimeError(f"the wallet refused {session_key} signed with secret={secret}")


urlpatterns = [
    path("igsp/v1/test-sentry-boom", wallet_boom),
    path("", include("config.urls")),
]
