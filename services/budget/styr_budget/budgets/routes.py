"""HTTP layer for frames and budget versions."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, status
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_budget.amounts import MoneyUnit, parse_amount
from styr_budget.budgets import imports, service
from styr_budget.budgets.schemas import (
    BudgetLines,
    BudgetStatus,
    FrameWrite,
    MonthlyImportRead,
    RejectedRow,
    VersionCreate,
    VersionKind,
    VersionRead,
)
from styr_budget.common import Controller, Reader, Session, require_unit
from styr_budget.dimensions import service as dimensions
from styr_budget.outcomes.service import SieOptions, load_rules
from styr_budget.uploads import (
    DefaultOrgUnitQuery,
    UnmappedAccounts,
    UnmappedAccountsQuery,
    raw_body,
    receive_upload,
)
from styr_shared.auth import Principal
from styr_shared.errors import UPLOAD_RESPONSES, InvalidFieldError

router = APIRouter(tags=["budget"])
Year = Annotated[int, Path(ge=2000, le=2100)]
Committee = Annotated[str, Path(max_length=64, description="Org unit id of the committee.")]
KindQuery = Annotated[VersionKind, Query(description="original, reallocation or revision.")]
LabelQuery = Annotated[str, Query(min_length=1, max_length=200)]
ReasonQuery = Annotated[str | None, Query(max_length=2000)]
FromMonthQuery = Annotated[
    int | None, Query(ge=1, le=12, description="Changes without months spread from this month.")
]


@router.put(
    "/budgets/{committee_id}/{year}/frame",
    response_model=BudgetStatus,
    summary="Set a committee's frame (ram) for a year",
    description="Before a budget is adopted against it; afterwards only a revision changes it.",
    operation_id="putBudgetFrame",
)
async def put_frame(
    committee_id: Committee,
    year: Year,
    body: FrameWrite,
    session: Session,
    actor: Controller,
    scope: Reader,
) -> BudgetStatus:
    await service.put_frame(session, committee_id, year, body, actor)
    return await service.status(session, committee_id, year, scope)


@router.get(
    "/budgets/{committee_id}/{year}",
    response_model=BudgetStatus,
    summary="Frame, versions, original and revised totals and the gap to the frame",
    operation_id="getBudget",
)
async def get_status(
    committee_id: Committee, year: Year, session: Session, scope: Reader
) -> BudgetStatus:
    return await service.status(session, committee_id, year, scope)


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
    operation_id="createBudgetVersion",
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
    operation_id="adoptBudgetVersion",
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
    operation_id="listBudgetLines",
)
async def get_lines(
    committee_id: Committee,
    year: Year,
    session: Session,
    scope: Reader,
    version: Annotated[int | None, Query(ge=1, description="Adopted version number.")] = None,
) -> BudgetLines:
    return await service.lines(session, committee_id, year, version, scope)


@router.post(
    "/budgets/{committee_id}/{year}/versions/csv",
    response_model=MonthlyImportRead,
    status_code=status.HTTP_201_CREATED,
    summary="Add a budget version from a monthly budget (CSV)",
    description=(
        "UTF-8 CSV, `;` or `,` separated, header `period;org_unit_id;activity_code;"
        "account_group;amount` (or `account`, a ledger account mapped by the account "
        "mappings, instead of `account_group`). `period` is `YYYY-MM`, or `YYYY` for a line's "
        "annual amount. Rows of a line and month add up. A line with only month rows is a "
        "monthly budget (its amount is their sum, months without a row are 0). A line with "
        "an annual row is a year-to-date budget as printed: its months up to the last month "
        "in the file are fixed as given, the rest of the annual amount is spread by its key. "
        "Amounts in `unit`, result sign. Every rejected row is reported (`rejected`) and its "
        "line left out; the rest becomes the version (a draft). With `adopt=true` any "
        "rejected row refuses the file (422 listing every row) and nothing is written."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
    responses=UPLOAD_RESPONSES,
    operation_id="importBudgetVersionCsv",
)
async def import_versions_csv(
    committee_id: Committee,
    year: Year,
    request: Request,
    session: Session,
    actor: Controller,
    kind: KindQuery,
    label: LabelQuery,
    reason: ReasonQuery = None,
    frame_amount: Annotated[
        str | None, Query(max_length=40, description="Revisions: the new frame, in `unit`.")
    ] = None,
    from_month: FromMonthQuery = None,
    adopt: bool = False,
    as_printed: Annotated[
        bool,
        Query(
            description="With `kind=reallocation`: the file is a report's periodised budget "
            "(e.g. January–November) for adopted lines; their first months become the printed "
            "ones, their amounts stay, the difference moves to the months after."
        ),
    ] = False,
    unit: Annotated[MoneyUnit, Query(description="Unit of the amounts.")] = MoneyUnit.KR,
) -> MonthlyImportRead:
    frame = _frame(frame_amount, unit)
    rows, rejected = imports.read_csv(await request.body(), unit)
    version = VersionOptions(kind, label, reason, frame, from_month, adopt, as_printed)
    return await _import(session, committee_id, year, rows, rejected, version, actor)


@dataclass
class VersionOptions:
    kind: VersionKind
    label: str
    reason: str | None
    frame_amount: Decimal | None
    from_month: int | None
    adopt: bool
    as_printed: bool


async def _import(
    session: AsyncSession,
    committee_id: str,
    year: int,
    rows: list[imports.MonthlyBudgetRow],
    rejected: list[RejectedRow],
    version: VersionOptions,
    actor: Principal,
) -> MonthlyImportRead:
    result = await imports.import_monthly_rows(
        session,
        committee_id,
        year,
        rows,
        kind=version.kind,
        label=version.label,
        reason=version.reason,
        frame_amount=version.frame_amount,
        from_month=version.from_month,
        adopt=version.adopt,
        as_printed=version.as_printed,
        actor=actor,
        rejected=rejected,
    )
    total = await service.version_total(session, result.version)
    return MonthlyImportRead(
        version=service.version_read(result.version, total),
        rows=result.rows,
        lines=result.lines,
        rejected=result.rejected,
    )


@router.post(
    "/budgets/{committee_id}/{year}/versions/sie",
    response_model=MonthlyImportRead,
    status_code=status.HTTP_201_CREATED,
    summary="Add a budget version from an SIE file's period budgets (#PBUDGET)",
    description=(
        "The body is an SIE file (any type with `#PBUDGET` rows: `#PBUDGET 0 YYYYMM account "
        "{objects} amount`), raw or as a multipart form's `file` part. The rows of the "
        "year on result accounts (BAS classes 3–8) are placed through the account and object "
        "mappings as ledger outcome is: an object maps to an org unit and/or an activity code; "
        "rows whose objects name no org unit go to `default_org_unit`, rows whose objects name "
        "no activity to `default_activity`. Ledger amounts are debit-positive, so the budget "
        "is their negation (revenue +, cost −). Each line's months are the file's months (a "
        "monthly budget). Rows that cannot be placed are reported per kind (`rejected`, with "
        "counts and first lines); the rest becomes the version (a draft), or with "
        "`adopt=true` nothing is written unless every row is placed."
    ),
    openapi_extra=raw_body("application/octet-stream", "An SIE file with #PBUDGET rows."),
    responses=UPLOAD_RESPONSES,
    operation_id="importBudgetVersionSie",
)
async def import_versions_sie(
    committee_id: Committee,
    year: Year,
    request: Request,
    session: Session,
    actor: Controller,
    kind: KindQuery,
    label: LabelQuery,
    reason: ReasonQuery = None,
    frame_amount: Annotated[
        str | None, Query(max_length=40, description="Revisions: the new frame, in kronor.")
    ] = None,
    from_month: FromMonthQuery = None,
    adopt: bool = False,
    default_org_unit: DefaultOrgUnitQuery = None,
    default_activity: Annotated[
        str | None,
        Query(max_length=20, description="Activity code for rows whose objects name none."),
    ] = None,
    unmapped_accounts: UnmappedAccountsQuery = UnmappedAccounts.REFUSE,
) -> MonthlyImportRead:
    frame = _frame(frame_amount, MoneyUnit.KR)
    # the committee's municipality's codes and mappings place the file's rows
    committee = await require_unit(session, committee_id, "path.committee_id")
    municipality_id = committee.municipality_id
    if default_activity is not None and default_activity not in await dimensions.activity_codes(
        session, municipality_id
    ):
        raise InvalidFieldError(
            "query.default_activity", f"unknown activity code {default_activity!r}"
        )
    rules = await load_rules(
        session,
        municipality_id,
        SieOptions(
            default_org_unit=default_org_unit,
            skip_unmapped_accounts=unmapped_accounts is UnmappedAccounts.SKIP,
        ),
    )
    async with receive_upload(request, None) as upload:
        # parsing is CPU work: off the event loop, as the outcome import does
        rows, rejected = await asyncio.to_thread(
            imports.read_sie, upload.file, rules, year, default_activity
        )
    version = VersionOptions(kind, label, reason, frame, from_month, adopt, as_printed=False)
    return await _import(session, committee_id, year, rows, rejected, version, actor)


def _frame(frame_amount: str | None, unit: MoneyUnit) -> Decimal | None:
    if frame_amount is None:
        return None
    try:
        return parse_amount(frame_amount, unit)
    except ValueError as exc:
        raise InvalidFieldError("query.frame_amount", str(exc)) from exc
