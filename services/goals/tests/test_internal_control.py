"""The internal control plan (intern kontroll) through the API: a plan is created, its risks
assessed, controls chosen and their results reported; the committee's report counts them, in
JSON, CSV and XLSX; writes are scoped like plans."""

from __future__ import annotations

import codecs
import csv
import io
import itertools
from collections import Counter
from typing import Any

import pytest
from httpx import AsyncClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook  # type: ignore[import-untyped]

from styr_shared.testing import TokenFactory

PLANS = "/api/v1/internal-control-plans"
PLAN = {
    "id": "von-ik",
    "org_unit_id": "oxelosund-von",
    "year": 2025,
    "name": "Internkontrollplan 2025",
    "risk_threshold": 9,
    "decision": "VON 2024-12-17 § 112",
}


@pytest.fixture
def planner(tokens: TokenFactory) -> dict[str, str]:
    return tokens.headers("planner", org_units=["oxelosund-von"], subject="von-planner")


@pytest.fixture
def controller(tokens: TokenFactory) -> dict[str, str]:
    return tokens.headers("controller", org_units=["oxelosund-von"], subject="von-controller")


async def _post(client: AsyncClient, url: str, body: Any, headers: dict[str, str]) -> Any:
    response = await client.post(url, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
async def plan(client: AsyncClient, oxelosund: None, planner: dict[str, str]) -> dict[str, Any]:
    created: dict[str, Any] = await _post(client, PLANS, PLAN, planner)
    return created


async def test_a_plan_is_assessed_controlled_and_reported(
    client: AsyncClient,
    plan: dict[str, Any],
    planner: dict[str, str],
    controller: dict[str, str],
    tokens: TokenFactory,
) -> None:
    assert (plan["id"], plan["processes"], plan["created_by"]) == ("von-ik", [], "von-planner")
    drugs = await _post(
        client, f"{PLANS}/von-ik/processes", {"name": "Läkemedelshantering"}, planner
    )
    money = await _post(client, f"{PLANS}/von-ik/processes", {"name": "Inköp"}, planner)
    dose = await _post(
        client,
        f"{PLANS}/von-ik/risks",
        {"process_id": drugs["id"], "title": "Fel dos", "probability": 3, "consequence": 4},
        planner,
    )
    assert (dose["risk_value"], dose["needs_control"], dose["controls"]) == (12, True, [])
    buying = await _post(
        client,
        f"{PLANS}/von-ik/risks",
        {
            "process_id": money["id"],
            "title": "Inköp utanför avtal",
            "probability": 2,
            "consequence": 3,
            "financial": True,
        },
        planner,
    )
    assert (buying["risk_value"], buying["needs_control"]) == (6, False)
    # Re-assessed: now above the threshold.
    response = await client.patch(
        f"/api/v1/internal-control-risks/{buying['id']}",
        json={"probability": 3},
        headers=controller,
    )
    assert response.status_code == 200, response.text
    assert (response.json()["risk_value"], response.json()["assessed_by"]) == (9, "von-controller")
    await _post(
        client,
        f"{PLANS}/von-ik/risks",
        {"process_id": drugs["id"], "title": "Narkotika", "probability": 1, "consequence": 4},
        planner,
    )
    signing = await _post(
        client,
        f"/api/v1/internal-control-risks/{dose['id']}/controls",
        {
            "method": "Stickprov på signeringslistor",
            "frequency": "Varje tertial",
            "responsible": "MAS",
            "timing": "April, augusti, december",
        },
        planner,
    )
    invoices = await _post(
        client,
        f"/api/v1/internal-control-risks/{buying['id']}/controls",
        {
            "method": "30 fakturor mot avtal",
            "frequency": "Två gånger per år",
            "responsible": "Controller",
            "timing": "Maj, oktober",
        },
        controller,
    )
    result = await _post(
        client,
        f"/api/v1/internal-control-controls/{invoices['id']}/results",
        {
            "outcome": "remark",
            "comment": "4 av 30 utanför avtal",
            "actions": "Beställarutbildning",
            "action_due": "2026-03-31",
        },
        controller,
    )
    assert (result["outcome"], result["reported_by"]) == ("remark", "von-controller")
    no_actions = await client.post(
        f"/api/v1/internal-control-controls/{signing['id']}/results",
        json={"outcome": "no_remark", "actions": "Något"},
        headers=planner,
    )
    assert no_actions.status_code == 422
    assert no_actions.json()["errors"][0]["field"] == "body.actions"
    summary = await client.patch(
        f"{PLANS}/von-ik", json={"summary": "Rutinerna följs i stort."}, headers=planner
    )
    assert summary.status_code == 200

    reader = tokens.headers("reader", subject="politician")
    whole = (await client.get(f"{PLANS}/von-ik", headers=reader)).json()
    assert [p["name"] for p in whole["processes"]] == ["Läkemedelshantering", "Inköp"]
    invoice_control = whole["processes"][1]["risks"][0]["controls"][0]
    assert invoice_control["result"]["outcome"] == "remark"

    report = (await client.get(f"{PLANS}/von-ik/report", headers=reader)).json()
    assert (report["org_unit_name"], report["processes"], report["risks"]) == (
        "Vård- och omsorgsnämnden",
        2,
        3,
    )
    distribution = {row["risk_value"]: row["count"] for row in report["distribution"]}
    assert (distribution[12], distribution[9], distribution[4], distribution[16]) == (1, 1, 1, 0)
    assert [row["risk_value"] for row in report["distribution"]] == [
        16, 12, 9, 8, 6, 4, 3, 2, 1
    ]  # fmt: skip
    assert (report["risks_needing_control"], report["risks_without_control"]) == (2, [])
    assert report["totals"] == {"controls": 2, "no_remark": 0, "remark": 1, "not_reported": 1}
    assert report["financial"] == {"controls": 1, "no_remark": 0, "remark": 1, "not_reported": 0}
    assert [row["risk"] for row in report["financial_controls"]] == ["Inköp utanför avtal"]
    assert [row["risk_value"] for row in report["controls"]] == [12, 9]
    assert report["plan"]["summary"] == "Rutinerna följs i stort."

    exported = await client.get(f"{PLANS}/von-ik/report", params={"format": "csv"}, headers=reader)
    assert exported.content.startswith(codecs.BOM_UTF8)
    table = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
    controls = [row for row in table if row["Radtyp"] == "Kontroll"]
    assert [(row["Risk"], row["Resultat"]) for row in controls] == [
        ("Fel dos", "Ej rapporterad"),
        ("Inköp utanför avtal", "Anmärkning"),
    ]
    assert sum(int(row["Antal risker"]) for row in table if row["Radtyp"] == "Riskvärde") == 3
    machine = await client.get(
        f"{PLANS}/von-ik/report", params={"format": "csv", "dialect": "machine"}, headers=reader
    )
    assert machine.text.splitlines()[0].startswith("Radtyp,Process,Risk,Riskvärde")
    workbook = load_workbook(
        io.BytesIO(
            (
                await client.get(
                    f"{PLANS}/von-ik/report", params={"format": "xlsx"}, headers=reader
                )
            ).content
        )
    )
    assert workbook.sheetnames == ["Sammanfattning", "Kontroller", "Riskvärden", "Riskmatris"]
    matrix = list(workbook["Riskmatris"].iter_rows(values_only=True))
    assert matrix[1] == (4, 0, 0, 0, 0)  # probability 4: no risk
    assert matrix[2] == (3, 0, 0, 1, 1)  # 3 × 3 and 3 × 4
    assert sum(sum(row[1:]) for row in matrix[1:]) == 3


async def test_writes_are_scoped_like_plans(
    client: AsyncClient, plan: dict[str, Any], trosa: None, tokens: TokenFactory
) -> None:
    process = await _post(
        client,
        f"{PLANS}/von-ik/processes",
        {"name": "Avgifter"},
        tokens.headers("planner", org_units=["oxelosund-von"]),
    )
    risk = {"process_id": process["id"], "title": "Fel avgift", "probability": 2, "consequence": 2}
    for headers in (
        tokens.headers("planner", org_units=["oxelosund-vof"]),  # the administration below
        tokens.headers("planner", org_units=["trosa"]),  # another municipality
        tokens.headers("reader", org_units=["oxelosund"]),  # reads only
        tokens.headers("importer", org_units=["oxelosund"]),
    ):
        assert (
            await client.post(f"{PLANS}/von-ik/risks", json=risk, headers=headers)
        ).status_code == 403
        other = {**PLAN, "id": "x", "year": 2026}
        assert (await client.post(PLANS, json=other, headers=headers)).status_code == 403
    # A planner of the whole municipality covers the committee.
    wide = tokens.headers("planner", org_units=["oxelosund"])
    assert (await client.post(f"{PLANS}/von-ik/risks", json=risk, headers=wide)).status_code == 201
    # Trosa's VON has its own plan; its process is not Oxelösund's.
    trosa_planner = tokens.headers("planner", org_units=["trosa"])
    await _post(
        client, PLANS, {**PLAN, "id": "trosa-ik", "org_unit_id": "trosa-von"}, trosa_planner
    )
    foreign = await client.post(f"{PLANS}/trosa-ik/risks", json=risk, headers=trosa_planner)
    assert foreign.status_code == 422
    assert foreign.json()["errors"][0]["field"] == "body.process_id"
    listed = await client.get(PLANS, params={"municipality": "trosa"}, headers=trosa_planner)
    assert [p["id"] for p in listed.json()["items"]] == ["trosa-ik"]
    # Oxelösund's planner reads none of Trosa's plans
    unseen = await client.get(PLANS, params={"municipality": "trosa"}, headers=wide)
    assert unseen.json()["items"] == []
    again = await client.post(PLANS, json={**PLAN, "id": "von-ik-2"}, headers=wide)
    assert again.status_code == 409
    scale = await client.post(
        f"{PLANS}/von-ik/risks", json={**risk, "probability": 5}, headers=wide
    )
    assert scale.status_code == 422
    assert scale.json()["errors"][0]["field"] == "body.probability"
    unknown = await client.get(f"{PLANS}/nowhere/report", headers=wide)
    assert unknown.status_code == 404


_examples = itertools.count()


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    risks=st.lists(st.tuples(st.integers(1, 4), st.integers(1, 4)), max_size=20),
    threshold=st.integers(1, 16),
)
async def test_the_distribution_of_risk_values_counts_the_risks(
    client: AsyncClient,
    oxelosund: None,
    planner: dict[str, str],
    risks: list[tuple[int, int]],
    threshold: int,
) -> None:
    # Examples share the database: each gets a plan (and year) of its own.
    number = next(_examples)
    plan_id = f"prop-{number}"
    await _post(
        client,
        PLANS,
        {**PLAN, "id": plan_id, "year": 1990 + number, "risk_threshold": threshold},
        planner,
    )
    process = await _post(client, f"{PLANS}/{plan_id}/processes", {"name": "P"}, planner)
    for index, (probability, consequence) in enumerate(risks):
        body = {
            "process_id": process["id"],
            "title": f"R{index}",
            "probability": probability,
            "consequence": consequence,
        }
        await _post(client, f"{PLANS}/{plan_id}/risks", body, planner)
    report = (await client.get(f"{PLANS}/{plan_id}/report", headers=planner)).json()
    expected = Counter(p * c for p, c in risks)
    found = {row["risk_value"]: row["count"] for row in report["distribution"]}
    assert found == {value: expected.get(value, 0) for value in found}
    assert set(expected) <= set(found)
    assert sum(found.values()) == report["risks"] == len(risks)
    cells = Counter(risks)
    assert {(c["probability"], c["consequence"]): c["count"] for c in report["matrix"]} == {
        (p, c): cells.get((p, c), 0) for p in range(1, 5) for c in range(1, 5)
    }
    assert report["risks_needing_control"] == sum(1 for p, c in risks if p * c >= threshold)
    assert len(report["risks_without_control"]) == report["risks_needing_control"]


async def test_control_characters_in_texts_do_not_break_the_spreadsheet(
    client: AsyncClient, plan: dict[str, Any], planner: dict[str, str]
) -> None:
    """XLSX cannot hold control characters (openpyxl refuses them): the export replaces them
    (a fuzzer found the report answering 500)."""
    name = "Läkemedel\x01hantering\x1f"
    process = await _post(client, f"{PLANS}/von-ik/processes", {"name": name}, planner)
    risk = await _post(
        client,
        f"{PLANS}/von-ik/risks",
        {"process_id": process["id"], "title": "Fel\x02dos", "probability": 3, "consequence": 4},
        planner,
    )
    await _post(
        client,
        f"/api/v1/internal-control-risks/{risk['id']}/controls",
        {
            "method": "Stick\x03prov",
            "frequency": "Varje tertial",
            "responsible": "MAS",
            "timing": "April",
        },
        planner,
    )
    response = await client.get(
        f"{PLANS}/von-ik/report", params={"format": "xlsx"}, headers=planner
    )
    assert response.status_code == 200, response.text
    workbook = load_workbook(io.BytesIO(response.content))
    texts = {
        cell
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if isinstance(cell, str)
    }
    assert "Internkontrollplan 2025" in texts
    assert "Stick\ufffdprov" in texts
    assert not any(char in text for text in texts for char in "\x01\x02\x03\x1f")


async def test_many_plans_read_at_once(
    client: AsyncClient, plan: dict[str, Any], trosa: None, tokens: TokenFactory
) -> None:
    """The batch reads (for the gateway): plans of several units, the processes and the
    reports of several plans, each the same as the one-plan reads; another municipality's plan
    is left out; a process is renamed."""
    planner = tokens.headers("planner", org_units=["oxelosund-von"])
    second = await _post(client, PLANS, {**PLAN, "id": "von-ik-2026", "year": 2026}, planner)
    foreign = tokens.headers("planner", org_units=["trosa"])
    await _post(client, PLANS, {**PLAN, "id": "trosa-ik", "org_unit_id": "trosa-von"}, foreign)
    for plan_id, names in (("von-ik", ["B", "A"]), ("von-ik-2026", ["C"])):
        for name in names:
            process = await _post(client, f"{PLANS}/{plan_id}/processes", {"name": name}, planner)
            for score in (1, 4):
                body = {"process_id": process["id"], "title": f"{name}{score}",
                        "probability": score, "consequence": 3}  # fmt: skip
                await _post(client, f"{PLANS}/{plan_id}/risks", body, planner)
    renamed = await client.patch(
        f"/api/v1/internal-control-processes/{process['id']}",
        json={"name": "C2", "description": "Ny"},
        headers=planner,
    )
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["name"], renamed.json()["plan_id"]) == ("C2", "von-ik-2026")
    bad = await client.patch(
        f"/api/v1/internal-control-processes/{process['id']}", json={"name": None}, headers=planner
    )
    assert bad.json()["errors"][0]["field"] == "body.name"
    outside = await client.patch(
        f"/api/v1/internal-control-processes/{process['id']}", json={"name": "X"}, headers=foreign
    )
    assert outside.status_code == 403

    units = {"org_unit_id": ["oxelosund-von", "trosa-von"]}
    listed = await client.get(PLANS, params=units, headers=planner)
    assert [p["id"] for p in listed.json()["items"]] == ["von-ik", "von-ik-2026"]
    ids = {"id": ["von-ik-2026", "trosa-ik"]}
    seen = (await client.get(PLANS, params=ids, headers=foreign)).json()["items"]
    assert [p["id"] for p in seen] == ["trosa-ik"]  # Oxelösund's plan is not Trosa's to read
    assert (await client.get(PLANS, params={"id": "Bad Id"}, headers=foreign)).status_code == 422

    processes = await client.get(
        "/api/v1/internal-control-processes",
        params={"plan_id": ["von-ik", "von-ik-2026", "trosa-ik"], "limit": 2},
        headers=planner,
    )
    assert processes.status_code == 200, processes.text
    page = processes.json()
    rest = await client.get(
        "/api/v1/internal-control-processes",
        params={"plan_id": ["von-ik", "von-ik-2026"], "cursor": page["next_cursor"]},
        headers=planner,
    )
    batch = page["items"] + rest.json()["items"]
    single = [
        (await client.get(f"{PLANS}/{plan_id}", headers=planner)).json()
        for plan_id in ("von-ik", "von-ik-2026")
    ]
    assert batch == [process for found in single for process in found["processes"]]
    assert [p["name"] for p in batch] == ["B", "A", "C2"]

    reports = await client.get(
        "/api/v1/internal-control-reports",
        params={"id": ["von-ik", "von-ik-2026", "trosa-ik"]},
        headers=planner,
    )
    assert reports.status_code == 200, reports.text
    expected = [
        (await client.get(f"{PLANS}/{plan_id}/report", headers=planner)).json()
        for plan_id in ("von-ik", "von-ik-2026")
    ]
    assert reports.json()["items"] == expected
    assert second["id"] == expected[1]["plan"]["id"]
    assert [r["risks"] for r in expected] == [4, 2]
