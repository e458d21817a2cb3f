"""Targets as plans write them (issue 13): direction-only targets, interim targets of a
multi-year plan, qualitative indicators, rates, baselines per gender, the latest available
value within a look-back, a measure's data unit, and Kolada's nulls and gender rows."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from itertools import pairwise
from typing import Any

import pytest
from docx import Document
from fastapi import FastAPI
from httpx import AsyncClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from styr_goals.measures.models import MeasureValue
from styr_goals.measures.status import (
    Direction,
    Status,
    TargetDirection,
    baseline_year,
    compute_direction_status,
    direction_of_words,
    interim_value,
)
from styr_goals.orgunits.models import OrgUnit
from styr_shared.testing import TokenFactory

PLAN = {
    "id": "von-vp",
    "org_unit_id": "oxelosund-von",
    "name": "Verksamhetsplan 2024–2027",
    "start_year": 2024,
    "end_year": 2027,
}
IMPORT = "/api/v1/measure-values/import"


@pytest.fixture
def planner(tokens: TokenFactory) -> dict[str, str]:
    return tokens.headers("planner", org_units=["oxelosund-von"], subject="von-planner")


@pytest.fixture
def importer(tokens: TokenFactory) -> dict[str, str]:
    return tokens.headers("importer", org_units=["oxelosund"], subject="kolada-nightly")


async def _post(client: AsyncClient, url: str, body: Any, headers: dict[str, str]) -> Any:
    response = await client.post(url, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def _measure(
    client: AsyncClient, headers: dict[str, str], measure_id: str, **fields: Any
) -> dict[str, Any]:
    body = {
        "id": measure_id,
        "code": measure_id.upper(),
        "org_unit_id": "oxelosund-von",
        "name": measure_id,
        "unit_kind": "percent",
        "direction": "increase",
        **fields,
    }
    result: dict[str, Any] = await _post(client, "/api/v1/measures", body, headers)
    return result


async def _put(
    client: AsyncClient, measure_id: str, headers: dict[str, str], **value: Any
) -> dict[str, Any]:
    body = {"org_unit_id": "oxelosund-von", **value}
    response = await client.put(f"/api/v1/measures/{measure_id}/values", json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    result: dict[str, Any] = response.json()
    return result


async def _values(
    client: AsyncClient, measure_id: str, headers: dict[str, str], **params: Any
) -> dict[str, dict[str, Any]]:
    response = await client.get(
        f"/api/v1/measures/{measure_id}/values", params=params, headers=headers
    )
    assert response.status_code == 200, response.text
    return {
        (v["period"] + (f"/{v['gender']}" if v["gender"] != "T" else "")): v
        for v in response.json()
    }


# --- direction-only targets --------------------------------------------------------------


async def test_a_target_in_words_is_a_direction_judged_against_the_previous_value(
    client: AsyncClient, oxelosund: None, planner: dict[str, str]
) -> None:
    # As the issue printed it: op ">" with no value and "Öka" was a 422 before.
    measure = await _measure(
        client,
        planner,
        "brukarnojdhet",
        series=[
            {
                "baseline": {"value": 80, "period": "2022"},
                "targets": {
                    "2023": {"op": ">", "value": None, "qualifier": "Öka"},
                    "2024": {"qualifier": "Minska."},
                    "2025": {"direction": "maintain"},
                },
            }
        ],
    )
    targets = measure["series"][0]["targets"]
    assert targets["2023"] == {
        "op": ">",
        "value": None,
        "qualifier": "Öka",
        "benchmark": None,
        "direction": "increase",
    }
    assert (targets["2024"]["direction"], targets["2024"]["op"]) == ("decrease", "<")
    # "Behålla" on a measure where higher is better: at least the reference.
    assert (targets["2025"]["direction"], targets["2025"]["op"]) == ("maintain", ">=")

    await _put(client, "brukarnojdhet", planner, period="2023", value=82)
    await _put(client, "brukarnojdhet", planner, period="2024", value=83)
    await _put(client, "brukarnojdhet", planner, period="2025", value=83)
    values = await _values(client, "brukarnojdhet", planner)
    # 2023: the first value; no previous value, so the baseline (80, 2022) is the reference.
    first = values["2023"]
    assert (first["status"], first["target_basis"]) == ("met", "direction")
    assert (first["reference"], first["reference_period"]) == (80, "2022")
    # 2024 should have fallen (Minska) from 82 but rose: not met.
    assert (values["2024"]["status"], values["2024"]["reference"]) == ("not_met", 82)
    # 2025 keeps 83 (Behålla): met.
    assert (values["2025"]["status"], values["2025"]["reference_period"]) == ("met", "2024")
    assert values["2025"]["target"]["direction"] == "maintain"


async def test_a_direction_target_without_reference_says_so(
    client: AsyncClient, oxelosund: None, planner: dict[str, str]
) -> None:
    await _measure(
        client,
        planner,
        "ny",
        direction="decrease",
        series=[{"baseline": {"is_new": True}, "targets": {"2025": {"direction": "decrease"}}}],
    )
    value = (await _values(client, "ny", planner, year=2025)) or None
    assert value is None
    written = await _put(client, "ny", planner, period="2025", value=3)
    assert (written["status"], written["reference"]) == ("no_reference", None)


async def test_a_target_needs_a_number_a_benchmark_or_a_direction(
    client: AsyncClient, oxelosund: None, planner: dict[str, str]
) -> None:
    for target, message in [
        ({"op": ">", "value": None, "qualifier": "Minst en aktivitet"}, "direction"),
        ({"direction": "increase", "value": 3}, "no value"),
        ({"value": 3}, "op is required"),
    ]:
        response = await client.post(
            "/api/v1/measures",
            json={
                "code": "X",
                "org_unit_id": "oxelosund-von",
                "name": "x",
                "unit_kind": "count",
                "direction": "increase",
                "series": [{"targets": {"2025": target}}],
            },
            headers=planner,
        )
        assert response.status_code == 422, response.text
        assert message in response.text


@given(
    value=st.decimals(min_value=-1000, max_value=1000, places=2),
    reference=st.decimals(min_value=-1000, max_value=1000, places=2),
)
def test_direction_status_agrees_with_the_order_of_value_and_reference(
    value: Decimal, reference: Decimal
) -> None:
    up = compute_direction_status(value, "increase", "increase", reference, 2)
    down = compute_direction_status(value, "decrease", "increase", reference, 2)
    hold = compute_direction_status(value, "maintain", "increase", reference, 2)
    hold_low = compute_direction_status(value, "maintain", "decrease", reference, 2)
    assert (up is Status.MET) == (value > reference)
    assert (down is Status.MET) == (value < reference)
    assert (hold is Status.MET) == (value >= reference)
    assert (hold_low is Status.MET) == (value <= reference)
    # Rising and falling are never met at once; holding is met whenever one of them is.
    assert not (up is Status.MET and down is Status.MET)
    if up is Status.MET:
        assert hold is Status.MET


def test_words_and_years() -> None:
    assert direction_of_words(" Öka ") is TargetDirection.INCREASE
    assert direction_of_words("MINSKA.") is TargetDirection.DECREASE
    assert direction_of_words("Behålla") is TargetDirection.MAINTAIN
    assert direction_of_words("Minst en aktivitet på varje enhet.") is None
    assert baseline_year("Delår 2024") == 2024
    assert baseline_year("Nytt värde") is None
    assert baseline_year("12345") is None
    assert Direction("milestone") is Direction.MILESTONE


# --- interim targets ---------------------------------------------------------------------


@given(
    start_year=st.integers(min_value=2000, max_value=2030),
    span=st.integers(min_value=1, max_value=10),
    start=st.decimals(min_value=-10000, max_value=10000, places=4),
    end=st.decimals(min_value=-10000, max_value=10000, places=4),
)
def test_the_interim_trajectory_runs_from_baseline_to_target_monotonically(
    start_year: int, span: int, start: Decimal, end: Decimal
) -> None:
    end_year = start_year + span
    points = [
        interim_value(start_year, start, end_year, end, y) for y in range(start_year, end_year + 1)
    ]
    assert points[0] == start
    assert points[-1] == end
    steps = list(pairwise(points))
    if end >= start:
        assert all(a <= b for a, b in steps)
    else:
        assert all(a >= b for a, b in steps)
    assert all(min(start, end) <= p <= max(start, end) for p in points)


def test_the_trajectory_only_runs_forward() -> None:
    with pytest.raises(ValueError, match="forward"):
        interim_value(2025, Decimal(1), 2025, Decimal(2), 2025)
    with pytest.raises(ValueError, match="on the trajectory"):
        interim_value(2024, Decimal(1), 2027, Decimal(2), 2028)


async def test_earlier_years_of_a_multi_year_target_get_an_interim_status(
    client: AsyncClient, oxelosund: None, planner: dict[str, str]
) -> None:
    # A target only for the plan's last year (2027), baseline 50 in 2023: 2025 lies at 60.
    await _measure(
        client,
        planner,
        "heltid",
        series=[
            {
                "baseline": {"value": 50, "period": "2023"},
                "targets": {"2027": {"op": ">=", "value": 70}},
            }
        ],
    )
    await _put(client, "heltid", planner, period="2024", value=55)
    # Judged at the measure's precision: 59.4 rounds to 59, under 60.
    await _put(client, "heltid", planner, period="2025", value="59.4")
    await _put(client, "heltid", planner, period="2027", value=70)
    values = await _values(client, "heltid", planner)
    assert values["2024"]["interim_target"] == 55
    assert (values["2024"]["status"], values["2024"]["target_basis"]) == ("met", "interim")
    # Never shown as a stated target.
    assert values["2024"]["target"] is None
    assert (values["2025"]["interim_target"], values["2025"]["status"]) == (60, "not_met")
    stated = values["2027"]
    assert (stated["target_basis"], stated["interim_target"]) == ("stated", None)
    assert stated["target"]["value"] == 70
    assert stated["status"] == "met"


async def test_an_interim_target_starts_from_an_earlier_stated_target(
    client: AsyncClient, oxelosund: None, planner: dict[str, str]
) -> None:
    await _measure(
        client,
        planner,
        "vantetid",
        direction="decrease",
        unit_kind="days",
        series=[
            {
                "baseline": {"is_new": True},
                "targets": {"2024": {"op": "<=", "value": 40}, "2026": {"op": "<=", "value": 20}},
            }
        ],
    )
    written = await _put(client, "vantetid", planner, period="2025", value=30)
    assert (written["interim_target"], written["status"]) == (30, "met")
    # After the last stated target nothing is extrapolated.
    late = await _put(client, "vantetid", planner, period="2027", value=30)
    assert (late["target_basis"], late["status"]) == (None, "no_target")


# --- qualitative indicators, rates, baselines per gender ---------------------------------


async def test_a_qualitative_indicator_has_a_text_and_a_manual_status(
    client: AsyncClient, oxelosund: None, planner: dict[str, str]
) -> None:
    await _measure(client, planner, "ekonomi", unit_kind="text", direction="milestone")
    written = await _put(
        client,
        "ekonomi",
        planner,
        period="2024",
        text="Enligt budgeterat resultat",
        manual_status="met",
    )
    assert (written["value"], written["text"]) == (None, "Enligt budgeterat resultat")
    assert (written["status"], written["trend"]) == ("met", None)
    pending = await _put(client, "ekonomi", planner, period="2025", text="Pågår")
    assert pending["status"] == "no_value"
    number = await client.put(
        "/api/v1/measures/ekonomi/values",
        json={"org_unit_id": "oxelosund-von", "period": "2026", "value": 1},
        headers=planner,
    )
    assert number.status_code == 422
    assert number.json()["errors"][0]["field"] == "body.value"
    imported = await client.post(
        IMPORT,
        content="measure;org_unit;period;value\nEKONOMI;VON;2026;1\n",
        headers={**planner, "content-type": "text/csv"},
    )
    assert imported.json()["errors"][0]["field"] == "value"
    await _measure(client, planner, "antal", unit_kind="count")
    text = await client.put(
        "/api/v1/measures/antal/values",
        json={"org_unit_id": "oxelosund-von", "period": "2024", "value": 1, "text": "Ja"},
        headers=planner,
    )
    assert text.status_code == 422
    assert text.json()["errors"][0]["field"] == "body.text"


async def test_a_rate_with_its_unit_and_baselines_per_gender(
    client: AsyncClient, oxelosund: None, planner: dict[str, str]
) -> None:
    rate = await _measure(
        client,
        planner,
        "utskrivning",
        unit_kind="rate",
        decimals=1,
        direction="decrease",
        unit_label="individer per år",
        gender_split=True,
        series=[
            {
                "baseline": {"value": "0.5", "period": "2023", "text": "1 individ vartannat år"},
                "gender_baselines": {
                    "K": {"value": "0.4", "period": "2022"},
                    "M": {"value": 1, "period": "2023"},
                },
                "targets": {"2024": {"direction": "decrease"}},
            }
        ],
    )
    assert (rate["unit_kind"], rate["unit_label"]) == ("rate", "individer per år")
    assert rate["series"][0]["gender_baselines"] == {
        "K": {"value": 0.4, "period": "2022", "is_new": False, "text": None},
        "M": {"value": 1, "period": "2023", "is_new": False, "text": None},
    }
    for gender, value in (("T", "0.5"), ("K", "0.3"), ("M", "1.5")):
        await _put(client, "utskrivning", planner, period="2024", value=value, gender=gender)
    values = await _values(client, "utskrivning", planner)
    # Each gender is judged against its own baseline.
    assert (values["2024/K"]["reference"], values["2024/K"]["status"]) == (0.4, "met")
    assert (values["2024/M"]["reference"], values["2024/M"]["status"]) == (1, "not_met")
    assert (values["2024"]["reference"], values["2024"]["status"]) == (0.5, "not_met")
    wrong = await client.post(
        "/api/v1/measures",
        json={
            "code": "X",
            "org_unit_id": "oxelosund-von",
            "name": "x",
            "unit_kind": "count",
            "direction": "increase",
            "series": [{"gender_baselines": {"K": {"value": 1}}}],
        },
        headers=planner,
    )
    assert wrong.status_code == 422
    assert "gender_split" in wrong.text


# --- the follow-up: latest available value and the data unit ------------------------------


@pytest.fixture
async def plan(client: AsyncClient, oxelosund: None, planner: dict[str, str]) -> None:
    await _post(client, "/api/v1/plans", PLAN, planner)
    goals = "/api/v1/plans/von-vp/goals"
    await _post(
        client,
        goals,
        {"id": "km", "code": "KM4", "level": "kommunmal", "title": "Ålderdom"},
        planner,
    )
    await _post(
        client,
        goals,
        {"id": "kf", "code": "KF-07", "level": "kf_mal", "parent_id": "km", "title": "KF"},
        planner,
    )
    await _post(
        client,
        goals,
        {"id": "nm", "code": "NM-01", "level": "namndmal", "parent_id": "kf", "title": "Mål"},
        planner,
    )


async def _series(client: AsyncClient, headers: dict[str, str], year: int) -> dict[str, Any]:
    response = await client.get(
        "/api/v1/plans/von-vp/follow-up", params={"year": year, "period": "helar"}, headers=headers
    )
    assert response.status_code == 200, response.text
    goal = response.json()["goals"][0]["children"][0]["children"][0]
    return {m["code"]: m for m in goal["measures"]}


async def test_the_follow_up_shows_the_latest_value_within_the_look_back(
    client: AsyncClient, plan: None, planner: dict[str, str]
) -> None:
    await _measure(
        client,
        planner,
        "kolada",
        lookback_years=1,
        goal_ids=["nm"],
        series=[
            {
                "baseline": {"value": 70, "period": "2022"},
                "targets": {"2024": {"op": ">=", "value": 75}},
            }
        ],
    )
    await _measure(
        client,
        planner,
        "egen",
        goal_ids=["nm"],
        series=[{"targets": {"2024": {"op": ">=", "value": 75}}}],
    )
    for measure in ("kolada", "egen"):
        await _put(client, measure, planner, period="2022", value=70)
        await _put(client, measure, planner, period="2023", value=76)
    found = await _series(client, planner, 2024)
    late = found["KOLADA"]["series"][0]
    # The 2024 report shows 2023's value, marked with its period, judged on the 2024 target.
    assert (late["value"], late["period"], late["latest_available"]) == (76, "2023", True)
    assert (late["status"], late["trend"], late["target"]["value"]) == ("met", "improving", 75)
    assert found["KOLADA"]["lookback_years"] == 1
    exported = await client.get(
        "/api/v1/plans/von-vp/follow-up",
        params={"year": 2024, "period": "helar", "format": "csv", "dialect": "machine"},
        headers=planner,
    )
    row = next(r for r in csv.DictReader(io.StringIO(exported.text)) if r["Mått"] == "kolada")
    assert (row["Utfall"], row["Period"], row["Senast tillgängliga"]) == ("76", "2023", "Ja")
    assert row["Målvärdestyp"] == "Fastställt"
    # A measure without a look-back shows no value of another year.
    own = found["EGEN"]["series"][0]
    assert (own["value"], own["period"], own["status"]) == (None, None, "no_value")
    # Two years back is outside a look-back of one.
    later = (await _series(client, planner, 2025))["KOLADA"]["series"][0]
    assert (later["value"], later["latest_available"], later["status"]) == (
        None,
        False,
        "no_target",
    )
    # A value of the year itself wins.
    await _put(client, "kolada", planner, period="2024", value=74)
    now = (await _series(client, planner, 2024))["KOLADA"]["series"][0]
    assert (now["value"], now["period"], now["latest_available"], now["status"]) == (
        74,
        "2024",
        False,
        "not_met",
    )


async def test_a_direction_target_compares_with_the_previous_value_within_the_look_back(
    client: AsyncClient, plan: None, planner: dict[str, str]
) -> None:
    """A yearly KPI with a gap (2023, no 2024, 2025): with a look-back of one year, 2023 is the
    previous available value of 2025 and its reference on every read path; without a
    look-back it is out of reach and the baseline is the reference."""
    for measure_id, lookback in (("gap", 1), ("gap0", 0)):
        await _measure(
            client,
            planner,
            measure_id,
            lookback_years=lookback,
            goal_ids=["nm"],
            series=[
                {
                    "baseline": {"value": 60, "period": "2020"},
                    "targets": {"2025": {"direction": "increase"}},
                }
            ],
        )
        await _put(client, measure_id, planner, period="2023", value=50)
        await _put(client, measure_id, planner, period="2025", value=55)
    expected = {"gap": (50, "2023", "met"), "gap0": (60, "2020", "not_met")}
    batch = await client.get(
        "/api/v1/measure-values",
        params={"plan_id": "von-vp", "year": 2025, "limit": 500},
        headers=planner,
    )
    assert batch.status_code == 200, batch.text
    batched = {m["measure_id"]: m["values"] for m in batch.json()["items"]}
    follow_up = await _series(client, planner, 2025)
    for measure_id, (reference, period, status) in expected.items():
        for params in ({"year": 2025}, {}):
            value = (await _values(client, measure_id, planner, **params))["2025"]
            found = (value["reference"], value["reference_period"], value["status"])
            assert found == (reference, period, status), (measure_id, params)
        (value,) = [v for v in batched[measure_id] if v["period"] == "2025"]
        assert (value["reference"], value["reference_period"], value["status"]) == (
            reference,
            period,
            status,
        )
        (series,) = follow_up[measure_id.upper()]["series"]
        assert (series["value"], series["reference"], series["status"]) == (55, reference, status)


async def test_a_measure_shows_the_values_of_its_data_unit(
    client: AsyncClient, plan: None, trosa: None, planner: dict[str, str], importer: dict[str, str]
) -> None:
    # The committee follows a Kolada KPI that Kolada publishes for the municipality.
    measure = await _measure(
        client,
        planner,
        "u21468",
        kolada_kpi_id="U21468",
        data_org_unit_id="oxelosund",
        lookback_years=1,
        goal_ids=["nm"],
        series=[{"targets": {"2024": {"op": ">=", "value": 80}}}],
    )
    assert measure["data_org_unit_id"] == "oxelosund"
    response = await client.put(
        "/api/v1/measures/u21468/values",
        json={"org_unit_id": "oxelosund", "period": "2023", "value": "85.3"},
        headers=importer,
    )
    assert response.status_code == 201, response.text
    found = (await _series(client, planner, 2024))["U21468"]
    assert found["values_org_unit_id"] == "oxelosund"
    assert (found["series"][0]["value"], found["series"][0]["status"]) == (85.3, "met")
    # Not copied: the committee has no value of its own.
    own = await client.get(
        "/api/v1/measures/u21468/values", params={"org_unit_id": "oxelosund-von"}, headers=planner
    )
    assert own.json() == []
    elsewhere = await client.patch(
        "/api/v1/measures/u21468", json={"data_org_unit_id": "trosa"}, headers=planner
    )
    assert elsewhere.status_code == 422
    assert elsewhere.json()["errors"][0]["field"] == "body.data_org_unit_id"


# --- Kolada's nulls and gender rows ------------------------------------------------------


@pytest.fixture
async def kolada_kpi(
    client: AsyncClient, oxelosund: None, app: FastAPI, planner: dict[str, str]
) -> None:
    async with app.state.database.session() as session:
        municipality = await session.get(OrgUnit, "oxelosund")
        assert municipality is not None
        municipality.kolada_id = "0481"
        session.add(municipality)
        await session.commit()
    await _measure(client, planner, "u21468", kolada_kpi_id="U21468", data_org_unit_id="oxelosund")


def _page(entries: dict[int, list[tuple[str, float | None, str]]]) -> dict[str, Any]:
    return {
        "values": [
            {
                "kpi": "U21468",
                "municipality": "0481",
                "period": year,
                "values": [
                    {"gender": gender, "value": value, "count": 1, "status": status}
                    for gender, value, status in values
                ],
            }
            for year, values in entries.items()
        ]
    }


async def test_kolada_nulls_and_gender_rows_are_skipped_and_counted(
    client: AsyncClient, kolada_kpi: None, importer: dict[str, str], app: FastAPI
) -> None:
    page = _page(
        {
            2022: [("T", None, "Saknas"), ("K", None, "Saknas"), ("M", None, "")],
            2023: [("T", 85.3, ""), ("K", 80.0, ""), ("M", 90.0, "")],
        }
    )
    result = (await client.post(IMPORT, json=page, headers=importer)).json()
    assert result["counts"] == {
        "inserted": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
        "skipped": 5,
        "skipped_by_reason": {
            "gender_without_split:K": 1,
            "gender_without_split:M": 1,
            "kolada_null:Saknas": 2,
            "kolada_null:none": 1,
        },
    }
    run = (await client.get(f"/api/v1/import-runs/{result['id']}", headers=importer)).json()
    assert (run["skipped"], run["skipped_reasons"]["kolada_null:Saknas"]) == (5, 2)
    # Asked for strictness, the gender rows are errors of the file.
    strict = await client.post(IMPORT, json=page, headers=importer, params={"strict": "true"})
    counts = strict.json()["counts"]
    assert (counts["rejected"], counts["skipped"], counts["unchanged"]) == (2, 3, 1)
    assert {e["field"] for e in strict.json()["errors"]} == {"gender"}
    async with app.state.database.session() as session:
        stored = (await session.exec(select(MeasureValue))).all()
    assert [(v.period, v.gender, v.value) for v in stored] == [("2023", "T", Decimal("85.3"))]


GENDER_VALUE = st.tuples(
    st.sampled_from(["T", "K", "M"]),
    st.one_of(st.none(), st.integers(0, 100).map(float)),
    st.sampled_from(["", "Saknas", "M"]),
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    entries=st.dictionaries(
        st.integers(2015, 2024),
        st.lists(GENDER_VALUE, max_size=3, unique_by=lambda item: item[0]),
        max_size=6,
    )
)
async def test_a_kolada_page_counts_every_value_once_and_a_re_import_changes_nothing(
    client: AsyncClient,
    kolada_kpi: None,
    importer: dict[str, str],
    entries: dict[int, list[tuple[str, float | None, str]]],
) -> None:
    page = _page(entries)
    flat = [value for values in entries.values() for value in values]
    nulls = sum(1 for _, value, _ in flat if value is None)
    genders = sum(1 for gender, value, _ in flat if value is not None and gender != "T")
    totals = sum(1 for gender, value, _ in flat if value is not None and gender == "T")
    first = (await client.post(IMPORT, json=page, headers=importer)).json()["counts"]
    assert first["skipped"] == nulls + genders == sum(first["skipped_by_reason"].values())
    assert first["rejected"] == 0
    # Examples share the database: a total may already be stored from an earlier one.
    assert first["inserted"] + first["updated"] + first["unchanged"] == totals
    again = (await client.post(IMPORT, json=json.loads(json.dumps(page)), headers=importer)).json()
    assert again["counts"] == {**first, "inserted": 0, "updated": 0, "unchanged": totals}


async def test_the_committee_document_shows_interim_direction_and_text_targets(
    client: AsyncClient, plan: None, planner: dict[str, str]
) -> None:
    await _measure(
        client,
        planner,
        "heltid",
        goal_ids=["nm"],
        series=[
            {
                "baseline": {"value": 50, "period": "2023"},
                "targets": {"2027": {"op": ">=", "value": 70}},
            }
        ],
    )
    await _measure(
        client,
        planner,
        "ny",
        goal_ids=["nm"],
        series=[{"baseline": {"is_new": True}, "targets": {"2025": {"qualifier": "Öka"}}}],
    )
    await _measure(client, planner, "ekonomi", unit_kind="text", goal_ids=["nm"])
    await _put(client, "heltid", planner, period="2025", value=61)
    await _put(client, "ny", planner, period="2025", value=3)
    await _put(client, "ekonomi", planner, period="2025", text="Genomfört", manual_status="met")
    response = await client.get(
        "/api/v1/plans/von-vp/follow-up",
        params={"year": 2025, "period": "helar", "format": "docx"},
        headers=planner,
    )
    assert response.status_code == 200, response.text
    document = Document(io.BytesIO(response.content))
    cells = {cell.text for table in document.tables for row in table.rows for cell in row.cells}
    # The interim target with the operator of the target it leads to.
    assert "delmål ≥ 60 %" in {cell.replace("\xa0", " ") for cell in cells}
    (series,) = (await _series(client, planner, 2025))["HELTID"]["series"]
    assert (series["target_basis"], series["interim_target"], series["interim_op"]) == (
        "interim",
        60,
        ">=",
    )
    value = (await _values(client, "heltid", planner, year=2025))["2025"]
    assert (value["interim_target"], value["interim_op"]) == (60, ">=")
    assert {"Öka", "Genomfört"} <= cells
    assert any("Jämförelsevärde saknas" in cell for cell in cells)
