"""Frames and budget versions: the sum of the lines must equal the frame when a version is
adopted; before that a draft shows its gap. Reallocations and revisions are new versions with
a reason, an author and a time, so the original and the revised budget stay queryable."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_budget.budgets import periodisation
from styr_budget.budgets.models import BudgetEntry, BudgetFrame, BudgetVersion
from styr_budget.budgets.schemas import (
    BudgetLines,
    BudgetStatus,
    FrameWrite,
    LineRead,
    LineWrite,
    VersionCreate,
    VersionKind,
    VersionRead,
    VersionStatus,
)
from styr_budget.common import (
    check_scope,
    check_scope_all,
    find_unit,
    known_units,
    require_unit,
    subtree,
    units_closed_in,
)
from styr_budget.dimensions import service as dimensions
from styr_budget.outcomes.models import MONTH_COLUMNS
from styr_shared.auth import Principal
from styr_shared.errors import (
    ConflictError,
    FieldError,
    InvalidFieldError,
    NotFoundError,
    ProblemError,
)
from styr_shared.tenancy import ReadScope
from styr_shared.types import utcnow

ZERO = Decimal("0.00")


async def get_frame(session: AsyncSession, committee_id: str, year: int) -> BudgetFrame:
    frame = (
        await session.exec(
            select(BudgetFrame).where(
                col(BudgetFrame.committee_id) == committee_id, col(BudgetFrame.year) == year
            )
        )
    ).first()
    if frame is None:
        raise NotFoundError(f"No frame for {committee_id!r} in {year}.")
    return frame


async def _versions(session: AsyncSession, committee_id: str, year: int) -> list[BudgetVersion]:
    statement = (
        select(BudgetVersion)
        .where(col(BudgetVersion.committee_id) == committee_id, col(BudgetVersion.year) == year)
        .order_by(col(BudgetVersion.number))
    )
    return list((await session.exec(statement)).all())


async def put_frame(
    session: AsyncSession, committee_id: str, year: int, data: FrameWrite, actor: Principal
) -> BudgetFrame:
    committee = await require_unit(session, committee_id, "path.committee_id")
    municipality_id = committee.municipality_id
    await dimensions.require_year(session, municipality_id, year, "path.year")
    await check_scope(session, actor, committee_id)
    net = -data.amount
    existing = (
        await session.exec(
            select(BudgetFrame).where(
                col(BudgetFrame.committee_id) == committee_id, col(BudgetFrame.year) == year
            )
        )
    ).first()
    if existing is None:
        frame = BudgetFrame(
            municipality_id=municipality_id,
            committee_id=committee_id,
            year=year,
            net_amount=net,
            original_net_amount=net,
            note=data.note,
            created_by=actor.subject,
        )
    else:
        if any(
            v.status == VersionStatus.ADOPTED for v in await _versions(session, committee_id, year)
        ):
            raise ConflictError(
                "A budget is adopted against this frame; change the frame with a revision."
            )
        frame = existing
        frame.net_amount = frame.original_net_amount = net
        frame.note = data.note
        frame.updated_at = utcnow()
    session.add(frame)
    await session.commit()
    return frame


async def _version_sums(session: AsyncSession, version_ids: list[int]) -> dict[int, Decimal]:
    if not version_ids:
        return {}
    rows = await session.exec(
        select(BudgetEntry.version_id, func.sum(BudgetEntry.amount))
        .where(col(BudgetEntry.version_id).in_(version_ids))
        .group_by(col(BudgetEntry.version_id))
    )
    return {version_id: Decimal(total or 0) for version_id, total in rows.all()}


def version_read(version: BudgetVersion, total: Decimal) -> VersionRead:
    return VersionRead(
        number=version.number,
        kind=VersionKind(version.kind),
        label=version.label,
        reason=version.reason,
        status=VersionStatus(version.status),
        frame_net_amount=version.frame_net_amount,
        from_month=version.from_month,
        lines_net_amount=total,
        created_by=version.created_by,
        created_at=version.created_at,
        adopted_by=version.adopted_by,
        adopted_at=version.adopted_at,
    )


async def status(
    session: AsyncSession, committee_id: str, year: int, scope: ReadScope
) -> BudgetStatus:
    await find_unit(session, committee_id, scope)
    frame = await get_frame(session, committee_id, year)
    versions = await _versions(session, committee_id, year)
    sums = await _version_sums(session, [v.id for v in versions if v.id is not None])
    adopted = [v for v in versions if v.status == VersionStatus.ADOPTED]
    drafts = [v for v in versions if v.status == VersionStatus.DRAFT]
    revised = sum((sums.get(v.id or 0, ZERO) for v in adopted), ZERO)
    original = sums.get(adopted[0].id or 0, ZERO) if adopted else None
    draft_total = revised + sums.get(drafts[0].id or 0, ZERO) if drafts else None
    revising = drafts and drafts[0].kind == VersionKind.REVISION
    target = drafts[0].frame_net_amount if revising else frame.net_amount
    current = draft_total if draft_total is not None else revised
    return BudgetStatus(
        committee_id=committee_id,
        year=year,
        frame_amount=-frame.net_amount,
        frame_net_amount=frame.net_amount,
        original_frame_net_amount=frame.original_net_amount,
        original_total=original,
        revised_total=revised,
        draft_total=draft_total,
        gap=current - target,
        versions=[version_read(v, sums.get(v.id or 0, ZERO)) for v in versions],
    )


async def _check_lines(
    session: AsyncSession,
    frame: BudgetFrame,
    lines: Sequence[LineWrite],
    actor: Principal,
) -> None:
    """Every line's unit under the committee, and its codes the committee's municipality's."""
    committee_id, year, municipality_id = frame.committee_id, frame.year, frame.municipality_id
    groups = await dimensions.groups_by_key(session, municipality_id)
    activities = await dimensions.activity_codes(session, municipality_id)
    keys = await dimensions.key_names(session, municipality_id)
    # units first: a miss pulls the org feed, and a unit new to the replica is under the
    # committee once that is done
    known = await known_units(session, {line.org_unit_id for line in lines})
    in_committee = set(await subtree(session, committee_id))
    closed = await units_closed_in(session, known, year)
    seen: set[tuple[str, str, str]] = set()
    errors: list[FieldError] = []
    for index, line in enumerate(lines):
        where = f"body.lines.{index}"
        key = (line.org_unit_id, line.activity_code, line.account_group)
        if line.org_unit_id not in known:
            errors.append(
                FieldError(field=f"{where}.org_unit_id", message="unknown org unit", type="invalid")
            )
        elif line.org_unit_id in closed:
            errors.append(
                FieldError(
                    field=f"{where}.org_unit_id",
                    message=f"the unit is not valid in {year}",
                    type="invalid",
                )
            )
        elif line.org_unit_id not in in_committee:
            errors.append(
                FieldError(
                    field=f"{where}.org_unit_id",
                    message=f"not under {committee_id}",
                    type="invalid",
                )
            )
        if line.activity_code not in activities:
            errors.append(
                FieldError(
                    field=f"{where}.activity_code", message="unknown activity code", type="invalid"
                )
            )
        group = groups.get(line.account_group)
        if group is None:
            errors.append(
                FieldError(
                    field=f"{where}.account_group", message="unknown account group", type="invalid"
                )
            )
        elif group.kind == "allocation":
            errors.append(
                FieldError(
                    field=f"{where}.account_group",
                    message="the allocation is the frame, not a budget line",
                    type="invalid",
                )
            )
        if line.periodisation is not None and line.periodisation not in keys:
            errors.append(
                FieldError(
                    field=f"{where}.periodisation",
                    message=f"unknown periodisation key {line.periodisation!r}",
                    type="invalid",
                )
            )
        if key in seen:
            errors.append(FieldError(field=where, message="the same line twice", type="duplicate"))
        seen.add(key)
    if errors:
        raise ProblemError(
            f"{len(errors)} invalid budget line field(s).",
            status=422,
            slug="validation-error",
            errors=errors[:100],
        )
    await check_scope_all(session, actor, {line.org_unit_id for line in lines})


async def create_version(
    session: AsyncSession, committee_id: str, year: int, data: VersionCreate, actor: Principal
) -> BudgetVersion:
    frame = await get_frame(session, committee_id, year)
    versions = await _versions(session, committee_id, year)
    if any(v.status == VersionStatus.DRAFT for v in versions):
        raise ConflictError("A draft version is open; adopt it first.")
    if data.kind is VersionKind.ORIGINAL:
        if versions:
            raise ConflictError("The original budget exists; change it with a reallocation.")
        await check_scope(session, actor, committee_id)
    elif not versions:
        raise ConflictError("Adopt the original budget before changing it.")
    if data.kind is not VersionKind.ORIGINAL and not data.reason:
        raise InvalidFieldError("body.reason", "a reallocation or revision needs a reason")
    if data.kind is VersionKind.REVISION:
        if data.frame_amount is None:
            raise InvalidFieldError("body.frame_amount", "a revision states the new frame")
        frame_net = -data.frame_amount
    else:
        if data.frame_amount is not None:
            raise InvalidFieldError("body.frame_amount", "only a revision changes the frame")
        frame_net = frame.net_amount
    if data.kind is VersionKind.ORIGINAL:
        if data.from_month not in {None, 1}:
            raise InvalidFieldError("body.from_month", "an original budget starts in January")
        from_month = 1
    else:
        today = utcnow()
        from_month = data.from_month or (today.month if today.year == year else 1)
    await _check_lines(session, frame, data.lines, actor)
    version = BudgetVersion(
        committee_id=committee_id,
        year=year,
        number=len(versions) + 1,
        kind=data.kind,
        label=data.label,
        reason=data.reason,
        frame_net_amount=frame_net,
        from_month=from_month,
        created_by=actor.subject,
    )
    session.add(version)
    await session.flush()
    assert version.id is not None
    session.add_all(_entry(version.id, frame, line) for line in data.lines)
    await session.flush()
    # the months not given are resolved by the key (see budgets.periodisation)
    await session.run_sync(
        periodisation.respread, col(BudgetEntry.version_id) == version.id, closed_years=True
    )
    if data.adopt:
        await _adopt(session, frame, version, actor)
    await session.commit()
    return version


def _entry(version_id: int, frame: BudgetFrame, line: LineWrite) -> BudgetEntry:
    fixed = list(line.months or [])
    months: dict[str, Any] = dict(
        zip(MONTH_COLUMNS, fixed + [ZERO] * (12 - len(fixed)), strict=True)
    )
    return BudgetEntry(
        version_id=version_id,
        municipality_id=frame.municipality_id,
        year=frame.year,
        org_unit_id=line.org_unit_id,
        activity_code=line.activity_code,
        account_group_key=line.account_group,
        amount=line.amount,
        periodisation=line.periodisation,
        fixed_months=len(fixed),
        ytd_through=line.ytd_through,
        ytd_amount=line.ytd_amount,
        **months,
    )


async def _adopt(
    session: AsyncSession, frame: BudgetFrame, version: BudgetVersion, actor: Principal
) -> None:
    if version.kind != VersionKind.REVISION:
        # the frame may have been set again while the original was a draft
        version.frame_net_amount = frame.net_amount
    versions = await _versions(session, frame.committee_id, frame.year)
    ids = [v.id for v in versions if v.id is not None and v.number <= version.number]
    total = sum((await _version_sums(session, ids)).values(), ZERO)
    gap = total - version.frame_net_amount
    if gap != 0:
        raise ProblemError(
            f"The budget does not add up to the frame: lines {total} kr, frame "
            f"{version.frame_net_amount} kr (net), gap {gap} kr.",
            status=422,
            slug="budget-not-balanced",
            errors=[FieldError(field="body.lines", message=f"gap {gap} kr", type="unbalanced")],
        )
    version.status = VersionStatus.ADOPTED
    version.adopted_by = actor.subject
    version.adopted_at = utcnow()
    if frame.net_amount != version.frame_net_amount:
        frame.net_amount = version.frame_net_amount
        frame.updated_at = utcnow()
        session.add(frame)
    session.add(version)


async def adopt_version(
    session: AsyncSession, committee_id: str, year: int, number: int, actor: Principal
) -> BudgetVersion:
    frame = await get_frame(session, committee_id, year)
    version = next(
        (v for v in await _versions(session, committee_id, year) if v.number == number), None
    )
    if version is None:
        raise NotFoundError(f"Version {number} does not exist.")
    if version.status == VersionStatus.ADOPTED:
        raise ConflictError(f"Version {number} is already adopted.")
    if version.kind == VersionKind.ORIGINAL:
        await check_scope(session, actor, committee_id)
    else:
        # a reallocation is adopted by whoever may change every line it touches
        units = await session.exec(
            select(BudgetEntry.org_unit_id).where(col(BudgetEntry.version_id) == version.id)
        )
        await check_scope_all(session, actor, set(units.all()))
    await _adopt(session, frame, version, actor)
    await session.commit()
    return version


async def version_total(session: AsyncSession, version: BudgetVersion) -> Decimal:
    assert version.id is not None
    return (await _version_sums(session, [version.id])).get(version.id, ZERO)


async def lines(
    session: AsyncSession, committee_id: str, year: int, version: int | None, scope: ReadScope
) -> BudgetLines:
    await find_unit(session, committee_id, scope)
    return await adopted_lines(session, committee_id, year, version)


async def adopted_lines(
    session: AsyncSession, committee_id: str, year: int, version: int | None
) -> BudgetLines:
    """The adopted lines up to ``version`` (the latest adopted when ``None``)."""
    await get_frame(session, committee_id, year)
    adopted = [
        v for v in await _versions(session, committee_id, year) if v.status == VersionStatus.ADOPTED
    ]
    if not adopted:
        return BudgetLines(committee_id=committee_id, year=year, version=0, total=ZERO, lines=[])
    number = adopted[-1].number if version is None else version
    if number not in {v.number for v in adopted}:
        raise InvalidFieldError("query.version", f"version {number} is not adopted")
    ids = [v.id for v in adopted if v.number <= number]
    total_amount = func.sum(BudgetEntry.amount)
    month_totals = [func.sum(getattr(BudgetEntry, name)) for name in MONTH_COLUMNS]
    rows = await session.exec(
        select(
            BudgetEntry.org_unit_id,
            BudgetEntry.activity_code,
            BudgetEntry.account_group_key,
            total_amount,
            *month_totals,
        )
        .where(col(BudgetEntry.version_id).in_(ids))
        .group_by(
            col(BudgetEntry.org_unit_id),
            col(BudgetEntry.activity_code),
            col(BudgetEntry.account_group_key),
        )
        .order_by(
            col(BudgetEntry.org_unit_id),
            col(BudgetEntry.activity_code),
            col(BudgetEntry.account_group_key),
        )
    )
    items = [
        LineRead(
            org_unit_id=row[0],
            activity_code=row[1],
            account_group=row[2],
            amount=Decimal(row[3]),
            months=[Decimal(row[index]) for index in range(4, 16)],
        )
        for row in rows.all()
    ]
    return BudgetLines(
        committee_id=committee_id,
        year=year,
        version=number,
        total=sum((item.amount for item in items), ZERO),
        lines=items,
    )


async def line_keys(
    session: AsyncSession, committee_id: str, year: int
) -> dict[tuple[str, str, str], str]:
    """The explicit periodisation key of each line of the original budget (if any)."""
    rows = await session.exec(
        select(
            BudgetEntry.org_unit_id,
            BudgetEntry.activity_code,
            BudgetEntry.account_group_key,
            BudgetEntry.periodisation,
        )
        .join(BudgetVersion, col(BudgetVersion.id) == col(BudgetEntry.version_id))
        .where(
            col(BudgetVersion.committee_id) == committee_id,
            col(BudgetVersion.year) == year,
            col(BudgetVersion.number) == 1,
            col(BudgetEntry.periodisation).is_not(None),
        )
    )
    return {(unit, code, group): key for unit, code, group, key in rows.all() if key}
