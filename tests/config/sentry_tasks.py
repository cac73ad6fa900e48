"""A Celery task that fails with secrets in its arguments, locals, a log line and its exception's message
(tests/config/test_sentry.py; the real worker imports it through tests/config/sentry_worker_settings.py)."""

import logging

from celery import shared_task

logger = logging.getLogger("tests.sentry")


@shared_task(name="tests.sentry_boom", ignore_result=True)
def sentry_boom(partner_secret: str, session_key: str, api_key: str, portal_link: str) -> None:
    token = portal_link.rsplit("/", 1)[-1]
    call = {"apiKey": api_key, "secret": partner_secret}
    logger.warning("delivering to %s for %s with %s", portal_link, session_key, call)  # a breadcrumb
    try:
        raise LookupError(f"no wallet answer for {session_key}")
    except LookupError:
        logger.exception("the wallet's answer for %s is unreadable", session_key)  # an error logged, not raised
    raise RuntimeError(f"delivery failed for {session_key} key {api_key} secret {partner_secret} token {token}")
