"""Reads for the sandbox partner; every query is scoped by the sandbox tenant."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from core.db import get_or_none

from . import money
from .models import SandboxAccount, SandboxSession, SandboxTenant, SandboxTransaction


def tenant_get(*, slug: str) -> SandboxTenant | None:
    return get_or_none(SandboxTenant.objects, slug=slug)


def account_get(*, tenant: SandboxTenant, player_id: str, currency: str) -> SandboxAccount | None:
    return get_or_none(SandboxAccount.objects, tenant=tenant, player_id=player_id, currency=currency)


def session_get(*, tenant: SandboxTenant, session_id: str) -> SandboxSession | None:
    return get_or_none(SandboxSession.objects, tenant=tenant, session_id=session_id)


def transaction_get(*, tenant: SandboxTenant, tx_id: str) -> SandboxTransaction | None:
    return get_or_none(SandboxTransaction.objects, tenant=tenant, tx_id=tx_id)


def precision(*, tenant: SandboxTenant, currency: str) -> int:
    return money.precision_for(tenant.currency_precision, currency)


def _exact(value: Decimal | None) -> str | None:
    """Amounts in the ledger: exact, trailing zeros removed (normalize keeps 1E+1 away)."""
    if value is None:
        return None
    text = format(Decimal(value), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def tenant_view(*, tenant: SandboxTenant, base_url: str = "") -> dict:
    """The tenant as the control API shows it; secrets are never echoed back."""
    from . import faults

    prefix = f"{base_url.rstrip('/')}/t/{tenant.slug}"
    return {
        "slug": tenant.slug,
        "name": tenant.name,
        "igsp_api_key": tenant.igsp_api_key,
        "has_igsp_secret": bool(tenant.igsp_secret),
        "has_integration_api_key": bool(tenant.integration_api_key),
        "igsp_previous_api_keys": [c.get("api_key", "") for c in tenant.igsp_previous_credentials or []],
        "integration_previous_keys_count": len(tenant.integration_previous_keys or []),
        "default_balance": _exact(tenant.default_balance),
        "default_currency": tenant.default_currency,
        "currency_precision": tenant.currency_precision or {},
        "strict_sessions": tenant.strict_sessions,
        "faults": faults.normalize(tenant.faults or {}),
        "fault_seed": tenant.fault_seed,
        "urls": {"igsp_hooks": f"{prefix}/igsp/hooks", "adapter_base": f"{prefix}/adapter"},
    }


def account_view(*, tenant: SandboxTenant, account: SandboxAccount) -> dict:
    return {
        "player_id": account.player_id,
        "currency": account.currency,
        "balance": money.to_str(account.balance, precision(tenant=tenant, currency=account.currency)),
    }


def session_view(*, session: SandboxSession) -> dict:
    return {"session_id": session.session_id, "player_id": session.player_id, "currency": session.currency}


def transaction_view(*, tx: SandboxTransaction) -> dict:
    return {
        "tx_id": tx.tx_id,
        "protocol": tx.protocol,
        "action": tx.action,
        "type": tx.kind,
        "amount": _exact(tx.amount),
        "delta": _exact(tx.delta),
        "moved": tx.moved,
        "free": tx.free,
        "status": tx.status,
        "note": tx.note,
        "player_id": tx.player_id,
        "currency": tx.currency,
        "session_id": tx.session_id,
        "game_id": tx.game_id,
        "round_id": tx.round_id,
        "fr_id": tx.fr_id,
        "ref_tx_id": tx.ref_tx_id,
        "refunded_by": tx.refunded_by,
        "partner_tx_id": str(tx.partner_tx_id),
        "balance_after": _exact(tx.balance_after),
        "response_status": tx.response_status,
        "replays": tx.replays,
        "created_at": tx.created_at.isoformat().replace("+00:00", "Z"),
    }


def ledger(*, tenant: SandboxTenant, player_id: str | None = None) -> dict:
    """Everything the sandbox holds for a tenant, plus totals for reconciliation."""
    accounts = SandboxAccount.objects.filter(tenant=tenant)
    sessions = SandboxSession.objects.filter(tenant=tenant)
    txs = SandboxTransaction.objects.filter(tenant=tenant)
    if player_id is not None:
        accounts = accounts.filter(player_id=player_id)
        sessions = sessions.filter(player_id=player_id)
        txs = txs.filter(player_id=player_id)
    tx_rows = list(txs.order_by("id"))

    totals: dict[tuple[str, str], dict] = defaultdict(
        lambda: {"bets": Decimal(0), "wins": Decimal(0), "refunds": Decimal(0), "net": Decimal(0), "moved": 0}
    )
    movements: dict[str, int] = {}
    for tx in tx_rows:
        movements[tx.tx_id] = movements.get(tx.tx_id, 0) + (1 if tx.moved else 0)
        if not tx.moved:
            continue
        bucket = totals[(tx.player_id, tx.currency)]
        bucket[{"bet": "bets", "win": "wins", "refund": "refunds"}[tx.action]] += abs(tx.delta)
        bucket["net"] += tx.delta
        bucket["moved"] += 1

    players = []
    for account in accounts.order_by("player_id", "currency"):
        found = totals.get((account.player_id, account.currency))
        row = {
            "player_id": account.player_id,
            "currency": account.currency,
            "balance": _exact(account.balance),
            "bets": "0",
            "wins": "0",
            "refunds": "0",
            "net": "0",
            "movements": 0,
        }
        if found:
            row.update({k: _exact(found[k]) for k in ("bets", "wins", "refunds", "net")})
            row["movements"] = found["moved"]
        players.append(row)

    return {
        "tenant": tenant.slug,
        "accounts": [account_view(tenant=tenant, account=a) for a in accounts.order_by("player_id", "currency")],
        "sessions": [session_view(session=s) for s in sessions.order_by("session_id")],
        "transactions": [transaction_view(tx=tx) for tx in tx_rows],
        "summary": {
            "transactions": len(tx_rows),
            "money_movements": sum(movements.values()),
            "movements_by_tx": {k: v for k, v in movements.items() if v},
            "max_movements_per_tx": max(movements.values(), default=0),
            "per_player": players,
        },
    }
