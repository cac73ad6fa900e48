"""Validate wire bodies against the official OpenAPI contracts vendored in ``contracts/`` (jsonschema).

The certification runner checks every answer of a partner's wallet with it; tests may use it too.
Schemas are read from the YAML once per process, ``$ref``s inlined, and OpenAPI 3.0's ``nullable: true``
read as ``type: [X, "null"]`` (the IGSP contracts are 3.1 but use it, see tests/contracts.py).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

SPECS = Path(__file__).resolve().parents[1] / "contracts"
DOCUMENTS = {
    "igsp-platforms": SPECS / "igsp" / "igsp-platforms.yaml",
    "igsp-providers": SPECS / "igsp" / "igsp-providers.yaml",
    "integration-adapter": SPECS / "public-api" / "integration-adapter-api.yaml",
    "core-api": SPECS / "public-api" / "core-api.yaml",
}


class ContractError(LookupError):
    """The contract has no such path, method, status or component."""


def _normalise(node: Any) -> Any:
    if isinstance(node, dict):
        out = {str(k): _normalise(v) for k, v in node.items()}  # YAML reads `200:` as an int
        if out.pop("nullable", False) and isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        out.pop("discriminator", None)
        out.pop("example", None)
        return out
    if isinstance(node, list):
        return [_normalise(v) for v in node]
    return node


@cache
def contract_document(name: str) -> dict:
    try:
        path = DOCUMENTS[name]
    except KeyError:
        raise ContractError(f"unknown contract {name!r}") from None
    with open(path, encoding="utf-8") as fh:
        return _normalise(yaml.safe_load(fh))


def _inline(document: dict, node: Any, depth: int = 0) -> Any:
    if depth > 32:
        raise ContractError("$ref nesting too deep")
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            target: Any = document
            for part in ref[2:].split("/"):
                target = target[part]
            return _inline(document, target, depth + 1)
        return {k: _inline(document, v, depth) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(document, v, depth) for v in node]
    return node


@cache
def component_schema(contract: str, component: str) -> dict:
    document = contract_document(contract)
    try:
        return _inline(document, document["components"]["schemas"][component])
    except KeyError:
        raise ContractError(f"{contract} has no component {component!r}") from None


@cache
def response_schema(contract: str, path: str, method: str, status: int) -> dict | None:
    """The JSON schema of a documented response, None when it has no JSON body; ContractError when undocumented."""
    document = contract_document(contract)
    try:
        operation = document["paths"][path][method.lower()]
    except KeyError:
        raise ContractError(f"{contract} has no operation {method.upper()} {path}") from None
    responses = operation.get("responses", {})
    response = responses.get(str(status)) or responses.get("default")
    if response is None:
        raise ContractError(f"{contract}: {method.upper()} {path} does not document status {status}")
    content = _inline(document, response).get("content") or {}
    media = content.get("application/json")
    return None if media is None else media.get("schema")


def _errors(schema: dict, body: Any) -> list[str]:
    validator = Draft202012Validator(schema)
    problems = []
    for error in sorted(validator.iter_errors(body), key=lambda e: list(e.path)):
        where = "/".join(str(p) for p in error.path) or "(body)"
        problems.append(f"{where}: {error.message}")
    return problems


def validate_component(contract: str, component: str, body: Any) -> list[str]:
    """Every way ``body`` breaks the named component schema (empty: it conforms)."""
    return _errors(component_schema(contract, component), body)


def validate_response(contract: str, path: str, method: str, status: int, body: Any) -> list[str]:
    """Every way a response (status and parsed JSON body) breaks the contract (empty: it conforms)."""
    try:
        schema = response_schema(contract, path, method, status)
    except ContractError as exc:
        return [str(exc)]
    if schema is None:
        return []
    return _errors(schema, body)
