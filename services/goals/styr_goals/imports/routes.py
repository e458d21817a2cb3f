"""HTTP layer of the bulk import of measure values and its recorded runs."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_goals.imports import service
from styr_goals.imports.parsing import ImportFormat
from styr_goals.imports.schemas import ImportResult, ImportRunRead, RowErrorRead
from styr_goals.measures.service import VALUE_WRITERS
from styr_shared.auth import Principal, authenticated, require_roles
from styr_shared.db import get_database, get_session
from styr_shared.errors import PROBLEM_MEDIA_TYPE, ForbiddenError, InvalidFieldError, ProblemError
from styr_shared.pagination import Page, PageParams, page_params
from styr_shared.types import DbId

router = APIRouter(tags=["imports"])
Session = Annotated[AsyncSession, Depends(get_session)]
Importer = Annotated[Principal, Depends(require_roles(*VALUE_WRITERS))]
IMPORT_PATH = "/measure-values/import"
MEDIA_TYPES = {
    "text/csv": ImportFormat.CSV,
    "application/csv": ImportFormat.CSV,
    "application/json": ImportFormat.JSON,
    "application/x-ndjson": ImportFormat.NDJSON,
    "application/ndjson": ImportFormat.NDJSON,
    "application/jsonl": ImportFormat.NDJSON,
}
ROW_EXAMPLES: list[dict[str, Any]] = [
    {"measure": "M-04", "org_unit": "oxelosund-ao", "period": "2024", "value": "87,5"},
    {
        "measure": "M-07",
        "org_unit": "oxelosund-hemtjanst",
        "period": "2024-H1",
        "value": 92,
        "gender": "K",
        "numerator": 184,
        "denominator": 200,
        "status": "preliminary",
        "comment": "Brukarenkäten våren 2024",
    },
]
"""Rows of a night's file: one with the defaults, one with everything."""
ROW_SCHEMA = {
    "type": "object",
    "examples": ROW_EXAMPLES,
    "required": ["measure", "org_unit", "period", "value"],
    "properties": {
        "measure": {"type": "string", "description": "Measure id or code."},
        "org_unit": {"type": "string", "description": "Org unit id or code."},
        "period": {
            "type": "string",
            "examples": ["2024", "2024-H1", "2024-T2", "2024-Q3", "2024-08", "2024-12-01"],
        },
        "value": {"type": ["number", "string"], "description": "`1 234,5` and `1234.5` both work."},
        "segment": {"type": "string"},
        "gender": {"type": "string", "enum": ["T", "K", "M"], "default": "T"},
        "numerator": {"type": ["number", "string"]},
        "denominator": {"type": ["number", "string"]},
        "status": {"type": "string", "enum": ["preliminary", "final"], "default": "final"},
        "comment": {"type": "string"},
    },
    "additionalProperties": False,
}
OPENAPI_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": (
            "A whole night's file, optionally with `Content-Encoding: gzip`. CSV: a header "
            "row with the columns measure, org_unit, period, value and optionally segment, "
            "gender, numerator, denominator, status, comment; `;` or `,` separated (detected); "
            "UTF-8 with or without BOM. JSON: an array of such objects. NDJSON: one object per "
            'line. A Kolada v2 data page (`{"values": [{"kpi", "municipality"|"ou", '
            '"period", "values": [{"gender", "value"}]}]}`) is recognised as such and '
            "mapped through the measures' Kolada KPI ids and the units' Kolada codes."
        ),
        "content": {
            "text/csv": {
                "schema": {"type": "string", "format": "binary"},
                "example": "measure;org_unit;period;value;gender;status\n"
                "M-04;oxelosund-ao;2024;87,5;T;final\n"
                "M-07;oxelosund-hemtjanst;2024-H1;92;K;preliminary\n",
            },
            "application/json": {
                "schema": {"type": "array", "items": ROW_SCHEMA},
                "example": ROW_EXAMPLES,
            },
            "application/x-ndjson": {
                "schema": {"type": "string", "format": "binary"},
                "example": "".join(
                    json.dumps(row, ensure_ascii=False) + "\n" for row in ROW_EXAMPLES
                ),
            },
        },
    }
}


def _format_of(
    content_type: str | None, requested: ImportFormat | None, head: bytes
) -> ImportFormat:
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type not in MEDIA_TYPES:
        raise ProblemError(
            f"Content-Type {media_type or '(none)'!r} is not importable; send text/csv, "
            "application/json or application/x-ndjson.",
            status=415,
            slug="unsupported-media-type",
        )
    detected = MEDIA_TYPES[media_type]
    if detected is ImportFormat.JSON and head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        detected = ImportFormat.KOLADA  # an object, not an array: a Kolada data page
    if (
        requested is not None
        and requested is not detected
        and not (requested is ImportFormat.KOLADA and detected is ImportFormat.JSON)
    ):
        # the body's type is importable; the request contradicts itself
        raise InvalidFieldError(
            "query.format", f"format={requested} does not match the body ({media_type})"
        )
    return requested or detected


@router.post(
    IMPORT_PATH,
    response_model=ImportResult,
    summary="Import a night's file of measure values",
    description=(
        "Idempotent upsert on (measure, org unit, period, segment, gender): the answer counts "
        "`inserted`, `updated`, `unchanged` and `rejected` rows and lists each rejected row "
        "(the first 1000; all are kept on the run). Good rows are kept unless `atomic=true`, "
        "which writes nothing when any row is bad (answered 422). `dry_run=true` checks and "
        "counts without writing. A row whose key came earlier in the same file is rejected. "
        "The good rows of a file are written in one transaction: together or not at all. "
        "A retry with the same `Idempotency-Key` gets the first answer back unchanged; the key "
        "sent again with another file or other options is refused (422)."
    ),
    openapi_extra=OPENAPI_BODY,
    responses={
        409: {
            "description": "The stored measures, units or values changed during the import; "
            "nothing was written (the run is recorded)"
        },
        413: {
            "description": "Larger than the import limit, or a gzip body expanding beyond "
            "any real file"
        },
        422: {"description": "Unreadable, or an Idempotency-Key reused for another request"},
        415: {"description": "Not CSV, JSON or NDJSON"},
    },
    operation_id="importMeasureValues",
)
async def import_values(
    request: Request,
    actor: Importer,
    dry_run: Annotated[bool, Query(description="Check and count; write nothing.")] = False,
    atomic: Annotated[bool, Query(description="Write nothing if any row is bad.")] = False,
    strict: Annotated[
        bool,
        Query(
            description="Reject gender rows (K/M) of a measure without a gender split (in any "
            "format: CSV, JSON or a Kolada page) instead of skipping and counting them."
        ),
    ] = False,
    source: Annotated[
        str | None, Query(max_length=200, description="Delivering system, e.g. Viva.")
    ] = None,
    format: Annotated[
        ImportFormat | None, Query(description="Override the format (`kolada`).")
    ] = None,
    municipality: Annotated[
        str | None,
        Query(
            max_length=64,
            description="The municipality the file is for (its root's id): codes name its "
            "units and measures, and rows for another municipality's units are rejected. "
            "Default: the only municipality your org scope is in (or the deployment has); "
            "if you work in several and name none, codes are looked up in all of them and a "
            "code used in two is a rejected row.",
        ),
    ] = None,
    content_type: Annotated[str | None, Header()] = None,
    content_encoding: Annotated[
        str | None,
        Header(
            description="`gzip` for a compressed file; none (or `identity`) for plain.",
            json_schema_extra={"enum": ["gzip", "identity"]},
        ),
    ] = None,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> JSONResponse:
    encoding = (content_encoding or "identity").strip().lower()
    if encoding not in {"gzip", "identity"}:
        raise ProblemError(
            f"Content-Encoding {encoding!r} is not supported; use gzip or none.",
            status=415,
            slug="unsupported-media-type",
        )
    settings = request.app.state.settings
    media_type = (content_type or "").split(";")[0].strip().lower()
    limits = service.SpoolLimits(
        max_bytes=settings.import_max_bytes,
        max_ratio=settings.import_max_compression_ratio,
        temp_dir=settings.import_temp_dir,
        json=MEDIA_TYPES.get(media_type) is ImportFormat.JSON,
    )
    body = await service.spool_body(request.stream(), gzipped=encoding == "gzip", limits=limits)
    with body.file:
        fmt = _format_of(content_type, format, body.file.read(64))
        options = service.ImportOptions(
            format=fmt,
            source=source,
            dry_run=dry_run,
            atomic=atomic,
            idempotency_key=idempotency_key,
            compressed=encoding == "gzip",
            municipality=municipality,
            strict=strict,
            fingerprint=service.request_fingerprint(
                body.sha256, fmt, source, dry_run, atomic, municipality, strict
            ),
        )
        status_code, answer = await service.run_import(
            get_database(request), actor, options, body.file, body.received
        )
    media_type = PROBLEM_MEDIA_TYPE if status_code >= 400 else "application/json"
    return JSONResponse(answer, status_code=status_code, media_type=media_type)


@router.get(
    "/import-runs",
    response_model=Page[ImportRunRead],
    summary="Recorded import runs",
    description="Your own runs; controllers and admins also see the runs of the municipalities "
    "their org scope touches (an admin without a scope: all).",
    operation_id="listImportRuns",
)
async def list_runs(
    session: Session, actor: authenticated, page: Annotated[PageParams, Depends(page_params)]
) -> Page[ImportRunRead]:
    runs, next_cursor = await service.list_runs(session, page, actor)
    return Page(items=[ImportRunRead.model_validate(r) for r in runs], next_cursor=next_cursor)


@router.get(
    "/import-runs/{run_id}",
    response_model=ImportRunRead,
    summary="One import run",
    operation_id="getImportRun",
)
async def get_run(run_id: DbId, session: Session, actor: authenticated) -> ImportRunRead:
    run = await service.get_run(session, run_id)
    if not await service.may_see(session, actor, run):
        raise ForbiddenError("This import run is another caller's.")
    return ImportRunRead.model_validate(run)


@router.get(
    "/import-runs/{run_id}/errors",
    response_model=Page[RowErrorRead],
    summary="Every rejected row of an import run",
    operation_id="listImportRunErrors",
)
async def run_errors(
    run_id: DbId,
    session: Session,
    actor: authenticated,
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[RowErrorRead]:
    run = await service.get_run(session, run_id)
    if not await service.may_see(session, actor, run):
        raise ForbiddenError("This import run is another caller's.")
    errors, next_cursor = await service.run_errors(session, run_id, page)
    return Page(items=[RowErrorRead.model_validate(e) for e in errors], next_cursor=next_cursor)
