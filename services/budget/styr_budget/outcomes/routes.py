"""HTTP layer for outcome imports (SIE 4, CSV) and reading monthly outcome."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status

from styr_budget.amounts import MoneyUnit
from styr_budget.common import LedgerWriter, Session
from styr_budget.outcomes import service
from styr_budget.outcomes.schemas import ImportRead, OutcomeRead
from styr_shared.auth import authenticated
from styr_shared.pagination import Page, PageParams, page_params

router = APIRouter(tags=["outcome"])

MAX_UPLOAD_BYTES = 64 * 1024 * 1024


def _raw_body(media_type: str, description: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {media_type: {"schema": {"type": "string", "format": "binary"}}},
        }
    }


FilenameQuery = Annotated[
    str | None, Query(max_length=300, description="The file's name, kept with the import.")
]


@router.post(
    "/outcomes/sie",
    response_model=ImportRead,
    status_code=status.HTTP_201_CREATED,
    summary="Import ledger outcome from an SIE 4 file",
    description=(
        "The body is the SIE 4 file as is (CP437, `#FORMAT PC8`). Every `#TRANS` on a result "
        "account is summed per month, org unit, activity code and account group through the "
        "account and object mappings; each month in the file replaces that month's stored "
        "outcome, so re-importing is idempotent. A broken file is refused with a 422 naming "
        "its line (`errors[0].field` = `body.line.<n>`) and nothing is written."
    ),
    openapi_extra=_raw_body("application/octet-stream", "An SIE 4 file (type 4, PC8)."),
)
async def import_sie(
    request: Request,
    session: Session,
    actor: LedgerWriter,
    filename: FilenameQuery = None,
    period: Annotated[
        str | None,
        Query(
            pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
            description="Expected month `YYYY-MM`: refuse a file with verifications outside it.",
        ),
    ] = None,
) -> ImportRead:
    data = await request.body()
    record = await service.import_sie(session, data, filename, period, actor)
    return ImportRead.model_validate(record)


@router.post(
    "/outcomes/csv",
    response_model=ImportRead,
    status_code=status.HTTP_201_CREATED,
    summary="Import monthly outcome from CSV",
    description=(
        "UTF-8 CSV, `;` or `,` separated, with the header "
        "`period;org_unit_id;activity_code;account_group;amount` (period `YYYY-MM`, "
        "activity_code may be empty). Amounts use the stored result sign (revenue +, cost −) "
        "and Swedish formats (`-1 234,50`). Months in the file replace stored outcome; a "
        "broken row refuses the file with its line number."
    ),
    openapi_extra=_raw_body("text/csv", "CSV rows of monthly outcome."),
)
async def import_csv(
    request: Request,
    session: Session,
    actor: LedgerWriter,
    filename: FilenameQuery = None,
    unit: Annotated[MoneyUnit, Query(description="Unit of the amounts.")] = MoneyUnit.KR,
) -> ImportRead:
    data = await request.body()
    record = await service.import_csv(session, data, filename, unit, actor)
    return ImportRead.model_validate(record)


@router.get("/outcomes/imports", response_model=Page[ImportRead], summary="Outcome imports")
async def list_imports(
    session: Session, _: authenticated, page: Annotated[PageParams, Depends(page_params)]
) -> Page[ImportRead]:
    rows, next_cursor = await service.list_imports(session, page)
    return Page(items=[ImportRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/outcomes",
    response_model=Page[OutcomeRead],
    summary="Stored monthly outcome rows",
    description="Summed per month × org unit × activity × account group, result sign.",
)
async def list_outcome(
    session: Session,
    _: authenticated,
    page: Annotated[PageParams, Depends(page_params)],
    year: Annotated[int, Query(ge=2000, le=2100)],
    month: Annotated[int | None, Query(ge=1, le=12)] = None,
    org_unit: Annotated[str | None, Query(max_length=64, description="Subtree root.")] = None,
) -> Page[OutcomeRead]:
    rows, next_cursor = await service.list_outcome(session, page, year, month, org_unit)
    items = [
        OutcomeRead(
            year=row.year,
            month=row.month,
            org_unit_id=row.org_unit_id,
            activity_code=row.activity_code,
            account_group=row.account_group_key,
            amount=row.amount,
        )
        for row in rows
    ]
    return Page(items=items, next_cursor=next_cursor)
