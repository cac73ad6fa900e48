"""Optional error tracking (config/sentry.py), end to end: Sentry's own client sends to a local HTTP receiver standing
in for the DSN's host (``http://public@127.0.0.1:<port>/1``), which records every envelope it is sent.

An unhandled error in a view served by the live server and one in a Celery task (on a real worker when a broker is
shared between processes, else through the Celery integration in this process) arrive as events with their
exception, and no secret put on purpose into the request (headers, query, body, cookies), the frames' locals, a
log line before the error, the task's arguments or the exception's message appears anywhere in the bytes received.
Without ``SENTRY_DSN`` nothing is started (the SDK is not even imported)."""

from __future__ import annotations

import gzip
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import uuid
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from config import sentry
from config.celery import app as celery_app
from core import signing
from tests.celery_workers import BROKER, delete_queue, reset_broker_pools, start_worker, wait_consuming

ROOT = Path(__file__).resolve().parents[2]


class Receiver:
    """A DSN host: records each envelope's (decompressed) bytes and answers 200 as Sentry does."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.paths: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                encoding = (self.headers.get("Content-Encoding") or "").lower()
                if encoding == "gzip":
                    raw = gzip.decompress(raw)
                elif encoding == "deflate":
                    raw = zlib.decompress(raw)
                elif encoding:
                    raise AssertionError(f"cannot read a {encoding} envelope")
                receiver.paths.append(self.path)
                receiver.bodies.append(raw)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.dsn = f"http://public@127.0.0.1:{self.server.server_address[1]}/1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def raw(self) -> bytes:
        return b"\n".join(self.bodies)

    def events(self) -> list[dict]:
        """Every item of type ``event`` in the envelopes received, its envelope header as ``_envelope``."""
        found = []
        for body in self.bodies:
            lines = body.split(b"\n")
            envelope = json.loads(lines[0])
            i = 1
            while i + 1 < len(lines):
                item = json.loads(lines[i])
                payload = lines[i + 1]
                if item.get("type") == "event":
                    found.append({**json.loads(payload), "_envelope": envelope})
                i += 2
        return found

    def count(self, exc_type: str) -> int:
        return sum(
            exc_type in [v.get("type") for v in event.get("exception", {}).get("values", [])] for event in self.events()
        )

    def wait_event(self, exc_type: str, timeout: float = 30.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in self.events():
                if exc_type in [v.get("type") for v in event.get("exception", {}).get("values", [])]:
                    return event
            time.sleep(0.1)
        raise AssertionError(f"no {exc_type} event arrived in {timeout:.0f}s: {self.raw[:2000]!r}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def tracking(receiver):
    """Sentry in this process (the live server's threads too), sending to the receiver, locals included."""
    assert sentry.init(dsn=receiver.dsn, environment="test", release="hub-test-1", local_variables=True)
    yield receiver
    sentry.close()


def assert_no_secret(raw: bytes, values: dict[str, str]) -> None:
    assert raw, "nothing was received"
    leaked = [name for name, value in values.items() if value.encode() in raw]
    assert not leaked, f"sent to Sentry: {leaked}"


def exception_of(event: dict, exc_type: str) -> dict:
    return next(v for v in event["exception"]["values"] if v["type"] == exc_type)


def frame_vars(exception: dict, function: str) -> dict:
    return next(f for f in exception["stacktrace"]["frames"] if f["function"] == function)["vars"]


def igsp_session_key() -> str:
    return "igsp_" + secrets.token_urlsafe(24)


def portal_token() -> str:
    return "hub_portal_" + secrets.token_urlsafe(24)


# ------------------------------------------------------------------------------------------------------- views --


@pytest.mark.django_db(transaction=True)
def test_an_unhandled_error_in_a_view_arrives_without_a_secret(tracking, live_server, settings, igsp_partner):
    settings.ROOT_URLCONF = "tests.config.urls_sentry"
    session_key, token, django_session = igsp_session_key(), portal_token(), secrets.token_hex(16)
    body = json.dumps({"sessionKey": session_key, "secret": igsp_partner.secret, "amount": "1.50"}).encode()
    headers = {
        **signing.igsp_headers(igsp_partner.api_key, igsp_partner.secret, body),  # Authorization, X-Signature
        "Content-Type": "application/json",
        "X-Casino-Key": igsp_partner.api_key,
        "X-Admin-Key": "test-admin-key",
        "Cookie": f"sessionid={django_session}; csrftoken={'c' * 32}",
        "Referer": f"https://hub.example/portal/enter/{token}",
    }
    resp = httpx.post(
        f"{live_server.url}/igsp/v1/test-sentry-boom?token={token}&round=r-1", content=body, headers=headers
    )
    assert resp.status_code == 500
    assert resp.json() == {"error": "internal_error", "message": "Internal server error.", "status": 500}
    sentry.close()  # flushes

    event = tracking.wait_event("RuntimeError", timeout=10)
    assert tracking.count("RuntimeError") == 1  # Django's signal and its "Internal Server Error" log line: one event
    assert event["release"] == "hub-test-1"
    assert event["environment"] == "test"
    assert event["event_id"] == event["_envelope"]["event_id"]
    assert len(event["event_id"]) == 32  # ids left whole
    exception = exception_of(event, "RuntimeError")
    assert exception["value"] == "the wallet refused [REDACTED] signed with secret=[REDACTED]"
    # The request is there, its credentials not: headers dropped, cookies gone, query and body redacted.
    request = event["request"]
    assert request["url"].endswith("/igsp/v1/test-sentry-boom")
    assert request["method"] == "POST"
    names = {name.lower() for name in request["headers"]}
    assert "x-timestamp" in names
    assert "referer" in names
    assert not names & {"authorization", "x-signature", "x-casino-key", "x-admin-key", "cookie"}
    assert "cookies" not in request
    assert "token=[REDACTED]" in request["query_string"]
    assert "round=r-1" in request["query_string"]
    assert request["data"]["amount"] == "1.50"
    assert request["data"]["secret"] == "[REDACTED]"
    # The frame's locals were sent (SENTRY_LOCAL_VARIABLES), redacted.
    local_vars = frame_vars(exception, "wallet_boom")
    assert local_vars["secret"] == "[REDACTED]"
    assert "[REDACTED]" in local_vars["session_key"]
    # The log line before the error is a breadcrumb, redacted too.
    crumbs = [c for c in event["breadcrumbs"]["values"] if c.get("category") == "tests.sentry"]
    assert crumbs
    assert all(session_key not in json.dumps(c) for c in crumbs)

    assert_no_secret(
        tracking.raw,
        {
            "IGSP secret": igsp_partner.secret,
            "IGSP API key": igsp_partner.api_key,
            "X-Signature": headers["X-Signature"],
            "session key": session_key,
            "portal token": token,
            "Django session": django_session,
            "admin key": "test-admin-key",
        },
    )


@pytest.mark.django_db(transaction=True)
def test_an_unhandled_error_in_the_core_api_arrives_without_a_secret(
    tracking, live_server, public_partner, monkeypatch
):
    api_key, integration_key = public_partner.api_key, public_partner.integration_key
    session_key = igsp_session_key()

    def boom(**kwargs):
        signing_key = api_key  # noqa: F841 - a local the event may carry
        wallet = {"integrationApiKey": integration_key, "url": "https://wallet.brand-one.example/api"}  # noqa: F841
        raise ConnectionError(f"database exploded for {session_key} after {integration_key}")

    monkeypatch.setattr("integration_hub.public_api.services.games_info_json", boom)
    query = {"cID": str(public_partner.pk), "extCID": public_partner.ext_cid}
    sig = signing.public_sign(api_key, signing.canonical_query(query))
    resp = httpx.get(f"{live_server.url}/api/v1/games", params=query, headers={"X-REQUEST-SIGN": sig})
    assert resp.status_code == 500
    assert resp.json() == {"message": "Internal server error."}
    sentry.close()

    event = tracking.wait_event("ConnectionError", timeout=10)  # logged by the DRF handler: the logging integration
    assert tracking.count("ConnectionError") == 1
    exception = exception_of(event, "ConnectionError")
    assert exception["value"] == "database exploded for [REDACTED] after [REDACTED]"
    assert "x-request-sign" not in {name.lower() for name in event["request"]["headers"]}
    local_vars = frame_vars(exception, "boom")
    assert "[REDACTED]" in local_vars["signing_key"]
    assert local_vars["wallet"]["integrationApiKey"] == "[REDACTED]"
    assert "wallet.brand-one.example" in local_vars["wallet"]["url"]
    assert_no_secret(
        tracking.raw,
        {
            "Core API key": api_key,
            "Integration API key": integration_key,
            "X-REQUEST-SIGN": sig,
            "session": session_key,
        },
    )


# ------------------------------------------------------------------------------------------------------- tasks --


def task_secrets() -> dict[str, str]:
    return {
        "partner_secret": secrets.token_hex(32),
        "session_key": igsp_session_key(),
        "api_key": "hub_core_" + secrets.token_urlsafe(36),
        "portal_link": f"https://hub.example/portal/enter/{portal_token()}",
    }


def assert_task_event(event: dict, values: dict[str, str]) -> None:
    exception = exception_of(event, "RuntimeError")
    assert exception["value"] == "delivery failed for [REDACTED] key [REDACTED] secret [REDACTED] token [REDACTED]"
    assert event["extra"]["celery-job"]["task_name"] == "tests.sentry_boom"  # the task's arguments, redacted
    local_vars = frame_vars(exception, "sentry_boom")
    assert local_vars["partner_secret"] == "[REDACTED]"
    assert local_vars["call"] == {"apiKey": "[REDACTED]", "secret": "[REDACTED]"}
    token = values["portal_link"].rsplit("/", 1)[-1]
    assert_no_secret(json.dumps(event).encode(), {**values, "token": token})


@pytest.mark.django_db
def test_an_unhandled_error_in_a_task_arrives_without_a_secret(tracking):
    from tests.config.sentry_tasks import sentry_boom

    values = task_secrets()
    result = sentry_boom.apply(kwargs=values)  # through Celery's tracer, which the integration wraps
    assert result.failed()
    sentry.close()
    assert_task_event(tracking.wait_event("RuntimeError", timeout=10), values)
    assert tracking.count("RuntimeError") == 1
    assert tracking.count("LookupError") == 1
    assert_no_secret(tracking.raw, {**values, "token": values["portal_link"].rsplit("/", 1)[-1]})


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not BROKER, reason="needs a broker shared between processes (CELERY_BROKER_URL=redis://…)")
def test_an_unhandled_error_on_a_real_worker_arrives_without_a_secret(receiver):
    queue = f"test-sentry-{uuid.uuid4().hex[:8]}"
    proc = start_worker(
        queue,
        BROKER,
        concurrency=1,
        env={
            "DJANGO_SETTINGS_MODULE": "tests.config.sentry_worker_settings",
            "SENTRY_DSN": receiver.dsn,
            "SENTRY_ENVIRONMENT": "worker-test",
            "SENTRY_LOCAL_VARIABLES": "1",
            "HUB_VERSION": "hub-worker-1",
        },
    )
    original = celery_app.conf.broker_url
    celery_app.conf.broker_url = BROKER
    reset_broker_pools()
    try:
        wait_consuming(proc, f"{queue}@{socket.gethostname()}")
        values = task_secrets()
        celery_app.send_task("tests.sentry_boom", kwargs=values, queue=queue)
        event = receiver.wait_event("RuntimeError", timeout=30)
        # An error the task logged with its exception: an event with its traceback, through the handler
        # config.celery puts back after the worker replaced the root logger's handlers.
        logged = receiver.wait_event("LookupError", timeout=10)
    finally:
        celery_app.conf.broker_url = original
        reset_broker_pools()
        proc.kill()
        proc.wait(timeout=10)
        delete_queue(BROKER, queue)
    worker_log = proc.stdout.read()
    assert event["release"] == "hub-worker-1"
    assert event["environment"] == "worker-test"
    assert_task_event(event, values)
    assert exception_of(logged, "LookupError")["value"] == "no wallet answer for [REDACTED]"
    assert logged["logentry"]["message"].startswith("the wallet's answer for")
    assert exception_of(logged, "LookupError")["stacktrace"]["frames"][-1]["function"] == "sentry_boom"
    assert_no_secret(receiver.raw, {**values, "token": values["portal_link"].rsplit("/", 1)[-1]})
    # The worker's own log lines (Celery's handlers) are redacted as the hub's are.
    assert b"delivering to https://hub.example/portal/enter/[REDACTED]" in worker_log, worker_log[-2000:]
    assert_no_secret(worker_log, {**values, "token": values["portal_link"].rsplit("/", 1)[-1]})


# -------------------------------------------------------------------------------------------------- off / once --

PROBE = (
    "import sys, django; django.setup(); print('sentry_sdk' in sys.modules);"
    "import sentry_sdk; c = sentry_sdk.get_client();"
    "print(c.is_active(), c.options.get('release'), c.options.get('environment'), sorted(c.integrations))"
)


def probe(**env: str) -> list[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings.dev", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.splitlines()


def test_without_a_dsn_nothing_is_started():
    imported, state = probe()
    assert imported == "False"  # the SDK is not even imported
    assert state.startswith("False ")


def test_with_a_dsn_every_process_that_sets_django_up_starts_it(receiver):
    imported, state = probe(SENTRY_DSN=receiver.dsn, HUB_VERSION="hub-9.9.9")
    assert imported == "True"
    active, release, environment, integrations = state.split(" ", 3)
    assert (active, release, environment) == ("True", "hub-9.9.9", "development")
    assert "'django'" in integrations
    assert "'celery'" in integrations


def test_under_production_settings_the_environment_is_production(receiver):
    production = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
        "HUB_FERNET_KEYS": "Q2hhbmdlTWVDaGFuZ2VNZUNoYW5nZU1lQ2hhbmdlTWU=",
        "DJANGO_ALLOWED_HOSTS": "hub.example.com",
        "HUB_ADMIN_API_KEY": "",
    }
    _, state = probe(**production, SENTRY_DSN=receiver.dsn, HUB_VERSION="v2")
    assert state.split(" ")[:3] == ["True", "v2", "production"]
    _, state = probe(**production, SENTRY_DSN=receiver.dsn, SENTRY_ENVIRONMENT="staging")
    assert state.split(" ")[2] == "staging"


def test_init_is_idempotent_and_off_without_a_dsn(receiver, settings):
    import sentry_sdk

    settings.SENTRY_DSN = ""
    assert sentry.init_from_settings() is False
    assert not sentry_sdk.get_client().is_active()
    settings.SENTRY_DSN = receiver.dsn
    try:
        assert sentry.init_from_settings() is True
        client = sentry_sdk.get_client()
        assert client.is_active()
        assert not sentry_sdk.scope.should_send_default_pii()
        assert sentry.init_from_settings() is True
        assert sentry_sdk.get_client() is client  # not started twice
    finally:
        sentry.close()
    assert not sentry_sdk.get_client().is_active()


def test_every_string_of_an_event_is_redacted_but_sentrys_own_ids():
    """What the end-to-end tests cannot reach on purpose: a breadcrumb the log filter never saw (an outbound
    call's URL, a query), nested extra data, and Sentry's 32-digit ids, which look like a signature."""
    session_key, signature = igsp_session_key(), secrets.token_hex(32)
    trace_id, commit = uuid.uuid4().hex, secrets.token_hex(20)
    crumb = {"category": "httplib", "data": {"url": f"https://wallet.example/bet?sign={signature}", "headers": {}}}
    crumb["data"]["headers"] = {"X-Signature": signature, "Accept": "application/json"}
    crumb = sentry.before_breadcrumb(crumb)
    assert crumb["data"]["headers"] == {"Accept": "application/json"}
    event = {
        "event_id": trace_id,
        "release": commit,
        "contexts": {"trace": {"trace_id": trace_id, "span_id": trace_id[:16]}},
        "breadcrumbs": {"values": [crumb, {"category": "query", "message": f"SELECT 1 WHERE k = '{session_key}'"}]},
        "extra": {"deep": [{"partner": {"igspSecretKey": "short", "note": f"sent {session_key}"}}]},
        "request": {"headers": {"Authorization": "Bearer x", "Cookie": "a=b", "Referer": "r"}, "cookies": {"a": "b"}},
    }
    scrubbed = sentry.before_send(event)
    assert scrubbed["event_id"] == trace_id
    assert scrubbed["release"] == commit
    assert scrubbed["contexts"]["trace"] == {"trace_id": trace_id, "span_id": trace_id[:16]}
    assert scrubbed["breadcrumbs"]["values"][0]["data"]["url"] == "https://wallet.example/bet?sign=[REDACTED]"
    assert scrubbed["breadcrumbs"]["values"][1]["message"] == "SELECT 1 WHERE k = '[REDACTED]'"
    assert scrubbed["extra"]["deep"][0]["partner"] == {"igspSecretKey": "[REDACTED]", "note": "sent [REDACTED]"}
    assert scrubbed["request"] == {"headers": {"Referer": "r"}}
    assert_no_secret(json.dumps(scrubbed).encode(), {"session": session_key, "signature": signature})
