"""The demo's second municipality, Trosa, beside Oxelösund: the same units as the other
services' suites use, its own steering configuration, and VON's small plan 2025–2027 with
measures, targets and values (invented figures, see ``styr_goals.demo.trosa``)."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from httpx import AsyncClient

import styr_shared.testing
from styr_goals.demo.organisation import UNITS as OXELOSUND_UNITS
from styr_goals.demo.steering import OTHER_COMMITTEES
from styr_goals.demo.trosa import PLAN, measure_id
from styr_shared.testing import TokenFactory


@pytest.fixture
def client(demo_client: AsyncClient) -> AsyncClient:
    return demo_client


@pytest.fixture
def reader(tokens: TokenFactory) -> dict[str, str]:
    return tokens.headers("reader", org_units=["trosa"], subject="trosa-politician")


async def _get(client: AsyncClient, url: str, headers: dict[str, str], **params: Any) -> Any:
    response = await client.get(url, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _shared_trosa() -> list[tuple[str, str, str, str, str | None]]:
    """``TROSA`` of ``styr_shared.testing.orgs``, read from its source: importing that module
    here would load the org replica's ``org_unit`` beside the goals service's own."""
    source = Path(styr_shared.testing.__file__).with_name("orgs.py").read_text("utf-8")
    for node in ast.parse(source).body:
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", None) == "TROSA":
            assert node.value is not None
            units: list[tuple[str, str, str, str, str | None]] = ast.literal_eval(node.value)
            return units
    raise AssertionError("TROSA not found")


async def test_trosa_has_the_units_every_service_uses(
    client: AsyncClient, reader: dict[str, str], tokens: TokenFactory
) -> None:
    page = await _get(client, "/api/v1/org-units", reader, municipality="trosa", limit=100)
    units = {(u["id"], u["code"], u["name"], u["level"], u["parent_id"]) for u in page["items"]}
    assert units == set(_shared_trosa())
    assert {u["municipality_id"] for u in page["items"]} == {"trosa"}
    root = await _get(client, "/api/v1/municipalities/trosa", reader)
    assert (root["code"], root["kolada_id"]) == ("TRS", "0488")
    assert [m["id"] for m in await _get(client, "/api/v1/municipalities", reader)] == ["trosa"]
    # Oxelösund's organisation is as before: its units and the committees KF-03 addresses.
    # (read by an Oxelösund reader: Trosa's reads nothing of Oxelösund)
    oxd_reader = tokens.headers("reader", org_units=["oxelosund"])
    oxd = await _get(client, "/api/v1/org-units", oxd_reader, municipality="oxelosund", limit=100)
    assert len(oxd["items"]) == len(OXELOSUND_UNITS) + len(OTHER_COMMITTEES)


async def test_trosa_steers_by_its_own_configuration(
    client: AsyncClient, reader: dict[str, str], tokens: TokenFactory
) -> None:
    config = await _get(client, "/api/v1/municipalities/trosa/steering-config", reader)
    oxd_reader = tokens.headers("reader", org_units=["oxelosund"])
    oxd = await _get(client, "/api/v1/municipalities/oxelosund/steering-config", oxd_reader)
    assert [level["key"] for level in config["document"]["goal_levels"]] == [
        "fullmaktigemal",
        "namndmal",
    ]
    assert config["document"] != oxd["document"]
    tree = await _get(client, f"/api/v1/plans/{PLAN}/goals", reader, year=2025)
    assert [(goal["code"], [child["code"] for child in goal["children"]]) for goal in tree] == [
        ("FM-1", ["NM-1", "NM-2"])
    ]
    # The follow-up counts Trosa's committee goals on its own scale (nothing assessed yet).
    report = await _get(
        client, f"/api/v1/plans/{PLAN}/follow-up", reader, year=2025, period="helar"
    )
    total = report["rollup"]["total"]
    assert (total["goals"], total["fulfilled"], total["result_level"]) == (
        2,
        0,
        "Målen uppfylls inte",
    )
    assert report["period_label"] == "Årsredovisning 2025"


async def test_trosa_von_measures_have_targets_values_and_statuses(
    client: AsyncClient, reader: dict[str, str]
) -> None:
    measures = await _get(client, "/api/v1/measures", reader, plan_id=PLAN)
    assert [m["code"] for m in measures["items"]] == ["M-01", "M-02", "M-03", "M-04"]
    for measure in measures["items"]:
        assert measure["org_unit_id"] == "trosa-von"
        assert sorted(measure["series"][0]["targets"]) == ["2025", "2026", "2027"]
    values = await _get(client, "/api/v1/measure-values", reader, plan_id=PLAN, year=2025)
    statuses = {
        item["measure_id"]: [(v["period"], v["status"]) for v in item["values"]]
        for item in values["items"]
    }
    assert statuses == {
        measure_id("M-01"): [("2025", "met")],  # 90 against >= 90
        measure_id("M-02"): [("2025", "not_met")],  # 13 against <= 12
        measure_id("M-03"): [("2025", "not_met")],  # 84 against >= 85
        measure_id("M-04"): [("2025", "met")],  # 52 against <= 60
    }
    history = await _get(client, f"/api/v1/measures/{measure_id('M-04')}/values", reader)
    assert [v["period"] for v in history] == ["2022", "2023", "2024", "2025"]


async def test_a_trosa_import_by_code_lands_in_trosa(
    client: AsyncClient, tokens: TokenFactory
) -> None:
    importer = tokens.headers("importer", org_units=["trosa"], subject="trosa-nightly")
    night = "measure;org_unit;period;value\nM-01;VON;2026;91\n"
    response = await client.post(
        "/api/v1/measure-values/import",
        content=night,
        headers=importer | {"content-type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["counts"]["inserted"] == 1
    values = await _get(client, f"/api/v1/measures/{measure_id('M-01')}/values", importer)
    assert ("trosa-von", "2026", 91) in [
        (v["org_unit_id"], v["period"], v["value"]) for v in values
    ]
