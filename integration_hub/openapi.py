"""The building blocks of the hub's own OpenAPI document (drf-spectacular, served at /api/schema/), and the
operations that belong to no one protocol (the registration API).

The protocol views are plain ``APIView``s that validate with serializers inside the handler, so drf-spectacular
cannot guess their bodies. Each protocol's ``extend_schema`` arguments live in a schema module beside its views
(``integration_hub/igsp/openapi.py``, ``integration_hub/public_api/openapi.py``,
``integration_hub/session_api/openapi.py``), applied to the views through ``OpenApiViewExtension``
(drf-spectacular's documented way to annotate a view from outside its module, ``annotate`` here), so the views
stay thin. This module holds what they share: the JSON-schema primitives, both error shapes and the documented
error answers, the security-scheme and operation registration, the certification run's shapes.
tests/integration_hub/test_schemathesis.py fuzzes every operation against the document: every response must
conform to it.

Imported, with the protocols' schema modules, by ``IntegrationHubConfig.ready`` (extensions register themselves
when their class is created).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerFieldExtension,
    OpenApiViewExtension,
)
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view

from integration_hub.registration.serializers import PartnerRegisterInput

# ------------------------------------------------------------- security --


def api_key_scheme(target: str, name: str, header: str, description: str = "") -> None:
    """Registers the security scheme ``name`` (an API key in ``header``) for the authentication class ``target``."""
    definition = {
        "type": "apiKey",
        "in": "header",
        "name": header,
        **({"description": description} if description else {}),
    }

    def get_security_definition(self: OpenApiAuthenticationExtension, auto_schema: AutoSchema) -> dict[str, str]:
        return dict(definition)

    type(
        f"_Scheme_{name}",
        (OpenApiAuthenticationExtension,),
        {
            "target_class": target,
            "name": name,
            "get_security_definition": get_security_definition,
            "__module__": __name__,
        },
    )


api_key_scheme("core.api.authentication.AdminKeyAuthentication", "adminKey", "X-Admin-Key")


class _NonBlankChar(OpenApiSerializerFieldExtension):
    """DRF's CharField trims whitespace and refuses a blank string unless ``allow_blank``: say so
    (drf-spectacular writes ``minLength`` only for an explicit ``min_length``)."""

    target_class = "rest_framework.fields.CharField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: AutoSchema, direction: str) -> dict[str, Any]:
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)  # noqa: SLF001 - drf-spectacular's own mapping
        if schema.get("type") == "string" and not self.target.allow_blank and direction == "request":
            schema.setdefault("minLength", 1)
            if self.target.trim_whitespace and "pattern" not in schema:
                schema["pattern"] = r"\S"
        return schema


# --------------------------------------------------------------- shapes --

STR = {"type": "string"}
NSTR = {"type": "string", "nullable": True}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
NUM = {"type": "number"}
DEC = {"type": "string", "pattern": r"^-?\d+(\.\d+)?$"}  # an amount or ratio written as a decimal string
NDEC = {**DEC, "nullable": True}
STRS = {"type": "array", "items": STR}


def obj(required: dict, optional: dict | None = None) -> dict:
    """An object with these required properties (more are allowed: clients must ignore unknown fields)."""
    return {"type": "object", "required": list(required), "properties": {**required, **(optional or {})}}


IGSP_ERROR = obj({"error": STR, "message": STR, "status": INT}, {"details": STR})
PUBLIC_ERROR = obj(
    {"message": STR},
    {
        "details": STR,
        "code": {
            "type": "string",
            "enum": ["game_not_found", "currency_not_supported", "locale_not_supported", "account_blocked"],
        },
    },
)

_REASONS = {
    400: "Invalid request",
    401: "Missing or invalid credentials or signature",
    403: "Not allowed (IP allowlist, blocked account)",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    410: "Session expired or closed",
    415: "Unsupported media type",
    429: "Too many requests",
    502: "Partner wallet unreachable",
    503: "Unavailable for a moment: retry after Retry-After seconds",
}


def errors(shape: dict, *codes: int) -> dict:
    return {code: OpenApiResponse(response=shape, description=_REASONS[code]) for code in codes}


def igsp_errors(*codes: int) -> dict:
    return errors(IGSP_ERROR, 400, 401, 403, 405, 406, 415, 429, *codes)


def public_errors(*codes: int) -> dict:
    return errors(PUBLIC_ERROR, 400, 401, 403, 405, 406, 415, 429, *codes)


def page_of(item: dict) -> dict:
    return obj(
        {
            "data": {"type": "array", "items": item},
            "cursor": obj({"next": NSTR, "previous": NSTR}),
            "meta": obj({"limit": INT, "returned": INT, "has_more": BOOL}),
        }
    )


ROUND_SUMMARY = {"status": STR, "outcome": STR, "currency": STR, "stake": NDEC, "payout": NDEC}
EXAMPLE_ROUND = "7d0f1c62-3b8e-4a5e-9d6c-2f1e0a9b8c7d"
EXAMPLE_TX = "0b6c3a55-9f0e-4a1d-8f7e-5b4c3d2e1f00"

# The reconciliation row's fields (IGSP names; the Core API writes them in camelCase).
RECON_FIELDS = [
    "currency",
    "bets_count",
    "bets_sum",
    "wins_count",
    "wins_sum",
    "refunds_count",
    "refunds_sum",
    "ggr",
    "void_refunds_count",
    "void_refunds_sum",
]


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.capitalize() for p in rest)


def reconciliation(names: list[str]) -> dict:
    """A day's reconciliation totals per currency, its rows' fields named ``names``."""
    row = obj({n: (STR if n == "currency" or n.endswith("count") else DEC) for n in names})
    return obj({"date": STR, "currencies": {"type": "array", "items": row}})


RECON_CSV = {
    "type": "string",
    "description": "The admin's CSV: partner_id, partner_slug, date, currency, bets_count, bets_sum, wins_count, "
    "wins_sum, refunds_count, refunds_sum, ggr, void_refunds_count, void_refunds_sum.",
}


CERT_RUN = obj(
    {
        "id": STR,
        "protocol": {"type": "string", "enum": ["igsp", "public_api"]},
        "status": {"type": "string", "enum": ["queued", "running", "passed", "failed", "error"]},
        "hubVersion": STR,
        "total": INT,
        "done": INT,
        "passed": INT,
        "failed": INT,
        "progressPercent": INT,
        "full": BOOL,
        "currency": STR,
    },
    {"targetUrl": STR, "groups": STRS, "error": NSTR, "startBalance": NSTR, "endBalance": NSTR},
)
CERT_CASE = obj(
    {"id": STR, "group": STR, "title": STR, "passed": BOOL, "expected": STR, "actual": STR},
    {"howToFix": NSTR, "ms": INT, "exchanges": {"type": "array", "items": {"type": "object"}}},
)
CERT_DOCUMENT = {"allOf": [CERT_RUN, obj({"cases": {"type": "array", "items": CERT_CASE}})]}
ONCE = (
    "\n\nActs once. The Core API signs only the body, with no time in it, so this operation (the hub's own "
    "addition to the Core API) also takes, inside the signed body, a `requestId` (a new UUID for every request, "
    "retries included: one already used answers 409 and nothing is done again) and a `timestamp` (Unix seconds or "
    "an ISO-8601 date-time with an offset; more than 300 seconds from the hub's clock either way answers 400). A "
    "request refused with a 400 for these fields does not use up its requestId."
)
CERT_TAG = ["Certification"]
CERT_INTRO = (
    "Runs the certification cases against your own wallet (your hooks URL or ExtCID base URL) with the test player "
    "you name, on a worker; poll the run until its status is passed or failed. Only a passing full run (no groups) "
    "of the hub's current version lets you go live. A run bets and wins real money at your wallet and restores the "
    "test player's balance: once you are live, it may only name a test player your account manager declared for you "
    "(IGSP player_id, Core API sessionID); any other answers 403 (IGSP error not_a_test_player) and starts nothing."
)
RUN_ID = OpenApiParameter("run_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The run's id (a UUID).")


class BodyOnDeleteSchema(AutoSchema):
    """DELETE /api/v1/free-rounds takes a JSON body (core-api.yaml), which drf-spectacular documents for POST,
    PUT and PATCH only: the view's DELETE is described here (``delete`` in the annotations table)."""

    delete: dict = {}

    def _get_request_body(self, direction: str = "request") -> Any:
        if self.method != "DELETE":
            return super()._get_request_body(direction)
        self.method = "POST"  # the parent documents no body for any other method
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = "DELETE"

    def get_request_serializer(self) -> Any:
        return self.delete["request"]

    def get_response_serializers(self) -> Any:
        return self.delete["responses"] if self.method == "DELETE" else super().get_response_serializers()

    def get_tags(self) -> list[str]:
        return self.delete["tags"] if self.method == "DELETE" else super().get_tags()

    def get_operation_id(self) -> str:
        return self.delete["operation_id"] if self.method == "DELETE" else super().get_operation_id()


def annotate(operations: dict[str, dict[str, dict[str, Any]]]) -> None:
    """Documents views from outside their modules: view class path → HTTP method → ``extend_schema`` arguments
    (a ``delete`` entry through ``BodyOnDeleteSchema``)."""
    for target, methods in operations.items():

        def view_replacement(self: OpenApiViewExtension, _methods: dict[str, Any] = methods) -> Any:
            attrs, _methods = {"__module__": self.target_class.__module__}, dict(_methods)
            if "delete" in _methods:
                attrs["schema"] = type("DeleteSchema", (BodyOnDeleteSchema,), {"delete": _methods.pop("delete")})()
            return extend_schema_view(**{m: extend_schema(**kw) for m, kw in _methods.items()})(
                type(self.target_class.__name__, (self.target_class,), attrs)
            )

        type(
            f"_Schema_{target.rsplit('.', 1)[1]}",
            (OpenApiViewExtension,),
            {"target_class": target, "view_replacement": view_replacement, "__module__": __name__},
        )


# ------------------------------------------------------- the hub's own --

REGISTERED = obj(
    {"partnerId": STR, "name": STR, "slug": STR, "status": STR, "integrationMode": STR},
    {
        "igspApiKey": STR,
        "igspSecretKey": STR,
        "igspHooksUrl": STR,
        "cID": STR,
        "apiKey": STR,
        "integrationApiKey": STR,
        "extCIDs": {"type": "array", "items": obj({"extCID": STR, "baseUrl": STR})},
    },
)


annotate(
    {
        "integration_hub.registration.views.PartnerRegisterView": {
            "post": {
                "tags": ["Hub"],
                "operation_id": "partners_register",
                "request": PartnerRegisterInput,
                "responses": {201: REGISTERED, **igsp_errors(409)},
            }
        },
    }
)
