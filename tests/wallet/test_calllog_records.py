"""The delivery log's records in one pass (``wallet.calllog.bounded``) hold what the general path (a JSON round
trip, then the redaction's walk) holds, for every payload a wallet can send or answer."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from wallet import calllog

SECRETISH = st.sampled_from(
    [
        "Bearer abcDEF1234567890abcdefXYZ",
        "gp_live_" + "aB3" * 10,
        "sk_live_" + "x" * 30,
        "/portal/enter/" + "t" * 43,
        "12.50",
        "ok",
        "bet\x00x",
        "",
    ]
)
KEYS = st.one_of(
    st.sampled_from(["secret", "api_key", "signature", "token", "amount", "balance", "x\x00y", "value"]),
    st.text(max_size=8),
    st.integers(-5, 5),
    st.booleans(),
    st.none(),
)
LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=False, places=4),
    st.text(max_size=30),
    SECRETISH,
)
PAYLOADS = st.recursive(
    LEAVES,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=40,
)


def _deep(levels, leaf):
    value = leaf
    for _ in range(levels):
        value = {"a": value}
    return value


@settings(max_examples=400, deadline=None)
@given(PAYLOADS)
def test_the_one_pass_record_equals_the_general_one(payload):
    if payload is None:
        return
    assert calllog.bounded(payload) == calllog._bounded_general(payload)


def test_deep_payloads_are_redacted_at_the_same_level_both_ways():
    for levels in range(6, 12):
        for payload in (_deep(levels, "x"), [_deep(levels, "x")], _deep(levels, [1, 2])):
            assert calllog.bounded(payload) == calllog._bounded_general(payload)


def test_values_the_one_pass_does_not_take_go_the_general_way():
    for payload in ({"when": {1, 2}}, {1.5: "x", (1, 2): "y"}, {"a": Decimal("1.10"), "b": object()}):
        assert calllog.bounded(payload) == calllog._bounded_general(payload)


def test_a_large_record_is_cut_and_secrets_never_stay():
    big = {"items": ["v" * 100] * 100, "secret": "hunter2", "note": "Bearer abcDEF1234567890abcdefXYZ"}
    record = calllog.bounded(big)
    assert record["truncated"] is True
    assert len(record["preview"]) == calllog.MAX_CHARS
    assert "hunter2" not in str(record)
    small = calllog.bounded({"secret": "hunter2", "note": "Bearer abcDEF1234567890abcdefXYZ", "amount": Decimal("2.5")})
    assert small["secret"] == "[REDACTED]"
    assert "abcDEF" not in small["note"]
    assert small["amount"] == "2.5"
