"""HTTP layer for cases, their workflow, risk matrix and actions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_deviations.cases import actions, corrections, investigations, service
from styr_deviations.cases.schemas import (
    ActionCreate,
    ActionRead,
    ActionUpdate,
    AnswerIn,
    CaseCreate,
    CaseRead,
    CaseUpdate,
    FollowUpIn,
    HistoryRead,
    LexMariaIn,
    LexSarahIn,
    RaiseDeviationIn,
    ReclassifyIn,
    RiskIn,
    TransitionIn,
    WithdrawImportIn,
)
from styr_deviations.cases.workflow import TRANSITIONS
from styr_deviations.casesettings import service as casesettings
from styr_deviations.config import CaseKind, CaseState, LawArea, RiskMatrix
from styr_deviations.context import Ctx
from styr_deviations.text import DbInt
from styr_shared.auth import authenticated
from styr_shared.db import get_session
from styr_shared.orgreplica import ReplicaOrgUnit
from styr_shared.pagination import Page, PageParams, page_params
from styr_shared.tenancy import resolve_municipality

MAX_IDS = 100
"""Most ids in one list filter (`id=1&id=2`)."""
router = APIRouter(tags=["cases"])
Session = Annotated[AsyncSession, Depends(get_session)]


@router.get(
    "/risk-matrix",
    response_model=RiskMatrix,
    summary="Your municipality's risk matrix",
    description="The matrix of the municipality you work in (the one your scope lies in, or "
    "the deployment's only one); name it with `municipality` otherwise. It is part of the "
    "municipality's case settings (`/municipalities/{municipality_id}/case-settings`).",
    operation_id="getRiskMatrix",
)
async def risk_matrix(
    session: Session,
    actor: authenticated,
    municipality: Annotated[
        str | None, Query(max_length=64, description="The municipality (its root unit's id).")
    ] = None,
) -> RiskMatrix:
    municipality_id = await resolve_municipality(session, ReplicaOrgUnit, actor, municipality)
    return (await casesettings.load(session, municipality_id)).risk_matrix


@router.get(
    "/workflow",
    summary="The state machine: allowed transitions and their roles",
    description="The same for every municipality (deadlines, which differ, are in the "
    "municipality's case settings).",
    operation_id="getWorkflow",
)
async def workflow_definition(_: authenticated) -> dict[str, dict[str, list[str]]]:
    return {
        state.value: {target.value: sorted(roles) for target, roles in targets.items()}
        for state, targets in TRANSITIONS.items()
    }


@router.post(
    "/cases",
    response_model=CaseRead,
    status_code=status.HTTP_201_CREATED,
    summary="Register a case (deviation, complaint, feedback, external deviation)",
    description="Gets the next gap-free reference number of the year's series. Personal data "
    "(`person`, `reporter`) is encrypted at rest and never returned here.",
)
async def create_case(
    body: CaseCreate, session: Session, ctx: Ctx, actor: authenticated
) -> CaseRead:
    case = await service.create_case(session, ctx, body, actor=actor)
    return (await service.present(session, [case]))[0]


@router.get("/cases", response_model=Page[CaseRead], summary="List cases in your scope")
async def list_cases(
    session: Session,
    actor: authenticated,
    page: Annotated[PageParams, Depends(page_params)],
    kind: CaseKind | None = None,
    state: CaseState | None = None,
    law_area: LawArea | None = None,
    org_unit_id: Annotated[str | None, Query(description="The unit and its subtree.")] = None,
    overdue: Annotated[bool | None, Query(description="Only (not) overdue cases.")] = None,
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    mas_routed: Annotated[
        bool | None, Query(description="Only cases the risk level sent to MAS (MAS's inbox).")
    ] = None,
    municipality: Annotated[
        str | None, Query(max_length=64, description="Only this municipality's cases.")
    ] = None,
    id: Annotated[
        list[DbInt] | None,
        Query(
            max_length=MAX_IDS,
            description="Only these cases (repeatable: `id=1&id=2`), with their actions. A case "
            "outside your scope is left out, as in every list.",
        ),
    ] = None,
) -> Page[CaseRead]:
    cases, next_cursor = await service.list_cases(
        session,
        actor,
        page,
        kind=kind,
        state=state,
        law_area=law_area,
        org_unit_id=org_unit_id,
        overdue=overdue,
        year=year,
        mas_routed=mas_routed,
        municipality_id=municipality,
        ids=id,
    )
    items = await service.present(session, cases, with_actions=id is not None)
    return Page(items=items, next_cursor=next_cursor)


@router.get(
    "/cases/overdue",
    response_model=Page[CaseRead],
    summary="Cases past their deadline (not received / not answered in time)",
    operation_id="listOverdueCases",
)
async def overdue_cases(
    session: Session,
    actor: authenticated,
    page: Annotated[PageParams, Depends(page_params)],
    kind: CaseKind | None = None,
) -> Page[CaseRead]:
    cases, next_cursor = await service.list_cases(session, actor, page, kind=kind, overdue=True)
    return Page(items=await service.present(session, cases), next_cursor=next_cursor)


# `:int`: /cases/overdue and /cases/import are resources of their own, so a method they do not
# have is a 405 there, not a case id that fails to parse (422)
@router.get("/cases/{case_id:int}", response_model=CaseRead, summary="One case (no personal data)")
async def get_case(case_id: DbInt, session: Session, actor: authenticated) -> CaseRead:
    return await service.read_case(session, actor, case_id)


@router.patch(
    "/cases/{case_id:int}",
    response_model=CaseRead,
    summary="Correct case fields (each change is kept in the history)",
)
async def update_case(
    case_id: DbInt, body: CaseUpdate, session: Session, ctx: Ctx, actor: authenticated
) -> CaseRead:
    await corrections.update_case(session, ctx, actor, case_id, body)
    return await service.read_case(session, actor, case_id)


@router.get(
    "/cases/{case_id}/history",
    response_model=list[HistoryRead],
    summary="The append-only history: transitions and field changes with before/after",
    operation_id="getCaseHistory",
)
async def case_history(case_id: DbInt, session: Session, actor: authenticated) -> list[HistoryRead]:
    return [HistoryRead.model_validate(h) for h in await service.history(session, actor, case_id)]


@router.post(
    "/cases/{case_id}/transitions",
    response_model=CaseRead,
    summary="Move the case through the workflow",
    description="See `GET /workflow` for the allowed transitions and roles. Closing needs a "
    "recorded effect follow-up of every action.",
    operation_id="transitionCase",
)
async def transition(
    case_id: DbInt, body: TransitionIn, session: Session, ctx: Ctx, actor: authenticated
) -> CaseRead:
    await service.transition(session, ctx, actor, case_id, body)
    return await service.read_case(session, actor, case_id)


@router.put(
    "/cases/{case_id}/risk",
    response_model=CaseRead,
    summary="Assess the risk: probability × consequence",
    description="High levels (and severe consequences) route health-care cases to MAS.",
    operation_id="assessCaseRisk",
)
async def assess_risk(
    case_id: DbInt, body: RiskIn, session: Session, actor: authenticated
) -> CaseRead:
    await service.assess_risk(session, actor, case_id, body)
    return await service.read_case(session, actor, case_id)


@router.post(
    "/cases/{case_id}/take-over",
    response_model=CaseRead,
    summary="MAS takes the case",
    operation_id="takeOverCase",
)
async def take_over(case_id: DbInt, session: Session, actor: authenticated) -> CaseRead:
    await service.take_over(session, actor, case_id)
    return await service.read_case(session, actor, case_id)


@router.post(
    "/cases/{case_id}/actions",
    response_model=ActionRead,
    status_code=status.HTTP_201_CREATED,
    summary="Add an action",
    operation_id="addCaseAction",
)
async def add_action(
    case_id: DbInt, body: ActionCreate, session: Session, ctx: Ctx, actor: authenticated
) -> ActionRead:
    return ActionRead.model_validate(await actions.add_action(session, ctx, actor, case_id, body))


@router.patch(
    "/cases/{case_id}/actions/{action_id}",
    response_model=ActionRead,
    summary="Change an action",
    operation_id="updateCaseAction",
)
async def update_action(
    case_id: DbInt,
    action_id: DbInt,
    body: ActionUpdate,
    session: Session,
    ctx: Ctx,
    actor: authenticated,
) -> ActionRead:
    action = await actions.update_action(session, ctx, actor, case_id, action_id, body)
    return ActionRead.model_validate(action)


@router.post(
    "/cases/{case_id}/actions/{action_id}/follow-up",
    response_model=ActionRead,
    summary="Record the follow-up of an action's effect",
    operation_id="followUpCaseAction",
)
async def follow_up(
    case_id: DbInt,
    action_id: DbInt,
    body: FollowUpIn,
    session: Session,
    ctx: Ctx,
    actor: authenticated,
) -> ActionRead:
    action = await actions.follow_up_action(session, ctx, actor, case_id, action_id, body.effect)
    return ActionRead.model_validate(action)


@router.post(
    "/cases/{case_id}/answer",
    response_model=CaseRead,
    summary="Record the answer to a complaint or feedback (time to answer)",
    operation_id="answerCase",
)
async def answer(
    case_id: DbInt, body: AnswerIn, session: Session, ctx: Ctx, actor: authenticated
) -> CaseRead:
    await service.answer(session, ctx, actor, case_id, body)
    return await service.read_case(session, actor, case_id)


@router.put(
    "/cases/{case_id}/lex-maria",
    response_model=CaseRead,
    summary="MAS/MAR's Lex Maria assessment, decision and IVO report",
    operation_id="putLexMaria",
)
async def lex_maria(
    case_id: DbInt, body: LexMariaIn, session: Session, ctx: Ctx, actor: authenticated
) -> CaseRead:
    await investigations.lex_maria(session, ctx, actor, case_id, body)
    return await service.read_case(session, actor, case_id)


@router.put(
    "/cases/{case_id}/lex-sarah",
    response_model=CaseRead,
    summary="The Lex Sarah investigation, graded standpoint and IVO report",
    operation_id="putLexSarah",
)
async def lex_sarah(
    case_id: DbInt, body: LexSarahIn, session: Session, ctx: Ctx, actor: authenticated
) -> CaseRead:
    await investigations.lex_sarah(session, ctx, actor, case_id, body)
    return await service.read_case(session, actor, case_id)


@router.post(
    "/cases/{case_id}/reclassify",
    response_model=CaseRead,
    summary="Move the case to another regime (e.g. HSL → Lex Sarah, or a staff matter)",
    description="The reason is kept in the history. A staff matter needs the date IVO was "
    "consulted.",
    operation_id="reclassifyCase",
)
async def reclassify(
    case_id: DbInt, body: ReclassifyIn, session: Session, ctx: Ctx, actor: authenticated
) -> CaseRead:
    await investigations.reclassify(session, ctx, actor, case_id, body)
    return await service.read_case(session, actor, case_id)


@router.post(
    "/cases/{case_id}/deviation",
    response_model=CaseRead,
    status_code=status.HTTP_201_CREATED,
    summary="Raise a deviation from a complaint or feedback",
    description="The new deviation gets its own reference number and points back at the "
    "complaint; the reason is kept in both histories.",
)
async def raise_deviation(
    case_id: DbInt, body: RaiseDeviationIn, session: Session, ctx: Ctx, actor: authenticated
) -> CaseRead:
    deviation = await service.raise_deviation(session, ctx, actor, case_id, body)
    return (await service.present(session, [deviation]))[0]


@router.post(
    "/cases/{case_id}/withdraw-import",
    response_model=CaseRead,
    summary="Withdraw a wrongly imported case (admin)",
    description="The case is kept with its history, marked withdrawn (`import_withdrawn_at`), "
    "can no longer be changed and leaves the statistics; the reason is kept in the history. "
    "A later import of the same external id leaves it withdrawn.",
)
async def withdraw_import(
    case_id: DbInt, body: WithdrawImportIn, session: Session, ctx: Ctx, actor: authenticated
) -> CaseRead:
    await corrections.withdraw_import(session, ctx, actor, case_id, body)
    return await service.read_case(session, actor, case_id)
