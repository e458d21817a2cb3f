"""``GET /municipalities/{municipality_id}/settings/history``, mounted by every service."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_shared.auth import authenticated
from styr_shared.db import get_session
from styr_shared.pagination import Page, PageParams, page_params
from styr_shared.tenancy import service
from styr_shared.tenancy.schemas import SettingChangeRead

MunicipalityId = Annotated[
    str,
    Path(
        max_length=64,
        description="The municipality: the id of its root org unit (e.g. `oxelosund`).",
    ),
]


def history_router(org_model: Any, *, tag: str = "settings") -> APIRouter:
    """The settings history of this service, over ``org_model`` (the org table or replica)."""
    router = APIRouter(tags=[tag])

    @router.get(
        "/municipalities/{municipality_id}/settings/history",
        response_model=Page[SettingChangeRead],
        summary="Every change of the municipality's settings in this service",
        description="Oldest first; each entry has the setting's state before and after the write "
        "and who made it. Readable by anyone whose scope has a unit in the municipality.",
        operation_id="listSettingsHistory",
    )
    async def settings_history(
        municipality_id: MunicipalityId,
        session: Annotated[AsyncSession, Depends(get_session)],
        principal: authenticated,
        page: Annotated[PageParams, Depends(page_params)],
        setting: Annotated[
            str | None, Query(max_length=40, description="Only this setting.")
        ] = None,
    ) -> Page[SettingChangeRead]:
        await service.require_settings_reader(session, org_model, principal, municipality_id)
        rows, next_cursor = await service.history(session, municipality_id, setting, page)
        return Page(
            items=[SettingChangeRead.model_validate(row) for row in rows], next_cursor=next_cursor
        )

    return router
