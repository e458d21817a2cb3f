"""Reads across municipalities in the deviations service: Trosa's admin (every role, over
Trosa) reads nothing of Oxelösund's cases, statistics, settings or categories (403 for a read
about Oxelösund, lists and statistics without Oxelösund's rows), while a case handler of one
unit of Oxelösund reads them. Case data, counts included, follow the case scope (the caller's
subtrees), which is narrower than a municipality."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from styr_deviations.testing import create
from styr_shared.testing import Read, TokenFactory, assert_isolated, unlisted_reads
from styr_shared.testing.orgs import BOTH_MUNICIPALITIES

MUNICIPALITY_OF = {unit[0]: unit[0].split("-")[0] for unit in BOTH_MUNICIPALITIES}
# National lists (the same for everyone), and the case lists' narrower scope tested below.
EXEMPT = {"/api/v1/categories", "/api/v1/workflow"}
SETTINGS = "/api/v1/municipalities/{municipality_id}"


def by_unit(row: dict[str, Any]) -> str | None:
    return MUNICIPALITY_OF.get(row["org_unit_id"])


@pytest.fixture
def insider(tokens: TokenFactory) -> dict[str, str]:
    return tokens.headers("case_handler", org_units=["oxelosund-sabo"], subject="ec-sabo")


@pytest.fixture
def outsider(tokens: TokenFactory) -> dict[str, str]:
    return tokens.headers("admin", org_units=["trosa"], subject="trosa-admin")


@pytest.fixture
async def case_id(
    both: None, client: AsyncClient, insider: dict[str, str], tokens: TokenFactory
) -> int:
    """One case in each municipality (Oxelösund's id is returned), one of them long overdue."""
    trosa = tokens.headers("case_handler", org_units=["trosa-vof"], subject="ec-trosa")
    await create(client, trosa, org_unit_id="trosa-sabo")
    await create(
        client,
        insider,
        kind="complaint",
        law_area=None,
        category="bemotande_synpunkt",
        reported_at=(datetime.now(UTC) - timedelta(days=40)).isoformat(),
        event_time=None,
        reporter_type="relative",
        channel="letter",
    )
    return int((await create(client, insider))["id"])


def reads(case: int) -> tuple[list[Read], list[Read]]:
    one_thing = [
        Read("/api/v1/cases/{case_id}", f"/api/v1/cases/{case}"),
        Read("/api/v1/cases/{case_id}/history", f"/api/v1/cases/{case}/history"),
        Read(
            "/api/v1/cases/{case_id}/personal-data",
            f"/api/v1/cases/{case}/personal-data",
            {"reason": "Utredning av fallet"},
        ),
        Read("/api/v1/statistics", "/api/v1/statistics", {"org_unit_id": "oxelosund-sabo"}),
        Read("/api/v1/risk-matrix", "/api/v1/risk-matrix", {"municipality": "oxelosund"}),
        *(
            Read(f"{SETTINGS}/{tail}", f"/api/v1/municipalities/oxelosund/{tail}")
            for tail in ["case-settings", "categories", "settings/history"]
        ),
    ]
    lists = [
        Read("/api/v1/cases", "/api/v1/cases", {"limit": 500}, by_unit),
        Read("/api/v1/cases/overdue", "/api/v1/cases/overdue", {}, by_unit),
        Read(
            "/api/v1/personal-data-access",
            "/api/v1/personal-data-access",
            {},
            lambda row: "oxelosund" if row["case_id"] == case else "elsewhere",
        ),
    ]
    return one_thing, lists


def test_every_read_endpoint_is_in_the_table(app: FastAPI) -> None:
    one_thing, lists = reads(1)
    assert unlisted_reads(app, one_thing + lists, EXEMPT) == set()


async def test_a_read_about_another_municipality_is_refused(
    client: AsyncClient, case_id: int, insider: dict[str, str], outsider: dict[str, str]
) -> None:
    one_thing, _ = reads(case_id)
    for read in one_thing:
        await assert_isolated(
            client, read, municipality="oxelosund", insider=insider, outsider=outsider
        )


async def test_lists_and_statistics_leave_out_another_municipality(
    client: AsyncClient,
    case_id: int,
    insider: dict[str, str],
    outsider: dict[str, str],
    tokens: TokenFactory,
) -> None:
    _, lists = reads(case_id)
    # the access log lists reads of personal data: one by the insider, then the admin's view
    logged = await client.get(
        f"/api/v1/cases/{case_id}/personal-data",
        params={"reason": "Utredning av fallet"},
        headers=insider,
    )
    assert logged.status_code == 200, logged.text
    oxelosund_admin = tokens.headers("admin", org_units=["oxelosund"], subject="ox-admin")
    for read in lists:
        viewer = oxelosund_admin if read.path == "/api/v1/personal-data-access" else insider
        await assert_isolated(
            client, read, municipality="oxelosund", insider=viewer, outsider=outsider
        )
    statistics = await client.get("/api/v1/statistics", headers=outsider)
    assert statistics.status_code == 200, statistics.text
    units = {row["org_unit_id"] for row in statistics.json()["by_org_unit"]}
    assert units
    assert {MUNICIPALITY_OF[unit] for unit in units} == {"trosa"}
