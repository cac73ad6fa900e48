"""Demo play trades against its own books (issue #12 §1), and no session can take more out of an open market
than it put in.

The HTTP scenario (demo sessions, then a real session) is in tests/integration_hub/igsp/test_demo_isolation.py; these are the
service-level rules and the property test over sequences of bets and cash-outs in one session.
"""

from __future__ import annotations

import contextlib
import uuid
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from games import services as play
from games.markets import books, cashout, errors, lifecycle, limits, lmsr, trading
from games.models import MarketBook, MarketEvent, Position
from wallet import services as wallet
from wallet.models import GameSession

from ..factories import make_market, open_position

pytestmark = pytest.mark.django_db


def demo_session(games_catalog, player="guest", balance="100000.00", currency="USD"):
    return wallet.session_create(
        protocol="igsp",
        game=games_catalog["prediction-markets"],
        player_id=player,
        currency=currency,
        is_demo=True,
        demo_balance=Decimal(balance),
    ).session


# ------------------------------------------------------------------- books --


def test_a_demo_position_moves_the_demo_book_only():
    market = make_market(b="100", q_no="20")
    demo = open_position(market, outcome="YES", stake="400.00", demo=True)
    assert demo.demo
    assert books.book_q(market, "USD", demo=True) == (demo.shares, Decimal("20"))
    assert books.book_q(market, "USD") == (0, Decimal("20"))  # the real book has not even been opened
    assert not MarketBook.objects.filter(market=market, demo=False).exists()
    real = open_position(market, outcome="YES", stake="10.00")
    assert real.shares == lmsr.shares_for_stake(0, 20, 100, "YES", Decimal("10"))  # priced on the real book
    assert books.book_q(market, "USD") == (real.shares, Decimal("20"))
    assert books.book_q(market, "USD", demo=True) == (demo.shares, Decimal("20"))
    event = MarketEvent.objects.filter(market=market, action="bet").order_by("at", "id").first()
    assert event.details["demo"] is True


def test_demo_cash_out_and_quote_use_the_demo_book_and_leave_the_real_one():
    market = make_market(b="100")
    real = open_position(market, outcome="NO", stake="50.00")
    real_quote = cashout.position_cash_out_quote(position=real)["cashOutValue"]
    demo = open_position(market, outcome="YES", stake="500.00", demo=True)
    assert cashout.position_cash_out_quote(position=real)["cashOutValue"] == real_quote
    demo_quote = cashout.position_cash_out_quote(position=demo)
    assert demo_quote["cashOutValue"] == lmsr.cash_out_value(
        demo.shares, 0, 100, "YES", demo.shares, limits.market_margin(), 2
    )
    cashout.position_cash_out(position_id=demo.pk)
    assert books.book_q(market, "USD", demo=True) == (0, 0)
    assert books.book_q(market, "USD") == (0, real.shares)
    assert cashout.position_cash_out_quote(position=real)["cashOutValue"] == real_quote


def test_a_replayed_round_must_keep_its_demo_flag():
    from core.errors import Conflict

    market = make_market()
    round_id = uuid.uuid4()
    first = open_position(market, round_id=round_id, demo=True)
    assert open_position(market, round_id=round_id, demo=True).pk == first.pk
    with pytest.raises(Conflict):
        open_position(market, round_id=round_id, demo=False)


def test_the_exposure_limit_is_counted_per_book(settings):
    settings.HUB_MARKET_MAX_EXPOSURE = 400
    market = make_market(b="100")
    open_position(market, outcome="YES", stake="250.00", demo=True)
    with pytest.raises(errors.MarketError) as refused:
        trading.market_quote_bet(market=market, outcome="YES", amount=Decimal("100"), currency="USD", demo=True)
    assert refused.value.code == "exposure_limit"
    assert trading.market_quote_bet(market=market, outcome="YES", amount=Decimal("100"), currency="USD", demo=False) > 0


def test_settlement_totals_keep_demo_money_apart():
    market = make_market(b="100")
    real = open_position(market, outcome="YES", stake="10.00")
    demo = open_position(market, outcome="YES", stake="20.00", demo=True)
    change = lifecycle.market_void(market_id=market.pk, actor="t")
    assert {p.position_id for p in change.payouts} == {real.pk, demo.pk}  # both are settled
    assert change.total == {"USD": Decimal("10.00")}
    assert change.demo_total == {"USD": Decimal("20.00")}


def test_the_session_state_shows_each_session_its_own_book(games_catalog):
    market = make_market(b="100")
    demo = demo_session(games_catalog)
    placed = play.bet_market(session=demo, market_id=market.pk, outcome="YES", amount=Decimal("500.00"))
    assert Position.objects.get(pk=placed.position.pk).demo
    demo_view = next(m for m in play.state(session=demo).markets if m.market.pk == market.pk)
    assert demo_view.yes_price > Decimal("0.9")
    assert books.book_prices(market, "USD", demo=False) == (Decimal("0.5000"), Decimal("0.5000"))


def test_the_migration_moves_open_demo_shares_out_of_the_real_book(games_catalog):
    """Before 0008 demo positions moved the real book: their open shares go to a demo book opened at the
    market's opening q, and the real book keeps only the real positions' shares."""
    import importlib

    from django.apps import apps as django_apps

    migration = importlib.import_module("games.migrations.0008_demo_books")
    market = make_market(b="100", q_no="10")
    demo = demo_session(games_catalog)
    real_session = uuid.uuid4()  # not a demo session (no such session row: real by default)

    def legacy_position(session_id, outcome, shares, status="open"):
        return Position.objects.create(
            market=market,
            session_id=session_id,
            round_id=uuid.uuid4(),
            outcome=outcome,
            stake=Decimal("10"),
            shares=Decimal(shares),
            currency="USD",
            status=status,
        )

    legacy_position(demo.pk, "YES", "30")
    legacy_position(demo.pk, "NO", "4")
    legacy_position(demo.pk, "YES", "9", status="cashed_out")  # already out of the book
    legacy_position(real_session, "YES", "5")
    MarketBook.objects.create(market=market, currency="USD", q_yes=Decimal("35"), q_no=Decimal("14"))
    migration.split_demo_books(django_apps, None)
    assert books.book_q(market, "USD") == (Decimal("5"), Decimal("10"))
    assert books.book_q(market, "USD", demo=True) == (Decimal("30"), Decimal("14"))
    assert set(Position.objects.filter(session_id=demo.pk).values_list("demo", flat=True)) == {True}
    assert Position.objects.get(session_id=real_session).demo is False


# -------------------------------------------------------------- property --

# One session's moves on an open market: a bet (outcome, stake) or a cash-out of one of its open positions.
MOVES = st.lists(
    st.one_of(
        st.tuples(
            st.just("bet"),
            st.sampled_from(["YES", "NO"]),
            st.decimals(min_value=Decimal("0.10"), max_value=Decimal("500"), places=2),
        ),
        st.tuples(st.just("cash_out"), st.integers(min_value=0, max_value=50)),
    ),
    min_size=1,
    max_size=25,
)


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    moves=MOVES,
    b=st.sampled_from(["10", "100", "1000"]),
    q_no=st.sampled_from(["0", "28.19", "400"]),
    places=st.sampled_from([2, 8]),
    demo=st.booleans(),
    margin=st.sampled_from(["0.05", "0"]),
)
def test_no_sequence_of_bets_and_cash_outs_returns_more_than_it_staked(moves, b, q_no, places, demo, margin, settings):
    """The house never pays out more than one session staked while the market is open, whatever it buys and
    sells in whatever order (LMSR is path-independent; every rounding favours the house, so this holds with
    the configured margin and even with none)."""
    settings.HUB_CASHOUT_LIMIT_PER_DAY = 0
    settings.HUB_MARKET_MARGIN = Decimal(margin)
    market = make_market(b=b, q_no=q_no)
    session_id = uuid.uuid4()
    staked = returned = Decimal(0)
    held: list[Position] = []
    for move in moves:
        if move[0] == "bet":
            _, outcome, stake = move
            try:
                position = trading.position_open(
                    market_id=market.pk,
                    session_id=session_id,
                    round_id=uuid.uuid4(),
                    outcome=outcome,
                    stake=stake,
                    currency="USD",
                    places=places,
                    demo=demo,
                )
            except errors.MarketError:  # exposure limit, a stake too small to buy a share
                continue
            staked += position.stake
            held.append(position)
        elif held:
            position = held.pop(move[1] % len(held))
            try:
                sold = cashout.position_cash_out(position_id=position.pk, session_id=session_id, places=places)
            except errors.MarketError as exc:
                if exc.code != "cash_out_unavailable":
                    raise
                continue
            returned += sold.cash_out_value
        assert returned <= staked, (returned, staked, moves)
    for position in held:  # even selling everything left back returns no more than was staked
        try:
            returned += cashout.position_cash_out(
                position_id=position.pk, session_id=session_id, places=places
            ).cash_out_value
        except errors.MarketError as exc:
            if exc.code != "cash_out_unavailable":
                raise
    assert returned <= staked, (returned, staked, moves)


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(moves=MOVES)
def test_a_demo_session_through_the_wallet_never_ends_richer(moves, games_catalog, settings):
    """The same property through the player's own path (games.services and the wallet's demo balance)."""
    settings.HUB_CASHOUT_LIMIT_PER_DAY = 0
    market = make_market(b="100", q_no="28.19")
    session = demo_session(games_catalog, balance="100000.00")
    bets: list[uuid.UUID] = []
    for move in moves:
        if move[0] == "bet":
            try:
                bets.append(
                    play.bet_market(
                        session=session, market_id=market.pk, outcome=move[1], amount=Decimal(str(move[2]))
                    ).position.pk
                )
            except errors.MarketError:
                continue
        elif bets:
            bet_id = bets.pop(move[1] % len(bets))
            try:
                play.cash_out(session=session, bet_id=bet_id)
            except errors.MarketError:
                continue
    for bet_id in bets:
        with contextlib.suppress(errors.MarketError):
            play.cash_out(session=session, bet_id=bet_id)
    assert GameSession.objects.get(pk=session.pk).demo_balance <= Decimal("100000.00")


def test_a_market_bet_holds_the_market_lock_for_the_trade_only_and_rereads_nothing(games_catalog):
    """The market's row lock (the book's) is taken last in the confirming transaction and covers only the
    statements that price and record the trade; the answer is built from the locked market (no re-read)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    market = make_market(b="100")
    session = demo_session(games_catalog)
    play.bet_market(session=session, market_id=market.pk, outcome="YES", amount=Decimal("5"))  # the book exists
    with CaptureQueriesContext(connection) as captured:
        placed = play.bet_market(session=session, market_id=market.pk, outcome="NO", amount=Decimal("5"))
    # A prepared statement (``core.db``) is logged by Django as "QUERY = '<sql>' - PARAMS = (…)".
    sql = [q["sql"].removeprefix("QUERY = '").split("' - PARAMS = ")[0] for q in captured.captured_queries]
    # The last read of the market is its lock (nothing reads the market after the trade).
    lock = max(i for i, s in enumerate(sql) if s.startswith('SELECT "games_market"."id"'))
    if connection.vendor == "postgresql":
        assert sql[lock].endswith("FOR UPDATE"), sql[lock]
    held = [s for s in sql[lock + 1 :] if not s.startswith("RELEASE SAVEPOINT")]  # then COMMIT
    assert all(s.startswith("RELEASE SAVEPOINT") for s in sql[lock + 1 + len(held) :]), sql[lock:]
    assert held[0].startswith('SELECT "games_marketbook"."id",'), held  # the book, under the market's lock
    if connection.vendor == "postgresql":  # the position, the moved book and the event: one statement
        assert len(held) == 2, held
        assert held[1].startswith("WITH "), held
        assert all(t in held[1] for t in ('INSERT INTO "games_position"', 'UPDATE "games_marketbook"')), held
        assert 'INSERT INTO "games_marketevent"' in held[1]
    else:
        assert [s.split(" ", 3)[:3] for s in held[1:]] == [
            ["INSERT", "INTO", '"games_position"'],
            ["INSERT", "INTO", '"games_marketevent"'],
            ["UPDATE", '"games_marketbook"', "SET"],
        ], held
    assert not any("games_position" in s for s in sql[: lock + 1] if s.startswith("SELECT")), sql
    assert placed.market.no_price == books.book_prices(market, "USD", demo=True)[1]
