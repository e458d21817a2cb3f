"""Trosa, the demo's second municipality: its organisation, steering configuration and a small
plan for its care committee (VON).

Trosa (Kolada municipality code ``0488``, about 14 000 inhabitants) is here so that every list,
statistic and dashboard shows two tenants, and so that codes repeat across them on purpose:
Trosa's care committee is ``VON`` as Oxelösund's is. The units are those of
``styr_shared.testing.orgs.TROSA``, so the budget and deviations suites and demos use the same
ids.

**Everything below the organisation is invented**: the steering model, the plan, its goals,
the targets and every value are plausible figures of our own for a municipality of Trosa's
size, not taken from Trosa's papers or from Kolada. The measures name the Kolada KPIs they
are modelled on (as we understand Kolada's catalogue) so that a Kolada import can be tried
on them; the values are not Kolada's.
"""

from __future__ import annotations

from decimal import Decimal

from sqlmodel.ext.asyncio.session import AsyncSession

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
from styr_goals.measures.status import Direction, Operator
from styr_goals.orgunits import service as orgunits
from styr_goals.orgunits.schemas import OrgUnitCreate
from styr_goals.plans import service as plans
from styr_goals.plans.schemas import (
    ActivityStatusConfig,
    FollowUpPeriodConfig,
    GoalCreate,
    GoalLevelConfig,
    PeriodKind,
    PlanCreate,
    ResultLevelConfig,
    SteeringConfigDocument,
)
from styr_shared.auth import Principal

MUNICIPALITY = "trosa"
VON = "trosa-von"
PLAN = "trosa-von-vp-2025-2027"
SOURCE = "Demo (invented figures)"

# (id, code, name, level, parent, kolada_id): as styr_shared.testing.orgs.TROSA, plus the
# municipality's Kolada code on the root.
UNITS: list[tuple[str, str, str, str, str | None, str | None]] = [
    ("trosa", "TRS", "Trosa kommun", "municipality", None, "0488"),
    ("trosa-ks", "KS", "Kommunstyrelsen", "committee", "trosa", None),
    ("trosa-von", "VON", "Vård- och omsorgsnämnden", "committee", "trosa", None),
    ("trosa-vof", "VOF", "Vård- och omsorgsförvaltningen", "administration", "trosa-von", None),
    ("trosa-hemtjanst", "HT", "Hemtjänst", "unit", "trosa-vof", None),
    ("trosa-sabo", "SÄBO", "Särskilt boende", "unit", "trosa-vof", None),
]

# A steering model of its own: two goal levels, a tertial report beside the year's, and a
# three-step result scale (invented; Oxelösund's has three levels and other thresholds).
CONFIG = SteeringConfigDocument(
    goal_levels=[
        GoalLevelConfig(key="fullmaktigemal", label="Fullmäktigemål", rank=0),
        GoalLevelConfig(key="namndmal", label="Nämndmål", rank=1, rollup=True),
    ],
    follow_up_tags=["D/B", "B"],
    follow_up_periods=[
        FollowUpPeriodConfig(
            key="tertial1", label="Tertial 1", kind=PeriodKind.INTERIM, end_month=4, tags=["D/B"]
        ),
        FollowUpPeriodConfig(
            key="delar", label="Delårsrapport", kind=PeriodKind.INTERIM, end_month=8, tags=["D/B"]
        ),
        FollowUpPeriodConfig(
            key="helar",
            label="Årsredovisning",
            kind=PeriodKind.ANNUAL,
            end_month=12,
            tags=["D/B", "B"],
        ),
    ],
    result_levels=[
        ResultLevelConfig(min_percent=75, label="Målen uppfylls"),
        ResultLevelConfig(min_percent=50, label="Målen uppfylls delvis"),
        ResultLevelConfig(min_percent=0, label="Målen uppfylls inte"),
    ],
    activity_statuses=[
        ActivityStatusConfig(key="planerad", label="Planerad"),
        ActivityStatusConfig(key="pagar", label="Pågår"),
        ActivityStatusConfig(key="klar", label="Klar", done=True),
    ],
)

# (id, code, level, parent, title)
GOALS: list[tuple[str, str, str, str | None, str]] = [
    (
        "trosa-2025-fm-1",
        "FM-1",
        "fullmaktigemal",
        None,
        "I Trosa ska det vara tryggt att bli gammal",
    ),
    (
        "trosa-2025-nm-1",
        "NM-1",
        "namndmal",
        "trosa-2025-fm-1",
        "Den som har hemtjänst möter få personal och är nöjd med sin hjälp",
    ),
    (
        "trosa-2025-nm-2",
        "NM-2",
        "namndmal",
        "trosa-2025-fm-1",
        "Den som behöver särskilt boende får en plats i tid och trivs där",
    ),
]

# code: (name, Kolada KPI modelled on, kind, direction, goal, baseline 2024, targets 2025-2027
# (op, value), values 2022-2025)
MEASURES: dict[
    str,
    tuple[
        str,
        str,
        UnitKind,
        Direction,
        str,
        int,
        tuple[tuple[Operator, int], ...],
        tuple[int, ...],
    ],
] = {
    "M-01": (
        "Brukarbedömning hemtjänst äldreomsorg – helhetssyn, andel (%)",
        "U21468",
        UnitKind.PERCENT,
        Direction.INCREASE,
        "trosa-2025-nm-1",
        88,
        ((Operator.GE, 90), (Operator.GE, 91), (Operator.GE, 92)),
        (89, 91, 88, 90),
    ),
    "M-02": (
        "Personalkontinuitet, antal personal som en hemtjänsttagare möter under 14 dagar, "
        "medelvärde",
        "U21401",
        UnitKind.COUNT,
        Direction.DECREASE,
        "trosa-2025-nm-1",
        13,
        ((Operator.LE, 12), (Operator.LE, 12), (Operator.LE, 11)),
        (15, 14, 13, 13),
    ),
    "M-03": (
        "Brukarbedömning särskilt boende äldreomsorg – helhetssyn, andel (%)",
        "U23471",
        UnitKind.PERCENT,
        Direction.INCREASE,
        "trosa-2025-nm-2",
        86,
        ((Operator.GE, 85), (Operator.GE, 86), (Operator.GE, 87)),
        (82, 84, 86, 84),
    ),
    "M-04": (
        "Väntetid i antal dagar från ansökningsdatum till erbjudet inflyttningsdatum till "
        "särskilt boende, medelvärde",
        "U23401",
        UnitKind.DAYS,
        Direction.DECREASE,
        "trosa-2025-nm-2",
        66,
        ((Operator.LE, 60), (Operator.LE, 55), (Operator.LE, 50)),
        (74, 58, 66, 52),
    ),
}
VALUE_YEARS = (2022, 2023, 2024, 2025)
PLAN_YEARS = (2025, 2026, 2027)


def measure_id(code: str) -> str:
    return f"trosa-von-2025-{code.lower()}"


async def load_trosa(session: AsyncSession, actor: Principal) -> None:
    """Trosa's units, configuration and VON's plan 2025–2027 with values 2022–2025."""
    for unit_id, code, name, level, parent, kolada in UNITS:
        await orgunits.create_unit(
            session,
            OrgUnitCreate(
                id=unit_id, code=code, name=name, level=level, parent_id=parent, kolada_id=kolada
            ),
            actor,
        )
    await plans.put_config(session, MUNICIPALITY, CONFIG, actor)
    await plans.create_plan(
        session,
        PlanCreate(
            id=PLAN,
            org_unit_id=VON,
            name="Verksamhetsplan 2025–2027",
            start_year=PLAN_YEARS[0],
            end_year=PLAN_YEARS[-1],
            description="Vård- och omsorgsnämndens plan (demo, påhittad).",
        ),
        actor,
    )
    for position, (goal_id, code, level, parent, title) in enumerate(GOALS):
        await plans.create_goal(
            session,
            PLAN,
            GoalCreate(
                id=goal_id,
                code=code,
                level=level,
                parent_id=parent,
                title=title,
                position=position,
            ),
            actor,
        )
    for code, (name, kpi, kind, direction, goal, baseline, targets, values) in MEASURES.items():
        measure = await measures.create_measure(
            session,
            MeasureCreate(
                id=measure_id(code),
                code=code,
                org_unit_id=VON,
                name=name,
                unit_kind=kind,
                direction=direction,
                data_source=SOURCE,
                kolada_kpi_id=kpi,
                periodicity=Periodicity.YEAR,
                valid_from_year=VALUE_YEARS[0],
                goal_ids=[goal],
                series=[
                    SeriesIn(
                        baseline=BaselineIn(
                            value=Decimal(baseline), period="2024", text=str(baseline)
                        ),
                        targets={
                            year: TargetIn(op=op, value=Decimal(value))
                            for year, (op, value) in zip(PLAN_YEARS, targets, strict=True)
                        },
                    )
                ],
            ),
            actor,
        )
        for year, value in zip(VALUE_YEARS, values, strict=True):
            await measures.write_value(
                session,
                measure,
                ValueWrite(org_unit_id=VON, period=str(year), value=Decimal(value), source=SOURCE),
                actor,
            )
        await session.commit()
