"""Integration Adapter client: reverse calls to the ExtCID's base URL.

POST bodies are sent as the exact RFC 8785 bytes that were signed; amounts are
decimal strings with the currency's precision (integration-adapter-api.yaml).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from core import signing
from tenants import selectors
from tenants.models import CredentialPurpose
from wallet import currency as money
from wallet import transport
from wallet.transport import FAILED, WalletResult

if TYPE_CHECKING:
    from core.http import HttpAnswer
    from wallet.models import GameSession, Transaction


def _amount(value: Decimal, currency: str) -> str:
    return money.money_str(value, currency)


def _type(tx: Transaction) -> str:
    return "free" if tx.tx_type == "free" else "regular"


def bet_payload(tx: Transaction) -> dict[str, Any]:
    body = {
        "type": _type(tx),
        "sessionID": tx.session.partner_session_ref,
        "amount": _amount(tx.amount, tx.currency),
        "txID": str(tx.pk),
        "roundID": str(tx.round_id),
    }
    if tx.free_rounds_id:
        body["frID"] = tx.free_rounds_id
    return body


def win_payload(tx: Transaction) -> dict[str, Any]:
    return bet_payload(tx)


def refund_payload(tx: Transaction) -> dict[str, Any]:
    return {
        "sessionID": tx.session.partner_session_ref,
        "txID": str(tx.pk),
        "origTxID": str(tx.refunds_id),
        "roundID": str(tx.round_id),
        "amount": _amount(tx.amount, tx.currency),
    }


class AdapterTransport:
    def _key(self, session: GameSession) -> tuple[Any, str | None]:
        key = selectors.partner_signing_key(partner=session.partner, purpose=CredentialPurpose.INTEGRATION_API)
        ext = session.ext_client
        if key is None or ext is None or not ext.base_url:
            return None, None
        return key, ext.base_url.rstrip("/")

    def _finish(self, response: HttpAnswer | None, error: str, duration: int) -> WalletResult:
        result = transport.classify(response, error, duration)
        if result.ok:
            body = result.body or {}
            result.balance = transport.partner_balance(body.get("balance"))
            result.partner_tx_id = transport.partner_text(body.get("txID") or "", 200)
        return result

    def _prepare(
        self, session: GameSession, path: str, payload: dict[str, Any]
    ) -> transport.PreparedCall | WalletResult:
        key, base = self._key(session)
        if key is None:
            return WalletResult(FAILED, error="no active integration key or base URL", message="Wallet not configured.")
        body, sig = signing.public_sign_body(key.secret, payload)
        url = f"{base}{path}"

        def finish(response: HttpAnswer | None, error: str, duration: int) -> WalletResult:
            result = self._finish(response, error, duration)
            result.request = {"method": "POST", "url": url, "body": payload}
            return result

        headers = {"X-REQUEST-SIGN": sig, "Content-Type": "application/json"}
        return transport.PreparedCall("POST", url, finish, content=body, headers=headers)

    def balance(self, session: GameSession) -> WalletResult:
        key, base = self._key(session)
        if key is None:
            return WalletResult(FAILED, error="no active integration key or base URL", message="Wallet not configured.")
        params = {"sessionID": session.partner_session_ref}
        sig = signing.public_sign(key.secret, signing.canonical_query(params))
        response, error, duration = transport.send(
            "GET", f"{base}/balance", params=params, headers={"X-REQUEST-SIGN": sig}
        )
        result = self._finish(response, error, duration)
        result.request = {"method": "GET", "url": f"{base}/balance", "query": params}
        return result

    def bet(self, tx: Transaction) -> WalletResult:
        return transport.run(self._prepare(tx.session, "/bet", bet_payload(tx)))

    def prepare_win(self, tx: Transaction) -> transport.PreparedCall | WalletResult:
        return self._prepare(tx.session, "/win", win_payload(tx))

    def prepare_refund(self, tx: Transaction) -> transport.PreparedCall | WalletResult:
        return self._prepare(tx.session, "/refund", refund_payload(tx))

    def win(self, tx: Transaction) -> WalletResult:
        return transport.run(self.prepare_win(tx))

    def refund(self, tx: Transaction) -> WalletResult:
        return transport.run(self.prepare_refund(tx))
