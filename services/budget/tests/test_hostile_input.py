"""Hostile input is a 4xx naming the input, never a 500 (ids, amounts, unstorable text)."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient

from styr_shared.testing import TokenFactory

SETTINGS = "/api/v1/municipalities/oxelosund"

TOO_BIG = str(2**64 + 1)


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("DELETE", f"{SETTINGS}/account-mappings/{TOO_BIG}"),
        ("PATCH", f"/api/v1/balance-measures/{TOO_BIG}"),
        ("DELETE", f"{SETTINGS}/account-mappings/{2**31}"),
    ],
)
async def test_ids_beyond_the_column_are_422(
    client: AsyncClient, tokens: TokenFactory, method: str, url: str
) -> None:
    body = {"status": "done"}  # valid where a body is read: only the id is wrong
    response = await client.request(method, url, json=body, headers=tokens.headers("admin"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"].startswith("path.")


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/v1/investments/INV-1/years/2025", {"budget": 1e26}, "body.budget"),
        ("/api/v1/investments/INV-1/years/2025", {"outcome": 1e300}, "body.outcome"),
        ("/api/v1/investments/INV-1/years/2025", {"forecast": {}}, "body.forecast"),
        ("/api/v1/investments/INV-1/years/2025", {"forecast": [1]}, "body.forecast"),
        (
            "/api/v1/result-reports/oxelosund-so/2025/8",
            {"result": 1e26, "explanations": []},
            "body.result",
        ),
        (
            "/api/v1/result-reports/oxelosund-so/2025/8",
            {"result": 0, "explanations": [{"label": "X", "amount": -1e27}]},
            "body.explanations.0.amount",
        ),
    ],
)
async def test_absurd_amounts_are_422_naming_the_field(
    client: AsyncClient, tokens: TokenFactory, url: str, body: dict[str, Any], field: str
) -> None:
    response = await client.put(url, json=body, headers=tokens.headers("admin"))
    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]


@pytest.mark.parametrize(
    ("method", "url", "body", "field"),
    [
        ("GET", "/api/v1/budgets/oxelosund%00/2024", None, "path"),
        ("GET", "/api/v1/summaries?org_unit=oxelosund%00&year=2024", None, "query.org_unit"),
        ("GET", f"{SETTINGS}/activity-codes/5%006", None, "path"),
        ("GET", "/api/v1/municipalities/oxelosund%00/fiscal-years", None, "path"),
        ("POST", "/api/v1/outcomes/csv?municipality=oxelosund%00", None, "query.municipality"),
        ("GET", "/api/v1/investments?org_unit=%00", None, "query.org_unit"),
        (
            "PUT",
            "/api/v1/investments/INV-1",
            {"name": "Larm\u0000", "category": "X", "org_unit_id": "oxelosund-ao"},
            "body.name",
        ),
    ],
)
async def test_nul_is_422_naming_the_input(
    client: AsyncClient,
    tokens: TokenFactory,
    org: None,
    method: str,
    url: str,
    body: object,
    field: str,
) -> None:
    response = await client.request(method, url, json=body, headers=tokens.headers("admin"))
    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]
