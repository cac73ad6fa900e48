"""Signature cases: every call is signed with the key we issued, and a wallet refuses any other."""

from __future__ import annotations

from ..drivers import Sign
from .base import BOTH, IGSP, STAKE, Context, Result, case, ok_with_balance, refused, show, undo_bet, undo_win

SIG_FIX = "Verify the signature of every call before acting on it, and answer 401 when it does not match."


@case(
    "sig_good",
    "signature",
    "A correctly signed balance call is accepted",
    "Sign-check with the key we issued: "
    "IGSP HMAC-SHA256(secret, raw body + X-Timestamp); Public API HMAC-SHA256(key, RFC 8785 canonical JSON).",
)
def sig_good(ctx: Context) -> Result:
    exchange = ctx.balance_call()
    passed, actual = ok_with_balance(ctx, exchange)
    return passed, "HTTP 200 with the balance", actual


def refused_money(ctx: Context, action: str, sign: Sign) -> Result:
    """A bet, win or refund signed as ``sign`` must be refused and move nothing; what it moved is put back."""
    if action == "refund":
        ctx.read()  # the balance before the refund's bet (kept in the case's exchanges)
        _bet, bet_tx = ctx.bet(STAKE)
    with ctx.watch() as delta:
        if action == "bet":
            delta.exchange, tx = ctx.bet(STAKE, sign=sign)
        elif action == "win":
            delta.exchange, tx = ctx.win(STAKE, sign=sign)
        else:
            delta.exchange, tx = ctx.refund(bet_tx, STAKE, sign=sign)
    passed = refused(delta.exchange) and delta.moved()
    if action == "bet":
        undo_bet(ctx, delta.exchange, tx, STAKE)
    elif action == "win":
        undo_win(ctx, delta.exchange, STAKE)
    else:
        ctx.refund(bet_tx, STAKE)
    return passed, "HTTP 401 (any 4xx), no money moved", delta.actual


def sig_case(id: str, title: str, action: str, sign: Sign, protocols=BOTH, fix: str = SIG_FIX):
    case(id, "signature", title, fix, protocols)(lambda ctx: refused_money(ctx, action, sign))


sig_case("sig_bad_bet", "A bet with a wrong signature is refused", "bet", Sign.BAD)
sig_case("sig_bad_win", "A win with a wrong signature is refused", "win", Sign.BAD)
sig_case("sig_bad_refund", "A refund with a wrong signature is refused", "refund", Sign.BAD)
sig_case(
    "sig_wrong_key",
    "A bet signed with another key is refused",
    "bet",
    Sign.WRONG_KEY,
    fix="Verify with the key we issued to you only (IGSP secret / Integration API key), not any key.",
)
sig_case(
    "sig_tampered_body",
    "A bet whose body changed after signing is refused",
    "bet",
    Sign.TAMPERED,
    fix="Compute the HMAC over the raw body bytes exactly as received, before parsing it.",
)
sig_case(
    "sig_missing",
    "A bet without a signature header is refused",
    "bet",
    Sign.MISSING,
    fix="Treat a missing X-Signature / X-REQUEST-SIGN header as a failed signature (401).",
)
sig_case(
    "sig_stale_timestamp",
    "A bet signed 10 minutes ago (X-Timestamp) is refused",
    "bet",
    Sign.STALE,
    (IGSP,),
    fix="Refuse an X-Timestamp more than 5 minutes from your clock (either way), and keep your clock on NTP.",
)
sig_case(
    "sig_future_timestamp",
    "A bet signed 10 minutes in the future is refused",
    "bet",
    Sign.FUTURE,
    (IGSP,),
    fix="Refuse an X-Timestamp more than 5 minutes ahead of your clock as well as behind it.",
)
sig_case(
    "sig_unknown_key_id",
    "A bet with an unknown Bearer key id is refused",
    "bet",
    Sign.UNKNOWN_KEY_ID,
    (IGSP,),
    fix="Look the Bearer key id up among the keys we issued and refuse (401) any other.",
)


@case("sig_bad_balance", "signature", "A balance call with a wrong signature is refused", SIG_FIX)
def sig_bad_balance(ctx: Context) -> Result:
    exchange = ctx.balance_call(sign=Sign.BAD)
    return refused(exchange), "HTTP 401 (any 4xx)", show(exchange)
