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

The validators are built once per process and schema. A conforming answer (nearly all of them) is told by a
quick check compiled from the schema when it uses only the keywords wallet answers' schemas use (``type``,
``required``, ``properties``, ``enum``, ``pattern``; ``format`` and ``description`` are not checked by jsonschema
either): it only ever says "conforms" when jsonschema would, and anything else goes to jsonschema, which names the
violations. ``scripts/contract_watch_cost.py`` measures both.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
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
    conforms: Callable[[Any], bool] | None = None  # the quick check: True only when the validator finds nothing


@cache
def _validator(schema_key: tuple) -> tuple[Draft202012Validator, Callable[[Any], bool] | None]:
    kind, *args = schema_key
    schema = contracts.component_schema(*args) if kind == "component" else contracts.response_schema(*args)
    return Draft202012Validator(schema), quick_check(schema)


# ------------------------------------------------------------ quick check --

QUICK_KEYWORDS = {"type", "required", "properties", "enum", "pattern", "format", "description"}
_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "string": lambda v: isinstance(v, str),
    "number": lambda v: isinstance(v, int | float | Decimal) and not isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),  # 1.0 is one to jsonschema: it decides
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "array": lambda v: isinstance(v, list),
}


def quick_check(schema: Any) -> Callable[[Any], bool] | None:
    """A predicate that is True only for values the schema accepts (False: ask jsonschema); None when the schema
    uses a keyword it does not know."""
    if not isinstance(schema, dict) or set(schema) - QUICK_KEYWORDS:
        return None
    checks: list[Callable[[Any], bool]] = []
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if any(name not in _TYPES for name in names):
            return None
        kinds = [_TYPES[name] for name in names]
        checks.append(lambda v: any(kind(v) for kind in kinds))
    if "enum" in schema:
        allowed = schema["enum"]
        if not all(isinstance(item, str) for item in allowed):
            return None
        members = frozenset(allowed)
        checks.append(lambda v: isinstance(v, str) and v in members)
    if "pattern" in schema:
        search = re.compile(schema["pattern"]).search
        checks.append(lambda v: not isinstance(v, str) or search(v) is not None)
    if "required" in schema:
        required = tuple(schema["required"])
        checks.append(lambda v: not isinstance(v, dict) or all(name in v for name in required))
    if "properties" in schema:
        properties = {}
        for name, sub in schema["properties"].items():
            check = quick_check(sub)
            if check is None:
                return None
            properties[name] = check
        items = tuple(properties.items())
        checks.append(
            lambda v: not isinstance(v, dict) or all(name not in v or check(v[name]) for name, check in items)
        )
    return lambda value: all(check(value) for check in checks)


@cache
def documented_statuses(protocol: str, kind: str) -> tuple[int, ...]:
    document = contracts.contract_document("igsp-platforms" if protocol == IGSP else "integration-adapter")
    path, method = (IGSP_PATH, "post") if protocol == IGSP else ADAPTER_OPERATIONS[kind]
    responses = document["paths"][path][method].get("responses", {})
    return tuple(sorted(int(s) for s in responses if str(s).isdigit()))


@cache
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
        validator, quick = _validator(("component", "igsp-platforms", component))
        return Contract("igsp-platforms", f"igsp-platforms {component}", validator, quick)
    if protocol == PUBLIC_API and kind in ADAPTER_OPERATIONS:
        path, method = ADAPTER_OPERATIONS[kind]
        if status not in documented_statuses(protocol, kind):
            return None
        where = f"integration-adapter {method.upper()} {path} {status}"
        if contracts.response_schema("integration-adapter", path, method, status) is None:
            return Contract("integration-adapter", where, None)
        validator, quick = _validator(("response", "integration-adapter", path, method, status))
        return Contract("integration-adapter", where, validator, quick)
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
    if contract.conforms is not None and contract.conforms(body):
        return []
    return _from_errors(list(contract.validator.iter_errors(body)), contract.where)
