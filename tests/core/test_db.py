"""The hot-path query helpers of ``core/db.py`` give what the ORM gives (they bypass its compiler)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.db import PreparedGet, insert_batch, insert_row, insert_rows, update_where, write_rows
from wallet import services
from wallet.models import GameSession, Round, Transaction, TxKind, TxStatus, WalletCall
from wallet.session_cache import SESSION_LOOKUP

pytestmark = pytest.mark.django_db


def _session(partner, game, *, demo=False) -> GameSession:
    return services.session_create(
        protocol="igsp",
        partner=None if demo else partner,
        game=game,
        player_id="p-1",
        currency="EUR",
        partner_session_ref="" if demo else f"ref-{uuid.uuid4().hex[:8]}",
        is_demo=demo,
        demo_balance=Decimal("100.00") if demo else None,
        balance=Decimal("12.34"),
    ).session


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


@pytest.mark.parametrize("demo", [False, True], ids=["partner", "demo-without-partner"])
def test_prepared_get_builds_what_select_related_builds(igsp_partner, game, demo):
    session = _session(igsp_partner, game, demo=demo)
    orm = GameSession.objects.select_related("partner", "ext_client", "game").get(pk=session.pk)

    with CaptureQueriesContext(connection) as queries:
        got = SESSION_LOOKUP.get(session.pk)
        assert got is not None
        assert _fields(got) == _fields(orm)  # Decimals, datetimes (aware), JSON, UUIDs converted alike
        assert _fields(got.game) == _fields(orm.game)
        assert got.ext_client is None
        if demo:
            assert got.partner is None
        else:
            assert _fields(got.partner) == _fields(orm.partner)
    assert len(queries) == 1  # the related rows came with it: no lazy load
    assert not got._state.adding
    assert got._state.db == "default"
    assert isinstance(got.last_balance, Decimal)
    assert got.last_balance == Decimal("12.34")


def test_prepared_get_takes_a_text_key_and_answers_none_for_an_unknown_one(igsp_partner, game):
    session = _session(igsp_partner, game)
    assert SESSION_LOOKUP.get(str(session.pk)).pk == session.pk
    assert SESSION_LOOKUP.get(uuid.uuid4()) is None


def test_prepared_get_keeps_the_querysets_own_filters_and_takes_other_unique_keys(igsp_partner, game):
    session = _session(igsp_partner, game)
    mine = PreparedGet(lambda: GameSession.objects.filter(player_id="p-1"))
    theirs = PreparedGet(lambda: GameSession.objects.filter(player_id="someone-else"))
    assert mine.get(session.pk).pk == session.pk
    assert theirs.get(session.pk) is None
    by_hash = PreparedGet(lambda: GameSession.objects.filter(is_demo=False), by=("key_hash",))
    assert by_hash.get(session.key_hash).pk == session.pk
    assert by_hash.get("0" * 64) is None
    with pytest.raises(ValueError, match="no placeholder"):
        PreparedGet(lambda: GameSession.objects.all(), by=("demo_balance",)).get(Decimal(1))


def test_insert_row_writes_the_row_the_orm_would_and_the_database_constraints_hold(igsp_partner, game):
    session = _session(igsp_partner, game)
    rnd = Round(session=session, partner_id=igsp_partner.pk)
    insert_row(rnd)
    tx = Transaction(
        round=rnd,
        session=session,
        partner_id=igsp_partner.pk,
        kind=TxKind.BET,
        amount=Decimal("1.50"),
        currency="EUR",
        status=TxStatus.PENDING,
    )
    insert_row(tx)
    stored = Transaction.objects.get(pk=tx.pk)
    assert stored.amount == Decimal("1.50")
    assert stored.tx_type == "regular"
    assert stored.attempts == 0
    assert stored.created_at is not None
    assert stored.created_at == tx.created_at  # auto_now_add from pre_save
    assert not tx._state.adding
    # One bet per round is the database's rule, not the ORM's: a second bet on the round is refused.
    twin = Transaction(
        round=rnd, session=session, partner_id=igsp_partner.pk, kind=TxKind.BET, amount=Decimal(1), currency="EUR"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_row(twin)
    assert Transaction.objects.filter(round=rnd).count() == 1


def test_insert_row_leaves_an_auto_increment_key_to_the_database(igsp_partner, game):
    session = _session(igsp_partner, game)
    call = WalletCall(
        partner_id=igsp_partner.pk, session_id=session.pk, kind="bet", player_id="p-1", started_at=timezone.now()
    )
    insert_row(call)
    assert WalletCall.objects.filter(session_id=session.pk, kind="bet").count() == 1


def test_update_where_updates_only_matching_rows_and_counts_them(igsp_partner, game):
    session = _session(igsp_partner, game)
    rnd = Round(session=session, partner_id=igsp_partner.pk)
    insert_row(rnd)
    tx = Transaction(
        round=rnd, session=session, partner_id=igsp_partner.pk, kind=TxKind.BET, amount=Decimal(2), currency="EUR"
    )
    insert_row(tx)
    assert update_where(Transaction, {"id": tx.pk, "status": TxStatus.PENDING}, {"status": TxStatus.CONFIRMED}) == 1
    # The bet is no longer pending: a second conditional update (the sweeper's race) changes nothing.
    assert update_where(Transaction, {"id": tx.pk, "status": TxStatus.PENDING}, {"status": TxStatus.DECLINED}) == 0
    assert Transaction.objects.get(pk=tx.pk).status == TxStatus.CONFIRMED
    assert update_where(GameSession, {"id": session.pk}, {"last_balance": Decimal("7.25")}) == 1
    assert GameSession.objects.get(pk=session.pk).last_balance == Decimal("7.25")


def test_write_rows_inserts_and_updates_together_and_counts_the_updates(igsp_partner, game):
    session = _session(igsp_partner, game)
    rnd = Round(session=session, partner_id=igsp_partner.pk)
    tx = Transaction(
        round=rnd, session=session, partner_id=igsp_partner.pk, kind=TxKind.BET, amount=Decimal(3), currency="EUR"
    )
    with CaptureQueriesContext(connection) as queries:
        counts = write_rows(
            [rnd, tx],
            [
                (GameSession, {"id": session.pk}, {"last_balance": Decimal("9.00")}),
                (GameSession, {"id": uuid.uuid4()}, {"last_balance": Decimal("1.00")}),  # no such row
            ],
        )
    assert counts == [1, 0]
    assert len(queries) == (1 if connection.vendor == "postgresql" else 4)  # one round trip on PostgreSQL
    assert Transaction.objects.get(pk=tx.pk).round_id == rnd.pk
    assert GameSession.objects.get(pk=session.pk).last_balance == Decimal("9.00")


def _prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL")
def test_the_hot_statements_are_prepared_once_per_connection(igsp_partner, game):
    """PostgreSQL parses and plans the session look-up once per connection, not on every request."""
    session = _session(igsp_partner, game)
    for _ in range(3):
        assert SESSION_LOOKUP.get(session.pk).pk == session.pk
    lookups = [s for s in _prepared_statements() if 'FROM "wallet_gamesession"' in s]
    assert len(lookups) == 1
    call = WalletCall(partner_id=igsp_partner.pk, session_id=session.pk, kind="bet", started_at=timezone.now())
    insert_row(call)
    assert len([s for s in _prepared_statements() if s.startswith('INSERT INTO "wallet_walletcall"')]) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL")
def test_the_hot_statements_run_their_generic_plan_without_planning_again(igsp_partner, game):
    """A prepared statement on the partitioned ledger is not re-planned at every bind (PostgreSQL's ``auto``
    plan cache mode keeps choosing a custom plan there, planned anew each time)."""
    session = _session(igsp_partner, game)
    for _ in range(7):
        assert SESSION_LOOKUP.get(session.pk).pk == session.pk
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone()[0] == "force_generic_plan"
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE %s",
            ['%FROM "wallet_gamesession"%'],
        )
        assert cursor.fetchall() == [(7, 0)]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL")
def test_a_connection_that_prepares_nothing_prepares_no_statement(igsp_partner, game):
    """Behind PgBouncer in transaction mode (``HUB_DB_PGBOUNCER``: prepare_threshold None) a prepared statement
    would be left on a server connection the next transaction may not get: nothing is prepared (the server still
    binds the values, in an unnamed statement)."""
    session = _session(igsp_partner, game)
    connection.ensure_connection()
    raw = connection.connection
    before, raw.prepare_threshold = raw.prepare_threshold, None
    try:
        for _ in range(3):
            assert SESSION_LOOKUP.get(session.pk).pk == session.pk
        assert not [s for s in _prepared_statements() if 'FROM "wallet_gamesession"' in s]
    finally:
        raw.prepare_threshold = before


def test_insert_rows_writes_every_row_in_one_round_trip_or_none(igsp_partner, game):
    session = _session(igsp_partner, game)

    def call(kind):
        return WalletCall(partner_id=igsp_partner.pk, session_id=session.pk, kind=kind, started_at=timezone.now())

    with CaptureQueriesContext(connection) as queries:
        insert_rows([call("bet"), call("balance"), call("bet")])
    assert len([q for q in queries if "wallet_walletcall" in q["sql"]]) == 1
    assert WalletCall.objects.filter(session_id=session.pk).count() == 3
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows([call("bet"), call(None)])  # kind is NOT NULL: the whole batch is refused
    assert WalletCall.objects.filter(session_id=session.pk).count() == 3


def test_insert_batch_writes_the_rows_insert_row_writes_in_one_statement_or_none(igsp_partner, game):
    from wallet.models import DeliveryAttempt, MetricTally

    session = _session(igsp_partner, game)
    bet = Transaction.objects.create(
        round=Round.objects.create(session=session, partner_id=igsp_partner.pk),
        session=session,
        partner_id=igsp_partner.pk,
        kind=TxKind.BET,
        amount=Decimal("1.00"),
        currency="EUR",
    )

    def attempt(n, **extra):
        fields = {"outcome": "ok", "http_status": 200, **extra}
        return DeliveryAttempt(
            transaction_id=bet.pk, partner_id=igsp_partner.pk, started_at=timezone.now(), duration_ms=n, **fields
        )

    bodies = [None, {"balance": "1.50", "nested": {"x": [1, None]}}, {"unicode": "ü€"}]
    one = attempt(7, response=bodies[1], request={"m": "POST"})
    insert_row(one)
    batch = [attempt(7, response=body, request={"m": "POST"}, response_body=body) for body in bodies]
    MetricTally.objects.filter(metric="attempt").delete()
    with CaptureQueriesContext(connection) as queries:
        insert_batch(batch)
    assert len([q for q in queries if "wallet_deliveryattempt" in q["sql"]]) == 1
    rows = list(
        DeliveryAttempt.objects.filter(transaction_id=bet.pk).order_by("id").values("response", "response_body")
    )
    assert rows == [{"response": bodies[1], "response_body": None}] + [
        {"response": body, "response_body": body} for body in bodies
    ]
    if connection.vendor == "postgresql":  # the statement-level tally trigger: one delta for the batch
        assert MetricTally.objects.filter(metric="attempt").count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_batch([attempt(1), attempt(2, outcome=None)])  # outcome is NOT NULL: the whole batch is refused
    assert DeliveryAttempt.objects.filter(transaction_id=bet.pk).count() == 4


def test_prepared_query_answers_what_its_queryset_answers_with_other_values(igsp_partner, game):
    from core.db import PreparedQuery

    sessions = [_session(igsp_partner, game) for _ in range(3)]
    for i, session in enumerate(sessions):
        GameSession.objects.filter(pk=session.pk).update(player_id=f"player-{i}")

    def build(partner_id, player, limit):
        return (
            GameSession.objects.filter(partner_id=partner_id, player_id__gte=player)
            .select_related("partner", "game")
            .order_by("player_id")[:limit]
        )

    query = PreparedQuery(build, markers=(uuid.UUID(int=0x5EED), "marker-player"))
    for player, limit in [("player-0", 2), ("player-1", 5), ("player-9", 1), ("player-0", 2)]:
        got = query.rows(igsp_partner.pk, player, variant=limit)
        expected = list(build(igsp_partner.pk, player, limit))
        assert [_fields(s) for s in got] == [_fields(s) for s in expected]
        assert [(s.partner.name, s.game.slug) for s in got] == [(s.partner.name, s.game.slug) for s in expected]
    if connection.vendor == "postgresql":
        with CaptureQueriesContext(connection) as queries:
            query.rows(igsp_partner.pk, "player-0", variant=2)
        assert len(queries) == 1
        with pytest.raises(ValueError, match="marker"):
            PreparedQuery(
                lambda p, limit: GameSession.objects.filter(partner_id=igsp_partner.pk)[:limit], markers=("x",)
            ).rows("y", variant=1)
