"""Validate real HTTP exchanges against the official OpenAPI contracts vendored in contracts/ (openapi-core)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

SPECS = Path(__file__).resolve().parents[1] / "contracts"
CONTRACTS = {
    "igsp-providers": (SPECS / "igsp" / "igsp-providers.yaml", "https://api.provider.com/igsp/v1"),
    "core-api": (SPECS / "public-api" / "core-api.yaml", "https://staging.platform.0.swipegames.io/api/v1"),
}


def _nullable_31(node, is_31: bool):
    """The IGSP contracts are OpenAPI 3.1 but mark nullable fields with 3.0's ``nullable: true``
    (and show ``null`` in their examples). Read that as the authors meant it: ``type: [X, "null"]``."""
    if isinstance(node, dict):
        node = {str(k): _nullable_31(v, is_31) for k, v in node.items()}  # YAML reads `200:` as an int
        if is_31 and node.pop("nullable", False) and isinstance(node.get("type"), str):
            node["type"] = [node["type"], "null"]
        return node
    if isinstance(node, list):
        return [_nullable_31(v, is_31) for v in node]
    return node


@cache
def _api(name: str) -> OpenAPI:
    import yaml
    from jsonschema_path import SchemaPath

    with open(CONTRACTS[name][0]) as fh:
        document = yaml.safe_load(fh)
    document = _nullable_31(document, str(document.get("openapi", "")).startswith("3.1"))
    return OpenAPI(SchemaPath.from_dict(document))


class _Request:
    def __init__(self, server: str, path: str, raw: httpx.Request):
        parts = urlsplit(server + path)
        self.host_url = f"{parts.scheme}://{parts.netloc}"
        self.path = parts.path
        self.full_url_pattern = server + path
        self.method = raw.method.lower()
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(raw.url.params.multi_items()), header=Headers(dict(raw.headers))
        )
        self.content_type = raw.headers.get("content-type", "application/json").split(";")[0]
        self.body = raw.content or None


class _Response:
    def __init__(self, resp: httpx.Response):
        self.status_code = resp.status_code
        self.content_type = resp.headers.get("content-type", "").split(";")[0]
        self.headers = Headers(dict(resp.headers))
        self.data = resp.content


def validate_response(contract: str, path: str, resp: httpx.Response) -> None:
    """Raise if the response (status, body) breaks the contract for ``path`` (relative to the server)."""
    _, server = CONTRACTS[contract]
    _api(contract).validate_response(_Request(server, path, resp.request), _Response(resp))


@cache
def _document(name: str) -> dict:
    import yaml

    with open(CONTRACTS[name][0]) as fh:
        document = yaml.safe_load(fh)
    return _nullable_31(document, str(document.get("openapi", "")).startswith("3.1"))


def validate_schema(contract: str, component: str, value) -> None:
    """Raise if ``value`` breaks the contract's ``components.schemas[component]`` (refs resolved in the document)."""
    from openapi_schema_validator import OAS30Validator, OAS31Validator

    document = _document(contract)
    validator = OAS31Validator if str(document.get("openapi", "")).startswith("3.1") else OAS30Validator
    schema = {"$ref": f"#/components/schemas/{component}", "components": document["components"]}
    validator(schema).validate(value)


def validate_error(contract: str, path: str, resp: httpx.Response, component: str = "ErrorResponse") -> None:
    """An error answer: against the operation's response for its status when the contract declares one, else
    against the contract's error shape (the Core API declares only 401/404/409/500 per operation; its 400s use
    the same ``ErrorResponse``)."""
    try:
        validate_response(contract, path, resp)
    except Exception as exc:
        if type(exc).__name__ != "ResponseNotFound":
            raise
        validate_schema(contract, component, resp.json())
