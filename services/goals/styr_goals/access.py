"""Reading across municipalities in the goals service.

A caller reads the org units, plans, goals, measures and follow-ups of the municipalities its
token works in (:mod:`styr_shared.tenancy.reading`). The path dependencies here refuse a read
about one thing of another municipality (403) before the handler runs; list reads take the
:class:`ReadScope` and keep to it with :func:`unit_clause`. A thing that does not exist passes
through, so the handler answers its usual 404.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import ColumnElement, true
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_goals.followup.models import Publication
from styr_goals.internal_control.models import InternalControlPlan
from styr_goals.measures.models import Measure
from styr_goals.orgunits.models import OrgUnit
from styr_goals.plans.models import Goal, Plan
from styr_shared.db import get_session
from styr_shared.tenancy import ReadScope, read_scope
from styr_shared.types import DbId

Reader = Annotated[ReadScope, Depends(read_scope(OrgUnit))]
Session = Annotated[AsyncSession, Depends(get_session)]


def unit_clause(scope: ReadScope, unit_column: Any) -> ColumnElement[bool]:
    """Rows whose org unit (``unit_column``) belongs to a municipality read here."""
    return scope.unit_clause(OrgUnit, unit_column)


def plan_clause(scope: ReadScope, plan_column: Any) -> ColumnElement[bool]:
    """Rows whose plan (``plan_column``) belongs to a municipality read here."""
    if scope.everywhere:
        return true()
    plans = select(Plan.id).where(unit_clause(scope, Plan.org_unit_id))
    return col(plan_column).in_(plans)


def goal_clause(scope: ReadScope, goal_column: Any) -> ColumnElement[bool]:
    """Rows whose goal (``goal_column``) belongs to a municipality read here."""
    if scope.everywhere:
        return true()
    goals = select(Goal.id).where(plan_clause(scope, Goal.plan_id))
    return col(goal_column).in_(goals)


async def check_unit(session: AsyncSession, scope: ReadScope, unit_id: str, what: str) -> None:
    """403 when ``unit_id`` belongs to a municipality not read here (unknown units pass)."""
    if scope.everywhere:
        return
    found = await session.exec(select(OrgUnit.municipality_id).where(col(OrgUnit.id) == unit_id))
    municipality = found.first()
    if municipality is not None:
        scope.check(municipality, what)


async def check_plan(session: AsyncSession, scope: ReadScope, plan_id: str) -> None:
    plan = await session.get(Plan, plan_id)
    if plan is not None:
        await check_unit(session, scope, plan.org_unit_id, f"Plan {plan_id!r}")


async def check_goal(session: AsyncSession, scope: ReadScope, goal_id: str) -> None:
    goal = await session.get(Goal, goal_id)
    if goal is not None:
        await check_plan(session, scope, goal.plan_id)


async def check_measure(session: AsyncSession, scope: ReadScope, measure_id: str) -> None:
    measure = await session.get(Measure, measure_id)
    if measure is not None:
        await check_unit(session, scope, measure.org_unit_id, f"Measure {measure_id!r}")


async def reads_unit(unit_id: str, session: Session, scope: Reader) -> ReadScope:
    await check_unit(session, scope, unit_id, f"Org unit {unit_id!r}")
    return scope


async def reads_plan(plan_id: str, session: Session, scope: Reader) -> ReadScope:
    await check_plan(session, scope, plan_id)
    return scope


async def reads_goal(goal_id: str, session: Session, scope: Reader) -> ReadScope:
    await check_goal(session, scope, goal_id)
    return scope


async def reads_measure(measure_id: str, session: Session, scope: Reader) -> ReadScope:
    await check_measure(session, scope, measure_id)
    return scope


async def reads_publication(publication_id: DbId, session: Session, scope: Reader) -> ReadScope:
    publication = await session.get(Publication, publication_id)
    if publication is not None:
        await check_plan(session, scope, publication.plan_id)
    return scope


async def reads_control_plan(plan_id: str, session: Session, scope: Reader) -> ReadScope:
    plan = await session.get(InternalControlPlan, plan_id)
    if plan is not None:
        await check_unit(session, scope, plan.org_unit_id, f"Internal control plan {plan_id!r}")
    return scope


ReadsUnit = Annotated[ReadScope, Depends(reads_unit)]
"""The caller reads in the municipality of the path's ``unit_id``."""
ReadsPlan = Annotated[ReadScope, Depends(reads_plan)]
"""The caller reads in the municipality of the path's ``plan_id``."""
ReadsGoal = Annotated[ReadScope, Depends(reads_goal)]
"""The caller reads in the municipality of the path's ``goal_id``'s plan."""
ReadsMeasure = Annotated[ReadScope, Depends(reads_measure)]
"""The caller reads in the municipality of the path's ``measure_id``."""
ReadsPublication = Annotated[ReadScope, Depends(reads_publication)]
"""The caller reads in the municipality of the path's ``publication_id``'s plan."""
ReadsControlPlan = Annotated[ReadScope, Depends(reads_control_plan)]
"""The caller reads in the municipality of the path's internal control ``plan_id``."""
