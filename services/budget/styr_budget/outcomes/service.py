"""Outcome imports: SIE (types 2, 3 and 4) and CSV into monthly outcome rows.

Every row belongs to a *source* (the exporting program, ``csv``, ``demo`` or the importer's
``?source=``). An import acts in one municipality: it reads that municipality's mappings and
codes, takes rows of its units only, and replaces the rows of its own source in that
municipality, in the months the file contains, within the org units the importer's scope
covers; other municipalities, sources, months and committees stay. Re-importing the same file
is idempotent.

The file is read as a stream (spooled to disk by the route) and mapped in a worker thread, so
the event loop keeps answering while a year's export imports. Everything the mappings cannot
place is collected and refused in one answer (every unmapped object and account with counts and
first lines); nothing is written unless the whole file maps. Writing is one transaction.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import and_, case, delete, func, insert, tuple_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_budget.amounts import MoneyUnit
from styr_budget.common import (
    check_scope_all,
    find_unit,
    require_unit_in,
    subtree,
    unit_municipalities,
)
from styr_budget.dimensions import service as dimensions
from styr_budget.dimensions.models import AccountMapping, ObjectMapping
from styr_budget.outcomes import mapping, sie
from styr_budget.outcomes.mapping import Mapped
from styr_budget.outcomes.models import MONTH_COLUMNS, Outcome, OutcomeImport, OutcomeYear
from styr_shared.auth import Principal
from styr_shared.errors import FieldError, ProblemError
from styr_shared.metrics import track_import
from styr_shared.pagination import PageParams, paginate
from styr_shared.tenancy import ReadScope

IMPORT_LOCK = 4711002  # pg advisory lock key: one outcome import at a time (rollup rebuild)
MAX_SOURCE_LENGTH = 100
MAX_LISTED_PROBLEMS = 20
# The source of SIE rows imported before sources existed (migration 0003): any SIE import
# replaces them in its months and scope, as every import replaced whole months then.
LEGACY_SIE_SOURCE = "sie (before 0003)"

logger = logging.getLogger("styr.budget.outcomes")


class ImportRejectedError(ProblemError):
    status, slug = 422, "import-rejected"

    def __init__(self, line: int, message: str) -> None:
        super().__init__(
            f"line {line}: {message}",
            errors=[FieldError(field=f"body.line.{line}", message=message, type="invalid")],
        )
        self.line = line


class UnmappedRowsError(ProblemError):
    """Rows the mappings cannot place, every kind listed with its count and first lines."""

    status, slug = 422, "import-rejected"

    def __init__(self, problems: list[mapping.Problem]) -> None:
        def describe(problem: mapping.Problem) -> str:
            lines = ", ".join(str(line) for line in problem.lines)
            rows = "row" if problem.count == 1 else "rows"
            return f"{problem.message}: {problem.count} {rows}, first lines {lines}"

        listed = [describe(problem) for problem in problems[:MAX_LISTED_PROBLEMS]]
        more = len(problems) - len(listed)
        hint = (
            " Map the objects and accounts, or import with ?default_org_unit=<org unit> "
            "(rows naming no mapped org unit) and ?unmapped_accounts=skip."
        )
        super().__init__(
            f"{len(problems)} kinds of rows cannot be placed: "
            + "; ".join(listed)
            + (f"; and {more} more (see errors)" if more > 0 else "")
            + "."
            + hint,
            errors=[
                FieldError(
                    field=f"body.line.{problem.lines[0]}",
                    message=describe(problem),
                    type=problem.kind,
                )
                for problem in problems
            ],
        )


@dataclass
class SieOptions:
    period: str | None = None
    default_org_unit: str | None = None
    skip_unmapped_accounts: bool = False
    source: str | None = None


async def load_rules(
    session: AsyncSession, municipality_id: str, options: SieOptions
) -> mapping.Rules:
    """The municipality's account and object mappings and the import's options."""
    accounts = (
        await session.exec(
            select(AccountMapping).where(col(AccountMapping.municipality_id) == municipality_id)
        )
    ).all()
    objects = (
        await session.exec(
            select(ObjectMapping).where(col(ObjectMapping.municipality_id) == municipality_id)
        )
    ).all()
    if options.default_org_unit is not None:
        await require_unit_in(
            session, options.default_org_unit, municipality_id, "query.default_org_unit"
        )
    period = None
    if options.period is not None:
        year, month = options.period.split("-")
        period = (int(year), int(month))
    return mapping.Rules(
        account_ranges=[(a.account_from, a.account_to, a.account_group_key) for a in accounts],
        objects={
            (o.dimension, o.object_code): mapping.ObjectTarget(o.org_unit_id, o.activity_code)
            for o in objects
        },
        default_unit=options.default_org_unit,
        skip_unmapped_accounts=options.skip_unmapped_accounts,
        period=period,
    )


def _map_sie(stream: BinaryIO, rules: mapping.Rules) -> Mapped:
    started = time.perf_counter()
    try:
        mapped = mapping.map_sie(stream, rules)
    except sie.SieError as exc:
        raise ImportRejectedError(exc.line, exc.message) from exc
    logger.info(
        "SIE mapped: %d transactions, %d sums in %.1f s",
        mapped.transactions,
        len(mapped.sums),
        time.perf_counter() - started,
    )
    return mapped


def _map_csv(stream: BinaryIO, groups: set[str], activities: set[str], unit: MoneyUnit) -> Mapped:
    try:
        return mapping.map_csv(stream, groups, activities, unit)
    except mapping.CsvError as exc:
        raise ImportRejectedError(exc.line, exc.message) from exc


async def _scope_units(session: AsyncSession, actor: Principal | None) -> set[str] | None:
    """The org units the importer's scope covers (``None``: every unit)."""
    if actor is None or actor.unrestricted:
        return None
    covered: set[str] = set()
    for unit_id in actor.org_units:
        covered.update(await subtree(session, unit_id) or [unit_id])
    return covered


async def _check_units(session: AsyncSession, municipality_id: str, mapped: Mapped) -> None:
    """Every unit of the file is known (a miss pulls the org feed once for the whole file) and
    is the municipality's; else the file is refused, each unit named with its first line."""
    units = {key[2] for key in mapped.sums}
    found = await unit_municipalities(session, units)
    first_line: dict[str, int] = {}
    for key, number in mapped.first_lines.items():
        first_line[key[2]] = min(number, first_line.get(key[2], number))
    errors: list[tuple[int, FieldError]] = []
    for unit in sorted(units):
        if unit not in found:
            message = f"unknown org unit {unit!r}"
        elif found[unit] != municipality_id:
            message = (
                f"org unit {unit!r} belongs to municipality {found[unit]!r}, not "
                f"{municipality_id!r} (the municipality this import acts in)"
            )
        else:
            continue
        line = first_line.get(unit)
        field = "body" if line is None else f"body.line.{line}"
        errors.append((line or 0, FieldError(field=field, message=message, type="invalid")))
    if errors:
        errors.sort(key=lambda item: item[0])
        raise ProblemError(
            f"{len(errors)} org unit(s) not of {municipality_id}: "
            + "; ".join(error.message for _, error in errors[:MAX_LISTED_PROBLEMS])
            + ".",
            status=422,
            slug="import-rejected",
            errors=[error for _, error in errors],
        )


async def store(
    session: AsyncSession,
    *,
    municipality_id: str,
    source: str,
    format: str,
    filename: str | None,
    sha256: str,
    mapped: Mapped,
    actor: Principal | None,
) -> OutcomeImport:
    """Replace the municipality's rows of ``source`` in the months of ``mapped`` (within the
    importer's scope) with its rows, in the caller's transaction."""
    await _check_units(session, municipality_id, mapped)
    units = {key[2] for key in mapped.sums}
    if actor is not None:
        await check_scope_all(session, actor, units)
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        await session.exec(select(func.pg_advisory_xact_lock(IMPORT_LOCK)))
    periods = sorted({(key[0], key[1]) for key in mapped.sums})
    sources = [source, LEGACY_SIE_SOURCE] if format == "sie" else [source]
    conditions = [
        col(Outcome.municipality_id) == municipality_id,
        col(Outcome.source).in_(sources),
        tuple_(col(Outcome.year), col(Outcome.month)).in_(periods),
    ]
    scope = await _scope_units(session, actor)
    if scope is not None:
        conditions.append(col(Outcome.org_unit_id).in_(sorted(scope)))
    replaced_rows = and_(*conditions)
    replaced = (
        await session.exec(select(func.count()).select_from(Outcome).where(replaced_rows))
    ).one()
    await session.exec(delete(Outcome).where(replaced_rows))
    record = OutcomeImport(
        municipality_id=municipality_id,
        source=source,
        format=format,
        filename=filename,
        sha256=sha256,
        periods=[f"{year:04d}-{month:02d}" for year, month in periods],
        transactions=mapped.transactions,
        rows=len(mapped.sums),
        replaced_rows=int(replaced),
        rows_defaulted=mapped.rows_defaulted,
        accounts_skipped=mapped.accounts_skipped,
        vouchers_skipped=mapped.vouchers_skipped,
        warnings=mapped.warnings,
        created_by=actor.subject if actor else "demo",
    )
    session.add(record)
    await session.flush()
    assert record.id is not None
    import_id = record.id
    rows = [
        {
            "import_id": import_id,
            "municipality_id": municipality_id,
            "source": source,
            "year": year,
            "month": month,
            "org_unit_id": unit,
            "activity_code": activity,
            "account_group_key": group,
            "amount": amount,
        }
        for (year, month, unit, activity, group), amount in sorted(
            mapped.sums.items(), key=lambda item: (item[0][:3], item[0][3] or "", item[0][4])
        )
    ]
    if rows:  # executemany: SQLAlchemy batches it within the driver's parameter limit
        connection = await session.connection()
        await connection.execute(insert(Outcome), rows)
    await rebuild_rollup(session, municipality_id, {year for year, _ in periods})
    return record


async def rebuild_rollup(session: AsyncSession, municipality_id: str, years: set[int]) -> None:
    """Rebuild the municipality's :class:`OutcomeYear` of ``years`` from its monthly rows of
    every source."""
    await session.exec(
        delete(OutcomeYear).where(
            col(OutcomeYear.municipality_id) == municipality_id, col(OutcomeYear.year).in_(years)
        )
    )
    keys = [
        col(Outcome.municipality_id),
        col(Outcome.year),
        col(Outcome.org_unit_id),
        col(Outcome.activity_code),
        col(Outcome.account_group_key),
    ]
    months = [
        func.sum(case((col(Outcome.month) == number, col(Outcome.amount)), else_=0))
        for number in range(1, 13)
    ]
    source = (
        select(*keys, *months)
        .where(col(Outcome.municipality_id) == municipality_id, col(Outcome.year).in_(years))
        .group_by(*keys)
    )
    columns = ["municipality_id", "year", "org_unit_id", "activity_code", "account_group_key"]
    await session.exec(insert(OutcomeYear).from_select([*columns, *MONTH_COLUMNS], source))


def _source(value: str | None, fallback: str) -> str:
    cleaned = " ".join((value or "").split())[:MAX_SOURCE_LENGTH]
    return cleaned or fallback


async def import_sie(
    session: AsyncSession,
    municipality_id: str,
    stream: BinaryIO,
    sha256: str,
    filename: str | None,
    options: SieOptions,
    actor: Principal,
) -> OutcomeImport:
    with track_import("budget", "outcome_sie") as run:
        rules = await load_rules(session, municipality_id, options)
        # the session's connection is not needed while the file is read
        await session.commit()
        mapped = await asyncio.to_thread(_map_sie, stream, rules)
        if mapped.problems:
            raise UnmappedRowsError(mapped.problems)
        source = _source(options.source, _source(mapped.program, "sie"))
        record = await store(
            session,
            municipality_id=municipality_id,
            source=source,
            format="sie",
            filename=filename,
            sha256=sha256,
            mapped=mapped,
            actor=actor,
        )
        await session.commit()
        run.rows = {"accepted": record.transactions, "skipped": record.accounts_skipped}
    return record


async def import_csv(
    session: AsyncSession,
    municipality_id: str,
    stream: BinaryIO,
    sha256: str,
    filename: str | None,
    unit: MoneyUnit,
    source: str | None,
    actor: Principal,
) -> OutcomeImport:
    with track_import("budget", "outcome_csv") as run:
        groups = set((await dimensions.groups_by_key(session, municipality_id)).keys())
        activities = await dimensions.activity_codes(session, municipality_id)
        await session.commit()
        mapped = await asyncio.to_thread(_map_csv, stream, groups, activities, unit)
        record = await store(
            session,
            municipality_id=municipality_id,
            source=_source(source, "csv"),
            format="csv",
            filename=filename,
            sha256=sha256,
            mapped=mapped,
            actor=actor,
        )
        await session.commit()
        run.rows = {"accepted": record.transactions}
    return record


async def list_imports(
    session: AsyncSession, page: PageParams, municipality_id: str | None, scope: ReadScope
) -> tuple[list[OutcomeImport], str | None]:
    """Imports in the order they were made (keyset on id), of the municipalities read here."""
    statement = select(OutcomeImport).where(scope.clause(OutcomeImport.municipality_id))
    if municipality_id is not None:
        statement = statement.where(col(OutcomeImport.municipality_id) == municipality_id)
    return await paginate(session, statement, [col(OutcomeImport.id)], page)


async def list_outcome(
    session: AsyncSession,
    page: PageParams,
    year: int,
    month: int | None,
    org_unit_id: str | None,
    scope: ReadScope,
) -> tuple[list[Outcome], str | None]:
    statement = select(Outcome).where(
        col(Outcome.year) == year, scope.clause(Outcome.municipality_id)
    )
    if month is not None:
        statement = statement.where(col(Outcome.month) == month)
    if org_unit_id is not None:
        await find_unit(session, org_unit_id, scope)
        statement = statement.where(
            col(Outcome.org_unit_id).in_(await subtree(session, org_unit_id))
        )
    return await paginate(session, statement, [col(Outcome.id)], page)
