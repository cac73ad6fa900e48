"""TraderHero round services: commit, settle (seed revealed, payout rounded down), refund, idempotency."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import Game
from core.errors import ApplicationError, Conflict, NotFound
from games import catalog, selectors
from games.models import JackpotRound, JackpotRoundStatus
from games.traderhero import fairness as jackpot
from games.traderhero import services

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded")]


def open_round(**overrides) -> JackpotRound:
    args = {
        "session_id": uuid.uuid4(),
        "round_id": uuid.uuid4(),
        "direction": "up",
        "stake": Decimal("2.00"),
        "currency": "USD",
        **overrides,
    }
    return services.jackpot_round_open(**args)


def test_open_commits_to_a_hidden_seed_and_uses_the_catalog_rtp(settings):
    settings.HUB_JACKPOT_ROUND_SECONDS = 3
    rnd = open_round(client_seed="lucky", nonce=7)
    assert rnd.status == JackpotRoundStatus.OPEN
    assert rnd.rtp == Decimal("0.95")
    assert rnd.server_seed_hash == jackpot.hash_server_seed(rnd.server_seed)
    assert timedelta(seconds=2) < rnd.settle_at - timezone.now() <= timedelta(seconds=3)
    state = selectors.jackpot_round_state(rnd)
    assert "serverSeed" not in state
    assert "multiplier" not in state
    assert state["serverSeedHash"] == rnd.server_seed_hash
    assert state["table"]["rtp"] == "0.95"
    Game.objects.filter(pk=catalog.TRADERHERO_JACKPOT_ID).update(rtp=Decimal("0.9100"))
    assert open_round().rtp == Decimal("0.91")


def test_settle_plays_the_committed_round_and_reveals_the_seed():
    rnd = open_round(
        direction="down", stake=Decimal("3.33"), client_seed="c", nonce=1, now=timezone.now() - timedelta(seconds=10)
    )
    settled = services.jackpot_round_settle(bet_id=rnd.pk)
    expected = jackpot.verify(rnd.server_seed, rnd.server_seed_hash, "c", 1, "down", Decimal("0.95"))
    assert settled.status == JackpotRoundStatus.SETTLED
    assert settled.settled_at
    assert (settled.tier, settled.multiplier, settled.path) == (expected.tier, expected.multiplier, expected.path)
    assert settled.payout == jackpot.payout(Decimal("3.33"), expected.multiplier, 2)
    state = selectors.jackpot_round_state(settled)
    assert state["serverSeed"] == rnd.server_seed
    assert state["path"] == expected.path
    # Idempotent.
    assert services.jackpot_round_settle(bet_id=rnd.pk).payout == settled.payout
    with pytest.raises(Conflict):
        services.jackpot_round_refund(bet_id=rnd.pk)


def test_settle_waits_for_the_round_to_end_unless_forced(settings):
    settings.HUB_JACKPOT_ROUND_SECONDS = 60
    rnd = open_round()
    with pytest.raises(ApplicationError) as exc:
        services.jackpot_round_settle(bet_id=rnd.pk)
    assert exc.value.code == "round_not_due"
    assert list(selectors.jackpot_rounds_due()) == []
    assert list(selectors.jackpot_rounds_due(now=timezone.now() + timedelta(minutes=2))) == [rnd]
    assert services.jackpot_round_settle(bet_id=rnd.pk, force=True).status == JackpotRoundStatus.SETTLED


def test_payouts_match_the_table_over_many_rounds(settings):
    settings.HUB_JACKPOT_ROUND_SECONDS = 0
    tiers = set()
    for _ in range(60):
        rnd = services.jackpot_round_settle(bet_id=open_round(stake=Decimal("1.00")).pk)
        assert rnd.payout == rnd.multiplier * Decimal("1.00")
        assert (rnd.path[-1] > rnd.path[0]) == (rnd.multiplier > 0)  # direction "up"
        tiers.add(rnd.tier)
    assert "lose" in tiers
    assert tiers & {"x1.5", "x2", "x5"}


def test_refund_reverses_an_open_round():
    rnd = open_round()
    refunded = services.jackpot_round_refund(bet_id=rnd.pk)
    assert (refunded.status, refunded.payout) == (JackpotRoundStatus.REFUNDED, Decimal("2.00"))
    assert services.jackpot_round_refund(bet_id=rnd.pk).status == JackpotRoundStatus.REFUNDED
    with pytest.raises(Conflict):
        services.jackpot_round_settle(bet_id=rnd.pk, force=True)
    with pytest.raises(NotFound):
        services.jackpot_round_refund(bet_id=uuid.uuid4())


def test_open_is_idempotent_on_the_round_id():
    round_id = uuid.uuid4()
    first = open_round(round_id=round_id)
    assert open_round(round_id=round_id).pk == first.pk
    assert JackpotRound.objects.count() == 1
    with pytest.raises(Conflict):
        open_round(round_id=round_id, direction="down")


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"direction": "left"}, "invalid_direction"),
        ({"stake": Decimal("0")}, "invalid_amount"),
        ({"stake": Decimal("1.005")}, "invalid_amount"),
        ({"stake": "x"}, "invalid_amount"),
        ({"stake": Decimal("1e40")}, "invalid_amount"),
        ({"client_seed": ""}, "invalid_client_seed"),
        ({"client_seed": "x" * 65}, "invalid_client_seed"),
        ({"nonce": -1}, "invalid_nonce"),
    ],
)
def test_open_validates_its_input(overrides, code):
    with pytest.raises(ApplicationError) as exc:
        open_round(**overrides)
    assert exc.value.code == code
    assert not JackpotRound.objects.exists()


def test_round_reads_are_scoped_by_session():
    rnd = open_round()
    assert selectors.jackpot_round_get(bet_id=rnd.pk, session_id=rnd.session_id) == rnd
    assert selectors.jackpot_round_get(bet_id=rnd.pk, session_id=uuid.uuid4()) is None
    assert selectors.jackpot_round_get(bet_id="nope", session_id=rnd.session_id) is None
