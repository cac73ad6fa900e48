"""What must hold for any input to the hub's parsers and its RFC 8785 canonicaliser: the checks the atheris
harnesses (fuzz/fuzz_*.py, ``make fuzz``) run on every generated input, and tests/core/test_fuzz_properties.py
runs on the kept regression inputs and on hypothesis examples in the normal suite.

Each ``check_*`` takes raw bytes, raises ``AssertionError`` for a broken property and lets any exception other
than the documented ones escape (a finding either way)."""

from __future__ import annotations

import io
import json
from decimal import Decimal


def django_setup() -> None:
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    django.setup()


def _same(a, b) -> bool:
    """JSON equality as RFC 8785 reads it: numbers are doubles (-0.0 is 0), ``true`` is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=False))
    return type(a) is type(b) and a == b


# --------------------------------------------------------------- signing --


def check_canonicalize_raw(data: bytes) -> None:
    """Canonical bytes are UTF-8 JSON that re-parses to the same value; canonicalising them again is a no-op.
    The only refusal is SignatureError."""
    from core import signing

    try:
        out = signing.canonicalize_raw(data)
    except signing.SignatureError:
        return
    assert isinstance(out, bytes)
    text = out.decode("utf-8")  # strict: no lone surrogates or invalid bytes in what we sign
    assert _only_in_strings(out), out[:200]  # RFC 8785: no whitespace between tokens
    assert _same(json.loads(text), json.loads(data.decode("utf-8") if data else "null")), (data[:200], out[:200])
    assert signing.canonicalize_raw(out) == out, out[:200]


def _only_in_strings(out: bytes) -> bool:
    """True when every whitespace byte of the canonical form sits inside a JSON string (RFC 8785: none outside)."""
    inside = escaped = False
    for byte in out:
        if inside:
            if escaped:
                escaped = False
            elif byte == 0x5C:
                escaped = True
            elif byte == 0x22:
                inside = False
        elif byte == 0x22:
            inside = True
        elif byte in b" \n\r\t":
            return False
    return True


def check_canonical_query(pairs: list[tuple[str, str]]) -> None:
    """GET signing: the query as a flat JSON object of strings, re-parsing to the same object, idempotent."""
    from core import signing

    params = dict(pairs)
    try:
        out = signing.canonical_query(params)
    except signing.SignatureError:
        # only a string Python holds but UTF-8 cannot encode (a lone surrogate) may be refused
        assert any(_has_surrogate(k) or _has_surrogate(v) for k, v in params.items()), params
        return
    parsed = json.loads(out.decode("utf-8"))
    assert parsed == {str(k): str(v) for k, v in params.items()}, (params, out)
    assert signing.canonicalize_raw(out) == out
    assert list(parsed) == sorted(parsed, key=lambda k: k.encode("utf-16-be")), out  # RFC 8785 key order


def _has_surrogate(text: str) -> bool:
    return any(0xD800 <= ord(ch) <= 0xDFFF for ch in text)


# --------------------------------------------------------------- parsers --


def _no_float(value) -> bool:
    if isinstance(value, float):
        return False
    if isinstance(value, dict):
        return all(_no_float(v) for v in value.values())
    if isinstance(value, list):
        return all(_no_float(v) for v in value)
    return True


def check_decimal_json_parser(data: bytes) -> None:
    """The request parser: a value without any float (money stays Decimal), or DRF's ParseError (a 400)."""
    from rest_framework.exceptions import ParseError

    from core.api.parsers import DecimalJSONParser

    try:
        value = DecimalJSONParser().parse(io.BytesIO(data))
    except ParseError:
        return
    assert _no_float(value), data[:200]
    for number in _numbers(value):
        assert number.is_finite(), data[:200]


def _numbers(value):
    if isinstance(value, Decimal):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _numbers(v)
    elif isinstance(value, list):
        for v in value:
            yield from _numbers(v)


def check_parse_amount(data: bytes) -> None:
    """A player's stake: a finite, positive Decimal, or ApplicationError (a 400) -- for the raw text and for
    every JSON value it parses to."""
    from core.errors import ApplicationError
    from integration_hub.session_api.serializers import parse_amount

    candidates: list = [data.decode("utf-8", "replace")]
    try:
        from core.api.parsers import loads_decimal

        candidates.append(loads_decimal(data))
    except (ValueError, RecursionError):
        pass
    for value in candidates:
        try:
            amount = parse_amount(value)
        except ApplicationError:
            continue
        assert isinstance(amount, Decimal), (value, amount)
        assert amount.is_finite(), (value, amount)
        assert amount > 0, (value, amount)


def check_partner_wallet_answer(data: bytes) -> None:
    """A partner wallet's answer body: parsed or None, never an exception; its balance is None or a Decimal our
    columns hold (|b| < 10^15, at most 8 decimals)."""
    from wallet.transport import BALANCE_LIMIT, parse_json_decimal, partner_balance

    class Response:
        content = data

    body = parse_json_decimal(Response())
    for value in [body, *(body.values() if isinstance(body, dict) else [])]:
        balance = partner_balance(value)
        if balance is None:
            continue
        assert isinstance(balance, Decimal), (value, balance)
        assert balance.is_finite(), (value, balance)
        assert abs(balance) < BALANCE_LIMIT, (value, balance)
        assert balance == balance.quantize(Decimal("1e-8")), (value, balance)


def check_renderer_roundtrip(data: bytes) -> None:
    """What the parser accepted, the renderer writes as JSON that parses back to the same Decimal values."""
    from rest_framework.exceptions import ParseError

    from core.api.parsers import DecimalJSONParser, loads_decimal
    from core.api.renderers import dumps_exact

    try:
        value = DecimalJSONParser().parse(io.BytesIO(data))
    except ParseError:
        return
    try:
        out = dumps_exact(value)
    except (ValueError, RecursionError):  # lone surrogates cannot be UTF-8; nesting deeper than simplejson's stack
        return
    assert loads_decimal(out) == value, (data[:200], out[:200])


CHECKS = {
    "canonicalize_raw": check_canonicalize_raw,
    "decimal_json_parser": check_decimal_json_parser,
    "parse_amount": check_parse_amount,
    "partner_wallet_answer": check_partner_wallet_answer,
    "renderer_roundtrip": check_renderer_roundtrip,
}
