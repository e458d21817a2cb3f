"""The follow-up's latest value per series, found in SQL (``measures.latest``), equals what the
former computation found by loading the look-back years' values and evaluating them all in
Python: same value, status, trend, target basis, reference and series break, on generated
values of measures with segments, gender split, a look-back, a data unit and a series break."""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_goals.measures import latest
from styr_goals.measures import service as measures
from styr_goals.measures.models import Measure
from styr_goals.measures.schemas import ValueRead
from styr_shared.testing import TokenFactory

UNIT = "oxelosund-von"
ROOT = "oxelosund"
PLAN = {"id": "latest-vp", "org_unit_id": UNIT, "name": "Plan",
        "start_year": 2020, "end_year": 2027}  # fmt: skip
MONTHLY: dict[str, Any] = {
    "id": "latest-month",
    "code": "L-01",
    "org_unit_id": UNIT,
    "name": "Månadsmått",
    "unit_kind": "percent",
    "decimals": 1,
    "direction": "increase",
    "periodicity": "month",
    "segments": ["SÄBO", "HT"],
    "gender_split": True,
    "lookback_years": 1,
    "valid_from_year": 2020,
    "series": [
        {"segment": "SÄBO", "baseline": {"value": 50, "period": "2020"},
         "gender_baselines": {"M": {"value": 47, "period": "2020"},
                              "K": {"value": 52, "period": "2020"}},
         "targets": {"2022": {"op": ">=", "value": 55}, "2023": {"direction": "increase"},
                     "2026": {"op": ">=", "value": 70}}},
        {"segment": "HT", "targets": {"2024": {"direction": "decrease"},
                                      "2025": {"op": "<", "value": 40}}},
    ],
}  # fmt: skip
YEARLY: dict[str, Any] = {
    "id": "latest-year",
    "code": "L-02",
    "org_unit_id": UNIT,
    "name": "Kolada-mått",
    "unit_kind": "percent",
    "direction": "decrease",
    "periodicity": "year",
    "lookback_years": 2,
    "data_org_unit_id": ROOT,
    "valid_from_year": 2020,
    "series": [{"baseline": {"value": 30, "period": "2021"},
                "targets": {"2023": {"direction": "maintain"}, "2025": {"op": "<=", "value": 20},
                            "2027": {"op": "<=", "value": 15}}}],
}  # fmt: skip
QUARTERLY: dict[str, Any] = {
    "id": "latest-quarter",
    "code": "L-03",
    "org_unit_id": UNIT,
    "name": "Kvartalsmått",
    "unit_kind": "days",
    "direction": "decrease",
    "periodicity": "quarter",
    "valid_from_year": 2020,
    "series": [{"targets": {"2021": {"direction": "decrease"},
                            "2024": {"op": "<=", "value": 30}}}],
}  # fmt: skip
MEASURES = (MONTHLY, YEARLY, QUARTERLY)
YEARS = st.integers(2020, 2026)
NUMBER = st.integers(0, 1000).map(lambda n: n / 10)


@st.composite
def value_of(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    measure = draw(st.sampled_from(MEASURES))
    year = draw(YEARS)
    body: dict[str, Any] = {"value": draw(NUMBER)}
    if measure is MONTHLY:
        body["period"] = f"{year}-{draw(st.integers(1, 12)):02d}"
        body["segment"] = draw(st.sampled_from(["SÄBO", "HT"]))
        body["gender"] = draw(st.sampled_from(["T", "T", "K", "M"]))
        body["org_unit_id"] = draw(st.sampled_from([UNIT, UNIT, ROOT]))
    elif measure is YEARLY:
        body["period"] = str(year)
        body["org_unit_id"] = draw(st.sampled_from([ROOT, ROOT, UNIT]))
    else:
        body["period"] = f"{year}-Q{draw(st.integers(1, 4))}"
        body["org_unit_id"] = draw(st.sampled_from([UNIT, ROOT]))
    return measure["id"], body


@pytest.fixture
def planner(tokens: TokenFactory) -> dict[str, str]:
    return tokens.headers("planner", org_units=[ROOT], subject="latest-planner")


@pytest.fixture
async def measured(client: AsyncClient, oxelosund: None, planner: dict[str, str]) -> None:
    response = await client.post("/api/v1/plans", json=PLAN, headers=planner)
    assert response.status_code == 201, response.text
    for measure in MEASURES:
        response = await client.post("/api/v1/measures", json=measure, headers=planner)
        assert response.status_code == 201, response.text
    # A new definition from 2023: the quarterly series breaks there (no trend across it).
    body = {"valid_from_year": 2023, "name": "Kvartalsmått, ny definition",
            "change_note": "besök → ärenden"}  # fmt: skip
    response = await client.post(
        "/api/v1/measures/latest-quarter/definitions", json=body, headers=planner
    )
    assert response.status_code in (200, 201), response.text


async def _former(
    session: AsyncSession, measure: Measure, unit_id: str, year: int, until: date
) -> dict[str, ValueRead]:
    """The follow-up's computation before ``measures.latest``: every value of the look-back
    years and of the years before them within a direction reference's reach, evaluated in
    Python, the last total per segment kept."""
    resolver = await measures.series_targets(session, measure.id)
    first_year = year - measure.lookback_years
    rows = await measures.values_of(
        session,
        measure.id,
        org_unit_id=measure.data_org_unit_id or unit_id,
        until=until,
        from_year=measures.reach(first_year, measure.lookback_years),
    )
    values = measures.evaluate(measure, rows, resolver, status_year=year)
    return {v.segment or "": v for v in values if v.gender == "T" and first_year <= v.year <= year}


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    values=st.lists(value_of(), max_size=25),
    year=YEARS,
    end_month=st.sampled_from([4, 8, 12]),
)
async def test_latest_values_in_sql_equal_the_former_computation(
    app: FastAPI,
    client: AsyncClient,
    measured: None,
    planner: dict[str, str],
    values: list[tuple[str, dict[str, Any]]],
    year: int,
    end_month: int,
) -> None:
    # Examples share the database: values of earlier examples stay (or are overwritten), which
    # only makes the series longer; the property holds for whatever is stored.
    for measure_id, body in values:
        response = await client.put(
            f"/api/v1/measures/{measure_id}/values", json=body, headers=planner
        )
        assert response.status_code in (200, 201), response.text
    until = date(year, end_month, calendar.monthrange(year, end_month)[1])
    async with app.state.database.session() as session:
        rows = [await measures.get_measure(session, m["id"]) for m in MEASURES]
        details = await latest.details_of(session, [m.id for m in rows])
        pairs = await latest.latest_pairs(session, rows, details, UNIT, year, until)
        for measure in rows:
            expected = await _former(session, measure, UNIT, year, until)
            resolver = details[measure.id].resolver()
            found = {}
            for series in details[measure.id].series:
                value = latest.latest_of_series(
                    measure, pairs.get((measure.id, series.segment), ()), resolver, year=year
                )
                if value is not None:
                    found[series.segment] = value
            assert found == expected, (measure.id, year, until)


async def test_a_value_older_than_the_look_back_is_not_shown(
    app: FastAPI, client: AsyncClient, measured: None, planner: dict[str, str]
) -> None:
    body = {"org_unit_id": UNIT, "period": "2021-Q2", "value": 12}
    response = await client.put(
        "/api/v1/measures/latest-quarter/values", json=body, headers=planner
    )
    assert response.status_code == 201, response.text
    async with app.state.database.session() as session:
        measure = await measures.get_measure(session, "latest-quarter")
        details = await latest.details_of(session, [measure.id])
        resolver = details[measure.id].resolver()
        for year, shown in ((2021, True), (2022, False)):
            until = date(year, 12, 31)
            pairs = await latest.latest_pairs(session, [measure], details, UNIT, year, until)
            value = latest.latest_of_series(
                measure, pairs.get((measure.id, ""), ()), resolver, year=year
            )
            assert (value is not None) == shown
            if value is not None:
                assert (value.period, value.value) == ("2021-Q2", Decimal(12))


async def test_a_page_of_measures_reads_as_each_one_alone(
    client: AsyncClient, measured: None, planner: dict[str, str]
) -> None:
    # ``GET /measures`` reads a page in five queries (``latest.measure_reads``); each item is
    # what ``GET /measures/{id}`` answers, targets, gender baselines and definitions in order.
    response = await client.get(
        "/api/v1/measures", params={"org_unit_id": UNIT, "limit": 500}, headers=planner
    )
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [item["id"] for item in items] == sorted(m["id"] for m in MEASURES)
    for item in items:
        single = await client.get(f"/api/v1/measures/{item['id']}", headers=planner)
        assert item == single.json()
    month = next(item for item in items if item["id"] == "latest-month")
    assert list(month["series"][0]["targets"]) == ["2022", "2023", "2026"]
    assert list(month["series"][0]["gender_baselines"]) == ["K", "M"]
    quarter = next(item for item in items if item["id"] == "latest-quarter")
    assert [d["version"] for d in quarter["definitions"]] == [1, 2]
