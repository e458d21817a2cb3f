"""Categories per municipality: the national default list per year, a municipality's own codes,
labels and retirements, and the checks of cases against their municipality's list."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient

from styr_deviations.config import CATEGORIES
from styr_deviations.testing import create, deviation
from styr_shared.testing import TokenFactory

TROSA = "/api/v1/municipalities/trosa/categories"
OXELOSUND = "/api/v1/municipalities/oxelosund/categories"


@pytest.fixture
def trosa_admin(tokens: TokenFactory) -> dict[str, str]:
    return tokens.headers("admin", org_units=["trosa"], subject="admin-trosa")


@pytest.fixture
def trosa_handler(tokens: TokenFactory) -> dict[str, str]:
    return tokens.headers("case_handler", org_units=["trosa-vof"], subject="ec-trosa")


def codes(response: Any) -> dict[str, dict[str, Any]]:
    assert response.status_code == 200, response.text
    return {entry["code"]: entry for entry in response.json()}


def national(year: int) -> set[str]:
    return {c.code for c in CATEGORIES if c.valid_in(year)}


async def test_the_effective_list_is_the_national_one_less_retired_plus_own(
    client: AsyncClient,
    both: None,
    trosa_admin: dict[str, str],
    trosa_handler: dict[str, str],
    handler: dict[str, str],
) -> None:
    before = codes(await client.get(TROSA, params={"year": 2024}, headers=trosa_admin))
    assert set(before) == national(2024)
    assert {entry["source"] for entry in before.values()} == {"national"}

    own = await client.put(
        f"{TROSA}/nattillsyn",
        json={"label": "Nattillsyn", "group": "deviation", "valid_from_year": 2024},
        headers=trosa_admin,
    )
    assert own.status_code == 200, own.text
    assert own.json() == {
        "code": "nattillsyn",
        "label": "Nattillsyn",
        "group": "deviation",
        "valid_from_year": 2024,
        "valid_to_year": None,
        "source": "own",
        "national_label": None,
    }
    relabelled = await client.put(
        f"{TROSA}/insats_ej_utford", json={"label": "Missad insats"}, headers=trosa_admin
    )
    assert (relabelled.json()["label"], relabelled.json()["national_label"]) == (
        "Missad insats",
        "Insats ej utförd",
    )
    retired = await client.put(f"{TROSA}/fall", json={"valid_to_year": 2024}, headers=trosa_admin)
    assert retired.json()["valid_to_year"] == 2024

    by_year = {
        year: codes(await client.get(TROSA, params={"year": year}, headers=trosa_handler))
        for year in (2023, 2024, 2025)
    }
    assert set(by_year[2023]) == national(2023)
    assert set(by_year[2024]) == national(2024) | {"nattillsyn"}
    assert set(by_year[2025]) == (national(2025) - {"fall"}) | {"nattillsyn"}
    assert by_year[2025]["insats_ej_utford"]["label"] == "Missad insats"
    assert by_year[2025]["nattillsyn"]["source"] == "own"
    feedback_only = codes(
        await client.get(TROSA, params={"year": 2025, "kind": "complaint"}, headers=trosa_handler)
    )
    assert "nattillsyn" not in feedback_only
    assert "hemtjanst" in feedback_only
    every_year = codes(await client.get(TROSA, headers=trosa_handler))
    assert every_year["fall"]["valid_to_year"] == 2024
    assert every_year["omvardnad"]["valid_to_year"] == 2021  # retired nationally, still listed

    # Oxelösund's list is the national one, untouched
    oxelosund = codes(await client.get(OXELOSUND, params={"year": 2025}, headers=handler))
    assert set(oxelosund) == national(2025)
    assert oxelosund["insats_ej_utford"]["label"] == "Insats ej utförd"
    # and the national default list stays as it was
    assert set(
        codes(await client.get("/api/v1/categories", params={"year": 2025}, headers=handler))
    ) == national(2025)

    # a case is checked against its municipality's list of its event's year
    trosa_case = {"org_unit_id": "trosa-sabo", "event_time": "2025-02-01T10:00:00+01:00"}
    night = await create(client, trosa_handler, category="nattillsyn", **trosa_case)
    assert night["category"] == "nattillsyn"
    for refused, headers, fields in [
        ("nattillsyn", handler, {"event_time": "2025-02-01T10:00:00+01:00"}),  # Trosa's own
        ("fall", trosa_handler, trosa_case),  # retired by Trosa after 2024
        ("nattillsyn", trosa_handler, trosa_case | {"event_time": "2023-05-01T10:00:00+02:00"}),
    ]:
        response = await client.post(
            "/api/v1/cases", json=deviation(category=refused, **fields), headers=headers
        )
        assert response.status_code == 422, (refused, response.text)
        assert response.json()["errors"][0]["field"] == "body.category"
    assert (await create(client, handler, category="fall"))["category"] == "fall"  # Oxelösund
    still_2024 = trosa_case | {"event_time": "2024-12-31T10:00:00+01:00"}
    assert (await create(client, trosa_handler, category="fall", **still_2024))[
        "category"
    ] == "fall"

    # a correction is checked the same way
    corrected = await client.patch(
        f"/api/v1/cases/{night['id']}", json={"category": "fall"}, headers=trosa_handler
    )
    assert corrected.status_code == 422
    assert corrected.json()["errors"][0]["field"] == "body.category"


async def test_what_a_municipality_may_and_may_not_change(
    client: AsyncClient, both: None, trosa_admin: dict[str, str], trosa_handler: dict[str, str]
) -> None:
    refused = [
        ("fall", {"group": "feedback"}, "body.group"),  # a national code keeps its group
        ("vard_behandling_provtagning", {"valid_from_year": 2019}, "body.valid_from_year"),
        ("omvardnad", {"valid_to_year": 2025}, "body.valid_to_year"),  # retired nationally 2021
        ("vard_behandling_provtagning", {"valid_to_year": 2021}, "body.valid_to_year"),
        ("nattillsyn", {"group": "deviation"}, "body.label"),
        ("nattillsyn", {"label": "Nattillsyn"}, "body.group"),
        (
            "nattillsyn",
            {"label": "N", "group": "deviation", "valid_from_year": 2025, "valid_to_year": 2024},
            "body.valid_to_year",
        ),
        ("nattillsyn", {"label": "N", "group": "deviation", "colour": "red"}, "body.colour"),
        ("nattillsyn", {"label": "N", "group": "deviation", "valid_to_year": 1066}, None),
        ("natt tillsyn", {"label": "N", "group": "deviation"}, "path.code"),
        ("x" * 61, {"label": "N", "group": "deviation"}, "path.code"),
    ]
    for code, body, field in refused:
        response = await client.put(f"{TROSA}/{code}", json=body, headers=trosa_admin)
        assert response.status_code == 422, (code, body, response.text)
        if field:
            assert field in [e["field"] for e in response.json()["errors"]], response.text

    async def put(code: str, body: dict[str, Any]) -> int:
        return (await client.put(f"{TROSA}/{code}", json=body, headers=trosa_admin)).status_code

    assert await put("nattillsyn", {"label": "Nattillsyn", "group": "deviation"}) == 200
    assert await put("dagbesok", {"label": "Dagbesök", "group": "deviation"}) == 200
    assert await put("lakemedel", {"label": "Läkemedelshantering"}) == 200
    await create(client, trosa_handler, org_unit_id="trosa-sabo", category="nattillsyn")

    # a used own code keeps its group and is retired, not deleted; an unused one goes
    assert await put("nattillsyn", {"label": "Nattillsyn", "group": "feedback"}) == 409
    assert (await client.delete(f"{TROSA}/nattillsyn", headers=trosa_admin)).status_code == 409
    assert (
        await put(
            "nattillsyn", {"label": "Nattillsyn", "group": "deviation", "valid_to_year": 2025}
        )
        == 200
    )
    assert (await client.delete(f"{TROSA}/dagbesok", headers=trosa_admin)).status_code == 204
    assert (await client.delete(f"{TROSA}/dagbesok", headers=trosa_admin)).status_code == 404
    # a national code's change is taken back: its national label returns
    assert (await client.delete(f"{TROSA}/lakemedel", headers=trosa_admin)).status_code == 204
    listed = codes(await client.get(TROSA, params={"year": 2025}, headers=trosa_admin))
    assert listed["lakemedel"]["label"] == "Läkemedel"
    assert "dagbesok" not in listed
    assert listed["nattillsyn"]["valid_to_year"] == 2025

    unknown = await client.put(
        "/api/v1/municipalities/nowhere/categories/x",
        json={"label": "X", "group": "deviation"},
        headers=trosa_admin,
    )
    assert unknown.status_code == 403  # not its municipality (and it learns nothing more)
    operator = await client.get("/api/v1/municipalities/trosa-von/categories", headers=trosa_admin)
    assert operator.status_code == 404  # a unit, not a municipality


async def test_the_import_checks_each_rows_municipality_list(
    client: AsyncClient, both: None, trosa_admin: dict[str, str], tokens: TokenFactory
) -> None:
    await client.put(
        f"{TROSA}/nattillsyn",
        json={"label": "Nattillsyn", "group": "deviation"},
        headers=trosa_admin,
    )
    importer = tokens.headers("importer", org_units=["trosa", "oxelosund"])
    row = {
        "kind": "deviation",
        "law_area": "SoL",
        "category": "nattillsyn",
        "reported_at": "2024-03-01T08:00:00+01:00",
        "description": "Tillsyn uteblev",
    }
    response = await client.post(
        "/api/v1/cases/import",
        json={
            "rows": [
                row | {"external_id": "A-1", "org_unit_id": "trosa-hemtjanst"},
                row | {"external_id": "A-2", "org_unit_id": "oxelosund-hemtjanst"},
            ]
        },
        headers=importer,
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["created_ids"] == ["A-1"]
    assert [(e["external_id"], e["errors"][0]["field"]) for e in result["errors"]] == [
        ("A-2", "category")
    ]
