"""The documented examples of a budget version (with its lines) and of a forecast are requests
the service accepts, on the demo's Oxelösund."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient


def _examples(app: FastAPI, schema: str) -> list[dict[str, Any]]:
    examples: list[dict[str, Any]] = app.openapi()["components"]["schemas"][schema]["examples"]
    assert examples
    return examples


async def test_the_documented_budget_version_is_accepted(
    client: AsyncClient, app: FastAPI, demo: None, controller: dict[str, str]
) -> None:
    for example in _examples(app, "VersionCreate"):
        response = await client.post(
            "/api/v1/budgets/oxelosund-von/2025/versions", json=example, headers=controller
        )
        assert response.status_code == 201, response.text
        assert response.json()["kind"] == example["kind"]


async def test_the_documented_forecast_is_accepted(
    client: AsyncClient, app: FastAPI, demo: None, controller: dict[str, str]
) -> None:
    for example in _examples(app, "ForecastWrite"):
        response = await client.put("/api/v1/forecasts/2025/8", json=example, headers=controller)
        assert response.status_code == 200, response.text
