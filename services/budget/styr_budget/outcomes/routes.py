"""HTTP layer for outcome imports (SIE, CSV) and reading monthly outcome."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from styr_budget.amounts import MoneyUnit
from styr_budget.common import LedgerWriter, Reader, Session
from styr_budget.outcomes import service
from styr_budget.outcomes.schemas import ImportRead, OutcomeRead
from styr_budget.uploads import (
    DefaultOrgUnitQuery,
    UnmappedAccounts,
    UnmappedAccountsQuery,
    raw_body,
    receive_upload,
)
from styr_shared.errors import UPLOAD_RESPONSES
from styr_shared.orgreplica.models import ReplicaOrgUnit
from styr_shared.pagination import Page, PageParams, page_params
from styr_shared.tenancy import resolve_municipality

router = APIRouter(tags=["outcome"])

FilenameQuery = Annotated[
    str | None, Query(max_length=300, description="The file's name, kept with the import.")
]
SourceQuery = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=100,
        description="Whose rows these are (default: the SIE file's `#PROGRAM` name, or "
        "`csv`). An import replaces only earlier rows of the same source, in the months of "
        "the file and the org units of the importer's scope, in its municipality.",
    ),
]
MunicipalityQuery = Annotated[
    str | None,
    Query(
        max_length=64,
        description="The municipality the import acts in (its root org unit's id): its "
        "mappings and codes place the rows, only its units are accepted and only its rows are "
        "replaced. Default: the only municipality the caller's scope (or the deployment) has.",
    ),
]


@router.post(
    "/outcomes/sie",
    response_model=ImportRead,
    status_code=status.HTTP_201_CREATED,
    summary="Import ledger outcome from an SIE file (type 4 vouchers, or type 2/3 balances)",
    description=(
        "The body is the SIE file as is (CP437 `#FORMAT PC8`, UTF-8 is recognised), or a "
        "multipart form with the file in its `file` part. Type 4 (4E export, 4I import "
        "files): every `#TRANS` on a result account (BAS classes 3–8) is booked on its own "
        "transdate (the voucher's date when it has none) and summed per month, org unit, "
        "activity code and account group through the account and object mappings. Type 2 "
        "and 3: the `#PSALDO 0` period balances (type 3 split by the objects of a dimension "
        "that names org units).\n\n"
        "Rows whose objects name no mapped org unit go to `default_org_unit` when given; "
        "otherwise the 422 lists every unmapped object, every account without objects and "
        "every unmapped result account, with counts and first lines (`errors[].field` = "
        "`body.line.<first line>`). `unmapped_accounts=skip` skips result accounts outside "
        "every mapping and counts them. A broken record the import needs is refused with its "
        "line; one it does not need is a warning in the answer. Nothing is written unless the "
        "whole file maps.\n\n"
        "The import acts in one municipality (`municipality`): its mappings place the rows, a "
        "row on another municipality's unit refuses the file (naming the unit), and it "
        "replaces that municipality's rows of its `source` in the months the file contains "
        "and the org units the importer's scope covers: re-importing is idempotent, and other "
        "municipalities, sources and committees stay."
    ),
    openapi_extra=raw_body("application/octet-stream", "An SIE file (type 2, 3 or 4)."),
    responses=UPLOAD_RESPONSES,
    operation_id="importOutcomeSie",
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
            description="Expected month `YYYY-MM`: refuse a file with rows booked outside it "
            "(the row's transdate, else its voucher's date).",
        ),
    ] = None,
    default_org_unit: DefaultOrgUnitQuery = None,
    unmapped_accounts: UnmappedAccountsQuery = UnmappedAccounts.REFUSE,
    source: SourceQuery = None,
    municipality: MunicipalityQuery = None,
) -> ImportRead:
    municipality_id = await resolve_municipality(session, ReplicaOrgUnit, actor, municipality)
    options = service.SieOptions(
        period=period,
        default_org_unit=default_org_unit,
        skip_unmapped_accounts=unmapped_accounts is UnmappedAccounts.SKIP,
        source=source,
    )
    async with receive_upload(request, filename) as upload:
        record = await service.import_sie(
            session, municipality_id, upload.file, upload.sha256, upload.filename, options, actor
        )
    return ImportRead.model_validate(record)


@router.post(
    "/outcomes/csv",
    response_model=ImportRead,
    status_code=status.HTTP_201_CREATED,
    summary="Import monthly outcome from CSV",
    description=(
        "UTF-8 CSV, `;` or `,` separated, with the header "
        "`period;org_unit_id;activity_code;account_group;amount` (period `YYYY-MM`, "
        "activity_code may be empty), as the body or a multipart form's `file` part. Amounts "
        "use the stored result sign (revenue +, cost −) and Swedish formats (`-1 234,50`). "
        "The municipality's rows of the source (`csv` unless `source` says otherwise) in the "
        "file's months and the importer's scope are replaced; a broken row, or a row on a unit "
        "of another municipality, refuses the file with its line."
    ),
    openapi_extra=raw_body("text/csv", "CSV rows of monthly outcome."),
    responses=UPLOAD_RESPONSES,
    operation_id="importOutcomeCsv",
)
async def import_csv(
    request: Request,
    session: Session,
    actor: LedgerWriter,
    filename: FilenameQuery = None,
    unit: Annotated[MoneyUnit, Query(description="Unit of the amounts.")] = MoneyUnit.KR,
    source: SourceQuery = None,
    municipality: MunicipalityQuery = None,
) -> ImportRead:
    municipality_id = await resolve_municipality(session, ReplicaOrgUnit, actor, municipality)
    async with receive_upload(request, filename) as upload:
        record = await service.import_csv(
            session,
            municipality_id,
            upload.file,
            upload.sha256,
            upload.filename,
            unit,
            source,
            actor,
        )
    return ImportRead.model_validate(record)


@router.get(
    "/outcomes/imports",
    response_model=Page[ImportRead],
    summary="Outcome imports",
    operation_id="listOutcomeImports",
)
async def list_imports(
    session: Session,
    scope: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    municipality: Annotated[
        str | None, Query(max_length=64, description="Only the imports of this municipality.")
    ] = None,
) -> Page[ImportRead]:
    rows, next_cursor = await service.list_imports(session, page, municipality, scope)
    return Page(items=[ImportRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/outcomes",
    response_model=Page[OutcomeRead],
    summary="Stored monthly outcome rows",
    description="Summed per month × org unit × activity × account group, result sign.",
    operation_id="listOutcomes",
)
async def list_outcome(
    session: Session,
    scope: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    year: Annotated[int, Query(ge=2000, le=2100)],
    month: Annotated[int | None, Query(ge=1, le=12)] = None,
    org_unit: Annotated[str | None, Query(max_length=64, description="Subtree root.")] = None,
) -> Page[OutcomeRead]:
    rows, next_cursor = await service.list_outcome(session, page, year, month, org_unit, scope)
    items = [
        OutcomeRead(
            year=row.year,
            month=row.month,
            org_unit_id=row.org_unit_id,
            activity_code=row.activity_code,
            account_group=row.account_group_key,
            source=row.source,
            amount=row.amount,
        )
        for row in rows
    ]
    return Page(items=items, next_cursor=next_cursor)
