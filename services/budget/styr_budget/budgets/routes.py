"""HTTP layer for frames and budget versions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from styr_budget.budgets import service
from styr_budget.budgets.schemas import (
    BudgetLines,
    BudgetStatus,
    FrameWrite,
    VersionCreate,
    VersionRead,
)
from styr_budget.common import Controller, Session
from styr_shared.auth import authenticated

router = APIRouter(tags=["budget"])
Year = Annotated[int, Path(ge=2000, le=2100)]
Committee = Annotated[str, Path(max_length=64, description="Org unit id of the committee.")]


@router.put(
    "/budgets/{committee_id}/{year}/frame",
    response_model=BudgetStatus,
    summary="Set a committee's frame (ram) for a year",
    description="Before a budget is adopted against it; afterwards only a revision changes it.",
)
async def put_frame(
    committee_id: Committee, year: Year, body: FrameWrite, session: Session, actor: Controller
) -> BudgetStatus:
    await service.put_frame(session, committee_id, year, body, actor)
    return await service.status(session, committee_id, year)


@router.get(
    "/budgets/{committee_id}/{year}",
    response_model=BudgetStatus,
    summary="Frame, versions, original and revised totals and the gap to the frame",
)
async def get_status(
    committee_id: Committee, year: Year, session: Session, _: authenticated
) -> BudgetStatus:
    return await service.status(session, committee_id, year)


@router.post(
    "/budgets/{committee_id}/{year}/versions",
    response_model=VersionRead,
    status_code=status.HTTP_201_CREATED,
    summary="Add the original budget, a reallocation or a revision",
    description=(
        "`original` carries the budget lines; `reallocation` and `revision` carry changes to "
        "lines, with a reason. A reallocation stays within the frame (its changes add up to "
        "zero); a revision states a new frame. Adopting (now with `adopt: true`, or later) "
        "requires every adopted line plus this version to add up to the frame."
    ),
)
async def create_version(
    committee_id: Committee,
    year: Year,
    body: VersionCreate,
    session: Session,
    actor: Controller,
) -> VersionRead:
    version = await service.create_version(session, committee_id, year, body, actor)
    return service.version_read(version, await service.version_total(session, version))


@router.post(
    "/budgets/{committee_id}/{year}/versions/{number}/adopt",
    response_model=VersionRead,
    summary="Adopt a draft version (it must add up to the frame)",
)
async def adopt_version(
    committee_id: Committee,
    year: Year,
    number: Annotated[int, Path(ge=1)],
    session: Session,
    actor: Controller,
) -> VersionRead:
    version = await service.adopt_version(session, committee_id, year, number, actor)
    return service.version_read(version, await service.version_total(session, version))


@router.get(
    "/budgets/{committee_id}/{year}/lines",
    response_model=BudgetLines,
    summary="Budget lines as of a version (1 = original; default: the revised budget)",
)
async def get_lines(
    committee_id: Committee,
    year: Year,
    session: Session,
    _: authenticated,
    version: Annotated[int | None, Query(ge=1, description="Adopted version number.")] = None,
) -> BudgetLines:
    return await service.lines(session, committee_id, year, version)
