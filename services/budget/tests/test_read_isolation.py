"""Reads across municipalities: a reader scoped to a unit of Trosa reads none of Oxelösund's
budget, outcome, forecasts, investments or settings (403 for a read about Oxelösund, lists
without Oxelösund's rows), while a reader scoped to one of Oxelösund's units reads all of it
(its municipality's shared figures), and a token without org units reads every municipality."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from styr_shared.testing import (
    Read,
    TokenFactory,
    assert_isolated,
    unlisted_reads,
)
from styr_shared.testing.orgs import BOTH_MUNICIPALITIES

# every test unit's id starts with its municipality's
MUNICIPALITY_OF = {unit[0]: unit[0].split("-")[0] for unit in BOTH_MUNICIPALITIES}


def by_unit(row: dict[str, Any]) -> str | None:
    return MUNICIPALITY_OF.get(row["org_unit_id"])


def by_municipality(row: dict[str, Any]) -> str | None:
    return str(row["municipality_id"])


SETTINGS = "/api/v1/municipalities/{municipality_id}"
UNIT_READS = [
    Read(
        "/api/v1/balance-measures",
        "/api/v1/balance-measures",
        {"committee_id": "oxelosund-von", "year": 2024},
    ),
    Read("/api/v1/budgets/{committee_id}/{year}", "/api/v1/budgets/oxelosund-von/2024"),
    Read("/api/v1/budgets/{committee_id}/{year}/lines", "/api/v1/budgets/oxelosund-von/2024/lines"),
    Read("/api/v1/deficits", "/api/v1/deficits", {"committee_id": "oxelosund-von", "year": 2024}),
    Read(
        "/api/v1/investments/totals",
        "/api/v1/investments/totals",
        {"org_unit": "oxelosund", "year": 2025},
    ),
    Read(
        "/api/v1/result-reports",
        "/api/v1/result-reports",
        {"org_unit": "oxelosund-von", "year": 2024},
    ),
    Read("/api/v1/summaries", "/api/v1/summaries", {"org_unit": "oxelosund-von", "year": 2024}),
    # a list narrowed to one of Oxelösund's units is a read about Oxelösund
    Read("/api/v1/forecasts", "/api/v1/forecasts", {"year": 2024, "org_unit": "oxelosund-von"}),
    Read("/api/v1/outcomes", "/api/v1/outcomes", {"year": 2024, "org_unit": "oxelosund-von"}),
    Read("/api/v1/investments", "/api/v1/investments", {"org_unit": "oxelosund"}),
    *(
        Read(f"{SETTINGS}/{name}", f"/api/v1/municipalities/oxelosund/{name}")
        for name in [
            "account-groups",
            "account-mappings",
            "activity-codes",
            "fiscal-years",
            "object-mappings",
            "periodisation-keys",
            "settings/history",
        ]
    ),
]
LIST_READS = [
    Read("/api/v1/forecasts", "/api/v1/forecasts", {"year": 2024, "limit": 500}, by_unit),
    Read("/api/v1/outcomes", "/api/v1/outcomes", {"year": 2024, "limit": 500}, by_unit),
    Read("/api/v1/investments", "/api/v1/investments", {"limit": 500}, by_unit),
    Read("/api/v1/outcomes/imports", "/api/v1/outcomes/imports", {"limit": 500}, by_municipality),
]
# Reads about one investment object: filled in with a demo object of Oxelösund's.
OBJECT_READS = ["/api/v1/investments/{object_id}", "/api/v1/investments/{object_id}/carry-overs"]


@pytest.fixture
def insider(tokens: TokenFactory) -> dict[str, str]:
    """A reader scoped to one unit of Oxelösund (reads its municipality's shared figures)."""
    return tokens.headers("reader", org_units=["oxelosund-sabo"], subject="ox-reader")


@pytest.fixture
def outsider(tokens: TokenFactory) -> dict[str, str]:
    """Trosa's controller: an admin-like scope, but over another municipality."""
    return tokens.headers("controller", org_units=["trosa"], subject="trosa-controller")


def test_every_read_endpoint_is_in_the_table(app: FastAPI) -> None:
    reads = [*UNIT_READS, *LIST_READS, *(Read(t, t) for t in OBJECT_READS)]
    assert unlisted_reads(app, reads, exempt=()) == set()


@pytest.mark.usefixtures("both")
@pytest.mark.parametrize("read", UNIT_READS + LIST_READS, ids=lambda r: f"{r.path}{r.params}")
async def test_a_reader_of_another_municipality_reads_nothing_of_it(
    client: AsyncClient, read: Read, insider: dict[str, str], outsider: dict[str, str]
) -> None:
    await assert_isolated(
        client, read, municipality="oxelosund", insider=insider, outsider=outsider
    )


@pytest.mark.usefixtures("both")
async def test_investment_objects_of_another_municipality_are_refused(
    client: AsyncClient, insider: dict[str, str], outsider: dict[str, str]
) -> None:
    objects = (
        await client.get("/api/v1/investments", params={"org_unit": "oxelosund"}, headers=insider)
    ).json()
    object_id = objects["items"][0]["id"]
    for template in OBJECT_READS:
        path = template.replace("{object_id}", str(object_id))
        await assert_isolated(
            client,
            Read(template, path),
            municipality="oxelosund",
            insider=insider,
            outsider=outsider,
        )


@pytest.mark.usefixtures("both")
async def test_a_token_without_org_units_reads_every_municipality(
    client: AsyncClient, tokens: TokenFactory
) -> None:
    statistician = tokens.headers("reader", subject="statistics-export")
    forecasts = await client.get(
        "/api/v1/outcomes/imports", params={"limit": 500}, headers=statistician
    )
    assert {row["municipality_id"] for row in forecasts.json()["items"]} == {"oxelosund", "trosa"}
    for committee in ["oxelosund-von", "trosa-von"]:
        summary = await client.get(
            "/api/v1/summaries", params={"org_unit": committee, "year": 2024}, headers=statistician
        )
        assert summary.status_code == 200, summary.text
