"""Unicode cases: ids are UTF-8 strings end to end, signed over the raw bytes and keyed exactly."""

from __future__ import annotations

import uuid

from .base import IGSP, PUBLIC, STAKE, Context, Result, bet_and_refund, case


@case(
    "unicode_session_and_game",
    "unicode",
    "Unicode session, game and round ids are handled",
    "Treat ids as UTF-8 strings end to end (columns, signature over the raw bytes).",
    (IGSP,),
)
def unicode_session_and_game(ctx: Context) -> Result:
    saved = ctx.session_id, ctx.game_id
    ctx.session_id, ctx.game_id = "séance-ü-€-🎰-" + uuid.uuid4().hex[:6], "jeu-ß-表-🎲"
    try:
        delta = bet_and_refund(ctx, round_id="tour-ñ-" + uuid.uuid4().hex[:6])
    finally:
        ctx.session_id, ctx.game_id = saved
    return delta.exchange.ok and delta.moved(-STAKE), f"HTTP 200, balance −{STAKE}", delta.actual


@case(
    "unicode_transaction_id",
    "unicode",
    "A Unicode transaction id is idempotent like any other",
    "Key on the exact transaction id string (UTF-8), not a normalised or truncated one.",
    (IGSP,),
)
def unicode_transaction_id(ctx: Context) -> Result:
    tx = "tx-ünï-😀-" + uuid.uuid4().hex
    with ctx.watch() as delta:
        first, _ = ctx.bet(STAKE, tx=tx)
        delta.exchange, _ = ctx.bet(STAKE, tx=tx)
    ctx.refund(tx, STAKE)
    passed = first.ok and delta.exchange.ok and delta.moved(-STAKE)
    return passed, f"HTTP 200 twice, balance −{STAKE} once", delta.actual


@case("unicode_free_rounds_id", "unicode", "A Unicode frID is accepted", "Store frID as a UTF-8 string.", (PUBLIC,))
def unicode_free_rounds_id(ctx: Context) -> Result:
    with ctx.watch() as delta:
        delta.exchange, _ = ctx.bet(STAKE, free=True, fr_id="bonus-ключ-🎁-" + uuid.uuid4().hex[:6])
    return delta.exchange.ok and delta.moved(), "HTTP 200, balance unchanged (free bet)", delta.actual
