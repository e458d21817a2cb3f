"""Outcome imports: SIE 4 and CSV into monthly outcome rows.

An import replaces every month it contains (all units), so re-importing a month is
idempotent. The whole file is read and mapped before anything is written and everything is
written in one transaction: a broken file is refused with its line number and leaves the
stored outcome as it was.

Ledger amounts are debit-positive (a cost is a debit), so outcome = −amount in the stored
result convention. Balance-sheet accounts (below 3000) are not outcome and are skipped; a
result account without a mapping, or a row without an org unit, refuses the file.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import case, delete, func, insert, tuple_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_budget.amounts import AmountError, MoneyUnit, parse_amount
from styr_budget.common import check_scope_all, known_units, subtree
from styr_budget.dimensions import service as dimensions
from styr_budget.dimensions.models import AccountMapping, ObjectMapping
from styr_budget.outcomes import sie
from styr_budget.outcomes.models import MONTH_COLUMNS, Outcome, OutcomeImport, OutcomeYear
from styr_shared.auth import Principal
from styr_shared.errors import FieldError, ProblemError
from styr_shared.pagination import PageParams, paginate

FIRST_RESULT_ACCOUNT = 3000
IMPORT_LOCK = 4711002  # pg advisory lock key: one outcome import at a time (rollup rebuild)
Key = tuple[int, int, str, str | None, str]  # year, month, unit, activity, group


class ImportRejectedError(ProblemError):
    status, slug = 422, "import-rejected"

    def __init__(self, line: int, message: str) -> None:
        super().__init__(
            f"line {line}: {message}",
            errors=[FieldError(field=f"body.line.{line}", message=message, type="invalid")],
        )
        self.line = line


@dataclass
class Mapped:
    sums: dict[Key, Decimal]
    transactions: int


def _group_for(mappings: list[AccountMapping], account: int) -> str | None:
    for mapping in mappings:
        if mapping.account_from <= account <= mapping.account_to:
            return mapping.account_group_key
    return None


async def map_sie(session: AsyncSession, parsed: sie.SieFile, period: str | None) -> Mapped:
    accounts = list(
        (
            await session.exec(select(AccountMapping).order_by(col(AccountMapping.account_from)))
        ).all()
    )
    objects = {
        (row.dimension, row.object_code): row
        for row in (await session.exec(select(ObjectMapping))).all()
    }
    mapped_dimensions = {dimension for dimension, _ in objects}
    sums: dict[Key, Decimal] = defaultdict(Decimal)
    count = 0
    for verification in parsed.verifications:
        day = verification.date
        if not any(start <= day <= end for start, end in parsed.years.values()):
            raise ImportRejectedError(verification.line, f"date {day} is in no #RAR fiscal year")
        if period is not None and f"{day.year:04d}-{day.month:02d}" != period:
            raise ImportRejectedError(verification.line, f"date {day} is outside period {period}")
        for transaction in verification.transactions:
            count += 1
            if transaction.account < FIRST_RESULT_ACCOUNT:
                continue
            group = _group_for(accounts, transaction.account)
            if group is None:
                raise ImportRejectedError(
                    transaction.line, f"account {transaction.account} has no account group mapping"
                )
            unit: str | None = None
            activity: str | None = None
            for dimension, code in transaction.objects:
                mapping = objects.get((dimension, code))
                if mapping is None:
                    if dimension in mapped_dimensions:
                        raise ImportRejectedError(
                            transaction.line,
                            f"object {code!r} of dimension {dimension} is not mapped",
                        )
                    continue  # a dimension outcome does not use (e.g. project)
                if mapping.org_unit_id is not None:
                    if unit is not None and unit != mapping.org_unit_id:
                        raise ImportRejectedError(transaction.line, "objects name two org units")
                    unit = mapping.org_unit_id
                if mapping.activity_code is not None:
                    if activity is not None and activity != mapping.activity_code:
                        raise ImportRejectedError(
                            transaction.line, "objects name two activity codes"
                        )
                    activity = mapping.activity_code
            if unit is None:
                raise ImportRejectedError(transaction.line, "no object names an org unit")
            sums[(day.year, day.month, unit, activity, group)] -= transaction.amount
    if not count:
        raise ImportRejectedError(1, "the file has no verifications")
    return Mapped(sums=dict(sums), transactions=count)


CSV_COLUMNS = ("period", "org_unit_id", "activity_code", "account_group", "amount")


async def map_csv(session: AsyncSession, data: bytes, unit: MoneyUnit) -> Mapped:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportRejectedError(line, "not UTF-8 text") from exc
    first = text.split("\n", 1)[0]
    delimiter = ";" if ";" in first else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration as exc:
        raise ImportRejectedError(1, "empty file") from exc
    missing = [name for name in CSV_COLUMNS if name not in header]
    if missing:
        raise ImportRejectedError(1, f"missing columns: {', '.join(missing)}")
    index = {name: header.index(name) for name in CSV_COLUMNS}
    groups = await dimensions.groups_by_key(session)
    activities = await dimensions.activity_codes(session)
    sums: dict[Key, Decimal] = defaultdict(Decimal)
    count = 0
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(header):
            raise ImportRejectedError(line, f"expected {len(header)} fields, found {len(row)}")
        cells = {name: row[position].strip() for name, position in index.items()}
        year, month = _period(cells["period"], line)
        activity = cells["activity_code"] or None
        if activity is not None and activity not in activities:
            raise ImportRejectedError(line, f"unknown activity code {activity!r}")
        if cells["account_group"] not in groups:
            raise ImportRejectedError(line, f"unknown account group {cells['account_group']!r}")
        try:
            amount = parse_amount(cells["amount"], unit)
        except AmountError as exc:
            raise ImportRejectedError(line, f"amount: {exc}") from exc
        if not cells["org_unit_id"]:
            raise ImportRejectedError(line, "org_unit_id is empty")
        sums[(year, month, cells["org_unit_id"], activity, cells["account_group"])] += amount
        count += 1
    if not count:
        raise ImportRejectedError(1, "the file has no rows")
    return Mapped(sums=dict(sums), transactions=count)


def _period(value: str, line: int) -> tuple[int, int]:
    parts = value.split("-")
    if len(parts) != 2 or not all(part.isdigit() for part in parts):
        raise ImportRejectedError(line, f"period must be YYYY-MM, found {value!r}")
    year, month = int(parts[0]), int(parts[1])
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        raise ImportRejectedError(line, f"no such period {value!r}")
    return year, month


async def store(
    session: AsyncSession,
    *,
    source: str,
    filename: str | None,
    data: bytes,
    mapped: Mapped,
    actor: Principal | None,
) -> OutcomeImport:
    """Replace the months in ``mapped`` with its rows, in the caller's transaction."""
    units = {key[2] for key in mapped.sums}
    unknown = units - await known_units(session, units)
    if unknown:
        raise ProblemError(
            f"Unknown org units: {', '.join(sorted(unknown))}.",
            status=422,
            slug="import-rejected",
            errors=[
                FieldError(field="body", message=f"unknown org unit {u!r}", type="invalid")
                for u in sorted(unknown)
            ],
        )
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        await session.exec(select(func.pg_advisory_xact_lock(IMPORT_LOCK)))
    periods = sorted({(key[0], key[1]) for key in mapped.sums})
    in_periods = tuple_(col(Outcome.year), col(Outcome.month)).in_(periods)
    if actor is not None:
        existing_units = set(
            (await session.exec(select(Outcome.org_unit_id).where(in_periods).distinct())).all()
        )
        await check_scope_all(session, actor, units | existing_units)
    replaced = (
        await session.exec(select(func.count()).select_from(Outcome).where(in_periods))
    ).one()
    await session.exec(delete(Outcome).where(in_periods))
    record = OutcomeImport(
        source=source,
        filename=filename,
        sha256=hashlib.sha256(data).hexdigest(),
        periods=[f"{year:04d}-{month:02d}" for year, month in periods],
        transactions=mapped.transactions,
        rows=len(mapped.sums),
        replaced_rows=int(replaced),
        created_by=actor.subject if actor else "demo",
    )
    session.add(record)
    await session.flush()
    assert record.id is not None
    import_id = record.id
    session.add_all(
        Outcome(
            import_id=import_id,
            year=year,
            month=month,
            org_unit_id=unit,
            activity_code=activity,
            account_group_key=group,
            amount=amount,
        )
        for (year, month, unit, activity, group), amount in sorted(
            mapped.sums.items(), key=lambda item: (item[0][:3], item[0][3] or "", item[0][4])
        )
    )
    await session.flush()
    await rebuild_rollup(session, {year for year, _ in periods})
    return record


async def rebuild_rollup(session: AsyncSession, years: set[int]) -> None:
    """Rebuild :class:`OutcomeYear` of ``years`` from the monthly rows, in SQL."""
    await session.exec(delete(OutcomeYear).where(col(OutcomeYear.year).in_(years)))
    keys = [
        col(Outcome.year),
        col(Outcome.org_unit_id),
        col(Outcome.activity_code),
        col(Outcome.account_group_key),
    ]
    months = [
        func.sum(case((col(Outcome.month) == number, col(Outcome.amount)), else_=0))
        for number in range(1, 13)
    ]
    source = select(*keys, *months).where(col(Outcome.year).in_(years)).group_by(*keys)
    await session.exec(
        insert(OutcomeYear).from_select(
            ["year", "org_unit_id", "activity_code", "account_group_key", *MONTH_COLUMNS], source
        )
    )


async def import_sie(
    session: AsyncSession, data: bytes, filename: str | None, period: str | None, actor: Principal
) -> OutcomeImport:
    try:
        parsed = sie.parse(data)
    except sie.SieError as exc:
        raise ImportRejectedError(exc.line, exc.message) from exc
    mapped = await map_sie(session, parsed, period)
    record = await store(
        session, source="sie", filename=filename, data=data, mapped=mapped, actor=actor
    )
    await session.commit()
    return record


async def import_csv(
    session: AsyncSession, data: bytes, filename: str | None, unit: MoneyUnit, actor: Principal
) -> OutcomeImport:
    mapped = await map_csv(session, data, unit)
    record = await store(
        session, source="csv", filename=filename, data=data, mapped=mapped, actor=actor
    )
    await session.commit()
    return record


async def list_imports(
    session: AsyncSession, page: PageParams
) -> tuple[list[OutcomeImport], str | None]:
    """Imports in the order they were made (keyset on id)."""
    return await paginate(session, select(OutcomeImport), [col(OutcomeImport.id)], page)


async def list_outcome(
    session: AsyncSession,
    page: PageParams,
    year: int,
    month: int | None,
    org_unit_id: str | None,
) -> tuple[list[Outcome], str | None]:
    statement = select(Outcome).where(col(Outcome.year) == year)
    if month is not None:
        statement = statement.where(col(Outcome.month) == month)
    if org_unit_id is not None:
        statement = statement.where(
            col(Outcome.org_unit_id).in_(await subtree(session, org_unit_id))
        )
    return await paginate(session, statement, [col(Outcome.id)], page)
