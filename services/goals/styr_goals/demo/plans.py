"""VON's plans from the fixtures: Verksamhetsplan 2025–2027 and the 2024 follow-up.

What is inferred here (the papers do not say it):

* Measure values are recorded on VON (``oxelosund-von``); the 2023 figures too.
* Decimals: 2 where the papers give hundredths (frisknärvaro from Hypergene), else 0.
* The 2024 plan's KF goals are the distinct ``kf_goal_2024`` texts, in order of appearance,
  coded ``KF24-nn``. Their follow-up tags are not in the fixture.
* "Nej, inte fullt ut" is stored as the answer ``Delvis`` with the printed sentence kept.
* The interim forecast (94 %) is stored as a printed figure, the annual outcome as a frozen
  copy of the computed report.
* Bilaga 1 gives only activity counts per goal and status, so each counted activity is a
  row titled by its number; the 2024 goals are retired from 2025, when VP 2025–2027 took over.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from importlib import resources
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from styr_goals.demo.steering import OTHER_COMMITTEES
from styr_goals.followup import service as followup
from styr_goals.followup.models import Activity
from styr_goals.followup.schemas import (
    Answer,
    AssessmentCreate,
    AssessmentKind,
    PrintedFigure,
    PublicationCreate,
)
from styr_goals.measures import service as measures
from styr_goals.measures.periods import Periodicity
from styr_goals.measures.schemas import (
    BaselineIn,
    MeasureCreate,
    SeriesIn,
    TargetIn,
    UnitKind,
    ValueWrite,
)
from styr_goals.measures.status import Direction
from styr_goals.plans import service as plans
from styr_goals.plans.schemas import GoalCreate, GoalRetire, PlanCreate
from styr_shared.auth import Principal

VON = "oxelosund-von"
VOF = "oxelosund-vof"
PLAN_2025 = "oxelosund-von-vp-2025-2027"
PLAN_2024 = "oxelosund-von-vp-2024-2026"
SOURCE_2024 = "Årsredovisning 2024 (VON.2025.14)"
# The fixture warns not to chain these with their 2024 predecessors; the note makes it visible.
SERIES_BREAKS = {
    "M-04": "Seriebrott från 2024: mätte besök hos familj- och ungdomsstöd (N24-03-M1), "
    "mäter från 2025 ärenden hos familj- och skolstöd. Serierna jämförs inte.",
}
ANSWERS = {"Ja": Answer.YES, "Nej": Answer.NO, "Nej, inte fullt ut": Answer.PARTLY}
ACTIVITY_STATUS = {"Avslutad": "avslutad", "Försenad": "forsenad", "Pågående": "pagaende"}


def fixture(name: str) -> dict[str, Any]:
    text = resources.files("styr_goals.demo").joinpath("data", name).read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def goal_id(plan: str, code: str) -> str:
    year = "2025" if plan == PLAN_2025 else "2024"
    return f"von-{year}-{code.lower()}"


def _number(value: Any) -> Decimal | None:
    if value is None:
        return None
    if value is True:
        return Decimal(1)
    if value is False:
        return Decimal(0)
    return Decimal(str(value))


async def load_plan_2025(session: AsyncSession, actor: Principal) -> None:
    data = fixture("oxelosund-von-plan-2025-2027.json")
    plan = data["plan"]
    await plans.create_plan(
        session,
        PlanCreate(
            id=PLAN_2025,
            org_unit_id=VON,
            name=plan["name"],
            start_year=plan["years"][0],
            end_year=plan["years"][-1],
            adopted_on=plan["adoption_date"],
            description=plan["title_as_printed"],
        ),
        actor,
    )
    for position, km in enumerate(data["kommunmal"]):
        await plans.create_goal(
            session,
            PLAN_2025,
            GoalCreate(
                id=goal_id(PLAN_2025, km["id"]),
                code=km["id"],
                level="kommunmal",
                title=km["title"],
                headline=km["headline"],
                description=km["description"],
                position=position,
            ),
            actor,
        )
    for position, kf in enumerate(data["kf_goals"]):
        addressed = [OTHER_COMMITTEES[name][0] for name in kf["addressed_to"] or []]
        await plans.create_goal(
            session,
            PLAN_2025,
            GoalCreate(
                id=goal_id(PLAN_2025, kf["id"]),
                code=kf["id"],
                level="kf_mal",
                parent_id=goal_id(PLAN_2025, kf["parent"]),
                title=kf["title"],
                follow_up_tag=kf["follow_up"],
                addressed_to=addressed,
                position=position,
            ),
            actor,
        )
    for position, nm in enumerate(data["namndmal"]):
        await plans.create_goal(
            session,
            PLAN_2025,
            GoalCreate(
                id=goal_id(PLAN_2025, nm["id"]),
                code=nm["id"],
                level="namndmal",
                parent_id=goal_id(PLAN_2025, nm["parent"]),
                title=nm["title"],
                position=position,
            ),
            actor,
        )
    groups: dict[str, list[dict[str, Any]]] = {}
    for series in data["measure_series"]:
        groups.setdefault(series["measure_id"], []).append(series)
    for code, group in groups.items():
        await measures.create_measure(session, _measure_2025(code, group), actor)


def _measure_2025(code: str, group: list[dict[str, Any]]) -> MeasureCreate:
    first = group[0]
    segmented = first["segment"] is not None
    kolada = first.get("kolada_kpi") or {}
    point_in_time = first.get("aggregation") == "point_in_time_1_december"
    return MeasureCreate(
        id=f"von-2025-{code.lower()}",
        code=code,
        org_unit_id=VON,
        name=first["name"],
        display_name=first.get("display_name"),
        unit_kind=UnitKind(first["unit_kind"]),
        decimals=2 if first.get("display_name") == "Frisknärvaro" else 0,
        direction=Direction(first["direction"]),
        data_source=first["data_source"],
        kolada_kpi_id=kolada.get("id"),
        kolada_kpi_name=kolada.get("name"),
        periodicity=Periodicity.POINT_IN_TIME if point_in_time else Periodicity.YEAR,
        point_in_time="12-01" if point_in_time else None,
        aggregation=None if point_in_time else first.get("aggregation"),
        segments=[s["segment"] for s in group] if segmented else [],
        valid_from_year=2025,
        definition_note=SERIES_BREAKS.get(code),
        goal_ids=[goal_id(PLAN_2025, first["goal"])],
        series=[
            SeriesIn(
                segment=s["segment"],
                code=s["id"],
                baseline=BaselineIn(
                    value=_number(s["baseline"]["value"]),
                    period=s["baseline"]["period"],
                    is_new=bool(s["baseline"].get("is_new")),
                    text=s["baseline"]["raw"],
                ),
                targets={
                    int(year): TargetIn(
                        op=t["op"], value=_number(t["value"]), qualifier=t["qualifier"]
                    )
                    for year, t in s["targets"].items()
                },
            )
            for s in group
        ],
    )


def _kf_goals_2024(goals: list[dict[str, Any]]) -> Iterator[tuple[str, str, str]]:
    """(code, kommunmål, title) of each distinct 2024 KF goal, in order of appearance."""
    seen: dict[tuple[str, str], str] = {}
    for goal in goals:
        key = (goal["kommunmal"], goal["kf_goal_2024"])
        if key not in seen:
            seen[key] = f"KF24-{len(seen) + 1:02d}"
            yield seen[key], goal["kommunmal"], goal["kf_goal_2024"]


def kf_code_2024(goals: list[dict[str, Any]], goal: dict[str, Any]) -> str:
    for code, km, title in _kf_goals_2024(goals):
        if (km, title) == (goal["kommunmal"], goal["kf_goal_2024"]):
            return code
    raise LookupError(goal["id"])


async def load_followup_2024(session: AsyncSession, actor: Principal) -> None:
    data = fixture("oxelosund-von-followup-2024.json")
    goals: list[dict[str, Any]] = data["goals"]
    await plans.create_plan(
        session,
        PlanCreate(
            id=PLAN_2024,
            org_unit_id=VON,
            name="Verksamhetsplan 2024–2026",
            start_year=2024,
            end_year=2026,
            description="Followed up in Årsredovisning 2024; replaced by VP 2025–2027.",
        ),
        actor,
    )
    for position, km in enumerate(data["kommunmal"]):
        await plans.create_goal(
            session,
            PLAN_2024,
            GoalCreate(
                id=goal_id(PLAN_2024, km["id"]),
                code=km["id"],
                level="kommunmal",
                title=km["title"],
                position=position,
            ),
            actor,
        )
    for position, (code, km_code, title) in enumerate(_kf_goals_2024(goals)):
        await plans.create_goal(
            session,
            PLAN_2024,
            GoalCreate(
                id=goal_id(PLAN_2024, code),
                code=code,
                level="kf_mal",
                parent_id=goal_id(PLAN_2024, km_code),
                title=title,
                position=position,
            ),
            actor,
        )
    activities: list[Activity] = []
    for position, goal in enumerate(goals):
        gid = goal_id(PLAN_2024, goal["id"])
        await plans.create_goal(
            session,
            PLAN_2024,
            GoalCreate(
                id=gid,
                code=goal["id"],
                level="namndmal",
                parent_id=goal_id(PLAN_2024, kf_code_2024(goals, goal)),
                title=goal["title"],
                position=position,
            ),
            actor,
        )
        await _measures_2024(session, goal, gid, actor)
        answer = goal["assessment"]
        await followup.create_assessment(
            session,
            gid,
            AssessmentCreate(
                year=2024,
                period="helar",
                kind=AssessmentKind.FINAL,
                answer=ANSWERS[answer["answer"]],
                answer_text=answer["answer_raw"],
            ),
            actor,
        )
        number = 0
        for status, count in goal["activities_bilaga1"].items():
            for _ in range(count):
                number += 1
                activities.append(
                    Activity(
                        goal_id=gid,
                        org_unit_id=VOF,
                        year=2024,
                        title=f"{goal['id']} aktivitet {number} (Bilaga 1)",
                        status=ACTIVITY_STATUS[status],
                        progress=100 if status == "Avslutad" else 50,
                    )
                )
    session.add_all(activities)
    await session.commit()
    # The interim forecast is known only as printed (no per-goal forecasts in the papers);
    # the annual outcome is the service's own computation, frozen as reported.
    summary = data["summary"]
    await followup.publish(
        session,
        PLAN_2024,
        PublicationCreate(
            year=2024,
            period="delar",
            note=summary["interim_forecast_raw"],
            printed=PrintedFigure(percent=summary["interim_forecast_share_percent"]),
        ),
        actor,
    )
    await followup.publish(
        session, PLAN_2024, PublicationCreate(year=2024, period="helar", note=SOURCE_2024), actor
    )
    # VP 2025–2027 replaced these goals: retire them from 2025, leaves first.
    for level in ("namndmal", "kf_mal", "kommunmal"):
        for node in await plans.goals_in_year(session, PLAN_2024, 2025):
            if node[0].level == level:
                await plans.retire_goal(session, node[0].id, GoalRetire(from_year=2025), actor)


async def _measures_2024(
    session: AsyncSession, goal: dict[str, Any], gid: str, actor: Principal
) -> None:
    rows: list[dict[str, Any]] = goal["measures"]
    segmented = [row for row in rows if row["segment"]]
    groups = [segmented] if segmented else [[row] for row in rows]
    for index, group in enumerate(groups, start=1):
        first = group[0]
        name = first["name"]
        if segmented:
            name = name.removeprefix(f"{first['segment']}, ")
            name = name[:1].upper() + name[1:]
        point_in_time = "1/12" in name
        outcomes = [
            row[key] for row in group for key in ("outcome_2024", "outcome_2023") if row[key]
        ]
        precise = any(
            isinstance(o["value"], float) and not o["value"].is_integer() for o in outcomes
        )
        kind = "yes_no" if first["unit_kind"] == "boolean" else first["unit_kind"]
        measure = await measures.create_measure(
            session,
            MeasureCreate(
                id=f"{gid}-m{index}",
                code=f"{goal['id']}-M{index}",
                org_unit_id=VON,
                name=name,
                unit_kind=UnitKind(kind),
                decimals=2 if precise else 0,
                direction=Direction(first["direction"]),
                periodicity=Periodicity.POINT_IN_TIME if point_in_time else Periodicity.YEAR,
                point_in_time="12-01" if point_in_time else None,
                segments=[row["segment"] for row in group] if segmented else [],
                valid_from_year=2024,
                goal_ids=[gid],
                series=[
                    SeriesIn(
                        segment=row["segment"],
                        targets={
                            2024: TargetIn(
                                op=row["target_2024"]["op"],
                                value=_number(row["target_2024"]["value"]),
                            )
                        }
                        if row["target_2024"]
                        else {},
                    )
                    for row in group
                ],
            ),
            actor,
        )
        for row in group:
            for year, key in ((2023, "outcome_2023"), (2024, "outcome_2024")):
                outcome = row[key]
                if not outcome or outcome.get("value") is None:
                    continue
                await measures.write_value(
                    session,
                    measure,
                    ValueWrite(
                        org_unit_id=VON,
                        period=f"{year}-12-01" if point_in_time else str(year),
                        segment=row["segment"],
                        value=_number(outcome["value"]) or Decimal(0),
                        source=SOURCE_2024,
                        comment=outcome.get("note"),
                    ),
                    actor,
                )
        await session.commit()
