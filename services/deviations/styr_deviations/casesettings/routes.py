"""``/municipalities/{municipality_id}/case-settings``: read by anyone working in the
municipality, written by its admin (a scope on the municipality's root)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_deviations.casesettings import service
from styr_deviations.casesettings.schemas import CaseSettings, CaseSettingsRead
from styr_deviations.municipalities import MunicipalityId
from styr_shared.auth import authenticated
from styr_shared.db import get_session

router = APIRouter(tags=["settings"])
Session = Annotated[AsyncSession, Depends(get_session)]
PATH = "/municipalities/{municipality_id}/case-settings"


@router.get(
    PATH,
    response_model=CaseSettingsRead,
    summary="The municipality's case settings (or the national defaults it uses)",
    description="Reference format and series, risk matrix, deadlines, the citizen intake's "
    "receiving unit and the statistics suppression threshold. Readable by anyone whose scope "
    "has a unit in the municipality.",
)
async def get_case_settings(
    municipality_id: MunicipalityId, session: Session, actor: authenticated
) -> CaseSettingsRead:
    return await service.read(session, actor, municipality_id)


@router.put(
    PATH,
    response_model=CaseSettingsRead,
    summary="Replace the municipality's case settings (admin of the municipality)",
    description="The whole document, validated: a field left out takes its national default. "
    "The intake unit must be a unit of this municipality. Needs `admin` with a scope on the "
    "municipality's root; every change is kept in `/settings/history`.",
)
async def put_case_settings(
    municipality_id: MunicipalityId,
    body: CaseSettings,
    session: Session,
    actor: authenticated,
) -> CaseSettingsRead:
    return await service.put(session, actor, municipality_id, body)
