"""HTTP layer for the migration import."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_deviations.context import Ctx
from styr_deviations.imports import service
from styr_deviations.imports.schemas import ImportResult, ImportRow
from styr_shared.auth import Principal, Role, require_roles
from styr_shared.db import get_session
from styr_shared.errors import UPLOAD_RESPONSES
from styr_shared.metrics import track_import
from styr_shared.openapi import component_schema

router = APIRouter(tags=["migration import"])
Session = Annotated[AsyncSession, Depends(get_session)]
Importer = Annotated[Principal, Depends(require_roles(Role.IMPORTER))]


@router.post(
    "/cases/import",
    response_model=ImportResult,
    responses=UPLOAD_RESPONSES,
    summary="Import historical cases (CSV or JSON), idempotent on external_id",
    description="Body: `text/csv` with a header row naming the fields of `ImportRow`, or "
    '`application/json` with `{"rows": [ImportRow, ...]}`. Every row is validated; good rows '
    "are stored, bad rows are listed with their errors, rows whose `external_id` was imported "
    "before are left unchanged. Needs the `importer` role (scoped to your org units).",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "rows": {"type": "array", "items": component_schema(ImportRow)}
                        },
                    }
                },
                "text/csv": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
async def import_cases(
    request: Request, session: Session, ctx: Ctx, actor: Importer
) -> ImportResult:
    with track_import("deviations", "cases") as run:
        # Decoding 20 MiB of JSON or CSV takes a while: not on the event loop.
        content_type = request.headers.get("content-type", "")
        rows = await asyncio.to_thread(service.parse, await request.body(), content_type)
        result = await service.run_import(session, ctx, actor, rows)
        run.rows = {"accepted": result.created, "skipped": result.unchanged}
        run.rows["rejected"] = result.failed
    return result
