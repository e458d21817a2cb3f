"""The gateway's tests run over real HTTP: a real goals service (migrated, demo data) on a free
port, and the gateway on another, each in a uvicorn thread.

The goals service sits behind :class:`RecordingApp`, which counts the requests it receives, so
tests can assert how many upstream calls a GraphQL query costs.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from styr_gateway.app import create_app as create_gateway
from styr_gateway.graphql_http import GRAPHQL_RESPONSE_JSON
from styr_gateway.settings import GatewaySettings
from styr_goals.app import create_app as create_goals
from styr_goals.database import migrate
from styr_goals.settings import GoalsSettings
from styr_shared.testing import (
    TokenFactory,
    UvicornThread,
    create_test_database,
    drop_test_database,
)

from .processes import service_process, wait_for

CLOSED_PORT_URL = "http://127.0.0.1:9"  # discard port: nothing listens, connections are refused


class RecordingApp:
    """ASGI wrapper that records every HTTP request the wrapped app receives."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.requests: list[tuple[str, str, str]] = []
        self.headers: list[dict[str, str]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.requests.append(
                (scope["method"], scope["path"], scope["query_string"].decode("latin-1"))
            )
            self.headers.append({k.decode(): v.decode() for k, v in scope["headers"]})
        await self.app(scope, receive, send)

    def api_calls(self) -> list[tuple[str, str, str]]:
        return [request for request in self.requests if request[1].startswith("/api/")]


@dataclass
class Goals:
    url: str
    recorder: RecordingApp


LEVELS = [
    ("municipality", "Kommun", 0),
    ("committee", "Nämnd", 1),
    ("administration", "Förvaltning", 2),
    ("department", "Verksamhetsområde", 3),
    ("unit", "Enhet", 4),
]
VOF_START, MERGED = "2023-01-01", "2022-12-31"
# The ids of ``styr_shared.testing.OXELOSUND`` (not imported: that module loads the org replica
# table, whose name clashes with the goals service's own table in one process).
OXELOSUND: list[tuple[str, str, str, str, str | None]] = [
    ("oxelosund", "OXD", "Oxelösunds kommun", "municipality", None),
    ("oxelosund-ks", "KS", "Kommunstyrelsen", "committee", "oxelosund"),
    ("oxelosund-von", "VON", "Vård- och omsorgsnämnden", "committee", "oxelosund"),
    ("oxelosund-vof", "VOF", "Vård- och omsorgsförvaltningen", "administration", "oxelosund-von"),
    ("oxelosund-so", "SO", "Sektion socialt stöd och omsorg", "department", "oxelosund-vof"),
    ("oxelosund-ao", "ÄO", "Sektion äldreomsorg", "department", "oxelosund-vof"),
    ("oxelosund-sabo", "SÄBO", "Särskilt boende", "unit", "oxelosund-ao"),
    ("oxelosund-hemtjanst", "HT", "Hemtjänst", "unit", "oxelosund-ao"),
    ("oxelosund-hsl", "HSL", "Hälso- och sjukvård", "unit", "oxelosund-ao"),
    ("oxelosund-lss", "LSS", "LSS-verksamhet", "unit", "oxelosund-so"),
    ("oxelosund-ifo", "IFO", "Individ- och familjeomsorg", "unit", "oxelosund-so"),
]


async def seed_organisation(url: str, admin: dict[str, str]) -> None:
    """Oxelösund as in every suite (``styr_shared.testing.OXELOSUND``) plus the 2023 merger:
    SOF and ÄF close on 2022-12-31 and VOF takes over. Seeded through the REST API (not the
    goals demo loader, whose data grows) so the figures asserted here stay put."""
    async with httpx.AsyncClient(base_url=url, headers=admin) as client:
        for key, label, rank in LEVELS:
            response = await client.put(
                f"/api/v1/org-levels/{key}", json={"label": label, "rank": rank}
            )
            assert response.status_code == 200, response.text
        units = [
            {"id": unit_id, "code": code, "name": name, "level": level, "parent_id": parent}
            for unit_id, code, name, level, parent in OXELOSUND
        ]
        units += [
            {"id": "oxelosund-sof", "code": "SOF", "name": "Socialförvaltningen",
             "level": "administration", "parent_id": "oxelosund-von", "valid_to": MERGED},
            {"id": "oxelosund-af", "code": "ÄF", "name": "Äldreförvaltningen",
             "level": "administration", "parent_id": "oxelosund-von", "valid_to": MERGED},
        ]  # fmt: skip
        for unit in units:
            if unit["id"] == "oxelosund-vof":
                unit["valid_from"] = VOF_START
            response = await client.post("/api/v1/org-units", json=unit)
            assert response.status_code == 201, response.text
        for closed in ("oxelosund-sof", "oxelosund-af"):
            response = await client.patch(
                f"/api/v1/org-units/{closed}",
                json={"successor_id": "oxelosund-vof", "effective_from": MERGED},
            )
            assert response.status_code == 200, response.text


@pytest.fixture(scope="session")
async def goals(database_url: str, tokens: TokenFactory) -> AsyncIterator[Goals]:
    """The real goals service with Oxelösund's organisation."""
    await migrate(database_url)
    recorder = RecordingApp(create_goals(GoalsSettings(database_url=database_url)))
    with UvicornThread(recorder) as url:
        await seed_organisation(url, tokens.headers("admin", subject="seed"))
        yield Goals(url, recorder)


@contextmanager
def gateway_server(**settings: Any) -> Iterator[str]:
    """A gateway on a free port; ``settings`` override the defaults (development)."""
    app = create_gateway(GatewaySettings(**settings))
    with UvicornThread(app) as url:
        yield f"{url}/graphql"


@pytest.fixture(scope="session")
def gateway(goals: Goals) -> Iterator[str]:
    """The GraphQL endpoint of a gateway in front of the real goals service."""
    with gateway_server(
        goals_url=goals.url, budget_url=CLOSED_PORT_URL, deviations_url=CLOSED_PORT_URL
    ) as url:
        yield url


@pytest.fixture(scope="session")
def reader(tokens: TokenFactory) -> dict[str, str]:
    """A reader working in the suites' municipalities: Oxelösund, the steering tests'
    ``gw-kommun``, the batching tests' ``stor`` and the federation tests' ``fed-kommun`` (a
    token reads only where its units are)."""
    return tokens.headers("reader", org_units=["oxelosund", STEERING_ROOT, "stor", "fed-kommun"])


@pytest.fixture(scope="session")
def admin(tokens: TokenFactory) -> dict[str, str]:
    return tokens.headers("admin", subject="admin-user")


GraphQL = Callable[..., Awaitable[httpx.Response]]


async def post_graphql(
    url: str,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    accept: str = GRAPHQL_RESPONSE_JSON,
) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.post(
            url,
            json={"query": query, "variables": variables},
            headers={"Accept": accept, **(headers or {})},
        )


@pytest.fixture(scope="session")
def make_gateway() -> Callable[..., AbstractContextManager[str]]:
    """``with make_gateway(goals_url=...) as url:`` a gateway with its own settings."""
    return gateway_server


@pytest.fixture(scope="session")
def post() -> GraphQL:
    """``await post(url, query, variables, headers, accept)``."""
    return post_graphql


@pytest.fixture
def gql(gateway: str, reader: dict[str, str]) -> GraphQL:
    """``await gql(query, variables)`` against the shared gateway, as a reader."""

    async def run(
        query: str,
        variables: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        return await post_graphql(gateway, query, variables, reader if headers is None else headers)

    return run


# --- goal steering: plans, goals, measures, values (each test in its own committee unit) ---

STEERING_ROOT = "gw-kommun"
CONFIG: dict[str, Any] = {
    "goal_levels": [
        {"key": "omrade", "label": "Målområde", "rank": 0},
        {"key": "namndmal", "label": "Nämndmål", "rank": 1, "rollup": True},
    ],
    "follow_up_tags": ["D/B", "B"],
    "follow_up_periods": [
        {"key": "delar", "label": "Delår", "kind": "interim", "end_month": 8, "tags": ["D/B"]},
        {"key": "helar", "label": "Helår", "kind": "annual", "end_month": 12,
         "tags": ["D/B", "B"]},
    ],
    "result_levels": [
        {"min_percent": 70, "label": "Mycket god"},
        {"min_percent": 0, "label": "Låg"},
    ],
    "activity_statuses": [
        {"key": "pagaende", "label": "Pågående"},
        {"key": "klar", "label": "Avslutad", "done": True},
    ],
}  # fmt: skip


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def _seed_plan(url: str, admin: dict[str, str], unit: str, goals: int) -> dict[str, Any]:
    """A committee ``unit`` (under a municipality of its own) with a 2025 plan of one goal area
    and ``goals`` committee goals. Goal ``i`` has measure ``M-i`` (target >= 50 in 2025) with a
    2024 value of 50 and a 2025 value of ``40 + i`` (so goals 0-9 are not met and the rest
    met); the even goals are assessed Ja for `helar`, the odd ones Nej."""
    async with httpx.AsyncClient(base_url=url, headers=admin, timeout=30) as client:
        # A municipality of their own, so the Oxelösund tree other tests assert stays put.
        root = {"id": STEERING_ROOT, "code": "GWK", "name": "Gatewaykommun",
                "level": "municipality"}  # fmt: skip
        created = await client.post("/api/v1/org-units", json=root)
        assert created.status_code in (201, 409), created.text
        _ok(await client.put(f"/api/v1/municipalities/{STEERING_ROOT}/steering-config",
                             json=CONFIG))  # fmt: skip
        unit_body = {"id": unit, "code": unit.upper(), "name": f"Nämnd {unit}",
                     "level": "committee", "parent_id": STEERING_ROOT}  # fmt: skip
        _ok(await client.post("/api/v1/org-units", json=unit_body), 201)
        plan_id = f"{unit}-plan"
        plan = {"id": plan_id, "org_unit_id": unit, "name": f"Plan {unit}",
                "start_year": 2025, "end_year": 2027}  # fmt: skip
        _ok(await client.post("/api/v1/plans", json=plan), 201)
        area = {"id": f"{unit}-area", "code": "A", "level": "omrade", "title": "Trygg omsorg"}
        _ok(await client.post(f"/api/v1/plans/{plan_id}/goals", json=area), 201)
        for i in range(goals):
            goal_id = f"{unit}-g{i:02d}"
            goal = {"id": goal_id, "code": f"NM-{i:02d}", "level": "namndmal",
                    "parent_id": f"{unit}-area", "title": f"Mål {i}", "position": i}  # fmt: skip
            _ok(await client.post(f"/api/v1/plans/{plan_id}/goals", json=goal), 201)
            measure = {
                "id": f"{unit}-m{i:02d}",
                "code": f"M-{i:02d}",
                "org_unit_id": unit,
                "name": f"Mått {i}",
                "unit_kind": "percent",
                "direction": "increase",
                "goal_ids": [goal_id],
                "series": [{"targets": {"2025": {"op": ">=", "value": 50}}}],
            }
            _ok(await client.post("/api/v1/measures", json=measure), 201)
            for period, value in (("2024", 50), ("2025", 40 + i)):
                body = {"org_unit_id": unit, "period": period, "value": value}
                _ok(await client.put(f"/api/v1/measures/{unit}-m{i:02d}/values", json=body), 201)
            assessment = {"year": 2025, "period": "helar", "kind": "final",
                          "answer": "Ja" if i % 2 == 0 else "Nej"}  # fmt: skip
            _ok(await client.post(f"/api/v1/goals/{goal_id}/assessments", json=assessment), 201)
        return {"plan_id": plan_id, "unit": unit}


SeedPlan = Callable[[str, int], Awaitable[dict[str, Any]]]


@pytest.fixture(scope="session")
def seed_plan(goals: Goals, admin: dict[str, str]) -> SeedPlan:
    """``await seed_plan(unit, goals)``: see :func:`_seed_plan`."""

    async def seed(unit: str, count: int) -> dict[str, Any]:
        return await _seed_plan(goals.url, admin, unit, count)

    return seed


# --- budget and deviations: stand-ins answering in the services' own response models ----------
# The real services keep a replica table named like the goals service's org table, so they cannot
# run in this process beside it; these stand-ins answer with JSON validated by the services' own
# response schemas, so a change of contract breaks the tests.


def _figures(model: Any, budget: int, outcome: int, forecast: int | None) -> dict[str, Any]:
    figures: dict[str, Any] = dict.fromkeys(model.model_fields)
    figures.update(
        budget=budget,
        outcome=outcome,
        forecast=forecast,
        forecast_deviation=None if forecast is None else forecast - budget,
        deviation=budget - (forecast if forecast is not None else outcome),
        # a periodised budget (not the linear 8/12), so the test tells the two apart
        budget_ytd=budget * 7 // 12,
        ytd_deviation=outcome - budget * 7 // 12,
        previous_year=dict.fromkeys(["budget", "outcome", "budget_change",
                                     "outcome_change_percent"]),
    )  # fmt: skip
    return figures


def budget_summary(org_unit: str, year: int, period: int, group_by: str) -> dict[str, Any]:
    from styr_budget.summaries.schemas import Summary, SummaryRow, SummaryTotal

    rows: list[tuple[str, str, str | None, int, int, int]]
    if group_by == "activity":
        rows = [("510", "Särskilt boende", None, 60_000_000, 41_000_000, 62_500_000),
                ("520", "Hemtjänst", None, 40_000_000, 26_000_000, 39_000_000)]  # fmt: skip
    else:
        rows = [("intakter", "Intäkter", "revenue", -10_000_000, -7_000_000, -10_500_000),
                ("personal", "Personal", "cost", 110_000_000, 74_000_000, 112_000_000)]  # fmt: skip
    summary = {
        "org_unit_id": org_unit, "year": year, "period": period, "unit": "kr",
        "group_by": group_by, "budget_basis": "revised", "forecast_month": period,
        "deviation_basis": "forecast",
        "rows": [{**_figures(SummaryRow, b, o, f), "key": k, "name": n, "kind": kind,
                  "papers": None} for k, n, kind, b, o, f in rows],
        "total": _figures(SummaryTotal, 100_000_000, 67_000_000, 101_500_000),
    }  # fmt: skip
    return Summary.model_validate(summary).model_dump(mode="json")


def budget_answer(path: str, query: dict[str, str]) -> Any:
    from styr_budget.forecasts.schemas import Deficit
    from styr_budget.investments.schemas import InvestmentTotals

    if path == "/api/v1/summaries":
        return budget_summary(
            query["org_unit"], int(query["year"]), int(query.get("period", 12)), query["group_by"]
        )
    if path == "/api/v1/investments/totals":
        totals = {"org_unit_id": query["org_unit"], "year": int(query["year"]), "unit": "kr",
                  "objects": 3, "budget": "12000000.00", "carried_in": "500000.00",
                  "available": "12500000.00", "outcome": "4000000.00",
                  "forecast": None}  # fmt: skip
        return InvestmentTotals.model_validate(totals).model_dump(mode="json")
    if path == "/api/v1/deficits":
        common = {"committee_id": query["committee_id"], "year": int(query["year"]),
                  "month": int(query.get("month", 8))}  # fmt: skip
        nothing = {"activity_code": None, "activity_name": None, "org_unit_id": None,
                   "org_unit_name": None}  # fmt: skip
        deficits = [
            {**common, **nothing, "level": "committee",
             "forecast_deviation": "-1500000.00", "measures": 0, "measures_amount": "0.00",
             "has_measures": False},
            {**common, **nothing, "level": "activity", "activity_code": "510",
             "activity_name": "Särskilt boende", "forecast_deviation": "-2500000.00",
             "measures": 2, "measures_amount": "1800000.00", "has_measures": True},
            {**common, **nothing, "level": "org_unit", "org_unit_id": "oxelosund-lss",
             "org_unit_name": "LSS-verksamhet", "forecast_deviation": "-700000.00",
             "measures": 0, "measures_amount": "0.00", "has_measures": False},
        ]  # fmt: skip
        return [Deficit.model_validate(d).model_dump(mode="json") for d in deficits]
    return None


def deviation_statistics(
    org_unit_id: str, suppressed: bool, date_basis: str = "registration"
) -> dict[str, Any]:
    from styr_deviations.statistics.schemas import Statistics

    small: int | str = "<5" if suppressed else 3
    duration = {"count": 9, "mean_days": 6.5, "median_days": 5.0, "max_days": 21,
                "within_deadline": 8}  # fmt: skip
    statistics = {
        "suppressed": suppressed, "suppression_threshold": 5, "total": 12,
        "withheld": [{"breakdown": "by_law_area", "of": "by_year", "key": {"year": 2025}}]
        if suppressed else [],
        "by_year": [{"year": 2025, "count": 12}],
        "by_category_month": [{"category": "fall", "month": 3, "count": small}],
        "by_org_unit": [{"org_unit_id": org_unit_id, "count": 12}],
        "by_org_subtree": [{"org_unit_id": org_unit_id, "count": 12}],
        "by_kind": [{"kind": "complaint", "count": small}, {"kind": "deviation", "count": 9}],
        "by_law_area": [{"law_area": "SoL", "count": 12}],
        "by_housing_type": [], "lex_maria_reported": [], "lex_sarah_reported": [],
        "overdue": small, "overdue_by_kind": [{"kind": "complaint", "count": small}],
        "time_to_answer": {"complaint": duration}, "time_to_close": {},
        "date_basis": date_basis,
        "breakdowns": {"by_state": {
            "keys": ["year", "state"], "totals_by": ["year"],
            "rows": [{"year": 2025, "state": "closed", "count": 9},
                     {"year": 2025, "state": "registered", "count": small}],
            "totals": [{"year": 2025, "count": 12}], "total": 12,
        }},
    }  # fmt: skip
    return Statistics.model_validate(statistics).model_dump(mode="json")


FORBIDDEN_UNIT = "oxelosund-ks"
"""The deviations stand-in refuses statistics of this unit (403), as for a caller without it."""


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


class StandIn:
    """A budget or deviations stand-in: JSON by path, 403 for :data:`FORBIDDEN_UNIT`."""

    def __init__(self, answer: Callable[[Call], Any]) -> None:
        self.answer = answer
        self.requests: list[tuple[str, str, str]] = []
        self.headers: list[dict[str, str]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        from urllib.parse import parse_qsl

        query_string = scope["query_string"].decode()
        self.requests.append((scope["method"], scope["path"], query_string))
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        self.headers.append(headers)
        query = dict(parse_qsl(query_string))
        raw = b""
        while True:
            message = await receive()
            raw += message.get("body", b"")
            if not message.get("more_body"):
                break
        call = Call(scope["method"], scope["path"], query, headers, json.loads(raw or b"null"))
        status, body = 200, self.answer(call)
        if isinstance(body, tuple):
            status, body = body
        if FORBIDDEN_UNIT in query.values():
            status, body = 403, {"title": "Forbidden", "status": 403,
                                 "detail": "Outside your org scope."}  # fmt: skip
        elif body is None:
            status, body = 404, {"title": "Not Found", "status": 404, "detail": "No such path."}
        payload = json.dumps(body).encode()
        media = b"application/json" if status == 200 else b"application/problem+json"
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", media)]})  # fmt: skip
        await send({"type": "http.response.body", "body": payload})


def _token_claims(authorization: str) -> str:
    """The JWT's payload as text (unverified: the stand-in only needs the roles)."""
    try:
        payload = authorization.split(" ", 1)[1].split(".")[1]
        return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
    except (IndexError, ValueError):
        return ""


def _deviations_answer(call: Call) -> Any:
    if call.path == "/api/v1/statistics":
        # Like the service: small counts hidden unless the caller handles cases.
        suppressed = "case_handler" not in _token_claims(call.headers.get("authorization", ""))
        return deviation_statistics(
            call.query["org_unit_id"], suppressed, call.query.get("date_basis", "registration")
        )
    return case_answer(call)


def case_json(case_id: int, org_unit_id: str, state: str, **changes: Any) -> dict[str, Any]:
    from styr_deviations.cases.schemas import CaseRead

    case = {
        "id": case_id, "reference_number": f"AVV-2025-{case_id:04d}", "kind": "deviation",
        "law_area": "SoL", "regime": "standard", "category": None, "feedback_type": None,
        "housing_type": None, "external_direction": None, "external_party": None,
        "event_time": None, "reported_at": "2025-03-04T08:00:00Z", "org_unit_id": org_unit_id,
        "channel": "staff_report", "reporter_type": "staff", "reported_by": "staff-1",
        "description": "Fall i badrum", "immediate_actions": None, "state": state,
        "assigned_to": None, "mas_routed": False, "mas_took_over": False, "risk": None,
        "lex_maria": None, "lex_sarah": None,
        "deadline": {"milestone": "received", "due_date": "2025-03-11", "met_at": None,
                     "overdue": True},
        "received_at": None, "answered_at": None, "answer_summary": None,
        "days_to_answer": None, "closed_at": None, "has_personal_data": False,
        "external_id": None, "legacy_reference": None, "related_case_id": None,
        "actions": [{"id": 7, "description": "Halkmatta", "owner": "Enhetschef",
                     "due_date": "2025-04-01", "status": "planned", "effect_follow_up": None,
                     "effect_followed_up_at": None, "effect_followed_up_by": None}],
        **changes,
    }  # fmt: skip
    return CaseRead.model_validate(case).model_dump(mode="json")


def _problem_422(field: str, message: str) -> tuple[int, dict[str, Any]]:
    return 422, {"title": "Unprocessable", "status": 422, "detail": "Invalid request.",
                 "errors": [{"field": field, "message": message, "type": "invalid"}]}  # fmt: skip


def case_answer(call: Call) -> Any:
    """Cases 1-3 on the unit asked for; the workflow refuses `closed` (no effect follow-up)."""
    from styr_deviations.cases.schemas import ActionRead, HistoryRead

    if call.path == "/api/v1/cases" and call.method == "GET":
        unit = call.query.get("org_unit_id", "oxelosund")
        start = int(call.query.get("cursor") or 0)
        limit = int(call.query["limit"])
        ids = list(range(start + 1, min(start + limit, 3) + 1))
        return {"items": [case_json(i, unit, "registered") for i in ids],
                "next_cursor": str(ids[-1]) if ids and ids[-1] < 3 else None}  # fmt: skip
    if call.path == "/api/v1/cases" and call.method == "POST":
        if not call.body.get("law_area") and call.body["kind"] == "deviation":
            return _problem_422("body.law_area", "law_area is required for deviations")
        return case_json(4, call.body["org_unit_id"], "registered",
                         description=call.body["description"])  # fmt: skip
    if call.path.endswith("/transitions"):
        if call.body["to"] == "closed":
            return 409, {"title": "Conflict", "status": 409,
                         "detail": "Every action needs an effect follow-up first."}  # fmt: skip
        return case_json(int(call.path.split("/")[4]), "oxelosund-sabo", call.body["to"],
                         assigned_to=call.body.get("assigned_to"))  # fmt: skip
    if call.path.endswith("/actions"):
        if "due_date" in call.body and call.body["due_date"] < "2025-01-01":
            return _problem_422("body.due_date", "must not be in the past")
        action = {"id": 8, "status": "planned", "effect_follow_up": None,
                  "effect_followed_up_at": None, "effect_followed_up_by": None,
                  "due_date": None, **call.body}  # fmt: skip
        return ActionRead.model_validate(action).model_dump(mode="json")
    if call.path.endswith("/history"):
        entries = [{"id": 1, "at": "2025-03-04T08:00:00Z", "actor": "staff-1",
                    "event": "registered", "field": None, "before": None, "after": None,
                    "reason": None},
                   {"id": 2, "at": "2025-03-05T08:00:00Z", "actor": "chef-1",
                    "event": "field_changed", "field": "category", "before": None,
                    "after": "fall", "reason": None}]  # fmt: skip
        return [HistoryRead.model_validate(e).model_dump(mode="json") for e in entries]
    return None


def _budget_answer(call: Call) -> Any:
    from styr_budget.forecasts.schemas import ForecastRead

    if call.method == "PUT" and call.path.startswith("/api/v1/forecasts/"):
        year, month = (int(part) for part in call.path.split("/")[4:6])
        if month not in (4, 8):
            return _problem_422("path.month", "not a follow-up month of the year")
        (line,) = call.body["lines"]
        if not line["activity_code"].isdigit():
            return _problem_422("body.lines.0.activity_code", "unknown activity code")
        forecast = {"year": year, "month": month, "org_unit_id": line["org_unit_id"],
                    "activity_code": line["activity_code"],
                    "account_group_key": line.get("account_group"), "amount": line["amount"],
                    "comment": line.get("comment"), "created_by": "controller-1",
                    "created_at": "2025-09-01T10:00:00Z"}  # fmt: skip
        return [ForecastRead.model_validate(forecast).model_dump(mode="json")]
    return budget_answer(call.path, call.query)


@dataclass
class FullGateway:
    url: str
    budget: StandIn
    deviations: StandIn


@pytest.fixture(scope="session")
def full_gateway(goals: Goals) -> Iterator[FullGateway]:
    """A gateway over the real goals service and the budget and deviations stand-ins."""
    budget = StandIn(_budget_answer)
    deviations = StandIn(_deviations_answer)
    with (
        UvicornThread(budget) as budget_url,
        UvicornThread(deviations) as deviations_url,
        gateway_server(
            goals_url=goals.url, budget_url=budget_url, deviations_url=deviations_url
        ) as url,
    ):
        yield FullGateway(url, budget, deviations)


# --- the real budget and deviations services, each in its own process -------------------------

SUMMARY = {"org_unit": "oxelosund-von", "year": 2024, "period": 12, "group_by": "activity"}
STATISTICS = {"org_unit_id": "oxelosund-von", "from_year": 2024, "to_year": 2024}


@dataclass
class RealServices:
    gateway: str
    budget: str
    deviations: str


@pytest.fixture(scope="session")
async def real_services(
    goals: Any,
    db_backend: str,
    tmp_path_factory: pytest.TempPathFactory,
    reader: dict[str, str],
) -> AsyncIterator[RealServices]:
    """Budget and deviations as their own processes, migrated, with demo data, replicating
    the goals service's org tree (see ``test_real_services.py``)."""
    budget_db, deviations_db = [
        await create_test_database(db_backend, tmp_path_factory.mktemp(name), label=name)
        for name in ("budget", "deviations")
    ]
    try:
        with (
            service_process("budget", budget_db, goals.url) as budget_url,
            service_process("deviations", deviations_db, goals.url) as deviations_url,
        ):
            wait_for(budget_url, "/api/v1/summaries", SUMMARY, reader)
            wait_for(deviations_url, "/api/v1/statistics", STATISTICS, reader)
            with gateway_server(
                goals_url=goals.url, budget_url=budget_url, deviations_url=deviations_url
            ) as gateway_url:
                yield RealServices(gateway_url, budget_url, deviations_url)
    finally:
        await drop_test_database(budget_db)
        await drop_test_database(deviations_db)
