"""Hostile input the database cannot hold is a 4xx naming the input, never a 500."""

from __future__ import annotations

import json

import pytest
from httpx import AsyncClient

from styr_shared.testing import TokenFactory

TOO_BIG = str(2**64 + 1)


@pytest.mark.parametrize(
    ("method", "url", "body", "field"),
    [
        ("GET", "/api/v1/org-units/a%00b", None, "path"),
        ("GET", "/api/v1/org-units/a%00b/subtree", None, "path"),
        ("GET", "/api/v1/plans?org_unit_id=x%00", None, "query.org_unit_id"),
        ("GET", "/api/v1/measures?org_unit_id=%00", None, "query.org_unit_id"),
        ("GET", "/api/v1/plans/p%00/goals", None, "path"),
        (
            "POST",
            "/api/v1/org-units",
            {"id": "a\u0000", "code": "X", "name": "x", "level": "unit", "parent_id": "oxelosund"},
            "body.id",
        ),
        (
            "POST",
            "/api/v1/plans",
            {"org_unit_id": "oxelosund", "name": "\u0000", "start_year": 2025, "end_year": 2027},
            "body.name",
        ),
        (
            "POST",
            "/api/v1/plans",
            {"org_unit_id": "oxelosund", "name": "\ud800", "start_year": 2025, "end_year": 2027},
            "body.name",
        ),
    ],
)
async def test_nul_and_lone_surrogates_are_422(
    client: AsyncClient,
    tokens: TokenFactory,
    oxelosund: None,
    method: str,
    url: str,
    body: object,
    field: str,
) -> None:
    for role in ("reader", "admin"):
        # Encoded here: JSON escapes a lone surrogate, which httpx would not encode.
        content = None if body is None else json.dumps(body).encode()
        headers = tokens.headers(role) | {"content-type": "application/json"}
        response = await client.request(method, url, content=content, headers=headers)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert field in [error["field"] for error in response.json()["errors"]]


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/follow-up-publications/{TOO_BIG}",
        f"/api/v1/import-runs/{TOO_BIG}",
        f"/api/v1/import-runs/{TOO_BIG}/errors",
        f"/api/v1/import-runs/{2**31}",
        f"/api/v1/measures/m/audit?value_id={TOO_BIG}",
    ],
)
async def test_ids_beyond_the_column_are_422(
    client: AsyncClient, tokens: TokenFactory, url: str
) -> None:
    response = await client.get(url, headers=tokens.headers("admin"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_an_activity_id_beyond_the_column_is_422(
    client: AsyncClient, tokens: TokenFactory
) -> None:
    response = await client.patch(
        f"/api/v1/activities/{TOO_BIG}", json={"status": "done"}, headers=tokens.headers("admin")
    )
    assert response.status_code == 422, response.text


async def test_a_query_string_that_is_not_utf8_is_400(
    client: AsyncClient, tokens: TokenFactory
) -> None:
    response = await client.get(
        "/api/v1/plans?org_unit_id=%ED%A0%80", headers=tokens.headers("reader")
    )
    assert response.status_code == 400
    assert response.json()["type"].endswith("/invalid-utf8")


async def test_a_text_longer_than_its_column_is_422(
    client: AsyncClient, tokens: TokenFactory
) -> None:
    # aggregation is a 60-character column: PostgreSQL refused the 61st character with a 500
    response = await client.patch(
        "/api/v1/measures/any", json={"aggregation": "x" * 61}, headers=tokens.headers("admin")
    )
    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == ["body.aggregation"]
