"""Case settings per municipality: the document and its checks, reference series per
municipality and per committee, deadlines and the suppression threshold."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest
from httpx import AsyncClient

from styr_deviations.casesettings.schemas import NATIONAL_DEFAULTS
from styr_deviations.config import LOCAL_TIME
from styr_deviations.testing import create, deviation
from styr_shared.testing import TokenFactory

YEAR = datetime.now(LOCAL_TIME).year
URL = "/api/v1/municipalities/{}/case-settings"
DEFAULTS: dict[str, Any] = NATIONAL_DEFAULTS.model_dump(mode="json")


@pytest.fixture
def trosa_admin(tokens: TokenFactory) -> dict[str, str]:
    return tokens.headers("admin", org_units=["trosa"], subject="admin-trosa")


@pytest.fixture
def trosa_handler(tokens: TokenFactory) -> dict[str, str]:
    return tokens.headers("case_handler", org_units=["trosa"], subject="ec-trosa")


async def put(client: AsyncClient, headers: dict[str, str], **changes: Any) -> Any:
    return await client.put(URL.format("trosa"), json=DEFAULTS | changes, headers=headers)


async def test_a_municipality_without_settings_uses_the_national_defaults(
    client: AsyncClient, both: None, trosa_admin: dict[str, str], handler: dict[str, str]
) -> None:
    trosa = (await client.get(URL.format("trosa"), headers=trosa_admin)).json()
    assert trosa == {
        "municipality_id": "trosa",
        "stored": False,
        "updated_at": None,
        "updated_by": None,
        "settings": DEFAULTS,
    }
    assert DEFAULTS["intake_unit_id"] is None
    # the national default names no committee; Oxelösund keeps the format it had
    assert DEFAULTS["reference_format"] == "{year}/{n}"
    oxelosund = (await client.get(URL.format("oxelosund"), headers=handler)).json()
    assert oxelosund["stored"] is True
    assert oxelosund["settings"] == DEFAULTS | {
        "reference_format": "VON.{year}.{n}",
        "intake_unit_id": "oxelosund-vof",
    }
    assert (await client.get(URL.format("trosa"), headers=handler)).status_code == 403
    assert (await client.get(URL.format("nowhere"), headers=trosa_admin)).status_code == 404


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"intake_unit_id": "oxelosund-vof"}, "body.intake_unit_id"),  # another municipality's
        ({"intake_unit_id": "trosa-nope"}, "body.intake_unit_id"),
        ({"suppression_threshold": 2}, "body.suppression_threshold"),
        ({"suppression_threshold": 1000}, "body.suppression_threshold"),
        ({"reference_format": "SN {year}"}, "body.reference_format"),  # no serial
        ({"reference_format": "SN {year}/{n}/{n}"}, "body.reference_format"),
        ({"reference_format": "SN {year.__class__}/{n}"}, "body.reference_format"),
        ({"reference_format": "SN {unit}/{n}"}, "body.reference_format"),
        ({"reference_format": "SN {n!r}"}, "body.reference_format"),
        ({"reference_format": "SN {n:>9}"}, "body.reference_format"),
        ({"reference_format": "SN {year/{n}"}, "body.reference_format"),
        ({"reference_format": "SN " + "X" * 51 + "{n}"}, "body.reference_format"),  # 61 long
        ({"reference_format": "SN\u0000{n}"}, "body.reference_format"),
        ({"reference_format": "SN {committee} {n}"}, "body"),  # {committee} needs the scope
        ({"series_scope": "committee"}, "body"),  # and the scope needs {committee}
        ({"series_scope": "unit"}, "body.series_scope"),
        ({"deadlines": {"letter": {"milestone": "answered", "days": 3}}}, "body.deadlines"),
        ({"risk_matrix": {"probability": []}}, "body.risk_matrix"),
        ({"colour": "red"}, "body.colour"),
    ],
)
async def test_bad_settings_are_refused_naming_the_field(
    client: AsyncClient,
    both: None,
    trosa_admin: dict[str, str],
    changes: dict[str, Any],
    field: str,
) -> None:
    response = await put(client, trosa_admin, **changes)
    assert response.status_code == 422, response.text
    assert any(e["field"].startswith(field) for e in response.json()["errors"]), response.text
    assert (await client.get(URL.format("trosa"), headers=trosa_admin)).json()["stored"] is False


async def test_each_municipality_numbers_its_own_series(
    client: AsyncClient,
    both: None,
    trosa_admin: dict[str, str],
    trosa_handler: dict[str, str],
    handler: dict[str, str],
) -> None:
    # before Trosa chooses a format it has the national default, but its own series from 1
    assert (await create(client, handler))["reference_number"] == f"VON.{YEAR}.1"
    first = await create(client, trosa_handler, org_unit_id="trosa-sabo")
    assert (first["reference_number"], first["municipality_id"]) == (f"{YEAR}/1", "trosa")
    stored = await put(
        client, trosa_admin, reference_format="SN {year}/{n}", intake_unit_id="trosa-vof"
    )
    assert stored.status_code == 200, stored.text
    assert stored.json()["stored"] is True
    assert stored.json()["updated_by"] == "admin-trosa"
    sn = [(await create(client, trosa_handler, org_unit_id="trosa-sabo")) for _ in range(2)]
    assert [c["reference_number"] for c in sn] == [f"SN {YEAR}/1", f"SN {YEAR}/2"]
    assert (await create(client, handler))["reference_number"] == f"VON.{YEAR}.2"
    # a reference number repeats across municipalities, never within one
    trosa_cases = (
        await client.get("/api/v1/cases", params={"municipality": "trosa"}, headers=trosa_handler)
    ).json()["items"]
    assert sorted(c["reference_number"] for c in trosa_cases) == sorted(
        [f"{YEAR}/1", f"SN {YEAR}/1", f"SN {YEAR}/2"]
    )


async def test_a_series_per_committee(
    client: AsyncClient, both: None, trosa_admin: dict[str, str], trosa_handler: dict[str, str]
) -> None:
    stored = await put(
        client,
        trosa_admin,
        reference_format="{committee}-{year}-{n:03d}",
        series_scope="committee",
        intake_unit_id="trosa-vof",
    )
    assert stored.status_code == 200, stored.text
    care = [(await create(client, trosa_handler, org_unit_id="trosa-sabo")) for _ in range(2)]
    board = await create(client, trosa_handler, org_unit_id="trosa-ks", housing_type=None)
    assert [c["reference_number"] for c in care] == [f"VON-{YEAR}-001", f"VON-{YEAR}-002"]
    assert board["reference_number"] == f"KS-{YEAR}-001"
    # the municipality itself has no committee above it: nothing is numbered, no gap is left
    root = await client.post(
        "/api/v1/cases",
        json=deviation(org_unit_id="trosa", housing_type=None),
        headers=trosa_handler,
    )
    assert root.status_code == 422
    assert root.json()["errors"][0]["field"] == "body.org_unit_id"
    assert (await create(client, trosa_handler, org_unit_id="trosa-hemtjanst"))[
        "reference_number"
    ] == f"VON-{YEAR}-003"
    # an intake unit must have a committee when the series run per committee
    refused = await put(
        client,
        trosa_admin,
        reference_format="{committee}-{year}-{n}",
        series_scope="committee",
        intake_unit_id="trosa",
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "body.intake_unit_id"


async def test_deadlines_and_the_suppression_threshold_are_the_municipalitys(
    client: AsyncClient,
    both: None,
    trosa_admin: dict[str, str],
    trosa_handler: dict[str, str],
    handler: dict[str, str],
    tokens: TokenFactory,
) -> None:
    complaint: dict[str, Any] = {
        "kind": "complaint",
        "law_area": None,
        "category": "hemtjanst",
        "reporter_type": "relative",
        "reported_at": "2025-03-10T10:00:00+01:00",
        "event_time": None,
    }
    assert (await create(client, handler, **complaint))["deadline"]["due_date"] == "2025-04-10"
    stored = await put(
        client,
        trosa_admin,
        deadlines=DEFAULTS["deadlines"] | {"complaint": {"milestone": "answered", "days": 14}},
        suppression_threshold=3,
    )
    assert stored.status_code == 200, stored.text
    trosa = await create(client, trosa_handler, org_unit_id="trosa-hemtjanst", **complaint)
    assert trosa["deadline"]["due_date"] == "2025-03-24"
    assert (await create(client, handler, **complaint))["deadline"]["due_date"] == "2025-04-10"

    for _ in range(3):
        await create(client, trosa_handler, org_unit_id="trosa-sabo", category="lakemedel")
        await create(client, handler, category="lakemedel")
    trosa_reader = tokens.headers("reader", org_units=["trosa"])
    oxelosund_reader = tokens.headers("reader", org_units=["oxelosund"])
    deviations = {"kind": "deviation"}
    trosa_stats = (
        await client.get("/api/v1/statistics", params=deviations, headers=trosa_reader)
    ).json()
    oxelosund_stats = (
        await client.get("/api/v1/statistics", params=deviations, headers=oxelosund_reader)
    ).json()
    assert trosa_stats["suppression_threshold"] == 3
    assert oxelosund_stats["suppression_threshold"] == 5
    # three cases each: shown at Trosa's threshold of 3, hidden at Oxelösund's 5
    assert trosa_stats["by_org_unit"] == [{"org_unit_id": "trosa-sabo", "count": 3}]
    assert oxelosund_stats["by_org_unit"] == [{"org_unit_id": "oxelosund-sabo", "count": "<5"}]
    # an answer over both (the operator's reader) takes the higher threshold
    operator_reader = tokens.headers("reader")
    both_stats = (await client.get("/api/v1/statistics", headers=operator_reader)).json()
    assert both_stats["suppression_threshold"] == 5


@pytest.mark.postgresql_only
async def test_fifty_concurrent_registrations_in_two_municipalities_keep_each_series_gap_free(
    client: AsyncClient,
    both: None,
    trosa_admin: dict[str, str],
    trosa_handler: dict[str, str],
    handler: dict[str, str],
) -> None:
    # Trosa takes Oxelösund's format here, so their series have the same text (VON.<year>.*)
    # and only the municipality in the series key keeps them apart.
    stored = await put(client, trosa_admin, reference_format="VON.{year}.{n}")
    assert stored.status_code == 200, stored.text
    requests = [
        client.post("/api/v1/cases", json=deviation(org_unit_id=unit), headers=headers)
        for n in range(50)
        for unit, headers in [
            ("trosa-sabo", trosa_handler) if n % 2 else ("oxelosund-sabo", handler)
        ]
    ]
    responses = await asyncio.gather(*requests)
    assert [r.status_code for r in responses] == [201] * 50
    serials: dict[str, list[int]] = {"oxelosund": [], "trosa": []}
    for response in responses:
        case = response.json()
        assert case["reference_number"].startswith(f"VON.{YEAR}.")
        serials[case["municipality_id"]].append(int(case["reference_number"].rsplit(".", 1)[1]))
    assert sorted(serials["oxelosund"]) == list(range(1, 26))
    assert sorted(serials["trosa"]) == list(range(1, 26))
