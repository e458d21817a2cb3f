"""HTTP layer for personal data: reading (logged), searching, the access log, re-encryption."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BeforeValidator
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_deviations.cases import service as cases
from styr_deviations.cases.schemas import CaseRead, PersonalDataRead
from styr_deviations.context import Ctx
from styr_deviations.personaldata import service
from styr_deviations.personaldata.schemas import AccessRead, PersonSearch, ReEncryptResult
from styr_deviations.text import DbInt, Moment
from styr_shared.auth import Principal, Role, authenticated, require_roles
from styr_shared.db import get_session
from styr_shared.errors import ForbiddenError
from styr_shared.pagination import Page, PageParams, page_params
from styr_shared.schemas import iso_text

router = APIRouter(tags=["personal data"])
Session = Annotated[AsyncSession, Depends(get_session)]
Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
Reason = Annotated[
    str,
    Query(
        min_length=3,
        max_length=500,
        description="Why you need the personal data; written to the access log.",
    ),
]


@router.get(
    "/cases/{case_id}/personal-data",
    response_model=PersonalDataRead,
    summary="The person concerned and the reporter's contact (every read is logged)",
)
async def read_personal_data(
    case_id: DbInt, reason: Reason, session: Session, ctx: Ctx, actor: authenticated
) -> PersonalDataRead:
    return await service.read_personal_data(session, ctx, actor, case_id, reason)


@router.post(
    "/cases/search-by-person",
    response_model=list[CaseRead],
    summary="Cases about one person, found by keyed hash of the personnummer (logged)",
    operation_id="searchCasesByPerson",
)
async def search_by_person(
    body: PersonSearch, session: Session, ctx: Ctx, actor: authenticated
) -> list[CaseRead]:
    found = await service.search_by_personnummer(
        session, ctx, actor, body.personnummer, body.reason
    )
    return await cases.present(session, found)


@router.get(
    "/personal-data-access",
    response_model=Page[AccessRead],
    summary="The personal-data access log (admins: of the cases in their scope)",
    operation_id="listPersonalDataAccess",
)
async def access_log(
    session: Session,
    admin: Admin,
    page: Annotated[PageParams, Depends(page_params)],
    case_id: DbInt | None = None,
    actor: str | None = None,
    since: Annotated[
        Moment | None,
        BeforeValidator(iso_text),
        Query(description="Only reads at or after this moment (ISO 8601, with timezone)."),
    ] = None,
) -> Page[AccessRead]:
    rows, next_cursor = await service.access_log(
        session, admin, page, case_id=case_id, actor=actor, since=since
    )
    return Page(items=[AccessRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post(
    "/personal-data/re-encrypt",
    response_model=ReEncryptResult,
    summary="Re-encrypt all personal data with the current key (after a rotation)",
    description="The keys are the deployment's, so this is the operator's (an admin without "
    "an org scope); a municipality's admin gets 403.",
    operation_id="reEncryptPersonalData",
)
async def re_encrypt(session: Session, ctx: Ctx, admin: Admin) -> ReEncryptResult:
    if not admin.unrestricted:
        raise ForbiddenError("Re-encryption covers every municipality: the operator's task.")
    rewritten = await service.re_encrypt(session, ctx)
    return ReEncryptResult(rewritten=rewritten, current_key_id=ctx.cipher.current_id)
