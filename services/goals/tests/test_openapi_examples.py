"""The measure-value import's documented examples are files the import accepts, row for row."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from styr_goals.measures.models import Measure
from styr_shared.testing import TokenFactory

URL = "/api/v1/measure-values/import"


@pytest.fixture
async def measures(oxelosund: None, app: FastAPI) -> None:
    """The measures the examples name: a yearly one and a half-yearly one split by gender."""
    async with app.state.database.session() as session:
        for code, periodicity, gender_split in [
            ("M-04", "year", False),
            ("M-07", "half_year", True),
        ]:
            session.add(
                Measure(
                    id=code.lower(),
                    code=code,
                    name=code,
                    org_unit_id="oxelosund-von",
                    unit_kind="percent",
                    direction="higher_better",
                    decimals=1,
                    periodicity=periodicity,
                    gender_split=gender_split,
                )
            )
        await session.commit()


def _documented_examples(app: FastAPI) -> dict[str, Any]:
    content = app.openapi()["paths"][URL]["post"]["requestBody"]["content"]
    return {media_type: body["example"] for media_type, body in content.items()}


async def test_every_documented_example_file_is_accepted(
    client: AsyncClient, app: FastAPI, measures: None, tokens: TokenFactory
) -> None:
    headers = tokens.headers("importer", org_units=["oxelosund"])
    examples = _documented_examples(app)
    assert set(examples) == {"text/csv", "application/json", "application/x-ndjson"}
    for media_type, example in examples.items():
        kwargs: dict[str, Any] = (
            {"json": example} if media_type == "application/json" else {"content": example}
        )
        response = await client.post(
            URL,
            params={"dry_run": "true"},
            headers=headers | {"content-type": media_type},
            **kwargs,
        )
        assert response.status_code == 200, (media_type, response.text)
        counts = response.json()["counts"]
        assert counts == {
            "inserted": 2,
            "updated": 0,
            "unchanged": 0,
            "rejected": 0,
            "skipped": 0,
            "skipped_by_reason": {},
        }, media_type
