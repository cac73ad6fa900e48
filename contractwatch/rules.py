"""What each protocol's contract says a wallet answers, and every way an answer breaks it (pure: no database).

The same reading as the certification runner's (``certification/drivers.py``), from the contracts vendored in
``contracts/`` (``core.contracts``):

- IGSP (``igsp-platforms.yaml``, one hooks URL): a 200 is a ``BalanceResponse`` (balance) or a
  ``TransactionResponse`` (bet, win, refund), any other status an ``ErrorResponse``;
- Public API (``integration-adapter-api.yaml``): the response documented for the operation (``GET /balance``,
  ``POST /bet|win|refund``) and its status.

A status the contract does not document is a violation (field ``(status)``) below 500; a 5xx answer is checked
only when it carries a JSON object (a proxy's error page during an outage is the circuit breaker's business, not
the contract's). A call that got no answer is not checked. A violation names the field (a JSON path,
``(body)`` for the answer as a whole), the rule it breaks (the JSON Schema keyword) and the contract's rule in
words (``expected``).

The validators are built once per process and schema; one answer costs a few tens of microseconds
(``scripts/contract_watch_cost.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from core import contracts

IGSP, PUBLIC_API = "igsp", "public_api"
IGSP_PATH = "/platforms/game-provider/hooks"
ADAPTER_OPERATIONS = {"balance": ("/balance", "get"), "bet": ("/bet", "post"), "win": ("/win", "post")}
ADAPTER_OPERATIONS["refund"] = ("/refund", "post")
EXPECTED_LIMIT = 300


@dataclass(frozen=True, slots=True)
class Violation:
    field: str  # "balance", "code", "(body)", "(status)"
    rule: str  # the JSON Schema keyword broken: type, required, enum, pattern, … ; status; json
    expected: str  # the contract's rule in words: "type: string", "one of: game_not_found, …"
    contract: str  # where the rule is written: "integration-adapter POST /bet 200"


@dataclass(frozen=True, slots=True)
class Contract:
    name: str  # "igsp-platforms" | "integration-adapter"
    where: str  # "igsp-platforms BalanceResponse", "integration-adapter POST /bet 400"
    validator: Draft202012Validator | None  # None: the answer has no JSON body to check


@cache
def _validator(schema_key: tuple) -> Draft202012Validator:
    kind, *args = schema_key
    schema = contracts.component_schema(*args) if kind == "component" else contracts.response_schema(*args)
    return Draft202012Validator(schema)


@cache
def documented_statuses(protocol: str, kind: str) -> tuple[int, ...]:
    document = contracts._document("igsp-platforms" if protocol == IGSP else "integration-adapter")
    path, method = (IGSP_PATH, "post") if protocol == IGSP else ADAPTER_OPERATIONS[kind]
    responses = document["paths"][path][method].get("responses", {})
    return tuple(sorted(int(s) for s in responses if str(s).isdigit()))


def contract_for(protocol: str, kind: str, status: int) -> Contract | None:
    """The schema an answer of ``status`` to a ``kind`` call must match; None when the contract does not
    document that status (or the protocol or kind is not a wallet call's)."""
    if protocol == IGSP:
        if kind not in ADAPTER_OPERATIONS or status not in documented_statuses(protocol, kind):
            return None
        if status == 200:
            component = "BalanceResponse" if kind == "balance" else "TransactionResponse"
        else:
            component = "ErrorResponse"
        key = ("component", "igsp-platforms", component)
        return Contract("igsp-platforms", f"igsp-platforms {component}", _validator(key))
    if protocol == PUBLIC_API and kind in ADAPTER_OPERATIONS:
        path, method = ADAPTER_OPERATIONS[kind]
        if status not in documented_statuses(protocol, kind):
            return None
        where = f"integration-adapter {method.upper()} {path} {status}"
        if contracts.response_schema("integration-adapter", path, method, status) is None:
            return Contract("integration-adapter", where, None)
        return Contract("integration-adapter", where, _validator(("response", "integration-adapter", path, method, status)))
    return None


def _words(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _expected(error: ValidationError) -> str:
    keyword, value = str(error.validator), error.validator_value
    if keyword == "type":
        text = f"type: {_words(value)}"
    elif keyword == "enum":
        text = f"one of: {_words(value)}"
    elif keyword == "required":
        text = "required"
    elif keyword == "pattern":
        text = f"pattern: {value}"
    elif keyword in ("oneOf", "anyOf"):
        text = f"{keyword}: the contract's alternatives"
    else:
        text = f"{keyword}: {_words(value)}"
    return text[:EXPECTED_LIMIT]


def _path(parts: Any) -> str:
    return "/".join(str(p) for p in parts)


def _from_errors(errors: list[ValidationError], where: str) -> list[Violation]:
    out: dict[tuple[str, str], Violation] = {}
    for error in errors:
        base = _path(error.path)
        if error.validator == "required" and isinstance(error.instance, dict):
            missing = [name for name in error.validator_value if name not in error.instance]
            for name in missing:
                field = f"{base}/{name}" if base else str(name)
                out.setdefault((field, "required"), Violation(field[:200], "required", "required", where))
            continue
        field = (base or "(body)")[:200]
        rule = str(error.validator)[:32]
        out.setdefault((field, rule), Violation(field, rule, _expected(error), where))
    return list(out.values())


def violations(protocol: str, kind: str, http_status: int | None, body: dict | None) -> list[Violation] | None:
    """Every way one answer breaks the contract (empty: it conforms; None: it is not checked, see the module).

    ``body``: the answer's parsed JSON object (numbers as Decimal: ``WalletResult.body``), None when the answer was
    not a JSON object (not JSON, another JSON value, or empty)."""
    if http_status is None:
        return None
    contract = contract_for(protocol, kind, http_status)
    if contract is None:
        if http_status >= 500 or kind not in ADAPTER_OPERATIONS or protocol not in (IGSP, PUBLIC_API):
            return None
        statuses = ", ".join(str(s) for s in documented_statuses(protocol, kind))
        if protocol == IGSP:
            where = f"igsp-platforms POST {IGSP_PATH}"
        else:
            path, method = ADAPTER_OPERATIONS[kind]
            where = f"integration-adapter {method.upper()} {path}"
        return [Violation("(status)", "status", f"one of the documented statuses: {statuses}", where)]
    if contract.validator is None:
        return []
    if body is None:
        if http_status >= 500:
            return None
        return [Violation("(body)", "json", "a JSON object", contract.where)]
    return _from_errors(list(contract.validator.iter_errors(body)), contract.where)
