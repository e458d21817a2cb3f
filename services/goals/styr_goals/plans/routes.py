"""HTTP layer for the steering configuration, plans and goals."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_goals.access import Reader, ReadsGoal, ReadsPlan
from styr_goals.plans import service
from styr_goals.plans.models import Goal
from styr_goals.plans.schemas import (
    GoalCreate,
    GoalNode,
    GoalRead,
    GoalRetire,
    GoalRevision,
    GoalVersionRead,
    PlanCreate,
    PlanRead,
    PlanUpdate,
    Slug,
    SteeringConfigDocument,
    SteeringConfigRead,
)
from styr_shared.auth import Principal, Role, authenticated, require_roles
from styr_shared.db import get_session
from styr_shared.pagination import Page, PageParams, page_params

router = APIRouter(tags=["plans and goals"])
MAX_IDS = 100
"""Most ids in one list filter (`id=a&id=b`)."""
Session = Annotated[AsyncSession, Depends(get_session)]
Planner = Annotated[Principal, Depends(require_roles(Role.PLANNER))]


@router.get(
    "/municipalities/{municipality_id}/steering-config",
    response_model=SteeringConfigRead,
    summary="A municipality's goal levels, follow-up periods, result scale, activity statuses",
    operation_id="getSteeringConfig",
)
async def get_config(municipality_id: str, session: Session, scope: Reader) -> SteeringConfigRead:
    scope.check(municipality_id, f"The steering configuration of {municipality_id!r}")
    row = await service.get_config_row(session, municipality_id)
    return SteeringConfigRead.model_validate(row)


@router.put(
    "/municipalities/{municipality_id}/steering-config",
    response_model=SteeringConfigRead,
    summary="Replace a municipality's steering configuration",
    description="Needs an admin whose org scope covers the municipality's root (a scope on one "
    "of its units is not enough: every unit shares the configuration). Each change is kept "
    "in the municipality's settings history (`GET /municipalities/{id}/settings/history`).",
    operation_id="putSteeringConfig",
)
async def put_config(
    municipality_id: str, body: SteeringConfigDocument, session: Session, actor: authenticated
) -> SteeringConfigRead:
    row = await service.put_config(session, municipality_id, body, actor)
    return SteeringConfigRead.model_validate(row)


@router.get("/plans", response_model=Page[PlanRead], summary="List plans")
async def list_plans(
    session: Session,
    scope: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    org_unit_id: str | None = None,
    year: Annotated[int | None, Query(description="Only plans covering this year.")] = None,
    id: Annotated[
        list[Slug] | None,
        Query(max_length=MAX_IDS, description="Only these plans (repeatable: `id=a&id=b`)."),
    ] = None,
) -> Page[PlanRead]:
    plans, cursor = await service.list_plans(
        session, page, org_unit_id=org_unit_id, year=year, ids=id, scope=scope
    )
    return Page(items=[PlanRead.model_validate(p) for p in plans], next_cursor=cursor)


@router.post(
    "/plans", response_model=PlanRead, status_code=status.HTTP_201_CREATED, summary="Create a plan"
)
async def create_plan(body: PlanCreate, session: Session, actor: Planner) -> PlanRead:
    return PlanRead.model_validate(await service.create_plan(session, body, actor))


@router.get("/plans/{plan_id}", response_model=PlanRead, summary="One plan")
async def get_plan(plan_id: str, session: Session, _: ReadsPlan) -> PlanRead:
    return PlanRead.model_validate(await service.get_plan(session, plan_id))


@router.patch("/plans/{plan_id}", response_model=PlanRead, summary="Rename or annotate a plan")
async def update_plan(plan_id: str, body: PlanUpdate, session: Session, actor: Planner) -> PlanRead:
    return PlanRead.model_validate(await service.update_plan(session, plan_id, body, actor))


@router.get(
    "/plans/{plan_id}/goals",
    response_model=list[GoalNode],
    summary="The plan's goal tree as it stands in one year",
    operation_id="getGoalTree",
)
async def goal_tree(
    plan_id: str, year: Annotated[int, Query(ge=1990, le=2100)], session: Session, _: ReadsPlan
) -> list[GoalNode]:
    return await service.tree(session, plan_id, year)


async def _goal_read(session: AsyncSession, goal: Goal) -> GoalRead:
    versions = [GoalVersionRead.model_validate(v) for v in await service.versions(session, goal.id)]
    return GoalRead(
        id=goal.id, plan_id=goal.plan_id, level=goal.level, code=goal.code, versions=versions
    )


@router.post(
    "/plans/{plan_id}/goals",
    response_model=GoalRead,
    status_code=status.HTTP_201_CREATED,
    summary="Add a goal to the plan",
)
async def create_goal(plan_id: str, body: GoalCreate, session: Session, actor: Planner) -> GoalRead:
    return await _goal_read(session, await service.create_goal(session, plan_id, body, actor))


@router.get(
    "/goals",
    response_model=Page[GoalRead],
    summary="List goals with their history (each with its plan)",
    description="With `id` (repeatable, up to 100), the goals named: one call for many goals, "
    "e.g. to find their plans. Ordered by id.",
)
async def list_goals(
    session: Session,
    scope: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    id: Annotated[
        list[Slug] | None,
        Query(max_length=MAX_IDS, description="Only these goals (repeatable: `id=a&id=b`)."),
    ] = None,
) -> Page[GoalRead]:
    goals, cursor = await service.list_goals(session, page, ids=id, scope=scope)
    versions = await service.versions_of_many(session, [goal.id for goal in goals])
    items = [
        GoalRead(
            id=goal.id,
            plan_id=goal.plan_id,
            level=goal.level,
            code=goal.code,
            versions=[GoalVersionRead.model_validate(v) for v in versions[goal.id]],
        )
        for goal in goals
    ]
    return Page(items=items, next_cursor=cursor)


@router.get("/goals/{goal_id}", response_model=GoalRead, summary="A goal with its history")
async def get_goal(goal_id: str, session: Session, _: ReadsGoal) -> GoalRead:
    return await _goal_read(session, await service.get_goal(session, goal_id))


@router.post(
    "/goals/{goal_id}/revisions",
    response_model=GoalRead,
    summary="Rename, re-word or re-parent a goal from a year on",
)
async def revise_goal(
    goal_id: str, body: GoalRevision, session: Session, actor: Planner
) -> GoalRead:
    return await _goal_read(session, await service.revise_goal(session, goal_id, body, actor))


@router.post(
    "/goals/{goal_id}/retire",
    response_model=GoalRead,
    summary="Take a goal out of the tree from a year on (earlier years keep it)",
)
async def retire_goal(goal_id: str, body: GoalRetire, session: Session, actor: Planner) -> GoalRead:
    return await _goal_read(session, await service.retire_goal(session, goal_id, body, actor))
