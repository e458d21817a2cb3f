"""Browsers on the configured origins may call the graph; others get no CORS grant."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from styr_gateway.settings import GatewaySettings

FRONT_END = "https://styr.oxelosund.se"
PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type",
}


async def test_configured_origins_get_preflight_and_answers(
    make_gateway: Callable[..., Any], goals: Any, reader: dict[str, str]
) -> None:
    with make_gateway(
        goals_url=goals.url, cors_origins=f"{FRONT_END}, http://localhost:5173"
    ) as url:
        async with httpx.AsyncClient(timeout=30) as client:
            preflight = await client.options(url, headers={"Origin": FRONT_END, **PREFLIGHT})
            assert preflight.status_code == 200
            assert preflight.headers["access-control-allow-origin"] == FRONT_END
            allowed = preflight.headers["access-control-allow-headers"].lower()
            assert "authorization" in allowed
            assert "access-control-allow-credentials" not in preflight.headers

            answer = await client.post(
                url,
                json={"query": "{ __typename }"},
                headers={"Origin": "http://localhost:5173", **reader},
            )
            assert answer.status_code == 200
            assert answer.json() == {"data": {"__typename": "Query"}}
            assert answer.headers["access-control-allow-origin"] == "http://localhost:5173"

            stranger = await client.options(
                url, headers={"Origin": "https://evil.example", **PREFLIGHT}
            )
            assert stranger.status_code == 400
            assert "access-control-allow-origin" not in stranger.headers


async def test_no_origins_no_grant(gateway: str, reader: dict[str, str]) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        answer = await client.post(
            gateway, json={"query": "{ __typename }"}, headers={"Origin": FRONT_END, **reader}
        )
    assert answer.status_code == 200
    assert "access-control-allow-origin" not in answer.headers


@pytest.mark.parametrize("origin", ["*", "styr.oxelosund.se", "https://styr.se/app"])
def test_an_origin_must_be_scheme_host_and_port(origin: str) -> None:
    with pytest.raises(ValidationError, match="not an origin"):
        GatewaySettings(cors_origins=origin)
