"""A small httpx client for a running sandbox partner (tests, demo seeding, chaos runs, benchmarks).

    from sandbox.client import SandboxClient
    sb = SandboxClient("http://127.0.0.1:8001")
    sb.configure_tenant("demo", igsp_api_key=key, igsp_secret=secret, integration_api_key=ikey)
    sb.set_faults("demo", {"win": {"error_rate": 0.3}}, seed=7)
    sb.set_balance("demo", "player-1", "EUR", "250.00")
    sb.ledger("demo")["summary"]["max_movements_per_tx"]  # 1 when nothing moved twice

Module-level functions do the same with a throw-away client. Amounts may be
given as ``Decimal``/``str``/``int``; they are sent as decimal strings.
"""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx


class SandboxError(RuntimeError):
    def __init__(self, status: int, body: Any):
        super().__init__(f"sandbox answered {status}: {body}")
        self.status = status
        self.body = body


def _jsonable(value):
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        raise TypeError("pass money as Decimal or str, not float")
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _faults_jsonable(value):
    """Fault knobs (rates, seconds) may be floats; money never is."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _faults_jsonable(v) for k, v in value.items()}
    return value


class SandboxClient:
    def __init__(
        self,
        base_url: str | None = None,
        *,
        token: str | None = None,
        timeout: float = 10.0,
        client: httpx.Client | None = None,
    ):
        self.base_url = (base_url or os.environ.get("HUB_SANDBOX_URL") or "http://127.0.0.1:8001").rstrip("/")
        token = token if token is not None else os.environ.get("HUB_SANDBOX_CONTROL_TOKEN", "")
        headers = {"X-Sandbox-Token": token} if token else {}
        self._own = client is None
        self.http = client or httpx.Client(timeout=timeout)
        self.headers = headers

    # -- plumbing
    def close(self) -> None:
        if self._own:
            self.http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _call(self, method: str, path: str, body: Any = None, params: dict | None = None, expect=(200, 201, 204)):
        response = self.http.request(method, self.base_url + path, json=body, params=params, headers=self.headers)
        data = response.json() if response.content else None
        if response.status_code not in expect:
            raise SandboxError(response.status_code, data)
        return data

    @staticmethod
    def _seg(value: str) -> str:
        return quote(str(value), safe="")

    # -- URLs the hub is configured with
    def igsp_hooks_url(self, slug: str) -> str:
        return f"{self.base_url}/t/{slug}/igsp/hooks"

    def adapter_base_url(self, slug: str) -> str:
        return f"{self.base_url}/t/{slug}/adapter"

    # -- control API
    def healthz(self) -> dict:
        return self._call("GET", "/healthz")

    def configure_tenant(self, slug: str, **fields) -> dict:
        """Create or update a tenant. Fields: name, igsp_api_key, igsp_secret, integration_api_key,
        igsp_previous_credentials, integration_previous_keys, default_balance, default_currency,
        currency_precision, strict_sessions, faults, fault_seed."""
        fault_settings = fields.pop("faults", None)
        body = _jsonable(fields)
        if fault_settings is not None:
            body["faults"] = _faults_jsonable(fault_settings)
        return self._call("PUT", f"/t/{self._seg(slug)}", body)

    def get_tenant(self, slug: str) -> dict:
        return self._call("GET", f"/t/{self._seg(slug)}")

    def delete_tenant(self, slug: str) -> None:
        self._call("DELETE", f"/t/{self._seg(slug)}")

    def set_faults(self, slug: str, faults: dict | None = None, *, seed: int | None = None) -> dict:
        body = dict(_faults_jsonable(faults or {}))
        body["seed"] = seed
        return self._call("PUT", f"/t/{self._seg(slug)}/faults", body)

    def clear_faults(self, slug: str) -> dict:
        return self.set_faults(slug, {})

    def set_balance(self, slug: str, player_id: str, currency: str, balance) -> dict:
        return self._call(
            "PUT",
            f"/t/{self._seg(slug)}/accounts/{self._seg(player_id)}/{self._seg(currency)}",
            {"balance": _jsonable(Decimal(balance) if isinstance(balance, int) else balance)},
        )

    def get_account(self, slug: str, player_id: str, currency: str) -> dict:
        return self._call("GET", f"/t/{self._seg(slug)}/accounts/{self._seg(player_id)}/{self._seg(currency)}")

    def register_session(self, slug: str, session_id: str, player_id: str, currency: str, balance=None) -> dict:
        body: dict = {"player_id": player_id, "currency": currency}
        if balance is not None:
            body["balance"] = _jsonable(balance)
        return self._call("PUT", f"/t/{self._seg(slug)}/sessions/{self._seg(session_id)}", body)

    def ledger(self, slug: str, player_id: str | None = None) -> dict:
        params = {"player_id": player_id} if player_id is not None else None
        return self._call("GET", f"/t/{self._seg(slug)}/ledger", params=params)

    def reset_ledger(self, slug: str) -> None:
        self._call("DELETE", f"/t/{self._seg(slug)}/ledger")


# -- module-level helpers (one short-lived client per call) ------------------


def configure_tenant(base_url: str, slug: str, **fields) -> dict:
    with SandboxClient(base_url) as client:
        return client.configure_tenant(slug, **fields)


def set_faults(base_url: str, slug: str, faults: dict | None = None, *, seed: int | None = None) -> dict:
    with SandboxClient(base_url) as client:
        return client.set_faults(slug, faults, seed=seed)


def set_balance(base_url: str, slug: str, player_id: str, currency: str, balance) -> dict:
    with SandboxClient(base_url) as client:
        return client.set_balance(slug, player_id, currency, balance)


def register_session(base_url: str, slug: str, session_id: str, player_id: str, currency: str, balance=None) -> dict:
    with SandboxClient(base_url) as client:
        return client.register_session(slug, session_id, player_id, currency, balance)


def read_ledger(base_url: str, slug: str, player_id: str | None = None) -> dict:
    with SandboxClient(base_url) as client:
        return client.ledger(slug, player_id)
