"""Reads of many goals or measures in one call (for the gateway's per-level batches):
``GET /assessments``, ``GET /activities`` and ``GET /measure-values`` answer what the per-goal and
per-measure endpoints answer, filtered by plan or by ids, paginated."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from styr_shared.testing import TokenFactory

PLAN = {"id": "batch-vp", "org_unit_id": "oxelosund-von", "name": "Plan",
        "start_year": 2020, "end_year": 2027}  # fmt: skip
OTHER_PLAN = {**PLAN, "id": "batch-other", "name": "Annan plan"}
UNIT = "oxelosund-von"
YEARS = range(2020, 2028)
SEGMENTED: dict[str, Any] = {
    "id": "batch-seg",
    "code": "B-01",
    "org_unit_id": UNIT,
    "name": "Nöjdhet",
    "unit_kind": "percent",
    "direction": "increase",
    "periodicity": "year",
    "segments": ["SÄBO", "HT"],
    "gender_split": True,
    "goal_ids": ["batch-g1"],
    "valid_from_year": 2020,
    "series": [
        {"segment": "SÄBO", "targets": {"2022": {"op": ">=", "value": 50},
                                        "2025": {"op": ">=", "value": 60}}},
        {"segment": "HT", "targets": {"2024": {"op": "<", "value": 40}}},
    ],
}  # fmt: skip
QUARTERLY: dict[str, Any] = {
    "id": "batch-q",
    "code": "B-02",
    "org_unit_id": UNIT,
    "name": "Väntetid",
    "unit_kind": "days",
    "direction": "decrease",
    "periodicity": "quarter",
    "goal_ids": ["batch-g2"],
    "valid_from_year": 2020,
    "series": [{"targets": {"2023": {"op": "<=", "value": 30}}}],
}


@pytest.fixture
def planner(tokens: TokenFactory) -> dict[str, str]:
    return tokens.headers("planner", org_units=[UNIT], subject="von-planner")


async def _ok(response: Any, status: int = 201) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture
async def plans(client: AsyncClient, oxelosund: None, planner: dict[str, str]) -> None:
    """Two plans of VON: goals batch-g1, batch-g2 (and batch-g3 in the other plan), one
    measure on each of the first two."""
    for plan, goals in ((PLAN, ["batch-g1", "batch-g2"]), (OTHER_PLAN, ["batch-g3"])):
        await _ok(await client.post("/api/v1/plans", json=plan, headers=planner))
        for number, goal in enumerate(goals):
            body = {"id": goal, "code": f"NM-{number}", "level": "namndmal", "title": goal}
            url = f"/api/v1/plans/{plan['id']}/goals"
            await _ok(await client.post(url, json=body, headers=planner))
    for measure in (SEGMENTED, QUARTERLY):
        await _ok(await client.post("/api/v1/measures", json=measure, headers=planner))


async def _pages(client: AsyncClient, url: str, params: dict[str, Any], headers: Any) -> Any:
    items, cursor = [], None
    while True:
        page = await _ok(
            await client.get(url, params={**params, "cursor": cursor}, headers=headers), 200
        )
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


async def test_assessments_and_activities_of_a_plan_in_one_call(
    client: AsyncClient, plans: None, planner: dict[str, str]
) -> None:
    judged = [("batch-g1", "delar", "Ja"), ("batch-g2", "helar", "Nej"),
              ("batch-g3", "helar", "Ja"), ("batch-g1", "helar", "Delvis")]  # fmt: skip
    for goal, period, answer in judged:
        body = {"year": 2025, "period": period, "kind": "final", "answer": answer}
        await _ok(
            await client.post(f"/api/v1/goals/{goal}/assessments", json=body, headers=planner)
        )
    old = {"year": 2024, "period": "helar", "kind": "final", "answer": "Nej"}
    await _ok(await client.post("/api/v1/goals/batch-g2/assessments", json=old, headers=planner))
    for goal, year in (("batch-g1", 2025), ("batch-g2", 2025), ("batch-g3", 2025),
                       ("batch-g2", 2024)):  # fmt: skip
        body = {"org_unit_id": UNIT, "year": year, "title": f"{goal} {year}", "status": "pagaende"}
        await _ok(await client.post(f"/api/v1/goals/{goal}/activities", json=body, headers=planner))

    of_plan = await _pages(
        client, "/api/v1/assessments", {"plan_id": "batch-vp", "year": 2025, "limit": 1}, planner
    )
    assert [(a["goal_id"], a["period"], a["answer"]) for a in of_plan] == [
        ("batch-g1", "delar", "Ja"), ("batch-g2", "helar", "Nej"), ("batch-g1", "helar", "Delvis"),
    ]  # fmt: skip
    # The same rows as the per-goal endpoint, goal by goal.
    for goal in ("batch-g1", "batch-g2"):
        single = await client.get(
            f"/api/v1/goals/{goal}/assessments", params={"year": 2025}, headers=planner
        )
        assert [a for a in of_plan if a["goal_id"] == goal] == single.json()
    named = await _pages(
        client,
        "/api/v1/assessments",
        {"goal_id": ["batch-g2", "batch-g3"], "period": "helar"},
        planner,
    )
    assert [(a["goal_id"], a["year"]) for a in named] == [
        ("batch-g2", 2025), ("batch-g3", 2025), ("batch-g2", 2024),
    ]  # fmt: skip

    activities = await _pages(
        client, "/api/v1/activities", {"plan_id": "batch-vp", "year": 2025}, planner
    )
    assert [a["title"] for a in activities] == ["batch-g1 2025", "batch-g2 2025"]
    all_years = await _pages(client, "/api/v1/activities", {"plan_id": "batch-vp"}, planner)
    assert len(all_years) == 3
    nothing = await _pages(client, "/api/v1/activities", {"plan_id": "no-such-plan"}, planner)
    assert nothing == []

    too_many = await client.get(
        "/api/v1/assessments", params={"goal_id": [f"g{i}" for i in range(101)]}, headers=planner
    )
    assert too_many.status_code == 422
    assert too_many.json()["errors"][0]["field"] == "query.goal_id"


async def test_values_of_many_measures_are_paginated_by_measure(
    client: AsyncClient, plans: None, planner: dict[str, str]
) -> None:
    for measure, period in (("batch-seg", "2025"), ("batch-q", "2025-Q1")):
        body = {"org_unit_id": UNIT, "period": period, "value": 45,
                "segment": "SÄBO" if measure == "batch-seg" else None}  # fmt: skip
        await client.put(f"/api/v1/measures/{measure}/values", json=body, headers=planner)
    first = await _ok(
        await client.get(
            "/api/v1/measure-values", params={"plan_id": "batch-vp", "limit": 1}, headers=planner
        ),
        200,
    )
    assert [item["measure_id"] for item in first["items"]] == ["batch-q"]
    assert first["next_cursor"] is not None
    named = await _ok(
        await client.get(
            "/api/v1/measure-values",
            params={"measure_id": ["batch-seg"], "year": [2025]},
            headers=planner,
        ),
        200,
    )
    (item,) = named["items"]
    assert [(v["period"], v["value"], v["status"]) for v in item["values"]] == [
        ("2025", 45, "not_met")
    ]
    bad_year = await client.get(
        "/api/v1/measure-values", params={"year": [2025, 1800]}, headers=planner
    )
    assert bad_year.status_code == 422
    assert bad_year.json()["errors"][0]["field"].startswith("query.year")


VALUE = st.one_of(
    st.tuples(
        st.just("batch-seg"),
        st.sampled_from(YEARS),
        st.just(None),
        st.sampled_from(["SÄBO", "HT"]),
        st.sampled_from(["T", "K", "M"]),
        st.integers(0, 100),
    ),
    st.tuples(
        st.just("batch-q"),
        st.sampled_from(YEARS),
        st.integers(1, 4),
        st.just(None),
        st.just("T"),
        st.integers(0, 100),
    ),
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    values=st.lists(VALUE, max_size=12),
    years=st.sets(st.integers(2019, 2028), min_size=1, max_size=4),
)
async def test_values_of_many_measures_equal_the_single_measure_answers(
    client: AsyncClient,
    plans: None,
    planner: dict[str, str],
    values: list[tuple[str, int, int | None, str | None, str, int]],
    years: set[int],
) -> None:
    # Examples share the database: values of earlier examples stay (or are overwritten), which
    # only makes the series longer; the property holds for whatever is stored.
    for measure, year, quarter, segment, gender, value in values:
        period = f"{year}-Q{quarter}" if quarter else str(year)
        body = {"org_unit_id": UNIT, "period": period, "value": value, "segment": segment,
                "gender": gender}  # fmt: skip
        response = await client.put(
            f"/api/v1/measures/{measure}/values", json=body, headers=planner
        )
        assert response.status_code in (200, 201), response.text

    batch = await _pages(
        client,
        "/api/v1/measure-values",
        {"plan_id": "batch-vp", "org_unit_id": UNIT, "year": sorted(years)},
        planner,
    )
    assert [item["measure_id"] for item in batch] == ["batch-q", "batch-seg"]
    for item in batch:
        expected = []
        for year in sorted(years):
            single = await client.get(
                f"/api/v1/measures/{item['measure_id']}/values",
                params={"org_unit_id": UNIT, "year": year},
                headers=planner,
            )
            expected += await _ok(single, 200)
        key = lambda v: (v["segment"] or "", v["gender"], v["period_end"], v["id"])  # noqa: E731
        assert item["values"] == sorted(expected, key=key)


async def test_plans_goals_and_measures_by_ids_answer_as_one_by_one(
    client: AsyncClient, plans: None, planner: dict[str, str]
) -> None:
    # `?id=` (repeatable) on the lists of plans, goals and measures: for the gateway's entity
    # references, one call for many ids, each item as the single read answers it.
    cases = [
        ("/api/v1/plans", ["batch-other", "batch-vp", "no-such-plan"], ["batch-other", "batch-vp"]),
        ("/api/v1/goals", ["batch-g3", "batch-g1", "nope"], ["batch-g1", "batch-g3"]),
        ("/api/v1/measures", ["batch-q", "batch-seg", "nope"], ["batch-q", "batch-seg"]),
    ]
    for path, asked, found in cases:
        items = await _pages(client, path, {"id": asked, "limit": 1}, planner)
        assert [item["id"] for item in items] == found, path
        for item in items:
            single = await client.get(f"{path}/{item['id']}", headers=planner)
            assert item == single.json(), path
    goals = await _pages(client, "/api/v1/goals", {"id": ["batch-g3", "batch-g1"]}, planner)
    assert [(goal["plan_id"], len(goal["versions"])) for goal in goals] == [
        ("batch-vp", 1), ("batch-other", 1),
    ]  # fmt: skip
    # Without `id`, every goal; more than 100 ids are refused, naming the parameter.
    every = await _pages(client, "/api/v1/goals", {"limit": 500}, planner)
    assert {"batch-g1", "batch-g2", "batch-g3"} <= {goal["id"] for goal in every}
    for path, _, _ in cases:
        response = await client.get(
            path, params={"id": [f"x{i}" for i in range(101)]}, headers=planner
        )
        assert response.status_code == 422, response.text
        assert "query.id" in response.text


async def test_goals_list_needs_a_token(client: AsyncClient, plans: None) -> None:
    response = await client.get("/api/v1/goals", params={"id": "batch-g1"})
    assert response.status_code == 401
