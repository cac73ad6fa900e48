"""The contract watch's reading of each protocol's contract (contractwatch/rules.py): which field, which rule, in
which words; and its quick check never says "conforms" where jsonschema finds a violation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contractwatch import rules


def found(protocol, kind, status, body):
    return {(v.field, v.rule, v.expected) for v in rules.violations(protocol, kind, status, body)}


@pytest.mark.parametrize(
    ("protocol", "kind", "status", "body"),
    [
        ("igsp", "balance", 200, {"balance": Decimal("10.50")}),
        ("igsp", "balance", 200, {"balance": 10}),
        ("igsp", "bet", 200, {"balance": Decimal("9.5"), "transaction_id": "w-1"}),
        ("igsp", "refund", 500, {"error": "internal_error", "message": "boom", "status": 500}),
        ("igsp", "win", 400, {"error": "insufficient_funds", "message": "no"}),
        ("public_api", "balance", 200, {"balance": "10.50"}),
        ("public_api", "bet", 200, {"balance": "0", "txID": "w-1"}),
        ("public_api", "bet", 400, {"message": "no", "code": "insufficient_funds", "action": "refresh"}),
        ("public_api", "refund", 404, {"message": "Session not found", "code": "session_not_found"}),
    ],
)
def test_conforming_answers_break_nothing(protocol, kind, status, body):
    assert rules.violations(protocol, kind, status, body) == []
    assert rules.contract_for(protocol, kind, status).conforms(body)  # told by the quick check, jsonschema not asked


def test_each_way_an_answer_breaks_its_contract():
    assert found("public_api", "balance", 200, {"balance": Decimal("10.5")}) == {("balance", "type", "type: string")}
    assert found("public_api", "win", 200, {"balance": "10.5.1", "txID": "w"}) == {
        ("balance", "pattern", r"pattern: ^(0|[1-9]\d*)(\.\d+)?$")
    }
    ((field, rule, expected),) = found("public_api", "bet", 400, {"message": "no", "code": "wallet_on_fire"})
    assert (field, rule) == ("code", "enum")
    assert expected.startswith("one of: game_not_found, ")
    assert found("public_api", "bet", 200, {}) == {
        ("balance", "required", "required"),
        ("txID", "required", "required"),
    }
    assert found("igsp", "balance", 200, {"balance": "10.50"}) == {("balance", "type", "type: number")}
    assert found("igsp", "bet", 200, {"balance": True, "transaction_id": 7}) == {
        ("balance", "type", "type: number"),
        ("transaction_id", "type", "type: string"),
    }
    assert found("igsp", "bet", 400, {"code": "x"}) == {
        ("error", "required", "required"),
        ("message", "required", "required"),
    }
    (where,) = {v.contract for v in rules.violations("igsp", "bet", 400, {"code": "x"})}
    assert where == "igsp-platforms ErrorResponse"


def test_status_and_body_rules_and_what_is_not_checked():
    assert found("igsp", "bet", 402, {"error": "x", "message": "y"}) == {
        ("(status)", "status", "one of the documented statuses: 200, 400, 500")
    }
    assert found("public_api", "bet", 200, None) == {("(body)", "json", "a JSON object")}
    assert rules.violations("public_api", "bet", 502, None) is None  # an outage page: the breaker's business
    assert rules.violations("public_api", "bet", 503, {"message": "x"}) is None  # undocumented 5xx
    assert rules.violations("igsp", "bet", None, None) is None  # no answer at all
    assert rules.violations("igsp", "rollback", 200, {}) is None  # not a wallet call the hub makes


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=False, allow_infinity=False),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.sampled_from(["", "0", "10.50", "1e5", "insufficient_funds", "refresh", "wallet_on_fire", "01.0"]),
    st.text(max_size=5),
)
KEYS = st.sampled_from(["balance", "txID", "transaction_id", "message", "code", "action", "error", "status", "x"])
BODIES = st.dictionaries(KEYS, st.one_of(SCALARS, st.lists(SCALARS, max_size=2), st.dictionaries(KEYS, SCALARS)))
CALLS = st.sampled_from(
    [
        (p, k, s)
        for p in ("igsp", "public_api")
        for k in ("balance", "bet", "win", "refund")
        for s in (200, 400, 404, 500)
    ]
)


@settings(max_examples=400, deadline=None)
@given(CALLS, BODIES)
def test_the_quick_check_says_conforms_only_when_jsonschema_agrees(call, body):
    contract = rules.contract_for(*call)
    if contract is None or contract.validator is None:
        return
    assert contract.conforms is not None  # every wallet answer's schema has a quick check
    if contract.conforms(body):
        assert list(contract.validator.iter_errors(body)) == []
