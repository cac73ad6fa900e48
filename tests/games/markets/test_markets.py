"""Market services: quotes and their limits, positions, cash-outs, status changes and settlement amounts."""

from __future__ import annotations

import importlib
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core.errors import ApplicationError, Conflict, NotFound
from games import selectors
from games.markets import books, cashout, lifecycle, limits, lmsr, trading
from games.models import CashOutDay, Market, MarketEvent, MarketStatus, Position, PositionStatus

from ..factories import make_market, open_position

pytestmark = pytest.mark.django_db


def code_of(excinfo) -> str:
    return excinfo.value.code


# ------------------------------------------------------------------ quotes --


def test_quote_returns_the_lmsr_shares_and_writes_nothing():
    market = make_market(b="100")
    shares = trading.market_quote_bet(market=market, outcome="YES", amount=Decimal("10.00"), currency="USD", demo=False)
    assert shares == lmsr.shares_for_stake(0, 0, 100, "YES", Decimal("10")) == Decimal("19.090282")
    market.refresh_from_db()
    assert (market.q_yes, market.q_no) == (0, 0)
    assert not Position.objects.exists()


@pytest.mark.parametrize(
    ("amount", "currency", "code"),
    [
        (Decimal("0.09"), "USD", "stake_too_low"),
        (Decimal("500.01"), "EUR", "stake_too_high"),
        (Decimal("1.001"), "USD", "invalid_amount"),  # more decimals than the currency has
        (Decimal("0"), "USD", "invalid_amount"),
        (Decimal("-5"), "USD", "invalid_amount"),
        ("abc", "USD", "invalid_amount"),
        (Decimal("1e40"), "USD", "invalid_amount"),
        (Decimal("1e-40"), "USD", "invalid_amount"),
        (Decimal("NaN"), "USD", "invalid_amount"),
    ],
)
def test_quote_validates_the_stake(amount, currency, code):
    market = make_market()
    with pytest.raises(ApplicationError) as exc:
        trading.market_quote_bet(market=market, outcome="YES", amount=amount, currency=currency, demo=False)
    assert code_of(exc) == code
    assert exc.value.status_code == 400


def test_quote_refuses_an_unknown_outcome():
    with pytest.raises(ApplicationError) as exc:
        trading.market_quote_bet(market=make_market(), outcome="MAYBE", amount=Decimal("1"), currency="USD", demo=False)
    assert code_of(exc) == "invalid_outcome"


def test_stake_limits_come_from_settings_with_a_fallback(settings):
    settings.HUB_MARKET_STAKE_LIMITS = {"USD": ("1", "20"), "*": ("0.5", "5")}
    market = make_market()
    with pytest.raises(ApplicationError) as exc:
        trading.market_quote_bet(market=market, outcome="NO", amount=Decimal("0.50"), currency="USD", demo=False)
    assert code_of(exc) == "stake_too_low"
    assert "1 USD" in exc.value.message
    with pytest.raises(ApplicationError) as exc:
        trading.market_quote_bet(market=market, outcome="NO", amount=Decimal("6"), currency="CAD", demo=False)
    assert code_of(exc) == "stake_too_high"
    assert trading.market_quote_bet(market=market, outcome="NO", amount=Decimal("5"), currency="CAD", demo=False) > 0
    # Crypto stakes keep their own precision.
    assert (
        trading.market_quote_bet(market=market, outcome="NO", amount=Decimal("0.50000001"), currency="BTC", demo=False)
        > 0
    )


def test_default_limits_are_the_settings_defaults(settings, monkeypatch):
    """The defaults live in config/settings/base.py only: read them from a fresh import of that module (no
    environment overrides), put them in place and check what the market code makes of them."""
    for name in ("HUB_MARKET_MARGIN", "HUB_CASHOUT_LIMIT_PER_DAY"):
        monkeypatch.delenv(name, raising=False)
    base = importlib.reload(importlib.import_module("config.settings.base"))
    for name in (
        "HUB_MARKET_STAKE_LIMITS",
        "HUB_MARKET_MAX_EXPOSURE",
        "HUB_MARKET_MARGIN",
        "HUB_CASHOUT_LIMIT_PER_DAY",
    ):
        setattr(settings, name, getattr(base, name))
    assert limits.stake_limits("GBP") == (Decimal("0.10"), Decimal("500"))
    assert limits.stake_limits("XYZ") == (Decimal("0.10"), Decimal("500"))
    assert limits.max_exposure("USD") == Decimal("50000")
    # Crypto units have their own: not the fiat 500 (500 BTC), not an exposure of 50,000 BTC.
    assert limits.stake_limits("BTC") == (Decimal("0.000001"), Decimal("0.005"))
    assert limits.max_exposure("BTC") == Decimal("0.5")
    assert limits.stake_limits("uBTC")[1] == Decimal("5000")
    market = make_market()
    with pytest.raises(ApplicationError) as exc:
        trading.market_quote_bet(market=market, outcome="YES", amount=Decimal("1"), currency="BTC", demo=False)
    assert code_of(exc) == "stake_too_high"
    assert limits.market_margin() == Decimal("0.05")
    assert limits.cashout_limit_per_day() == 10


def test_a_stake_limits_table_without_a_fallback_fails_the_system_check(settings):
    from django.core import checks

    settings.HUB_MARKET_STAKE_LIMITS = {"USD": ("1", "20")}
    assert [m.id for m in checks.run_checks() if m.id.startswith("games.")] == ["games.E001"]
    settings.HUB_MARKET_STAKE_LIMITS = {"USD": ("1", "20"), "*": ("0.5", "5")}
    assert [m.id for m in checks.run_checks() if m.id.startswith("games.")] == []


@pytest.mark.parametrize(
    "change",
    [
        {"status": MarketStatus.SUSPENDED},
        {"status": MarketStatus.RESOLVED},
        {"close_at": timezone.now() - timedelta(seconds=1)},
    ],
)
def test_closed_markets_take_no_bets(change):
    market = make_market()
    Market.objects.filter(pk=market.pk).update(**change)
    market.refresh_from_db()
    with pytest.raises(ApplicationError) as exc:
        trading.market_quote_bet(market=market, outcome="YES", amount=Decimal("1"), currency="USD", demo=False)
    assert code_of(exc) == "market_closed"


def test_exposure_limit_counts_open_shares_per_outcome_and_currency(settings):
    settings.HUB_MARKET_MAX_EXPOSURE = {"USD": "60", "*": "1000"}
    market = make_market(b="100")
    open_position(market, outcome="YES", stake="20")  # ≈ 36.9 shares
    market.refresh_from_db()
    with pytest.raises(ApplicationError) as exc:
        trading.market_quote_bet(market=market, outcome="YES", amount=Decimal("20"), currency="USD", demo=False)
    assert code_of(exc) == "exposure_limit"
    # The other side and other currencies have their own exposure.
    assert trading.market_quote_bet(market=market, outcome="NO", amount=Decimal("20"), currency="USD", demo=False) > 0
    assert trading.market_quote_bet(market=market, outcome="YES", amount=Decimal("20"), currency="EUR", demo=False) > 0


def test_the_exposure_check_reads_the_book_not_the_open_positions(settings):
    """A popular market stays cheap: pricing a bet reads the market's book (one row), never its positions."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.HUB_MARKET_MAX_EXPOSURE = {"USD": "60", "*": "1000"}
    market = make_market(b="100")
    for _ in range(3):
        open_position(market, outcome="YES", stake="5")
    market = Market.objects.get(pk=market.pk)
    with CaptureQueriesContext(connection) as queries:
        trading.market_quote_bet(market=market, outcome="NO", amount=Decimal("5"), currency="USD", demo=False)
    assert not [q for q in queries.captured_queries if "games_position" in q["sql"]], queries.captured_queries
    assert len(queries.captured_queries) == 1  # the USD book


def test_exposure_follows_cash_outs(settings):
    """A cashed-out position's shares leave the book, so they no longer count toward the exposure."""
    settings.HUB_MARKET_MAX_EXPOSURE = {"USD": "60", "*": "1000"}
    market = make_market(b="100")
    position = open_position(market, outcome="YES", stake="20")  # ≈ 36.9 shares
    with pytest.raises(ApplicationError) as exc:
        trading.market_quote_bet(market=market, outcome="YES", amount=Decimal("20"), currency="USD", demo=False)
    assert code_of(exc) == "exposure_limit"
    cashout.position_cash_out(position_id=position.pk)
    assert trading.market_quote_bet(market=market, outcome="YES", amount=Decimal("20"), currency="USD", demo=False) > 0


def test_exposure_limit_stops_a_long_shot_that_would_owe_a_fortune():
    # NO costs ≈ e^-10000 a share: even 0.10 USD would buy ≈ 99,954 shares, owing ≈ 100k if NO wins.
    market = make_market(b="10", q_yes="100000")
    with pytest.raises(ApplicationError) as exc:
        trading.market_quote_bet(market=market, outcome="NO", amount=Decimal("10"), currency="USD", demo=False)
    assert code_of(exc) == "exposure_limit"


# --------------------------------------------------------------- positions --


def test_position_open_moves_the_market_and_is_audited():
    market = make_market(b="200")
    session, round_id = uuid.uuid4(), uuid.uuid4()
    quoted = trading.market_quote_bet(market=market, outcome="NO", amount=Decimal("25.00"), currency="USD", demo=False)
    position = open_position(market, outcome="NO", stake="25.00", session_id=session, round_id=round_id)
    assert (position.status, position.shares, position.stake) == (PositionStatus.OPEN, quoted, Decimal("25.00"))
    market.refresh_from_db()
    assert books.book_q(market, "USD") == (0, quoted)
    assert (market.q_yes, market.q_no) == (0, 0)  # the opening state stays
    assert books.book_prices(market, "USD", demo=False)[1] > Decimal("0.5")
    event = MarketEvent.objects.filter(market=market, action="bet").get()
    assert event.details["position"] == str(position.pk)
    assert Decimal(event.details["shares"]) == quoted
    assert selectors.position_get(bet_id=position.pk, session_id=session) == position
    assert selectors.position_get(bet_id=position.pk, session_id=uuid.uuid4()) is None


def test_position_open_is_idempotent_on_the_round():
    market = make_market()
    round_id = uuid.uuid4()
    first = open_position(market, stake="10", round_id=round_id)
    again = open_position(market, stake="10", round_id=round_id)
    assert again.pk == first.pk
    assert books.book_q(market, "USD")[0] == first.shares  # moved once
    assert Position.objects.count() == 1
    with pytest.raises(Conflict):
        open_position(market, stake="11", round_id=round_id)


def test_position_open_reprices_against_the_current_state():
    market = make_market(b="100")
    quote = trading.market_quote_bet(market=market, outcome="YES", amount=Decimal("10"), currency="USD", demo=False)
    open_position(market, outcome="YES", stake="50")  # someone else moves the price up first
    later = open_position(market, outcome="YES", stake="10")
    assert later.shares < quote


def test_each_currency_trades_against_its_own_book():
    """A stake in one currency never moves the price another currency pays (no cross-currency arbitrage:
    500 units of a currency worth a fraction of a cent would otherwise swing a dollar market)."""
    market = make_market(b="100", q_no="20")
    usd_quote = trading.market_quote_bet(market=market, outcome="NO", amount=Decimal("10"), currency="USD", demo=False)
    for _ in range(5):
        open_position(market, outcome="YES", stake="500", currency="IDR")
    assert (
        trading.market_quote_bet(market=market, outcome="NO", amount=Decimal("10"), currency="USD", demo=False)
        == usd_quote
    )
    assert (
        books.book_prices(market, "IDR", demo=False)[0]
        > Decimal("0.99")
        > books.book_prices(market, "USD", demo=False)[0]
    )
    usd = open_position(market, outcome="NO", stake="10", currency="USD")
    assert usd.shares == usd_quote  # the USD book opened at the market's opening q
    assert books.book_q(market, "USD") == (0, Decimal("20") + usd.shares)
    yes_idr = sum(p.shares for p in Position.objects.filter(market=market, currency="IDR"))
    assert books.book_q(market, "IDR") == (yes_idr, Decimal("20"))
    # A cash-out sells back into its own currency's book.
    cashout.position_cash_out(position_id=usd.pk)
    assert books.book_q(market, "USD") == (0, Decimal("20"))
    assert books.book_q(market, "IDR") == (yes_idr, Decimal("20"))


def test_apply_bet_and_sell_primitives_move_q_and_log():
    market = make_market()
    books.market_apply_bet(market_id=market.pk, outcome="YES", shares=Decimal("5"), currency="USD", actor="t")
    books.market_apply_sell(market_id=market.pk, outcome="YES", shares=Decimal("2"), currency="USD", actor="t")
    assert books.book_q(market, "USD") == (Decimal("3"), 0)
    assert list(market.events.values_list("action", flat=True).order_by("id")) == ["create", "bet", "sell"]
    with pytest.raises(ApplicationError):
        books.market_apply_sell(market_id=market.pk, outcome="YES", shares=Decimal("4"), currency="USD")
    with pytest.raises(ApplicationError):  # another currency's book holds none of those shares
        books.market_apply_sell(market_id=market.pk, outcome="YES", shares=Decimal("1"), currency="EUR")
    with pytest.raises(NotFound):
        books.market_apply_bet(market_id=uuid.uuid4(), outcome="YES", shares=Decimal("1"), currency="USD")


# ---------------------------------------------------------------- cash-out --


def test_cash_out_quote_never_beats_the_stake_right_after_buying():
    market = make_market(b="150", q_yes="40")
    position = open_position(market, outcome="YES", stake="100.00")
    quote = cashout.position_cash_out_quote(position=position)
    assert set(quote) >= {"cashOutValue", "margin", "originalStake", "currentOdds"}
    assert quote["originalStake"] == Decimal("100.00")
    assert quote["margin"] == Decimal("0.05")
    assert Decimal("94.99") <= quote["cashOutValue"] <= Decimal("95.00")
    assert quote["currentOdds"] == (1 / quote["currentPrice"]).quantize(Decimal("0.01"), "ROUND_DOWN")
    assert quote["currentOdds"] > 1


def test_cash_out_sells_back_and_cannot_repeat():
    market = make_market(b="100", q_no="30")
    session = uuid.uuid4()
    position = open_position(market, outcome="YES", stake="10", session_id=session)
    preview = cashout.position_cash_out_quote(position=position)["cashOutValue"]
    done = cashout.position_cash_out(position_id=position.pk, session_id=session, min_value=preview)
    assert (done.status, done.cash_out_value, done.payout) == (PositionStatus.CASHED_OUT, preview, preview)
    assert done.settled_at is not None
    assert books.book_q(market, "USD") == (0, Decimal("30"))  # back where it started
    with pytest.raises(ApplicationError) as exc:
        cashout.position_cash_out(position_id=position.pk)
    assert code_of(exc) == "already_cashed_out"
    assert exc.value.status_code == 409
    with pytest.raises(ApplicationError) as exc:
        cashout.position_cash_out_quote(position=done)
    assert code_of(exc) == "already_cashed_out"
    assert MarketEvent.objects.filter(market=market, action="cash_out").count() == 1


def test_cash_out_needs_the_owning_session_and_an_existing_bet():
    position = open_position(make_market())
    with pytest.raises(NotFound):
        cashout.position_cash_out(position_id=position.pk, session_id=uuid.uuid4())
    with pytest.raises(NotFound):
        cashout.position_cash_out(position_id=uuid.uuid4())
    position.refresh_from_db()
    assert position.status == PositionStatus.OPEN


def test_cash_out_refuses_when_the_value_dropped_below_the_preview():
    market = make_market(b="100")
    position = open_position(market, outcome="YES", stake="20")
    preview = cashout.position_cash_out_quote(position=position)["cashOutValue"]
    open_position(market, outcome="NO", stake="100")  # the price of YES falls
    with pytest.raises(ApplicationError) as exc:
        cashout.position_cash_out(position_id=position.pk, min_value=preview)
    assert code_of(exc) == "cash_out_value_changed"
    position.refresh_from_db()
    assert position.status == PositionStatus.OPEN


def test_cash_out_daily_limit_per_player(settings):
    settings.HUB_CASHOUT_LIMIT_PER_DAY = 2
    market = make_market()
    player = "partner-1:p-7"
    # The player's cash-outs count together across sessions (a new session does not reset the limit).
    positions = [open_position(market, stake="1", session_id=uuid.uuid4()) for _ in range(3)]
    other = open_position(market, stake="1")
    for position in positions[:2]:
        cashout.position_cash_out(position_id=position.pk, player_key=player)
    with pytest.raises(ApplicationError) as exc:
        cashout.position_cash_out_quote(position=positions[2], player_key=player)
    assert code_of(exc) == "cashout_limit"
    assert exc.value.status_code == 429
    with pytest.raises(ApplicationError):
        cashout.position_cash_out(position_id=positions[2].pk, player_key=player)
    assert Position.objects.get(pk=positions[2].pk).status == PositionStatus.OPEN
    cashout.position_cash_out(position_id=other.pk, player_key="partner-1:p-8")  # another player is unaffected
    # Yesterday's cash-outs do not count.
    CashOutDay.objects.filter(player_key=player).update(day=timezone.now().date() - timedelta(days=1))
    cashout.position_cash_out(position_id=positions[2].pk, player_key=player)
    assert CashOutDay.objects.get(player_key=player, day=timezone.now().date()).count == 1


def test_a_cash_out_that_fails_gives_its_slot_back(settings):
    settings.HUB_CASHOUT_LIMIT_PER_DAY = 1
    market = make_market()
    position = open_position(market, stake="5")
    with pytest.raises(ApplicationError) as exc:  # the value changed since the preview
        cashout.position_cash_out(position_id=position.pk, min_value=Decimal("1000"), player_key="x:y")
    assert code_of(exc) == "cash_out_value_changed"
    cashout.position_cash_out(position_id=position.pk, player_key="x:y")


def test_without_a_player_a_session_counts_on_its_own(settings):
    settings.HUB_CASHOUT_LIMIT_PER_DAY = 1
    market = make_market()
    session = uuid.uuid4()
    first, second = (
        open_position(market, stake="1", session_id=session),
        open_position(market, stake="1", session_id=session),
    )
    cashout.position_cash_out(position_id=first.pk)
    with pytest.raises(ApplicationError) as exc:
        cashout.position_cash_out(position_id=second.pk)
    assert code_of(exc) == "cashout_limit"
    cashout.position_cash_out(position_id=open_position(market, stake="1").pk)  # another demo session


def test_no_cash_out_while_suspended():
    market = make_market()
    position = open_position(market)
    lifecycle.market_suspend(market_id=market.pk, actor="am")
    with pytest.raises(ApplicationError) as exc:
        cashout.position_cash_out(position_id=position.pk)
    assert code_of(exc) == "market_closed"


# ------------------------------------------------------ status and settlement --


def test_suspend_and_resume():
    market = make_market()
    change = lifecycle.market_suspend(market_id=market.pk, actor="am", reason="news pending")
    assert change.market.status == MarketStatus.SUSPENDED
    assert change.payouts == []
    with pytest.raises(ApplicationError) as exc:
        lifecycle.market_suspend(market_id=market.pk, actor="am")
    assert code_of(exc) == "invalid_transition"
    assert exc.value.status_code == 409
    assert lifecycle.market_resume(market_id=market.pk, actor="am").market.status == MarketStatus.OPEN
    actions = list(MarketEvent.objects.filter(market=market).order_by("id").values_list("action", "actor"))
    assert actions[1:] == [("suspend", "am"), ("resume", "am")]


def test_resolve_pays_winners_their_shares_and_losers_nothing(settings):
    settings.HUB_MARKET_STAKE_LIMITS = {"BTC": ("0.0001", "0.05"), "*": ("0.10", "500")}
    market = make_market(b="100")
    yes_usd = open_position(market, outcome="YES", stake="10.00")
    yes_btc = open_position(market, outcome="YES", stake="0.001", currency="BTC")
    no = open_position(market, outcome="NO", stake="5.00")
    cashed = open_position(market, outcome="YES", stake="3.00")
    cashout.position_cash_out(position_id=cashed.pk)
    lifecycle.market_suspend(market_id=market.pk)  # resolving from suspended is allowed
    change = lifecycle.market_resolve(market_id=market.pk, outcome="YES", actor="am")
    assert change.market.status == MarketStatus.RESOLVED
    assert change.market.outcome == "YES"
    owed = {p.position_id: (p.kind, p.amount) for p in change.payouts}
    assert owed == {
        yes_usd.pk: ("win", yes_usd.shares.quantize(Decimal("0.01"), "ROUND_DOWN")),
        yes_btc.pk: ("win", yes_btc.shares.quantize(Decimal("0.00000001"), "ROUND_DOWN")),
        no.pk: ("loss", Decimal(0)),
    }
    assert change.total["USD"] == owed[yes_usd.pk][1]
    statuses = dict(Position.objects.values_list("pk", "status"))
    assert statuses == {yes_usd.pk: "won", yes_btc.pk: "won", no.pk: "lost", cashed.pk: "cashed_out"}
    assert Position.objects.get(pk=no.pk).payout == 0
    event = MarketEvent.objects.get(market=market, action="resolve")
    assert event.details["positions"] == 3
    assert event.details["outcome"] == "YES"
    with pytest.raises(ApplicationError) as exc:
        lifecycle.market_cancel(market_id=market.pk)
    assert code_of(exc) == "invalid_transition"
    with pytest.raises(ApplicationError) as exc:
        cashout.position_cash_out_quote(position=Position.objects.get(pk=no.pk))
    assert code_of(exc) == "position_settled"


@pytest.mark.parametrize(
    ("service", "status"),
    [(lifecycle.market_cancel, MarketStatus.CANCELLED), (lifecycle.market_void, MarketStatus.VOIDED)],
)
def test_cancel_and_void_refund_every_open_stake(service, status):
    market = make_market()
    a = open_position(market, outcome="YES", stake="7.50")
    b = open_position(market, outcome="NO", stake="2.00", currency="EUR")
    change = service(market_id=market.pk, actor="am", reason="event postponed")
    assert change.market.status == status
    assert change.market.resolved_at is not None
    assert {(p.position_id, p.kind, p.amount) for p in change.payouts} == {
        (a.pk, "refund", Decimal("7.50")),
        (b.pk, "refund", Decimal("2.00")),
    }
    assert change.total == {"USD": Decimal("7.50"), "EUR": Decimal("2.00")}
    assert set(Position.objects.values_list("status", flat=True)) == {PositionStatus.REFUNDED}


def test_market_update_edits_only_descriptive_fields():
    market = make_market()
    new_close = timezone.now() + timedelta(days=3)
    lifecycle.market_update(market_id=market.pk, actor="am", title="Renamed", close_at=new_close)
    market.refresh_from_db()
    assert (market.title, market.close_at) == ("Renamed", new_close)
    assert MarketEvent.objects.filter(market=market, action="update").count() == 1
    with pytest.raises(ApplicationError):
        lifecycle.market_update(market_id=market.pk, q_yes=Decimal(5))


@pytest.mark.parametrize("with_create_event", [True, False])
def test_the_migration_splits_a_shared_q_into_one_book_per_currency(with_create_event):
    import importlib

    from django.apps import apps as django_apps

    migration = importlib.import_module("games.migrations.0007_market_books")
    market = make_market(b="100", q_no="20")  # opens at (0, 20)

    def position(outcome, shares, currency, status=PositionStatus.OPEN):
        Position.objects.create(
            market=market,
            session_id=uuid.uuid4(),
            round_id=uuid.uuid4(),
            outcome=outcome,
            stake=Decimal("10"),
            shares=Decimal(shares),
            currency=currency,
            status=status,
        )

    # Before books, every currency moved the market's one q.
    position("YES", "15", "USD")
    position("NO", "5", "EUR")
    position("YES", "7", "USD", status=PositionStatus.CASHED_OUT)  # sold back: no longer in q
    Market.objects.filter(pk=market.pk).update(q_yes=Decimal("15"), q_no=Decimal("25"))
    if not with_create_event:
        market.events.all().delete()
    migration.split_into_books(django_apps, None)
    market.refresh_from_db()
    assert (market.q_yes, market.q_no) == (0, Decimal("20"))
    assert books.book_q(market, "USD") == (Decimal("15"), Decimal("20"))
    assert books.book_q(market, "EUR") == (0, Decimal("25"))
    assert books.book_q(market, "GBP") == (0, Decimal("20"))  # no book yet: the opening state
