"""The statistics grouped in SQL equal the former grouping in Python, over generated cases.

The service counts in SQL on the Swedish-calendar facts stored with each case
(``statistics/counts.py``). ``reference`` below is the grouping the service did before (every
case of the answer loaded and grouped in Python with ``zoneinfo``), kept here only as the
yardstick: for generated cases (dates near midnight on New Year's Eve, month ends and the DST
changes, every state, kind, regime, outcome and deadline milestone) and generated questions
(date basis, years, unit, kind, law area), the service's unsuppressed answer must say exactly
what the reference says, and every breakdown's rows must add up to its totals and total.
"""

from __future__ import annotations

import statistics as stats
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from httpx import AsyncClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert
from sqlmodel import select

from styr_deviations.cases.models import Case
from styr_deviations.demo.loader import build
from styr_shared.testing import TokenFactory
from styr_shared.testing.orgs import OXELOSUND

STOCKHOLM = ZoneInfo("Europe/Stockholm")
PARENTS = {unit: parent for unit, _, _, _, parent in OXELOSUND}
TEMPLATE = build()[0][0]
TERMINAL = {"closed", "rejected", "withdrawn"}
INVESTIGATED_REGIMES = {"lex_maria", "lex_sarah", "staff_matter"}
EDGES = [
    datetime(2022, 12, 31, 23, tzinfo=STOCKHOLM),
    datetime(2023, 3, 26, 1, tzinfo=STOCKHOLM),  # clocks go forward at 02:00
    datetime(2023, 6, 30, 23, tzinfo=STOCKHOLM),
    datetime(2023, 10, 29, 2, tzinfo=STOCKHOLM),  # clocks go back at 03:00
    datetime(2023, 12, 31, 23, tzinfo=STOCKHOLM),
    datetime(2024, 2, 29, 23, tzinfo=STOCKHOLM),
]
UNITS = ["oxelosund-sabo", "oxelosund-hemtjanst", "oxelosund-lss", "oxelosund-hsl"]


def local(moment: datetime) -> date:
    return moment.astimezone(STOCKHOLM).date()


def descendants(unit: str) -> set[str]:
    found = {unit}
    while True:
        more = {child for child, parent in PARENTS.items() if parent in found} - found
        if not more:
            return found
        found |= more


def reference(cases: list[Case], basis: str) -> dict[str, Any]:
    """The unsuppressed figures as the former Python grouping computed them."""

    def dated(case: Case) -> datetime:
        return case.event_time if basis == "event" and case.event_time else case.reported_at

    def year(case: Case) -> int:
        return local(dated(case)).year

    def month(case: Case) -> str:
        return local(dated(case)).strftime("%Y-%m")

    def group(items: list[Case], key: Any) -> dict[tuple[Any, ...], int]:
        return dict(Counter(key(c) for c in items))

    today = local(datetime.now(UTC))

    def overdue(c: Case) -> bool:
        if c.due_date is None or c.state in TERMINAL:
            return False
        met = c.received_at if c.deadline_milestone == "received" else c.answered_at
        return met is None and c.due_date < today

    def investigated(c: Case) -> bool:
        return (
            c.investigation_outcome is not None
            or c.regime in INVESTIGATED_REGIMES
            or bool(c.mas_took_over)
        )

    subtree: Counter[tuple[str]] = Counter()
    for c in cases:
        current: str | None = c.org_unit_id
        while current is not None:
            subtree[(current,)] += 1
            current = PARENTS.get(current)
    answer: dict[str, list[int]] = {}
    met: Counter[str] = Counter()
    close: dict[str, list[int]] = {}
    for c in cases:
        if c.answered_at is not None:
            answer.setdefault(c.kind, []).append((local(c.answered_at) - local(c.reported_at)).days)
            if c.due_date is not None and local(c.answered_at) <= c.due_date:
                met[c.kind] += 1
        if c.state == "closed" and c.closed_at is not None:
            close.setdefault(c.kind, []).append((local(c.closed_at) - local(c.reported_at)).days)

    def duration(days: list[int], within: int | None = None) -> dict[str, Any]:
        days = sorted(days)
        return {
            "count": len(days),
            "mean_days": round(stats.fmean(days), 1),
            "median_days": float(stats.median(days)),
            "max_days": max(days),
            "within_deadline": within,
        }

    years = {year(c) for c in cases}
    external = [c for c in cases if c.kind == "external_deviation"]
    checked = [c for c in cases if investigated(c)]
    lex_maria = {(y,): 0 for y in years} | group(
        [c for c in cases if c.lm_ivo_report_date], lambda c: (year(c),)
    )
    lex_sarah = {(y,): 0 for y in years} | group(
        [c for c in cases if c.ls_ivo_report_date], lambda c: (year(c),)
    )
    return {
        "total": len(cases),
        "by_year": group(cases, lambda c: (year(c),)),
        "by_category_month": group(cases, lambda c: (month(c), c.category or "")),
        "by_org_unit": group(cases, lambda c: (c.org_unit_id,)),
        "by_kind": group(cases, lambda c: (year(c), c.kind)),
        "by_law_area": group(cases, lambda c: (year(c), c.law_area or "")),
        "by_housing_type": group(
            [c for c in cases if c.housing_type], lambda c: (year(c), c.housing_type)
        ),
        "lex_maria_reported": lex_maria,
        "lex_sarah_reported": lex_sarah,
        "by_org_subtree": dict(subtree),
        "overdue": sum(map(overdue, cases)),
        "overdue_by_kind": group([c for c in cases if overdue(c)], lambda c: (c.kind,)),
        "time_to_answer": {k: duration(v, met[k]) for k, v in answer.items()},
        "time_to_close": {k: duration(v) for k, v in close.items()},
        "breakdowns": {
            "by_month": group(cases, lambda c: (month(c),)),
            "by_category_year": group(cases, lambda c: (year(c), c.category or "")),
            "by_state": group(cases, lambda c: (year(c), c.state)),
            "by_channel": group(cases, lambda c: (year(c), c.kind, c.channel)),
            "by_external_direction": group(
                external, lambda c: (year(c), c.external_direction or "")
            ),
            "by_investigation_outcome": group(
                checked, lambda c: (year(c), c.investigation_outcome or "")
            ),
        },
    }


def rows(items: list[dict[str, Any]], keys: list[str]) -> dict[tuple[Any, ...], int]:
    return {tuple(row[k] for k in keys): row["count"] for row in items}


KEYS = {
    "by_year": ["year"],
    "by_category_month": ["month", "category"],
    "by_org_unit": ["org_unit_id"],
    "by_kind": ["year", "kind"],
    "by_law_area": ["year", "law_area"],
    "by_housing_type": ["year", "housing_type"],
    "lex_maria_reported": ["year"],
    "lex_sarah_reported": ["year"],
    "by_org_subtree": ["org_unit_id"],
    "overdue_by_kind": ["kind"],
}


def figures(answer: dict[str, Any]) -> dict[str, Any]:
    """The service's answer in the reference's shape; checks each breakdown adds up."""
    shaped: dict[str, Any] = {"total": answer["total"], "overdue": answer["overdue"]}
    for name, keys in KEYS.items():
        shaped[name] = rows(answer[name], keys)
    for name in ("time_to_answer", "time_to_close"):
        shaped[name] = answer[name]
    shaped["breakdowns"] = {}
    for name, breakdown in answer["breakdowns"].items():
        counted = rows(breakdown["rows"], breakdown["keys"])
        shaped["breakdowns"][name] = counted
        width = len(breakdown["totals_by"])
        sums: Counter[tuple[Any, ...]] = Counter()
        for key, n in counted.items():
            sums[(int(key[0][:4]),) if name == "by_month" else key[:width]] += n
        totals = rows(breakdown["totals"], breakdown["totals_by"])
        assert {k: v for k, v in totals.items() if v} == dict(sums), name
        assert sum(totals.values()) == breakdown["total"], name
    years = shaped["by_year"]
    for name in ("by_kind", "by_law_area", "by_category_month"):
        per_year: Counter[int] = Counter()
        for key, n in shaped[name].items():
            per_year[int(str(key[0])[:4])] += n
        assert dict(per_year) == {key[0]: n for key, n in years.items()}, name
    assert sum(shaped["by_org_unit"].values()) == shaped["total"]
    assert sum(shaped["overdue_by_kind"].values()) == shaped["overdue"]
    return shaped


moments = st.builds(
    lambda edge, minutes: (edge + timedelta(minutes=minutes)).astimezone(UTC),
    st.sampled_from(EDGES),
    st.integers(-120, 120),
)
case_strategy = st.fixed_dictionaries(
    {
        "reported": moments,
        "event_back": st.one_of(st.none(), st.integers(0, 6 * 60)),
        "answer_after": st.one_of(
            st.none(), st.integers(0, 60 * 24 * 40), st.sampled_from([0, 60, 60 * 24])
        ),
        "close_after": st.one_of(st.none(), st.integers(0, 60 * 24 * 90)),
        "kind": st.sampled_from(["deviation", "external_deviation", "complaint", "feedback"]),
        "law_area": st.sampled_from([None, "HSL", "SoL", "LSS"]),
        "category": st.sampled_from([None, "fall", "lakemedel", "hemtjanst"]),
        "housing_type": st.sampled_from([None, "sarskilt_boende", "ordinart_boende"]),
        "unit": st.sampled_from(UNITS),
        "state": st.sampled_from(["closed", "registered", "received", "rejected", "actions"]),
        "channel": st.sampled_from(["staff_report", "letter", "web_form"]),
        "direction": st.sampled_from([None, "incoming", "outgoing"]),
        "outcome": st.sampled_from([None, None, "no_deficiency", "lex_sarah"]),
        "regime": st.sampled_from(["standard", "standard", "lex_maria", "lex_sarah"]),
        "mas_took_over": st.booleans(),
        # due days before today (overdue or not), or days after the registration (an answer
        # on, before or after it)
        "due": st.one_of(
            st.none(),
            st.tuples(st.just("today"), st.integers(-30, 30)),
            st.tuples(st.just("reported"), st.sampled_from([0, 1, 2, 40])),
        ),
        "milestone": st.sampled_from([None, "received", "answered"]),
        "received": st.booleans(),
        "lm_reported": st.booleans(),
        "ls_reported": st.booleans(),
        "withdrawn": st.integers(0, 9),
    }
)


def row(serial: int, spec: dict[str, Any]) -> dict[str, Any]:
    reported: datetime = spec["reported"]
    today = local(datetime.now(UTC))
    answered = (
        None if spec["answer_after"] is None else reported + timedelta(minutes=spec["answer_after"])
    )
    due: date | None = None
    if spec["due"] is not None:
        since, days = spec["due"]
        due = (
            today - timedelta(days=days) if since == "today" else local(reported) + timedelta(days)
        )
    return {
        **TEMPLATE,
        "municipality_id": "oxelosund",
        "reference_number": f"P.{serial}",
        "series": "P.*",
        "serial": serial,
        "kind": spec["kind"],
        "law_area": spec["law_area"],
        "category": spec["category"],
        "housing_type": spec["housing_type"],
        "org_unit_id": spec["unit"],
        "state": spec["state"],
        "channel": spec["channel"],
        "regime": spec["regime"],
        "event_time": None
        if spec["event_back"] is None
        else reported - timedelta(minutes=spec["event_back"]),
        "reported_at": reported,
        "received_at": reported if spec["received"] else None,
        "answered_at": answered,
        "closed_at": None
        if spec["close_after"] is None
        else reported + timedelta(minutes=spec["close_after"]),
        "due_date": due,
        "deadline_milestone": spec["milestone"],
        "external_direction": spec["direction"],
        "investigation_outcome": spec["outcome"],
        "mas_took_over": spec["mas_took_over"],
        "lm_ivo_report_date": local(reported) if spec["lm_reported"] else None,
        "ls_ivo_report_date": local(reported) if spec["ls_reported"] else None,
        "import_withdrawn_at": reported if spec["withdrawn"] == 0 else None,
    }


async def compare(
    app: FastAPI,
    client: AsyncClient,
    tokens: TokenFactory,
    specs: list[dict[str, Any]],
    basis: str = "registration",
    years: tuple[int, int] | None = None,
    unit: str | None = None,
    kind: str | None = None,
    law_area: str | None = None,
) -> dict[str, Any]:
    """Store the cases, ask the service, and compare with the reference; the answer."""
    async with app.state.database.session() as session:
        await session.exec(delete(Case))
        await session.commit()
    if specs:
        async with app.state.database.engine.begin() as connection:
            await connection.execute(insert(Case), [row(n, s) for n, s in enumerate(specs, 1)])
    params: dict[str, Any] = {"date_basis": basis}
    if years is not None:
        params |= {"from_year": years[0], "to_year": years[1]}
    if unit is not None:
        params["org_unit_id"] = unit
    if kind is not None:
        params["kind"] = kind
    if law_area is not None:
        params["law_area"] = law_area
    handler = tokens.headers("case_handler", org_units=["oxelosund"])
    response = await client.get("/api/v1/statistics", params=params, headers=handler)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    assert answer["suppressed"] is False

    async with app.state.database.session() as session:
        cases = list((await session.exec(select(Case))).all())

    def selected(c: Case) -> bool:
        dated = c.event_time if basis == "event" and c.event_time else c.reported_at
        return (
            c.import_withdrawn_at is None
            and (unit is None or c.org_unit_id in descendants(unit))
            and (years is None or years[0] <= local(dated).year <= years[1])
            and (kind is None or c.kind == kind)
            and (law_area is None or c.law_area == law_area)
        )

    assert figures(answer) == reference([c for c in cases if selected(c)], basis)
    # the reader's answer is the same counts, suppressed: its shown counts are the true ones
    reader = tokens.headers("reader", org_units=["oxelosund"])
    public = (await client.get("/api/v1/statistics", params=params, headers=reader)).json()
    assert public["suppressed"] is True
    if isinstance(public["total"], int):
        assert public["total"] == answer["total"]
    return answer


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # each example is a few requests
)
@given(
    specs=st.lists(case_strategy, min_size=0, max_size=60),
    basis=st.sampled_from(["registration", "event"]),
    years=st.sampled_from([None, None, (2023, 2023), (2022, 2023), (2024, 2025)]),
    unit=st.sampled_from([None, None, "oxelosund-ao", "oxelosund-sabo"]),
    kind=st.sampled_from([None, None, None, "deviation", "complaint"]),
    law_area=st.sampled_from([None, None, None, "HSL"]),
)
async def test_sql_statistics_equal_the_python_reference(
    app: FastAPI,
    client: AsyncClient,
    org: None,
    tokens: TokenFactory,
    specs: list[dict[str, Any]],
    basis: str,
    years: tuple[int, int] | None,
    unit: str | None,
    kind: str | None,
    law_area: str | None,
) -> None:
    await compare(app, client, tokens, specs, basis, years, unit, kind, law_area)


async def test_deadlines_and_durations_at_their_edges_equal_the_reference(
    app: FastAPI, client: AsyncClient, org: None, tokens: TokenFactory
) -> None:
    """Answers on the due day (within), a day after (not), late at night in Stockholm; overdue
    by each milestone; an even and an odd number of durations (the median)."""
    base: dict[str, Any] = {
        "event_back": None,
        "close_after": None,
        "kind": "complaint",
        "law_area": None,
        "category": "hemtjanst",
        "housing_type": None,
        "unit": "oxelosund-sabo",
        "state": "received",
        "channel": "letter",
        "direction": None,
        "outcome": None,
        "regime": "standard",
        "mas_took_over": False,
        "milestone": "answered",
        "received": True,
        "lm_reported": False,
        "ls_reported": False,
        "withdrawn": 1,
    }
    evening = datetime(2023, 6, 30, 21, 30, tzinfo=UTC)  # 23:30 in Stockholm
    specs = [
        # answered 3 hours later: 02:30 on 1 July in Stockholm, due 30 June → late
        base | {"reported": evening, "answer_after": 180, "due": ("reported", 0)},
        # the same answer, due 1 July → within
        base | {"reported": evening, "answer_after": 180, "due": ("reported", 1)},
        base | {"reported": evening, "answer_after": 20, "due": ("reported", 0)},  # within
        base | {"reported": evening, "answer_after": 60 * 24 * 9, "due": None},
        # overdue: unanswered, due yesterday; by the received milestone, not received
        base | {"reported": evening, "answer_after": None, "due": ("today", 1)},
        base
        | {
            "reported": evening,
            "answer_after": None,
            "due": ("today", 1),
            "milestone": "received",
            "received": False,
        },
        # not overdue: received (its milestone), or due today, or closed
        base
        | {"reported": evening, "answer_after": None, "due": ("today", 1), "milestone": "received"},
        base | {"reported": evening, "answer_after": None, "due": ("today", 0)},
        base
        | {
            "reported": evening,
            "answer_after": None,
            "due": ("today", 5),
            "state": "closed",
            "close_after": 60 * 24 * 3,
        },
    ]
    answer = await compare(app, client, tokens, specs)
    assert answer["time_to_answer"]["complaint"] == {
        "count": 4,
        "mean_days": 2.8,  # (1 + 1 + 0 + 9) / 4 = 2.75
        "median_days": 1.0,
        "max_days": 9,
        "within_deadline": 2,
    }
    assert answer["overdue"] == 2
