"""IGSP hooks client: one signed POST to the partner's hooks URL per wallet action.

Bodies follow igsp-platforms.yaml (amounts as JSON numbers, written exactly from
Decimal); signed with the partner's newest active IGSP key.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from core import signing
from core.api.renderers import dumps_exact
from tenants import selectors
from tenants.models import CredentialPurpose
from wallet import currency as money
from wallet import transport
from wallet.transport import FAILED, WalletResult

if TYPE_CHECKING:
    from core.http import HttpAnswer
    from tenants.models import Partner
    from wallet.models import GameSession, Transaction

BET_TYPES = {"free": "freespin", "tip": "tip"}
WIN_TYPES = {"free": "freespin", "jackpot": "jackpot", "tournament": "tournament", "prize": "prize"}


def _amount(value: Decimal, currency: str) -> Decimal:
    return money.quantize_down(value, currency)


def _money_payload(tx: Transaction, action: str) -> dict[str, Any]:
    session = tx.session
    return {
        "action": action,
        "player_id": session.player_id,
        "amount": _amount(tx.amount, tx.currency),
        "currency": tx.currency,
        "game_id": str(session.game_id),
        "transaction_id": str(tx.pk),
        "session_id": session.partner_session_ref,
    }


def bet_payload(tx: Transaction) -> dict[str, Any]:
    return {
        **_money_payload(tx, "bet"),
        "type": BET_TYPES.get(tx.tx_type, "bet"),
        "round_id": str(tx.round_id),
        "finished": False,
    }


def win_payload(tx: Transaction) -> dict[str, Any]:
    return {
        **_money_payload(tx, "win"),
        "type": WIN_TYPES.get(tx.tx_type, "win"),
        "round_id": str(tx.round_id),
        "finished": bool(tx.finished),
    }


def refund_payload(tx: Transaction) -> dict[str, Any]:
    return {
        **_money_payload(tx, "refund"),
        "type": BET_TYPES.get(tx.tx_type, "bet"),
        "bet_transaction_id": str(tx.refunds_id),
        "finished": True,
    }


def balance_payload(session: GameSession) -> dict[str, Any]:
    return {
        "action": "balance",
        "player_id": session.player_id,
        "currency": session.currency,
        "session_id": session.partner_session_ref,
    }


class IgspHooksTransport:
    def _prepare(self, partner: Partner, payload: dict[str, Any]) -> transport.PreparedCall | WalletResult:
        key = selectors.partner_signing_key(partner=partner, purpose=CredentialPurpose.IGSP)
        if key is None or not partner.igsp_hooks_url:
            return WalletResult(FAILED, error="no active IGSP key or hooks URL", message="Wallet not configured.")
        url = partner.igsp_hooks_url
        body = dumps_exact(payload)
        headers = signing.igsp_headers(key.credential.public_id, key.secret, body)
        headers["Content-Type"] = "application/json"

        def finish(response: HttpAnswer | None, error: str, duration: int) -> WalletResult:
            result = transport.classify(response, error, duration)
            result.request = {"method": "POST", "url": url, "body": payload}
            if result.ok:
                body_json = result.body or {}
                result.balance = transport.partner_balance(body_json.get("balance"))
                result.partner_tx_id = transport.partner_text(body_json.get("transaction_id") or "", 200)
            return result

        return transport.PreparedCall("POST", url, finish, content=body, headers=headers)

    def balance(self, session: GameSession) -> WalletResult:
        return transport.run(self._prepare(session.partner, balance_payload(session)))

    def bet(self, tx: Transaction) -> WalletResult:
        return transport.run(self._prepare(tx.session.partner, bet_payload(tx)))

    def prepare_win(self, tx: Transaction) -> transport.PreparedCall | WalletResult:
        return self._prepare(tx.session.partner, win_payload(tx))

    def prepare_refund(self, tx: Transaction) -> transport.PreparedCall | WalletResult:
        return self._prepare(tx.session.partner, refund_payload(tx))

    def win(self, tx: Transaction) -> WalletResult:
        return transport.run(self.prepare_win(tx))

    def refund(self, tx: Transaction) -> WalletResult:
        return transport.run(self.prepare_refund(tx))
