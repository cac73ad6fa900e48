"""Every write of the sandbox partner: tenants, faults, accounts, sessions, wallet actions.

Money moves at most once per (tenant, tx_id): the transaction row is unique in
the database, the account row is locked (``select_for_update``; SQLite
serialises writers with IMMEDIATE transactions) and the idempotency check is
repeated under the lock. A concurrent duplicate that still races past the
check hits the unique constraint, rolls back, and is answered from the stored
row.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from core.db import get_or_none, insert_row

from . import faults, money
from .models import (
    Action,
    SandboxAccount,
    SandboxFaultCounter,
    SandboxSession,
    SandboxTenant,
    SandboxTransaction,
    TxStatus,
)

ID_MAX = 255
SLUG_RE = re.compile(r"[-a-zA-Z0-9_]{1,100}", re.ASCII)
MAX_ATTEMPTS = 5


class SandboxValidationError(ValueError):
    """Bad input to a sandbox service; the message is safe to show."""


# ------------------------------------------------------------------ tenants --

TENANT_FIELDS = (
    "name",
    "igsp_api_key",
    "igsp_secret",
    "integration_api_key",
    "igsp_previous_credentials",
    "integration_previous_keys",
    "default_balance",
    "default_currency",
    "currency_precision",
    "strict_sessions",
    "faults",
    "fault_seed",
)


def _string(value, key: str, max_length: int, allow_blank: bool = True) -> str:
    if not isinstance(value, str):
        raise SandboxValidationError(f"{key} must be a string")
    if len(value) > max_length:
        raise SandboxValidationError(f"{key} is too long")
    if not allow_blank and not value:
        raise SandboxValidationError(f"{key} must not be empty")
    return value


def _currency(value, key: str = "currency") -> str:
    if not isinstance(value, str) or not money.CURRENCY_RE.fullmatch(value):
        raise SandboxValidationError(f"{key} must be a currency code such as USD or uBTC")
    return value


def _seed(value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) >= 2**63:
        raise SandboxValidationError("fault_seed must be an integer or null")
    return value


def clean_tenant_fields(data: dict) -> dict:
    """Validate control-API tenant fields (snake_case); returns model field values."""
    if not isinstance(data, dict):
        raise SandboxValidationError("body must be a JSON object")
    unknown = set(data) - set(TENANT_FIELDS)
    if unknown:
        raise SandboxValidationError(f"unknown fields {sorted(unknown)}")
    out: dict = {}
    for key in ("name", "igsp_api_key"):
        if key in data:
            out[key] = _string(data[key], key, 200)
    for key in ("igsp_secret", "integration_api_key"):
        if key in data:
            out[key] = _string(data[key], key, 500)
    if "igsp_previous_credentials" in data:
        value = data["igsp_previous_credentials"]
        if not isinstance(value, list) or len(value) > 10:
            raise SandboxValidationError("igsp_previous_credentials must be a list of {api_key, secret}")
        cleaned = []
        for item in value:
            if not isinstance(item, dict) or set(item) != {"api_key", "secret"}:
                raise SandboxValidationError("igsp_previous_credentials items must be {api_key, secret}")
            cleaned.append(
                {
                    "api_key": _string(item["api_key"], "api_key", 200, False),
                    "secret": _string(item["secret"], "secret", 500, False),
                }
            )
        out["igsp_previous_credentials"] = cleaned
    if "integration_previous_keys" in data:
        value = data["integration_previous_keys"]
        if not isinstance(value, list) or len(value) > 10:
            raise SandboxValidationError("integration_previous_keys must be a list of strings")
        out["integration_previous_keys"] = [_string(v, "integration_previous_keys[]", 500, False) for v in value]
    if "default_balance" in data:
        try:
            out["default_balance"] = money.parse_control_amount(data["default_balance"])
        except money.AmountError as exc:
            raise SandboxValidationError(f"default_balance {exc}") from exc
    if "default_currency" in data:
        out["default_currency"] = _currency(data["default_currency"], "default_currency")
    if "currency_precision" in data:
        value = data["currency_precision"]
        if not isinstance(value, dict):
            raise SandboxValidationError("currency_precision must be an object {currency: places}")
        precision: dict[str, int] = {}
        for code, places in value.items():
            _currency(code, "currency_precision key")
            if isinstance(places, bool) or not isinstance(places, int) or not 0 <= places <= money.MAX_DECIMAL_PLACES:
                raise SandboxValidationError(
                    f"currency_precision.{code} must be an integer 0..{money.MAX_DECIMAL_PLACES}"
                )
            precision[code] = places
        out["currency_precision"] = precision
    if "strict_sessions" in data:
        if not isinstance(data["strict_sessions"], bool):
            raise SandboxValidationError("strict_sessions must be a boolean")
        out["strict_sessions"] = data["strict_sessions"]
    if "faults" in data:
        try:
            out["faults"] = faults.normalize(data["faults"])
        except faults.FaultConfigError as exc:
            raise SandboxValidationError(str(exc)) from exc
    if "fault_seed" in data:
        out["fault_seed"] = _seed(data["fault_seed"])
    return out


def tenant_upsert(*, slug: str, data: dict) -> tuple[SandboxTenant, bool]:
    """Create or update a tenant; omitted fields keep their current (or default) values."""
    if not isinstance(slug, str) or not SLUG_RE.fullmatch(slug):
        raise SandboxValidationError("slug must match [-a-zA-Z0-9_]{1,100}")
    values = clean_tenant_fields(data)
    with transaction.atomic():
        tenant, created = SandboxTenant.objects.select_for_update().get_or_create(
            slug=slug, defaults={"name": slug, **values}
        )
        if not created and values:
            for key, value in values.items():
                setattr(tenant, key, value)
            tenant.save()
        if "faults" in values or "fault_seed" in values:
            SandboxFaultCounter.objects.filter(tenant=tenant).delete()
    return tenant, created


def tenant_configure(*, slug: str, **fields) -> SandboxTenant:
    """Keyword form of ``tenant_upsert`` (used in-process, e.g. by ``seed_demo``)."""
    tenant, _ = tenant_upsert(slug=slug, data=fields)
    return tenant


def tenant_faults_replace(*, tenant: SandboxTenant, fault_settings: dict, seed: int | None = None) -> SandboxTenant:
    """Replace all fault settings (omitted actions: no faults) and restart the seeded sequence."""
    try:
        normalized = faults.normalize(fault_settings)
    except faults.FaultConfigError as exc:
        raise SandboxValidationError(str(exc)) from exc
    seed = _seed(seed)
    with transaction.atomic():
        SandboxTenant.objects.filter(pk=tenant.pk).update(faults=normalized, fault_seed=seed)
        SandboxFaultCounter.objects.filter(tenant=tenant).delete()
    tenant.faults = normalized
    tenant.fault_seed = seed
    return tenant


def tenant_ledger_reset(*, tenant: SandboxTenant) -> None:
    """Forget every account, session, transaction and fault counter of a tenant (keeps its settings)."""
    with transaction.atomic():
        SandboxTransaction.objects.filter(tenant=tenant).delete()
        SandboxSession.objects.filter(tenant=tenant).delete()
        SandboxAccount.objects.filter(tenant=tenant).delete()
        SandboxFaultCounter.objects.filter(tenant=tenant).delete()


def fault_plan(*, tenant: SandboxTenant, action: str, cfg: dict) -> faults.FaultPlan:
    """Draw this call's fault (seeded: the n-th draw per action, counted in the database)."""
    if not faults.needs_draw(cfg):
        return faults.NO_FAULT
    if tenant.fault_seed is None:
        return faults.plan_from_draw(cfg, faults.random_draw())
    with transaction.atomic():
        counter, _ = SandboxFaultCounter.objects.select_for_update().get_or_create(tenant=tenant, action=action)
        n = counter.count
        SandboxFaultCounter.objects.filter(pk=counter.pk).update(count=F("count") + 1)
    return faults.plan_from_draw(cfg, faults.seeded_draw(tenant.fault_seed, action, n))


# ----------------------------------------------------- accounts and sessions --


def account_ensure(*, tenant: SandboxTenant, player_id: str, currency: str) -> SandboxAccount:
    """The player's account, created with the tenant's default balance on first sight."""
    account, _ = SandboxAccount.objects.get_or_create(
        tenant=tenant, player_id=player_id, currency=currency, defaults={"balance": tenant.default_balance}
    )
    return account


def account_set_balance(*, tenant: SandboxTenant, player_id: str, currency: str, balance) -> SandboxAccount:
    player_id = _string(player_id, "player_id", ID_MAX, allow_blank=False)
    currency = _currency(currency)
    try:
        amount = money.parse_control_amount(balance)
    except money.AmountError as exc:
        raise SandboxValidationError(f"balance {exc}") from exc
    with transaction.atomic():
        account = account_ensure(tenant=tenant, player_id=player_id, currency=currency)
        account = SandboxAccount.objects.select_for_update().get(pk=account.pk)
        account.balance = amount
        account.save(update_fields=["balance", "updated_at"])
    return account


def session_register(
    *, tenant: SandboxTenant, session_id: str, player_id: str, currency: str, balance=None
) -> tuple[SandboxSession, SandboxAccount]:
    """Register (or re-point) a Public API session, as the partner does when it calls create-new-game."""
    session_id = _string(session_id, "session_id", ID_MAX, allow_blank=False)
    player_id = _string(player_id, "player_id", ID_MAX, allow_blank=False)
    currency = _currency(currency)
    with transaction.atomic():
        session, _ = SandboxSession.objects.update_or_create(
            tenant=tenant, session_id=session_id, defaults={"player_id": player_id, "currency": currency}
        )
        if balance is not None:
            account = account_set_balance(tenant=tenant, player_id=player_id, currency=currency, balance=balance)
        else:
            account = account_ensure(tenant=tenant, player_id=player_id, currency=currency)
    return session, account


def session_resolve(*, tenant: SandboxTenant, session_id: str) -> SandboxSession | None:
    """A Public API session; an unknown one is auto-created (player = sessionID) unless the tenant is strict."""
    session = get_or_none(SandboxSession.objects, tenant=tenant, session_id=session_id)
    if session is not None or tenant.strict_sessions:
        return session
    session, _ = SandboxSession.objects.get_or_create(
        tenant=tenant,
        session_id=session_id,
        defaults={"player_id": session_id, "currency": tenant.default_currency},
    )
    return session


# ------------------------------------------------------------ wallet actions --


@dataclass(frozen=True)
class WalletRequest:
    protocol: str
    action: str  # bet | win | refund
    tx_id: str
    player_id: str
    currency: str
    amount: Decimal
    kind: str = ""
    free: bool = False
    session_id: str = ""
    game_id: str = ""
    round_id: str = ""
    fr_id: str = ""
    ref_tx_id: str = ""


@dataclass(frozen=True)
class Outcome:
    """What happened, for the protocol's renderer.

    kind: ``ok`` | ``insufficient_funds`` | ``bet_refunded`` (a bet id that was
    refunded before the bet arrived) | ``tx_conflict`` (tx id reused for another action).
    """

    kind: str
    balance: Decimal | None
    currency: str
    places: int
    partner_tx_id: str = ""


Renderer = Callable[[Outcome], tuple[int, str]]


@dataclass(frozen=True)
class Reply:
    status: int
    body: str
    replayed: bool = False
    transaction: SandboxTransaction | None = field(default=None, compare=False)


class _Retry(Exception):
    pass


def _replay(tx: SandboxTransaction, req: WalletRequest, render: Renderer, tenant: SandboxTenant) -> Reply:
    if tx.action != req.action:
        places = money.precision_for(tenant.currency_precision, tx.currency)
        status, body = render(Outcome("tx_conflict", None, tx.currency, places))
        return Reply(status, body, replayed=True, transaction=tx)
    SandboxTransaction.objects.filter(pk=tx.pk).update(replays=F("replays") + 1)
    if tx.action == Action.WIN and tx.moved and faults.settings_for(tenant.faults, "win").get("double_credit"):
        # The double_credit fault: a broken wallet that credits a repeated win again.
        SandboxAccount.objects.filter(tenant=tenant, player_id=tx.player_id, currency=tx.currency).update(
            balance=F("balance") + tx.amount
        )
    return Reply(tx.response_status, tx.response_body, replayed=True, transaction=tx)


def wallet_apply(*, tenant: SandboxTenant, request: WalletRequest, render: Renderer) -> Reply:
    """Apply a bet, win or refund exactly once per (tenant, tx_id); replays answer the stored response."""
    if request.action not in (Action.BET, Action.WIN, Action.REFUND):
        raise ValueError(f"unknown wallet action {request.action!r}")
    reply = _apply_fast(tenant, request, render)
    if reply is not None:
        return reply
    for _attempt in range(MAX_ATTEMPTS):
        existing = get_or_none(SandboxTransaction.objects, tenant=tenant, tx_id=request.tx_id)
        if existing is not None:
            return _replay(existing, request, render, tenant)
        player_id, currency = request.player_id, request.currency
        if request.action == Action.REFUND:
            bet = get_or_none(SandboxTransaction.objects, tenant=tenant, tx_id=request.ref_tx_id)
            if bet is not None and bet.action == Action.BET:
                player_id, currency = bet.player_id, bet.currency
        account = account_ensure(tenant=tenant, player_id=player_id, currency=currency)
        try:
            with transaction.atomic():
                locked = SandboxAccount.objects.select_for_update().get(pk=account.pk)
                existing = get_or_none(SandboxTransaction.objects, tenant=tenant, tx_id=request.tx_id)
                if existing is not None:
                    return _replay(existing, request, render, tenant)
                return _apply_locked(tenant, locked, request, render)
        except (IntegrityError, _Retry):
            continue  # a concurrent duplicate won; the next pass answers from its row
    raise RuntimeError(f"sandbox: could not apply {request.action} {request.tx_id} after {MAX_ATTEMPTS} attempts")


class _NotFast(Exception):
    pass


def _apply_fast(tenant: SandboxTenant, req: WalletRequest, render: Renderer) -> Reply | None:
    """The common case in two statements (PostgreSQL): a new bet or win on an existing account.

    ``UPDATE … RETURNING`` moves the balance under the row lock (a bet only if it is covered) and the
    transaction row is inserted in the same database transaction; a duplicate tx_id violates the
    unique constraint and rolls the movement back. Anything else (a replay, a new account, a refund,
    a free round, insufficient funds) returns None and takes the general path, which answers it.
    """
    if connection.vendor != "postgresql" or req.action not in (Action.BET, Action.WIN) or req.free:
        return None
    account_table = SandboxAccount._meta.db_table
    guard = "AND balance >= %s " if req.action == Action.BET else ""
    params: list[Any] = [
        req.amount if req.action == Action.WIN else -req.amount,
        timezone.now(),
        tenant.pk,
        req.player_id,
        req.currency,
    ] + ([req.amount] if req.action == Action.BET else [])
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    f'UPDATE "{account_table}" SET balance = balance + %s, updated_at = %s '  # noqa: S608 - names from _meta
                    f"WHERE tenant_id = %s AND player_id = %s AND currency = %s {guard}RETURNING id, balance",
                    params,
                )
                row = cursor.fetchone()
            if row is None:
                raise _NotFast()
            places = money.precision_for(tenant.currency_precision, req.currency)
            partner_tx_id = uuid.uuid4()
            status, body = render(Outcome("ok", row[1], req.currency, places, str(partner_tx_id)))
            tx = SandboxTransaction(
                tenant=tenant,
                protocol=req.protocol,
                tx_id=req.tx_id,
                action=req.action,
                kind=req.kind,
                amount=req.amount,
                delta=params[0],
                moved=True,
                free=False,
                player_id=req.player_id,
                currency=req.currency,
                session_id=req.session_id,
                game_id=req.game_id,
                round_id=req.round_id,
                fr_id=req.fr_id,
                ref_tx_id=req.ref_tx_id,
                partner_tx_id=partner_tx_id,
                status=TxStatus.APPLIED,
                balance_after=row[1],
                response_status=status,
                response_body=body,
            )
            insert_row(tx)
    except (_NotFast, IntegrityError):
        return None
    return Reply(status, body, replayed=False, transaction=tx)


def _apply_locked(tenant: SandboxTenant, account: SandboxAccount, req: WalletRequest, render: Renderer) -> Reply:
    places = money.precision_for(tenant.currency_precision, account.currency)
    partner_tx_id = uuid.uuid4()
    delta = Decimal(0)
    moved = False
    status = TxStatus.APPLIED
    note = ""
    kind = "ok"

    if req.action == Action.BET:
        if req.free:
            note = "free_round"
        elif account.balance < req.amount:
            status, note, kind = TxStatus.REJECTED, "insufficient_funds", "insufficient_funds"
        else:
            delta, moved = -req.amount, True
    elif req.action == Action.WIN:
        if req.free:
            note = "free_round"
        else:
            delta, moved = req.amount, True
    else:  # refund
        bet = SandboxTransaction.objects.select_for_update().filter(tenant=tenant, tx_id=req.ref_tx_id).first()
        status = TxStatus.REFUND_WITHOUT_BET
        if bet is None:
            note = "bet_unknown"
            # Remember the bet id as refunded: a late bet with it is rejected, never debited.
            placeholder_id = uuid.uuid4()
            p_status, p_body = render(
                Outcome("bet_refunded", account.balance, account.currency, places, str(placeholder_id))
            )
            SandboxTransaction.objects.create(
                tenant=tenant,
                protocol=req.protocol,
                tx_id=req.ref_tx_id,
                action=Action.BET,
                kind="",
                amount=req.amount,
                player_id=account.player_id,
                currency=account.currency,
                session_id=req.session_id,
                game_id=req.game_id,
                round_id=req.round_id,
                refunded_by=req.tx_id,
                partner_tx_id=placeholder_id,
                status=TxStatus.REJECTED,
                note="refunded_before_bet",
                balance_after=account.balance,
                response_status=p_status,
                response_body=p_body,
            )
        elif bet.action != Action.BET:
            note = "not_a_bet"
        elif (bet.player_id, bet.currency) != (account.player_id, account.currency):
            raise _Retry()  # the bet appeared meanwhile on another account: lock that one instead
        elif bet.refunded_by:
            note = "bet_already_refunded"
        elif not bet.moved:
            note = "bet_not_applied" if bet.status == TxStatus.REJECTED else "bet_free"
        else:
            status = TxStatus.APPLIED
            delta, moved = bet.amount, True
            bet.refunded_by = req.tx_id
            bet.save(update_fields=["refunded_by"])

    if moved:
        account.balance = account.balance + delta
        account.save(update_fields=["balance", "updated_at"])
    response_status, response_body = render(
        Outcome(kind, account.balance, account.currency, places, str(partner_tx_id))
    )
    tx = SandboxTransaction.objects.create(
        tenant=tenant,
        protocol=req.protocol,
        tx_id=req.tx_id,
        action=req.action,
        kind=req.kind,
        amount=req.amount,
        delta=delta,
        moved=moved,
        free=req.free,
        player_id=account.player_id,
        currency=account.currency,
        session_id=req.session_id,
        game_id=req.game_id,
        round_id=req.round_id,
        fr_id=req.fr_id,
        ref_tx_id=req.ref_tx_id,
        partner_tx_id=partner_tx_id,
        status=status,
        note=note,
        balance_after=account.balance,
        response_status=response_status,
        response_body=response_body,
    )
    return Reply(response_status, response_body, replayed=False, transaction=tx)
