"""Steering configuration, plans and the goal tree (no HTTP here).

Write rules: plans and goals are written by planners whose org scope covers the plan's org
unit (a grant on a unit covers everything below it); a municipality's configuration by an
admin whose scope covers the municipality's root, each write kept in its settings history.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_goals import access
from styr_goals.orgunits import service as orgunits
from styr_goals.orgunits.models import OrgUnit
from styr_goals.plans.models import Goal, GoalVersion, Plan, SteeringConfig
from styr_goals.plans.schemas import (
    GoalCreate,
    GoalNode,
    GoalRetire,
    GoalRevision,
    PlanCreate,
    PlanUpdate,
    SteeringConfigDocument,
)
from styr_shared.auth import Principal, Role
from styr_shared.errors import ConflictError, ForbiddenError, InvalidFieldError, NotFoundError
from styr_shared.pagination import PageParams, paginate
from styr_shared.tenancy import ReadScope, record_change, require_settings_writer
from styr_shared.types import utcnow

PLAN_WRITERS = (Role.PLANNER,)


# --- permissions -------------------------------------------------------------------------


async def require_scope(
    session: AsyncSession, actor: Principal, unit_id: str, roles: Sequence[Role] = PLAN_WRITERS
) -> None:
    """The actor holds one of ``roles`` and their org scope covers ``unit_id``."""
    if not actor.has_any_role(*roles):
        wanted = ", ".join(sorted(roles))
        raise ForbiddenError(f"This needs one of the roles: {wanted}.")
    if not actor.covers(await orgunits.lineage(session, unit_id)):
        raise ForbiddenError(f"Org unit {unit_id!r} is outside your scope.")


# --- configuration -----------------------------------------------------------------------


async def municipality_of(session: AsyncSession, unit_id: str) -> str:
    """The root of the unit's tree: the municipality whose configuration applies."""
    unit = await session.get(OrgUnit, unit_id)
    if unit is None:
        raise NotFoundError(f"Org unit {unit_id!r} does not exist.")
    return unit.municipality_id


async def put_config(
    session: AsyncSession, municipality_id: str, document: SteeringConfigDocument, actor: Principal
) -> SteeringConfig:
    unit = await orgunits.get_unit(session, municipality_id)
    if unit.parent_id is not None:
        raise InvalidFieldError("path.municipality_id", "configuration belongs to a root unit")
    require_settings_writer(actor, municipality_id)
    row = await session.get(SteeringConfig, municipality_id)
    before = None if row is None else dict(row.document)
    data = document.model_dump(mode="json")
    if row is None:
        row = SteeringConfig(municipality_id=municipality_id, document=data, updated_by="")
    row.document, row.updated_by, row.updated_at = data, actor.subject, utcnow()
    session.add(row)
    await record_change(
        session,
        municipality_id=municipality_id,
        setting="steering_config",
        key="document",
        before=before,
        after=data,
        actor=actor,
    )
    await session.commit()
    return row


async def get_config_row(session: AsyncSession, municipality_id: str) -> SteeringConfig:
    row = await session.get(SteeringConfig, municipality_id)
    if row is None:
        raise NotFoundError(f"No steering configuration for {municipality_id!r}.")
    return row


async def config_for_unit(session: AsyncSession, unit_id: str) -> SteeringConfigDocument:
    municipality = await municipality_of(session, unit_id)
    row = await session.get(SteeringConfig, municipality)
    if row is None:
        raise ConflictError(
            f"Municipality {municipality!r} has no steering configuration yet "
            "(PUT /municipalities/{id}/steering-config)."
        )
    return SteeringConfigDocument.model_validate(row.document)


# --- plans -------------------------------------------------------------------------------


async def get_plan(session: AsyncSession, plan_id: str) -> Plan:
    plan = await session.get(Plan, plan_id)
    if plan is None:
        raise NotFoundError(f"Plan {plan_id!r} does not exist.")
    return plan


async def list_plans(
    session: AsyncSession,
    page: PageParams,
    *,
    org_unit_id: str | None = None,
    year: int | None = None,
    ids: Sequence[str] | None = None,
    scope: ReadScope,
) -> tuple[list[Plan], str | None]:
    statement = select(Plan).where(access.unit_clause(scope, Plan.org_unit_id))
    if ids is not None:
        statement = statement.where(col(Plan.id).in_(ids))
    if org_unit_id is not None:
        statement = statement.where(col(Plan.org_unit_id) == org_unit_id)
    if year is not None:
        statement = statement.where(col(Plan.start_year) <= year, col(Plan.end_year) >= year)
    return await paginate(session, statement, [col(Plan.id)], page)


async def create_plan(session: AsyncSession, data: PlanCreate, actor: Principal) -> Plan:
    if await session.get(OrgUnit, data.org_unit_id) is None:
        raise InvalidFieldError("body.org_unit_id", f"unknown org unit {data.org_unit_id!r}")
    await require_scope(session, actor, data.org_unit_id)
    await config_for_unit(session, data.org_unit_id)
    plan_id = data.id or uuid.uuid4().hex
    if await session.get(Plan, plan_id) is not None:
        raise ConflictError(f"Plan {plan_id!r} already exists.")
    plan = Plan(id=plan_id, **data.model_dump(exclude={"id"}))
    session.add(plan)
    await session.commit()
    return plan


async def update_plan(
    session: AsyncSession, plan_id: str, data: PlanUpdate, actor: Principal
) -> Plan:
    plan = await get_plan(session, plan_id)
    await require_scope(session, actor, plan.org_unit_id)
    for field, value in data.model_dump(exclude_unset=True).items():
        if field == "name" and value is None:
            raise InvalidFieldError("body.name", "a plan must keep a name")
        setattr(plan, field, value)
    plan.updated_at = utcnow()
    session.add(plan)
    await session.commit()
    return plan


# --- goals -------------------------------------------------------------------------------


def _in_plan(plan: Plan, year: int, field: str) -> None:
    if not plan.start_year <= year <= plan.end_year:
        raise InvalidFieldError(
            field, f"{year} is outside the plan's years {plan.start_year}–{plan.end_year}"
        )


async def get_goal(session: AsyncSession, goal_id: str) -> Goal:
    goal = await session.get(Goal, goal_id)
    if goal is None:
        raise NotFoundError(f"Goal {goal_id!r} does not exist.")
    return goal


async def list_goals(
    session: AsyncSession, page: PageParams, *, ids: Sequence[str] | None = None, scope: ReadScope
) -> tuple[list[Goal], str | None]:
    statement = select(Goal).where(access.goal_clause(scope, Goal.id))
    if ids is not None:
        statement = statement.where(col(Goal.id).in_(ids))
    return await paginate(session, statement, [col(Goal.id)], page)


async def versions_of_many(
    session: AsyncSession, goal_ids: Sequence[str]
) -> dict[str, list[GoalVersion]]:
    """The versions of several goals in one query, oldest first per goal."""
    statement = (
        select(GoalVersion)
        .where(col(GoalVersion.goal_id).in_(goal_ids))
        .order_by(col(GoalVersion.goal_id), col(GoalVersion.valid_from_year))
    )
    found: dict[str, list[GoalVersion]] = {goal_id: [] for goal_id in goal_ids}
    for version in (await session.exec(statement)).all():
        found[version.goal_id].append(version)
    return found


async def versions(session: AsyncSession, goal_id: str) -> Sequence[GoalVersion]:
    statement = (
        select(GoalVersion)
        .where(col(GoalVersion.goal_id) == goal_id)
        .order_by(col(GoalVersion.valid_from_year))
    )
    return (await session.exec(statement)).all()


def _covers(version: GoalVersion, year: int) -> bool:
    return version.valid_from_year <= year and (
        version.valid_to_year is None or version.valid_to_year >= year
    )


async def version_in(session: AsyncSession, goal_id: str, year: int) -> GoalVersion | None:
    return next((v for v in await versions(session, goal_id) if _covers(v, year)), None)


async def _check_content(
    session: AsyncSession,
    plan: Plan,
    config: SteeringConfigDocument,
    level: str,
    year: int,
    parent_id: str | None,
    follow_up_tag: str | None,
    addressed_to: list[str],
) -> None:
    own = config.level(level)
    if own is None:
        raise InvalidFieldError("body.level", f"unknown goal level {level!r}")
    if parent_id is not None:
        parent = await session.get(Goal, parent_id)
        if parent is None or parent.plan_id != plan.id:
            raise InvalidFieldError("body.parent_id", f"no goal {parent_id!r} in this plan")
        parent_level = config.level(parent.level)
        if parent_level is None or parent_level.rank >= own.rank:
            raise InvalidFieldError("body.parent_id", "the parent must be on a higher level")
        if await version_in(session, parent_id, year) is None:
            raise InvalidFieldError("body.parent_id", f"the parent is not in the {year} tree")
    if follow_up_tag is not None and follow_up_tag not in config.follow_up_tags:
        allowed = ", ".join(config.follow_up_tags)
        raise InvalidFieldError("body.follow_up_tag", f"must be one of: {allowed}")
    municipality = await municipality_of(session, plan.org_unit_id)
    for index, unit_id in enumerate(addressed_to):
        unit = await session.get(OrgUnit, unit_id)
        if unit is None:
            raise InvalidFieldError(f"body.addressed_to.{index}", f"unknown org unit {unit_id!r}")
        if unit.municipality_id != municipality:
            raise InvalidFieldError(
                f"body.addressed_to.{index}", f"{unit_id!r} is not in the plan's municipality"
            )


async def create_goal(
    session: AsyncSession, plan_id: str, data: GoalCreate, actor: Principal
) -> Goal:
    plan = await get_plan(session, plan_id)
    await require_scope(session, actor, plan.org_unit_id)
    config = await config_for_unit(session, plan.org_unit_id)
    year = data.valid_from_year or plan.start_year
    _in_plan(plan, year, "body.valid_from_year")
    await _check_content(
        session,
        plan,
        config,
        data.level,
        year,
        data.parent_id,
        data.follow_up_tag,
        data.addressed_to,
    )
    goal_id = data.id or uuid.uuid4().hex
    if await session.get(Goal, goal_id) is not None:
        raise ConflictError(f"Goal {goal_id!r} already exists.")
    taken = select(Goal.id).where(col(Goal.plan_id) == plan.id, col(Goal.code) == data.code)
    if (await session.exec(taken)).first() is not None:
        raise ConflictError(f"The code {data.code!r} is already used in this plan.")
    goal = Goal(
        id=goal_id, plan_id=plan.id, level=data.level, code=data.code, created_by=actor.subject
    )
    session.add(goal)
    await session.flush()
    content = data.model_dump(exclude={"id", "code", "level", "valid_from_year"})
    session.add(
        GoalVersion(goal_id=goal_id, valid_from_year=year, created_by=actor.subject, **content)
    )
    await session.commit()
    return goal


_CONTENT_FIELDS = (
    "parent_id",
    "title",
    "headline",
    "description",
    "follow_up_tag",
    "addressed_to",
    "position",
)


async def revise_goal(
    session: AsyncSession, goal_id: str, data: GoalRevision, actor: Principal
) -> Goal:
    goal = await get_goal(session, goal_id)
    plan = await get_plan(session, goal.plan_id)
    await require_scope(session, actor, plan.org_unit_id)
    config = await config_for_unit(session, plan.org_unit_id)
    _in_plan(plan, data.from_year, "body.from_year")
    current = await version_in(session, goal_id, data.from_year)
    if current is None:
        raise InvalidFieldError("body.from_year", f"the goal is not in the {data.from_year} tree")
    content: dict[str, Any] = {field: getattr(current, field) for field in _CONTENT_FIELDS}
    content.update(data.model_dump(exclude_unset=True, exclude={"from_year"}))
    if content["title"] is None:
        raise InvalidFieldError("body.title", "a goal must keep a title")
    if content["addressed_to"] is None:
        content["addressed_to"] = []
    if content["position"] is None:
        content["position"] = 0
    if content["parent_id"] == goal.id:
        raise InvalidFieldError("body.parent_id", "a goal cannot be its own parent")
    await _check_content(
        session,
        plan,
        config,
        goal.level,
        data.from_year,
        content["parent_id"],
        content["follow_up_tag"],
        content["addressed_to"],
    )
    if current.valid_from_year == data.from_year:
        # The version starts this year: changing it rewrites no earlier year.
        for field, value in content.items():
            setattr(current, field, value)
        current.created_by, current.created_at = actor.subject, utcnow()
        session.add(current)
    else:
        session.add(
            GoalVersion(
                goal_id=goal.id,
                valid_from_year=data.from_year,
                valid_to_year=current.valid_to_year,
                created_by=actor.subject,
                **content,
            )
        )
        current.valid_to_year = data.from_year - 1
        session.add(current)
    await session.commit()
    return goal


async def retire_goal(
    session: AsyncSession, goal_id: str, data: GoalRetire, actor: Principal
) -> Goal:
    goal = await get_goal(session, goal_id)
    plan = await get_plan(session, goal.plan_id)
    await require_scope(session, actor, plan.org_unit_id)
    children = select(GoalVersion.goal_id).where(
        col(GoalVersion.parent_id) == goal.id,
        or_(
            col(GoalVersion.valid_to_year).is_(None),
            col(GoalVersion.valid_to_year) >= data.from_year,
        ),
    )
    if (await session.exec(children)).first() is not None:
        raise ConflictError("Re-parent or retire the goal's children for those years first.")
    for version in await versions(session, goal.id):
        if version.valid_from_year >= data.from_year:
            await session.delete(version)
        elif version.valid_to_year is None or version.valid_to_year >= data.from_year:
            version.valid_to_year = data.from_year - 1
            session.add(version)
    await session.commit()
    return goal


async def goals_in_year(
    session: AsyncSession, plan_id: str, year: int
) -> list[tuple[Goal, GoalVersion]]:
    """Every goal of the plan with the version in force in ``year``."""
    statement = (
        select(Goal, GoalVersion)
        .join(GoalVersion, col(GoalVersion.goal_id) == col(Goal.id))
        .where(
            col(Goal.plan_id) == plan_id,
            col(GoalVersion.valid_from_year) <= year,
            or_(col(GoalVersion.valid_to_year).is_(None), col(GoalVersion.valid_to_year) >= year),
        )
        .order_by(col(GoalVersion.position), col(Goal.code))
    )
    return [(goal, version) for goal, version in (await session.exec(statement)).all()]


def build_tree(
    rows: list[tuple[Goal, GoalVersion]], config: SteeringConfigDocument
) -> list[GoalNode]:
    nodes: dict[str, GoalNode] = {}
    for goal, version in rows:
        level = config.level(goal.level)
        nodes[goal.id] = GoalNode(
            id=goal.id,
            code=goal.code,
            level=goal.level,
            level_label=level.label if level else goal.level,
            parent_id=version.parent_id,
            title=version.title,
            headline=version.headline,
            description=version.description,
            follow_up_tag=version.follow_up_tag,
            addressed_to=list(version.addressed_to),
            valid_from_year=version.valid_from_year,
            valid_to_year=version.valid_to_year,
        )
    roots: list[GoalNode] = []
    for node in nodes.values():
        parent = nodes.get(node.parent_id) if node.parent_id else None
        (parent.children if parent else roots).append(node)
    return roots


async def tree(session: AsyncSession, plan_id: str, year: int) -> list[GoalNode]:
    plan = await get_plan(session, plan_id)
    _in_plan(plan, year, "query.year")
    config = await config_for_unit(session, plan.org_unit_id)
    return build_tree(await goals_in_year(session, plan.id, year), config)
