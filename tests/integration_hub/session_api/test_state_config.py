"""``GET …/state`` answers "session state and partner config" (seed 000): the partner config the game page needs
(deposit and lobby URLs, limits, locale, currency display), over real HTTP, validated against the hub's own
OpenAPI document (the vendored IGSP contract describes no Session API route)."""

from __future__ import annotations

import json

from openapi_schema_validator import OAS30Validator

from tests.integration_hub.public_api import test_core_api as core

http = core.http


def _state_schema(http) -> dict:
    schema = http.get("/api/schema/", headers={"Accept": "application/vnd.oai.openapi+json"}).json()
    op = schema["paths"]["/igsp/v1/sessions/{session_id}/state"]["get"]
    body = op["responses"]["200"]["content"]["application/json"]["schema"]
    return {**body, "components": schema.get("components", {})}


def test_state_carries_the_partner_config_the_game_page_needs(http, wired, games_catalog):
    game = core.post(
        http,
        wired,
        "/create-new-game",
        core.game_request(wired, locale="pt", currency="EUR", gameID="prediction-markets"),
    ).json()
    resp = http.get(
        f"/igsp/v1/sessions/{game['gsID']}/state", headers={"X-Casino-Key": game["gameURL"].split("#key=")[1]}
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    schema = _state_schema(http)
    OAS30Validator(schema).validate(body)
    assert {"config"} <= set(schema["required"]) and "config" in schema["properties"]
    config = body["config"]
    assert config == {
        "partner": wired.partner.name,
        "depositUrl": "https://casino.example/deposit",
        "lobbyUrl": "https://casino.example/lobby",
        "locale": "pt_br",
        "language": "pt-br",
        "currency": {"code": "EUR", "symbol": "€", "decimals": 2},
        "limits": {"minStake": "0.10", "maxStake": "500.00", "cashOutsPerDay": 10},
    }
    # Additive: the old fields are all still there.
    assert body["session"]["depositUrl"] == config["depositUrl"] and body["currency"] == "EUR"
    assert json.loads(resp.content.decode())["balance"]
