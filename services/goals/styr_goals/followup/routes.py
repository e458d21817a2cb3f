"""HTTP layer for assessments, activities and the follow-up report."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_goals import access
from styr_goals.access import Reader, ReadsGoal, ReadsPlan, ReadsPublication
from styr_goals.followup import export, service
from styr_goals.followup.schemas import (
    ActivityCreate,
    ActivityRead,
    ActivityUpdate,
    AssessmentCreate,
    AssessmentRead,
    FollowUpReport,
    PublicationCreate,
    PublicationRead,
    PublicationSummary,
)
from styr_goals.plans import service as plans_service
from styr_goals.reports import service as documents
from styr_shared.auth import Principal, Role, require_roles
from styr_shared.db import get_session
from styr_shared.pagination import Page, PageParams, page_params
from styr_shared.types import DbId

router = APIRouter(tags=["follow-up"])
Session = Annotated[AsyncSession, Depends(get_session)]
Planner = Annotated[Principal, Depends(require_roles(Role.PLANNER))]
GoalIds = Annotated[
    list[str] | None, Query(max_length=100, description="Only these goals (repeatable).")
]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ReportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"
    PDF = "pdf"
    DOCX = "docx"


@router.post(
    "/goals/{goal_id}/assessments",
    response_model=AssessmentRead,
    status_code=status.HTTP_201_CREATED,
    summary="Record a forecast or final assessment of a goal for a follow-up period",
    description="Assessments are never overwritten: a new one supersedes the previous one of "
    "the same year, period and kind, and the history stays readable.",
)
async def create_assessment(
    goal_id: str, body: AssessmentCreate, session: Session, actor: Planner
) -> AssessmentRead:
    assessment = await service.create_assessment(session, goal_id, body, actor)
    return AssessmentRead.model_validate(assessment)


@router.get(
    "/goals/{goal_id}/assessments",
    response_model=list[AssessmentRead],
    summary="A goal's assessments, oldest first",
    operation_id="listGoalAssessments",
)
async def list_assessments(
    goal_id: str,
    session: Session,
    _: ReadsGoal,
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    period: str | None = None,
) -> list[AssessmentRead]:
    rows = await service.list_assessments(session, goal_id, year=year, period=period)
    return [AssessmentRead.model_validate(row) for row in rows]


@router.get(
    "/assessments",
    response_model=Page[AssessmentRead],
    summary="Assessments of many goals (a plan's, or those named), oldest first",
    description="One call instead of one per goal; paginated (`cursor`, `limit`).",
    operation_id="listAssessments",
)
async def list_assessments_of_many(
    session: Session,
    scope: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    plan_id: Annotated[str | None, Query(description="Assessments of this plan's goals.")] = None,
    goal_id: GoalIds = None,
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    period: Annotated[str | None, Query(max_length=40)] = None,
) -> Page[AssessmentRead]:
    rows, cursor = await service.assessments_of(
        session, page, plan_id=plan_id, goal_ids=goal_id, year=year, period=period, scope=scope
    )
    return Page(items=[AssessmentRead.model_validate(row) for row in rows], next_cursor=cursor)


@router.get(
    "/activities",
    response_model=Page[ActivityRead],
    summary="Activities of many goals (a plan's, or those named), by id",
    description="One call instead of one per goal; paginated (`cursor`, `limit`).",
    operation_id="listActivities",
)
async def list_activities_of_many(
    session: Session,
    scope: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    plan_id: Annotated[str | None, Query(description="Activities of this plan's goals.")] = None,
    goal_id: GoalIds = None,
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
) -> Page[ActivityRead]:
    rows, cursor = await service.activities_of(
        session, page, plan_id=plan_id, goal_ids=goal_id, year=year, scope=scope
    )
    return Page(items=[ActivityRead.model_validate(row) for row in rows], next_cursor=cursor)


@router.post(
    "/goals/{goal_id}/activities",
    response_model=ActivityRead,
    status_code=status.HTTP_201_CREATED,
    summary="Add an activity to a goal's action plan",
)
async def create_activity(
    goal_id: str, body: ActivityCreate, session: Session, actor: Planner
) -> ActivityRead:
    return ActivityRead.model_validate(await service.create_activity(session, goal_id, body, actor))


@router.get(
    "/goals/{goal_id}/activities",
    response_model=list[ActivityRead],
    summary="A goal's activities",
    operation_id="listGoalActivities",
)
async def list_activities(
    goal_id: str,
    session: Session,
    _: ReadsGoal,
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
) -> list[ActivityRead]:
    rows = await service.list_activities(session, goal_id, year=year)
    return [ActivityRead.model_validate(row) for row in rows]


@router.patch(
    "/activities/{activity_id}",
    response_model=ActivityRead,
    summary="Update an activity's status, progress or dates",
)
async def update_activity(
    activity_id: DbId, body: ActivityUpdate, session: Session, actor: Planner
) -> ActivityRead:
    activity = await service.update_activity(session, activity_id, body, actor)
    return ActivityRead.model_validate(activity)


@router.get(
    "/plans/{plan_id}/follow-up",
    response_model=FollowUpReport,
    summary="The follow-up of a plan for a year and period (Delårsrapport / Årsredovisning)",
    description="The goal tree with measures (baseline, target, latest value in the period, "
    "computed status, trend), assessments, activity completion and the roll-up. "
    "`format=csv` or `format=xlsx` downloads the same report as a file; `format=pdf` (tagged "
    "PDF/UA-1) or `format=docx` as the committee's document, with charts.",
    responses={
        200: {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                XLSX: {"schema": {"type": "string", "format": "binary"}},
                **{
                    f.media_type: {"schema": {"type": "string", "format": "binary"}}
                    for f in documents.DocumentFormat
                },
            }
        }
    },
    operation_id="getPlanFollowUp",
)
async def follow_up(
    plan_id: str,
    session: Session,
    scope: ReadsPlan,
    year: Annotated[int, Query(ge=1990, le=2100)],
    period: Annotated[str, Query(max_length=40, description="Follow-up period key, `helar`.")],
    org_unit_id: Annotated[
        str | None, Query(description="Whose values and activities (default: the plan's unit).")
    ] = None,
    include_below: Annotated[
        bool, Query(description="Count activities of every unit below too.")
    ] = True,
    format: ReportFormat = ReportFormat.JSON,
    dialect: Annotated[
        export.CsvDialect,
        Query(
            description="For `format=csv`: `excel_sv` (default) opens in a Swedish Excel as it "
            "is (UTF-8 with BOM, `;`, decimal comma); `machine` is UTF-8 without BOM, `,` and "
            "a decimal point."
        ),
    ] = export.CsvDialect.EXCEL_SV,
) -> FollowUpReport | Response:
    if org_unit_id is not None:
        await access.check_unit(session, scope, org_unit_id, f"Org unit {org_unit_id!r}")
    report = await service.follow_up(
        session, plan_id, year, period, org_unit_id=org_unit_id, include_below=include_below
    )
    filename = f"uppfoljning-{plan_id}-{year}-{period}"
    if format is ReportFormat.CSV:
        return Response(
            export.to_csv(report, dialect),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
        )
    if format is ReportFormat.XLSX:
        return Response(
            export.to_xlsx(report),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{filename}.xlsx"'},
        )
    if format in (ReportFormat.PDF, ReportFormat.DOCX):
        document = documents.DocumentFormat(format.value)
        return Response(
            await documents.render(session, report, document),
            media_type=document.media_type,
            headers={"Content-Disposition": f'attachment; filename="{filename}.{format.value}"'},
        )
    return report


@router.post(
    "/plans/{plan_id}/follow-up/publications",
    response_model=PublicationRead,
    status_code=status.HTTP_201_CREATED,
    summary="Freeze the follow-up as reported (or record a printed figure)",
    operation_id="publishFollowUp",
)
async def publish(
    plan_id: str, body: PublicationCreate, session: Session, actor: Planner
) -> PublicationRead:
    return PublicationRead.model_validate(await service.publish(session, plan_id, body, actor))


@router.get(
    "/plans/{plan_id}/follow-up/publications",
    response_model=list[PublicationSummary],
    summary="What was reported for a plan, oldest first",
    operation_id="listFollowUpPublications",
)
async def list_publications(
    plan_id: str,
    session: Session,
    _: ReadsPlan,
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
) -> list[PublicationSummary]:
    await plans_service.get_plan(session, plan_id)
    rows = await service.list_publications(session, plan_id, year=year)
    return [PublicationSummary.model_validate(row) for row in rows]


@router.get(
    "/follow-up-publications/{publication_id}",
    response_model=PublicationRead,
    summary="One publication with its frozen report",
    operation_id="getFollowUpPublication",
)
async def get_publication(
    publication_id: DbId, session: Session, _: ReadsPublication
) -> PublicationRead:
    return PublicationRead.model_validate(await service.get_publication(session, publication_id))
