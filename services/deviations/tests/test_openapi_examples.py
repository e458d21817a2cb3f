"""The documented examples of a case and of a migration import row are requests the service
accepts."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient

from styr_shared.testing import TokenFactory


def _examples(app: FastAPI, schema: str) -> list[dict[str, Any]]:
    examples: list[dict[str, Any]] = app.openapi()["components"]["schemas"][schema]["examples"]
    assert examples
    return examples


async def test_the_documented_cases_can_be_registered(
    client: AsyncClient, app: FastAPI, org: None, tokens: TokenFactory
) -> None:
    handler = tokens.headers("case_handler", org_units=["oxelosund"], subject="example")
    for example in _examples(app, "CaseCreate"):
        response = await client.post("/api/v1/cases", json=example, headers=handler)
        assert response.status_code == 201, response.text
        assert response.json()["kind"] == example["kind"]


async def test_the_documented_import_rows_are_imported(
    client: AsyncClient, app: FastAPI, org: None, tokens: TokenFactory
) -> None:
    importer = tokens.headers("importer", org_units=["oxelosund"], subject="migrering")
    rows = _examples(app, "ImportRow")
    response = await client.post("/api/v1/cases/import", json={"rows": rows}, headers=importer)
    assert response.status_code == 200, response.text
    assert response.json()["created"] == len(rows), response.json()["errors"]
