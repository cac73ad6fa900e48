"""Fixtures of the wallet operations tests: two account managers, their partners, a ledger built row by row."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from tenants import services
from wallet.models import (
    AttemptOutcome,
    DeliveryAttempt,
    GameSession,
    Protocol,
    Round,
    Transaction,
    TxKind,
    TxStatus,
)

GROUP = "Account managers"
# What account managers need on the ledger (the wallet data migration proposed in the report grants these).
WALLET_PERMS = (
    "view_gamesession",
    "view_round",
    "view_transaction",
    "change_transaction",
    "view_deliveryattempt",
    "view_inboundhook",
)


def grant(user, *codenames: str) -> None:
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="wallet", codename__in=codenames))


def make_manager(django_user_model, username: str, *, perms=WALLET_PERMS):
    user = django_user_model.objects.create_user(username=username, password="x", is_staff=True)
    if tuple(perms) == tuple(WALLET_PERMS):
        # The "Account managers" group carries the wallet permissions (wallet migration 0002).
        user.groups.add(Group.objects.get(name=GROUP))
    grant(user, *perms)
    return user


def onboard(name: str, word: str, manager, currency: str = "EUR"):
    return services.partner_onboard(
        name=name,
        actor="test",
        igsp=True,
        public_api=False,
        default_currency=currency,
        allowed_currencies=["USD", "BTC"],
        igsp_hooks_url=f"https://hooks.{word}.example/igsp",
        account_manager=manager,
    ).partner


@pytest.fixture
def manager_a(django_user_model):
    return make_manager(django_user_model, "alice")


@pytest.fixture
def manager_b(django_user_model):
    return make_manager(django_user_model, "bob")


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser(username="root", password="x", email="root@example.com")


@pytest.fixture
def partner_a(manager_a):
    return onboard("Alpha Casino", "alpha", manager_a)


@pytest.fixture
def partner_b(manager_b):
    return onboard("Bravo Casino", "bravo", manager_b)


class Ledger:
    """Builds sessions, rounds, transactions and attempts directly (no partner wallet involved)."""

    def __init__(self, game):
        self.game = game

    def session(self, partner, *, currency="EUR", player="player-1", demo=False, protocol=Protocol.IGSP):
        return GameSession.objects.create(
            partner=partner,
            protocol=protocol,
            game=self.game,
            player_id=player,
            currency=currency,
            key_hash=secrets.token_hex(32),
            is_demo=demo,
            demo_balance=Decimal("100") if demo else None,
            partner_session_ref="" if demo else f"ref-{uuid.uuid4().hex[:12]}",
            expires_at=timezone.now() + timedelta(hours=4),
        )

    def tx(
        self,
        session,
        kind,
        amount,
        *,
        status=TxStatus.CONFIRMED,
        at: datetime | None = None,
        rnd=None,
        refunds=None,
        stuck=False,
        attempts=0,
    ) -> Transaction:
        """A transaction created (and, when confirmed, confirmed) at ``at`` (default: now)."""
        at = at or timezone.now()
        if rnd is None:
            rnd = (
                refunds.round if refunds is not None else Round.objects.create(session=session, partner=session.partner)
            )
        tx = Transaction.objects.create(
            round=rnd,
            session=session,
            partner=session.partner,
            kind=kind,
            amount=Decimal(amount),
            currency=session.currency,
            status=status,
            refunds=refunds,
            stuck=stuck,
            attempts=attempts,
            confirmed_at=at if status == TxStatus.CONFIRMED else None,
        )
        Transaction.objects.filter(pk=tx.pk).update(created_at=at)  # auto_now_add: set the past explicitly
        tx.refresh_from_db()
        return tx

    def bet_and_win(self, session, bet, win, *, at=None, win_status=TxStatus.CONFIRMED):
        b = self.tx(session, TxKind.BET, bet, at=at)
        w = self.tx(session, TxKind.WIN, win, at=at, rnd=b.round, status=win_status)
        return b, w

    def attempt(self, tx, *, outcome=AttemptOutcome.FAILED, duration_ms=120, http_status=500, error="HTTP 500"):
        return DeliveryAttempt.objects.create(
            transaction=tx,
            partner=tx.partner,
            started_at=timezone.now(),
            duration_ms=duration_ms,
            http_status=http_status,
            outcome=outcome,
            error=error,
        )


@pytest.fixture
def ledger(game):
    return Ledger(game)
