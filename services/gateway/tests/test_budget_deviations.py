"""Budget and deviation statistics of an org unit: figures, the caller's token, and errors at
the failed field (403 → FORBIDDEN, a service that is down → UPSTREAM_UNAVAILABLE) while the
rest of the answer comes back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from typing import Any

import httpx
from starlette.types import Receive, Scope, Send

from styr_shared.testing import TokenFactory, UvicornThread

CLOSED_PORT_URL = "http://127.0.0.1:9"

GraphQL = Callable[..., Awaitable[httpx.Response]]

BUDGET = """
query Budget($id: ID!) {
  orgUnit(id: $id) {
    name
    budget(year: 2025, period: 8) {
      period
      total { budget deviation budgetYtd ytdDeviation }
      byActivity { key }
      byAccountGroup { key name kind budget forecast forecastDeviation }
      investments { objects budget carriedIn available outcome forecast }
      deficits(month: 8) {
        month level activityCode orgUnitId orgUnitName forecastDeviation measures
        measuresAmount hasMeasures
      }
    }
  }
}
"""


async def test_budget_overview(post: GraphQL, full_gateway: Any, reader: dict[str, str]) -> None:
    full_gateway.budget.requests.clear()
    full_gateway.budget.headers.clear()
    response = await post(full_gateway.url, BUDGET, {"id": "oxelosund-von"}, reader)
    body = response.json()
    assert "errors" not in body, body
    budget = body["data"]["orgUnit"]["budget"]
    assert budget["period"] == 8
    assert budget["total"] == {
        "budget": "100000000", "deviation": "-1500000",
        "budgetYtd": "58333333", "ytdDeviation": "8666667",
    }  # fmt: skip
    assert budget["byActivity"] == [{"key": "510"}, {"key": "520"}]
    assert budget["byAccountGroup"] == [
        {"key": "intakter", "name": "Intäkter", "kind": "revenue", "budget": "-10000000",
         "forecast": "-10500000", "forecastDeviation": "-500000"},
        {"key": "personal", "name": "Personal", "kind": "cost", "budget": "110000000",
         "forecast": "112000000", "forecastDeviation": "2000000"},
    ]  # fmt: skip
    assert budget["investments"] == {
        "objects": 3, "budget": "12000000.00", "carriedIn": "500000.00",
        "available": "12500000.00", "outcome": "4000000.00", "forecast": None,
    }  # fmt: skip
    assert [d["level"] for d in budget["deficits"]] == ["COMMITTEE", "ACTIVITY", "ORG_UNIT"]
    assert budget["deficits"][1] == {
        "month": 8, "level": "ACTIVITY", "activityCode": "510", "orgUnitId": None,
        "orgUnitName": None, "forecastDeviation": "-2500000.00",
        "measures": 2, "measuresAmount": "1800000.00", "hasMeasures": True,
    }  # fmt: skip
    assert (budget["deficits"][2]["orgUnitId"], budget["deficits"][2]["orgUnitName"]) == (
        "oxelosund-lss",
        "LSS-verksamhet",
    )
    # total and byActivity share one summary call; one more per grouping and part.
    assert sorted(full_gateway.budget.requests) == [
        ("GET", "/api/v1/deficits", "committee_id=oxelosund-von&year=2025&month=8"),
        ("GET", "/api/v1/investments/totals", "org_unit=oxelosund-von&year=2025"),
        ("GET", "/api/v1/summaries",
         "org_unit=oxelosund-von&year=2025&period=8&group_by=account_group"),
        ("GET", "/api/v1/summaries", "org_unit=oxelosund-von&year=2025&period=8&group_by=activity"),
    ]  # fmt: skip
    for headers in full_gateway.budget.headers:
        assert headers["authorization"] == reader["Authorization"]


async def test_budget_period_out_of_range_is_bad_user_input(
    post: GraphQL, full_gateway: Any, reader: dict[str, str]
) -> None:
    query = '{ orgUnit(id: "oxelosund-von") { name budget(year: 2025, period: 13) { period } } }'
    body = (await post(full_gateway.url, query, None, reader)).json()
    assert body["data"]["orgUnit"] == {"name": "Vård- och omsorgsnämnden", "budget": None}
    (error,) = body["errors"]
    assert error["path"] == ["orgUnit", "budget"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["fieldErrors"][0]["field"] == "period"


STATISTICS = """
query Statistics($id: ID!, $year: Int) {
  orgUnit(id: $id) {
    name
    deviationStatistics(year: $year) {
      suppressed
      withheld { breakdown of key }
      total { count text }
      overdue { count text }
      byKind { group count text }
      byCategoryMonth { group count }
      timeToAnswer { kind cases { count } meanDays medianDays maxDays withinDeadline { count } }
    }
  }
}
"""


async def test_deviation_statistics_as_the_service_shows_them_to_the_caller(
    post: GraphQL, full_gateway: Any, tokens: TokenFactory
) -> None:
    handler = tokens.headers("case_handler", subject="case-handler", org_units=["oxelosund"])
    full_gateway.deviations.requests.clear()
    response = await post(full_gateway.url, STATISTICS, {"id": "oxelosund-von"}, handler)
    statistics = response.json()["data"]["orgUnit"]["deviationStatistics"]
    assert statistics["suppressed"] is False
    assert statistics["withheld"] == []
    assert statistics["overdue"] == {"count": 3, "text": "3"}
    assert statistics["byCategoryMonth"] == [
        {"group": {"category": "fall", "month": 3}, "count": 3}
    ]
    assert statistics["timeToAnswer"] == [
        {"kind": "complaint", "cases": {"count": 9}, "meanDays": 6.5, "medianDays": 5.0,
         "maxDays": 21, "withinDeadline": {"count": 8}}
    ]  # fmt: skip
    assert full_gateway.deviations.requests == [
        ("GET", "/api/v1/statistics", "org_unit_id=oxelosund-von")
    ]


async def test_deviation_breakdowns_with_their_totals_on_a_date_basis(
    post: GraphQL, full_gateway: Any, reader: dict[str, str]
) -> None:
    query = """query($id: ID!) { orgUnit(id: $id) {
        deviationStatistics(year: 2025, dateBasis: EVENT) {
          dateBasis
          breakdowns {
            name keys totalsBy rows { group text } totals { group count } total { count }
          }
        } } }"""
    full_gateway.deviations.requests.clear()
    response = await post(full_gateway.url, query, {"id": "oxelosund-von"}, reader)
    statistics = response.json()["data"]["orgUnit"]["deviationStatistics"]
    assert statistics["dateBasis"] == "EVENT"
    assert statistics["breakdowns"] == [
        {
            "name": "by_state",
            "keys": ["year", "state"],
            "totalsBy": ["year"],
            "rows": [
                {"group": {"year": 2025, "state": "closed"}, "text": "9"},
                {"group": {"year": 2025, "state": "registered"}, "text": "<5"},
            ],
            "totals": [{"group": {"year": 2025}, "count": 12}],
            "total": {"count": 12},
        }
    ]
    assert full_gateway.deviations.requests == [
        (
            "GET",
            "/api/v1/statistics",
            "org_unit_id=oxelosund-von&from_year=2025&to_year=2025&date_basis=event",
        )
    ]


async def test_withheld_breakdowns_reach_a_reader(
    post: GraphQL, full_gateway: Any, reader: dict[str, str]
) -> None:
    response = await post(full_gateway.url, STATISTICS, {"id": "oxelosund-von"}, reader)
    statistics = response.json()["data"]["orgUnit"]["deviationStatistics"]
    assert statistics["suppressed"] is True
    assert statistics["withheld"] == [
        {"breakdown": "by_law_area", "of": "by_year", "key": {"year": 2025}}
    ]
    assert statistics["overdue"] == {"count": None, "text": "<5"}


async def test_forbidden_statistics_error_at_their_path_only(
    post: GraphQL, full_gateway: Any, reader: dict[str, str]
) -> None:
    query = """{ orgUnit(id: "oxelosund-ks") {
        name deviationStatistics(year: 2025) { total { count } } } }"""
    body = (await post(full_gateway.url, query, None, reader)).json()
    assert body["data"] == {"orgUnit": {"name": "Kommunstyrelsen", "deviationStatistics": None}}
    (error,) = body["errors"]
    assert error["path"] == ["orgUnit", "deviationStatistics"]
    assert error["message"] == "Outside your org scope."
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["extensions"]["service"] == "deviations"
    assert error["extensions"]["status"] == 403


async def test_budget_and_deviations_down_goals_still_answer(gql: GraphQL, seed_plan: Any) -> None:
    """The shared gateway's budget and deviations URLs point at a closed port."""
    await seed_plan("down-test", 2)
    query = """{ orgUnit(id: "down-test") {
        name
        plans(year: 2025) { goals(year: 2025) { code measures { code } } }
        budget(year: 2025) { period total { budget } byActivity { key } }
        deviationStatistics(year: 2025) { total { count } }
    } }"""
    body = (await gql(query)).json()
    unit = body["data"]["orgUnit"]
    assert unit["name"] == "Nämnd down-test"
    assert unit["plans"] == [
        {"goals": [{"code": "A", "measures": []},
                   {"code": "NM-00", "measures": [{"code": "M-00"}]},
                   {"code": "NM-01", "measures": [{"code": "M-01"}]}]}
    ]  # fmt: skip
    assert unit["budget"] == {"period": 12, "total": None, "byActivity": None}
    assert unit["deviationStatistics"] is None
    errors = {tuple(error["path"]): error["extensions"] for error in body["errors"]}
    assert sorted(errors) == [
        ("orgUnit", "budget", "byActivity"),
        ("orgUnit", "budget", "total"),
        ("orgUnit", "deviationStatistics"),
    ]
    assert {e["code"] for e in errors.values()} == {"UPSTREAM_UNAVAILABLE"}
    assert errors[("orgUnit", "deviationStatistics")]["service"] == "deviations"
    assert errors[("orgUnit", "budget", "total")]["service"] == "budget"


async def test_slow_budget_times_out_at_its_fields(
    post: GraphQL,
    goals: Any,
    make_gateway: Callable[..., AbstractContextManager[str]],
    reader: dict[str, str],
    seed_plan: Any,
) -> None:
    """A budget service slower than the per-call timeout fails the budget fields only, and the
    answer comes when the timeout says, not when the slow service would."""

    async def slow(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await asyncio.sleep(3)
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"{}"})

    await seed_plan("slow-budget", 1)
    query = """{ orgUnit(id: "slow-budget") {
        plans(year: 2025) { goals(year: 2025, level: "namndmal") { code
            measures { latest(period: "helar") { value status } } } }
        budget(year: 2025) { total { budget } } } }"""
    with (
        UvicornThread(slow) as slow_url,
        make_gateway(
            goals_url=goals.url,
            budget_url=slow_url,
            deviations_url=CLOSED_PORT_URL,
            upstream_timeout_seconds=0.5,
        ) as url,
    ):
        started = time.perf_counter()
        body = (await post(url, query, None, reader)).json()
        elapsed = time.perf_counter() - started
    unit = body["data"]["orgUnit"]
    assert unit["plans"] == [
        {"goals": [{"code": "NM-00", "measures": [{"latest": [{"value": 40.0,
                                                               "status": "NOT_MET"}]}]}]}
    ]  # fmt: skip
    assert unit["budget"] == {"total": None}
    (error,) = body["errors"]
    assert error["path"] == ["orgUnit", "budget", "total"]
    assert error["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
    assert error["message"] == "The budget service is unavailable: no answer within 0.5 s"
    assert elapsed < 2.5
