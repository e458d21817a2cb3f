"""Oxelösund VON from the demo data: the 2024 follow-up computed by the service (the fixture's
figures), and the 2025–2027 plan's measure series, targets and computed statuses.

The demo is loaded once per backend for this module (it takes seconds); tests here only add
2025 values, which no other test here reads.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from importlib import resources
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from openpyxl import load_workbook  # type: ignore[import-untyped]

from styr_goals.demo.plans import PLAN_2024, PLAN_2025
from styr_goals.demo.steering import CONFIG
from styr_shared.testing import TokenFactory

REPORT = f"/api/v1/plans/{PLAN_2024}/follow-up"


@pytest.fixture
def client(demo_client: AsyncClient) -> AsyncClient:
    return demo_client


@pytest.fixture
def demo(app: FastAPI) -> None:
    """Marks tests that read the demo data (loaded by ``demo_client``)."""


@pytest.fixture
def reader(tokens: TokenFactory) -> dict[str, str]:
    return tokens.headers("reader", subject="politician")


def _walk(goals: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [node for goal in goals for node in [goal, *_walk(goal["children"])]]


def _goal(report: dict[str, Any], code: str) -> dict[str, Any]:
    return next(goal for goal in _walk(report["goals"]) if goal["code"] == code)


async def _report(client: AsyncClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = await client.get(
        REPORT, params={"year": 2024, "period": "helar", **params}, headers=headers
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_2024_rollup_is_13_of_17(
    client: AsyncClient, demo: None, reader: dict[str, str]
) -> None:
    report = await _report(client, reader)
    total = report["rollup"]["total"]
    assert (total["goals"], total["fulfilled"], total["percent"]) == (17, 13, 76)
    assert total["result_level"] == "Mycket god måluppfyllelse"
    assert report["period_label"] == "Helår 2024"
    # Stored beside it: the interim forecast as printed and the outcome as reported.
    published = [(p["period"], p["percent"], p["computed"]) for p in report["publications"]]
    assert published == [("delar", 94, False), ("helar", 76, True)]
    frozen = await client.get(
        f"/api/v1/follow-up-publications/{report['publications'][1]['id']}", headers=reader
    )
    assert frozen.json()["report"]["rollup"]["total"]["percent"] == 76
    assert report["publications"][0]["result_level"] == "Mycket god måluppfyllelse"
    areas = report["rollup"]["areas"]
    assert [a["code"] for a in areas] == ["KM1", "KM2", "KM3", "KM4", "KM5", "KM6"]
    assert [(a["fulfilment"]["fulfilled"], a["fulfilment"]["goals"]) for a in areas] == [
        (2, 2),
        (1, 2),
        (2, 3),
        (2, 3),
        (2, 2),
        (4, 5),
    ]
    assert [a["fulfilment"]["percent"] for a in areas] == [100, 50, 67, 67, 100, 80]
    assert [a["fulfilment"]["result_level"] for a in areas] == [
        "Mycket god måluppfyllelse",
        "God måluppfyllelse",
        "God måluppfyllelse",
        "God måluppfyllelse",
        "Mycket god måluppfyllelse",
        "Mycket god måluppfyllelse",
    ]


async def test_activity_completion_per_area_and_goal(
    client: AsyncClient, demo: None, reader: dict[str, str]
) -> None:
    report = await _report(client, reader)
    km1 = report["rollup"]["areas"][0]["activities"]
    counts = {s["label"]: s["text"] for s in km1["by_status"] if s["count"]}
    assert km1["total"] == 11
    assert counts == {"Avslutad": "6 st (55 %)", "Försenad": "5 st (45 %)"}
    assert [a["activities"]["total"] for a in report["rollup"]["areas"]] == [11, 6, 21, 33, 17, 83]
    n24_02 = _goal(report, "N24-02")["activities"]
    assert {s["label"]: s["text"] for s in n24_02["by_status"] if s["count"]} == {
        "Avslutad": "4 st (44 %)",
        "Försenad": "5 st (56 %)",
    }
    # The activities sit on VOF: VON alone has none, VON with the units below has them all.
    only_von = await _report(client, reader, include_below="false")
    assert only_von["rollup"]["activities"]["total"] == 0
    assert report["rollup"]["activities"]["total"] == 171


def test_the_result_scale_reproduces_every_observed_pair() -> None:
    text = resources.files("styr_goals.demo").joinpath("data", "oxelosund-von-followup-2024.json")
    observations = json.loads(text.read_text("utf-8"))["result_levels"]["observations"]
    pairs = {(o["percent"], o["label"]) for o in observations if o["percent"] is not None}
    assert {percent for percent, _ in pairs} == {100, 83, 80, 76, 67, 50, 25}
    for percent, label in pairs:
        assert CONFIG.result_level(percent) == label


async def test_computed_status_never_overrides_the_assessment(
    client: AsyncClient, demo: None, reader: dict[str, str]
) -> None:
    report = await _report(client, reader)
    friskn = _goal(report, "N24-16")
    series = friskn["measures"][0]["series"][0]
    assert (series["value"], series["target"]["op"], series["target"]["value"]) == (89.77, ">=", 90)
    assert series["status"] == "not_met"
    assert friskn["assessment"]["answer"] == "Ja"
    assert friskn["assessment"]["kind"] == "final"
    assert friskn["fulfilled"] is True
    lights = _goal(report, "N24-17")["measures"][0]["series"][0]
    assert (lights["value"], lights["status"]) == (82, "not_met")
    assert _goal(report, "N24-17")["fulfilled"] is True
    segments = _goal(report, "N24-05")["measures"][0]["series"]
    assert [(s["segment"], s["value"], s["status"], s["trend"]) for s in segments] == [
        ("Särskilt boende", 49, "met", "improving"),
        ("Hemtjänst", 50, "not_met", "worsening"),
        ("LSS", 82, "met", "improving"),
    ]
    partly = _goal(report, "N24-06")["assessment"]
    assert (partly["answer"], partly["answer_text"][:18]) == ("Delvis", "Nej, inte fullt ut")
    ekbist = _goal(report, "N24-13")["measures"][0]["series"][0]
    assert (ekbist["period"], ekbist["value"], ekbist["status"], ekbist["trend"]) == (
        "2024-12-01",
        200,
        "not_met",
        "worsening",
    )
    no_target = _goal(report, "N24-01")["measures"][0]["series"][0]
    assert (no_target["value"], no_target["status"]) == (1, "no_target")


async def test_the_2024_goals_are_retired_from_2025_without_rewriting_2024(
    client: AsyncClient, demo: None, reader: dict[str, str]
) -> None:
    tree_2024 = await client.get(
        f"/api/v1/plans/{PLAN_2024}/goals", params={"year": 2024}, headers=reader
    )
    tree_2025 = await client.get(
        f"/api/v1/plans/{PLAN_2024}/goals", params={"year": 2025}, headers=reader
    )
    assert len(_walk(tree_2024.json())) == 6 + 17 + 17  # kommunmål, KF goals, nämndmål
    assert tree_2025.json() == []


async def test_exports_as_csv_and_xlsx(
    client: AsyncClient, demo: None, reader: dict[str, str]
) -> None:
    params: dict[str, Any] = {"year": 2024, "period": "helar"}
    csv_response = await client.get(REPORT, params={**params, "format": "csv"}, headers=reader)
    assert csv_response.status_code == 200
    assert csv_response.headers["content-type"].startswith("text/csv")
    # Swedish Excel's dialect by default: a byte order mark, ";" and a decimal comma.
    assert csv_response.content.startswith(codecs.BOM_UTF8)
    lines = csv_response.content.decode("utf-8-sig").splitlines()
    assert lines[0].split(";")[:4] == ["Målområde", "Nivå", "Kod", "Mål"]
    friskn = next(line for line in lines if ";N24-16;" in line).split(";")
    assert (friskn[6], friskn[13], friskn[15]) == ("Ja", "89,77", "not_met")
    header = lines[0].split(";")
    assert all(len(line.split(";")) == len(header) for line in lines if '"' not in line)
    # The roll-up rows close the file: one per goal area (6 kommunmål) and the total.
    table = list(csv.DictReader(io.StringIO("\n".join(lines)), delimiter=";"))
    areas = [row for row in table if row["Radtyp"] == "Målområde"]
    assert [(row["Antal mål"], row["Uppfyllda"]) for row in areas] == [
        ("2", "2"),
        ("2", "1"),
        ("3", "2"),
        ("3", "2"),
        ("2", "2"),
        ("5", "4"),
    ]
    total = table[-1]
    assert (total["Radtyp"], total["Antal mål"], total["Uppfyllda"], total["Andel (%)"]) == (
        "Totalt",
        "17",
        "13",
        "76",
    )
    assert total["Resultatnivå"] == "Mycket god måluppfyllelse"
    assert sum(int(row["Antal mål"]) for row in areas) == int(total["Antal mål"])
    assert sum(1 for row in table if row["Radtyp"] == "Mål" and row["Uppfyllt"]) > 0
    # The machine dialect: no byte order mark, "," and a decimal point.
    machine = await client.get(
        REPORT, params={**params, "format": "csv", "dialect": "machine"}, headers=reader
    )
    assert not machine.content.startswith(codecs.BOM_UTF8)
    rows = list(csv.DictReader(io.StringIO(machine.content.decode("utf-8"))))
    assert next(row for row in rows if row["Kod"] == "N24-16")["Utfall"] == "89.77"
    assert len(rows) == len(table)
    assert rows[-1]["Andel (%)"] == "76"
    xlsx = await client.get(REPORT, params={**params, "format": "xlsx"}, headers=reader)
    assert xlsx.status_code == 200
    workbook = load_workbook(io.BytesIO(xlsx.content))
    rollup = list(workbook["Måluppfyllelse"].iter_rows(values_only=True))
    assert rollup[-1][:5] == ("Totalt (Helår 2024)", 17, 13, 76, "Mycket god måluppfyllelse")
    assert len(list(workbook["Uppföljning"].iter_rows())) == len(lines)


async def test_report_input_errors_are_problems(
    client: AsyncClient, demo: None, reader: dict[str, str]
) -> None:
    bad_period = await client.get(REPORT, params={"year": 2024, "period": "q9"}, headers=reader)
    assert bad_period.status_code == 422
    assert bad_period.headers["content-type"] == "application/problem+json"
    assert bad_period.json()["errors"][0]["field"] == "query.period"
    bad_year = await client.get(REPORT, params={"year": 2031, "period": "helar"}, headers=reader)
    assert bad_year.json()["errors"][0]["field"] == "query.year"
    missing = await client.get(REPORT, params={"period": "helar"}, headers=reader)
    assert missing.status_code == 422
    unknown = await client.get(
        "/api/v1/plans/nope/follow-up", params={"year": 2024, "period": "helar"}, headers=reader
    )
    assert unknown.status_code == 404
    anonymous = await client.get(REPORT, params={"year": 2024, "period": "helar"})
    assert anonymous.status_code == 401
    bad_format = await client.get(
        REPORT, params={"year": 2024, "period": "helar", "format": "odt"}, headers=reader
    )
    assert bad_format.status_code == 422


async def test_interim_report_follows_only_d_b_goals(
    client: AsyncClient, demo: None, reader: dict[str, str]
) -> None:
    url = f"/api/v1/plans/{PLAN_2025}/follow-up"
    interim = await client.get(url, params={"year": 2025, "period": "delar"}, headers=reader)
    annual = await client.get(url, params={"year": 2025, "period": "helar"}, headers=reader)
    assert interim.status_code == annual.status_code == 200
    assert _goal(interim.json(), "KF-02")["reported"] is False
    assert _goal(interim.json(), "NM-02")["reported"] is False
    assert _goal(interim.json(), "KF-01")["reported"] is True
    assert _goal(annual.json(), "NM-02")["reported"] is True
    assert annual.json()["rollup"]["total"]["goals"] == 14
    # D/B goals: KF-01, KF-05, KF-06, KF-12 carry NM-01, NM-04, NM-05, NM-11.
    assert interim.json()["rollup"]["total"]["goals"] == 4


def _fixture_2025() -> dict[str, Any]:
    text = resources.files("styr_goals.demo").joinpath("data", "oxelosund-von-plan-2025-2027.json")
    data: dict[str, Any] = json.loads(text.read_text("utf-8"))
    return data


async def test_every_2025_series_has_its_baseline_and_targets(
    client: AsyncClient, demo: None, reader: dict[str, str]
) -> None:
    response = await client.get(
        "/api/v1/measures", params={"plan_id": PLAN_2025, "limit": 500}, headers=reader
    )
    assert response.status_code == 200, response.text
    measures = {m["code"]: m for m in response.json()["items"]}
    assert len(measures) == 15
    fixture = _fixture_2025()
    found = 0
    for expected in fixture["measure_series"]:
        measure = measures[expected["measure_id"]]
        series = next(s for s in measure["series"] if s["segment"] == expected["segment"])
        found += 1
        assert series["code"] == expected["id"]
        baseline = expected["baseline"]
        assert series["baseline"] == {
            "value": baseline["value"],
            "period": baseline["period"],
            "is_new": bool(baseline.get("is_new")),
            "text": baseline["raw"],
        }, expected["id"]
        assert series["targets"] == {
            year: {
                "op": t["op"],
                "value": t["value"],
                "qualifier": t["qualifier"],
                "benchmark": None,
                "direction": None,
            }
            for year, t in expected["targets"].items()
        }, expected["id"]
        assert measure["unit_kind"] == expected["unit_kind"]
        assert measure["direction"] == expected["direction"]
        assert measure["goal_ids"] == [f"von-2025-{expected['goal'].lower()}"]
    assert found == 18
    # Blank years stay blank.
    assert sorted(measures["M-08"]["series"][0]["targets"]) == ["2025"]
    assert measures["M-12"]["display_name"] == "Frisknärvaro"
    assert measures["M-12"]["series"][0]["baseline"]["period"] == "Delår 2024"
    assert measures["M-13"]["periodicity"] == "point_in_time"
    assert measures["M-04"]["definitions"][0]["change_note"].startswith("Seriebrott från 2024")
    assert measures["M-07"]["kolada_kpi_id"] is None
    assert measures["M-07"]["kolada_kpi_name"].startswith("Brukarbedömning särskilt boende")


@pytest.mark.parametrize(
    ("code", "period", "value", "expected"),
    [
        ("M-13", "2025-12-01", 200, "not_met"),  # < 200
        ("M-13", "2026-12-01", 199, "met"),
        ("M-04", "2025", 25, "not_met"),  # > 25
        ("M-04", "2026", 31, "met"),  # > 30
        ("M-08", "2025", 1, "met"),  # milestone = 1
        ("M-12", "2025", 92.99, "not_met"),  # >= 93, two decimals
        ("M-12", "2026", 94.004, "met"),  # >= 94: 94.004 rounds to 94.00
    ],
)
async def test_2025_operators(
    client: AsyncClient,
    demo: None,
    tokens: TokenFactory,
    code: str,
    period: str,
    value: float,
    expected: str,
) -> None:
    planner = tokens.headers("planner", org_units=["oxelosund-von"])
    response = await client.put(
        f"/api/v1/measures/von-2025-{code.lower()}/values",
        json={"org_unit_id": "oxelosund-von", "period": period, "value": value},
        headers=planner,
    )
    assert response.status_code in (200, 201), response.text
    assert response.json()["status"] == expected


async def test_the_care_committees_internal_control_plan(
    client: AsyncClient, demo: None, reader: dict[str, str]
) -> None:
    listed = await client.get(
        "/api/v1/internal-control-plans",
        params={"org_unit_id": "oxelosund-von", "year": 2025},
        headers=reader,
    )
    assert [p["id"] for p in listed.json()["items"]] == ["von-ik-2025"]
    report = (
        await client.get("/api/v1/internal-control-plans/von-ik-2025/report", headers=reader)
    ).json()
    assert report["risks"] >= 20
    assert sum(row["count"] for row in report["distribution"]) == report["risks"]
    # Every risk at or above the threshold has a control, and each control a result.
    assert report["risks_without_control"] == []
    assert report["totals"]["not_reported"] == 0
    assert report["totals"]["remark"] > 0
    assert report["financial"]["controls"] > 0
    assert all(row["financial"] for row in report["financial_controls"])
