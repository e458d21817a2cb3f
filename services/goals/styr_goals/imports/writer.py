"""Set-based upsert of a batch of values through a staging table.

Each batch goes into a temporary ``import_stage`` table (PostgreSQL: ``COPY``; SQLite: one
``executemany``), is checked against the keys earlier batches of the same import had (the
temporary ``import_seen``: memory stays flat however long the file), is matched to stored
values by the natural key in one statement, and is then
merged with three set-based statements: audit rows for changed values, one ``UPDATE … FROM``
for the changed ones, one ``INSERT … SELECT`` for the new ones. Unchanged values are not
touched at all, so re-posting a file writes nothing. The same SQL runs on both databases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    and_,
    case,
    cast,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from styr_goals.imports.resolve import ValueRow
from styr_goals.measures.models import MeasureValue, MeasureValueAudit

STAGE_COLUMNS = (
    "row_number",
    "measure_id",
    "org_unit_id",
    "period",
    "period_end",
    "year",
    "segment",
    "gender",
    "value",
    "numerator",
    "denominator",
    "state",
    "comment",
    "definition_version",
    "closed",
    "key_hash",
)
# Never created in a service's schema: it lives per connection, as a temporary table.
stage = Table(
    "import_stage",
    MetaData(),
    Column("row_number", Integer),
    Column("measure_id", String(64)),
    Column("org_unit_id", String(64)),
    Column("period", String(10)),
    Column("period_end", Date),
    Column("year", Integer),
    Column("segment", String(60)),
    Column("gender", String(1)),
    Column("value", Numeric(18, 4)),
    Column("numerator", Numeric(18, 4)),
    Column("denominator", Numeric(18, 4)),
    Column("state", String(20)),
    Column("comment", Text),
    Column("definition_version", Integer),
    Column("closed", Boolean),
    Column("key_hash", BigInteger),
    Column("value_id", Integer),
    prefixes=["TEMPORARY"],
)
# Keys already staged by this import, to reject a key that comes again in a later batch.
# Indexed by a 64-bit hash of the key (a far cheaper index than five text columns); the key
# itself is kept to confirm a match, so a hash collision never rejects a row.
seen = Table(
    "import_seen",
    MetaData(),
    Column("key_hash", BigInteger, primary_key=True),
    Column("measure_id", String(64)),
    Column("org_unit_id", String(64)),
    Column("period", String(10)),
    Column("segment", String(60)),
    Column("gender", String(1)),
    Column("row_number", Integer),
    prefixes=["TEMPORARY"],
)
KEY = ("measure_id", "org_unit_id", "period", "segment", "gender")
values = MeasureValue.__table__  # type: ignore[attr-defined]
audit = MeasureValueAudit.__table__  # type: ignore[attr-defined]
COMPARED = ("value", "numerator", "denominator", "state", "comment")


@dataclass
class BatchCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


async def prepare_stage(connection: AsyncConnection) -> None:
    """Create this connection's (empty) staging tables; call once per import."""

    def create(sync: Connection) -> None:
        for table in (stage, seen):
            table.create(sync, checkfirst=True)

    await connection.run_sync(create)
    for table in (stage, seen):
        await _clear(connection, table)


async def _clear(connection: AsyncConnection, table: Table) -> None:
    # Autovacuum never visits temporary tables: on PostgreSQL a DELETE per batch would leave
    # every batch's dead rows behind for the next scans. TRUNCATE frees them at once.
    if connection.dialect.name == "postgresql":
        await connection.execute(text(f"TRUNCATE {table.name}"))
    else:
        await connection.execute(table.delete())


def _key_match(table: Table) -> ColumnElement[bool]:
    return and_(*(table.c[name] == stage.c[name] for name in KEY))


def _differs() -> ColumnElement[bool]:
    return or_(*(values.c[name].is_distinct_from(stage.c[name]) for name in COMPARED))


def _snapshot(source: Any, dialect: str) -> ColumnElement[Any]:
    # The same document as the single-value path's audit entries (numbers as text).
    build = func.jsonb_build_object if dialect == "postgresql" else func.json_object
    pairs: list[Any] = []
    for name in ("period", "org_unit_id", "gender", "state", "comment"):
        pairs += [literal(name), source.c[name]]
    pairs += [literal("segment"), func.nullif(source.c.segment, "")]
    for name in ("value", "numerator", "denominator"):
        pairs += [literal(name), cast(source.c[name], String)]
    return build(*pairs)


async def stage_rows(connection: AsyncConnection, rows: list[ValueRow]) -> list[tuple[int, int]]:
    """Stage one batch (its keys unique within it) and match it to stored values.

    Returns ``(row, first_row)`` for rows whose key an earlier batch of this import already
    had; those rows are taken out of the batch (a file must not contradict itself).
    """
    await _clear(connection, stage)
    records = [
        (
            r.row,
            r.measure_id,
            r.org_unit_id,
            r.period,
            r.period_end,
            r.year,
            r.segment,
            r.gender,
            r.value,
            r.numerator,
            r.denominator,
            r.state,
            r.comment,
            r.definition_version,
            r.closed,
            hash(r.key),
        )
        for r in rows
    ]
    if connection.dialect.name == "postgresql":
        raw = await connection.get_raw_connection()
        await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
            "import_stage", records=records, columns=list(STAGE_COLUMNS)
        )
    else:
        await connection.execute(
            stage.insert(), [dict(zip(STAGE_COLUMNS, record, strict=True)) for record in records]
        )
    # Remember the batch's keys; a key already remembered came in an earlier batch. The
    # conflict check runs on the primary key's index, row by row, whatever the table's size.
    dialect_insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    # (SQLite needs a WHERE before ON CONFLICT in INSERT … SELECT, or it misparses.)
    remembered = dialect_insert(seen).from_select(
        ["key_hash", *KEY, "row_number"],
        select(stage.c.key_hash, *(stage.c[name] for name in KEY), stage.c.row_number).where(
            true()
        ),
    )
    new_rows = set(
        (
            await connection.execute(
                remembered.on_conflict_do_nothing().returning(seen.c.row_number)
            )
        ).scalars()
    )
    duplicates: list[tuple[int, int]] = []
    if len(new_rows) < len(rows):
        again = [r.row for r in rows if r.row not in new_rows]
        duplicates = [
            (int(row), int(first))
            for row, first in await connection.execute(
                select(stage.c.row_number, seen.c.row_number)
                .join_from(stage, seen, and_(seen.c.key_hash == stage.c.key_hash, _key_match(seen)))
                .where(stage.c.row_number.in_(again))
            )
        ]
        if duplicates:
            await connection.execute(
                stage.delete().where(stage.c.row_number.in_([row for row, _ in duplicates]))
            )
    await connection.execute(
        update(stage).values(
            value_id=select(values.c.id).where(_key_match(values)).scalar_subquery()
        )
    )
    return duplicates


async def merge_staged(
    connection: AsyncConnection,
    *,
    actor: str,
    source: str | None,
    run_id: int | None,
    now: datetime,
    write: bool,
    any_closed: bool,
) -> BatchCounts:
    """Count what the staged batch would do and (when ``write``) do it.

    ``any_closed`` says whether a staged row lies in a closed period (skips a join if not).
    """
    joined = stage.outerjoin(values, values.c.id == stage.c.value_id)
    new = stage.c.value_id.is_(None)
    changed = and_(stage.c.value_id.is_not(None), _differs())
    counts_row = (
        await connection.execute(
            select(
                func.count(),
                func.coalesce(func.sum(case((new, 1), else_=0)), 0),
                func.coalesce(func.sum(case((changed, 1), else_=0)), 0),
            ).select_from(joined)
        )
    ).one()
    total, inserted, updated = int(counts_row[0]), int(counts_row[1]), int(counts_row[2])
    counts = BatchCounts(inserted=inserted, updated=updated, unchanged=total - inserted - updated)
    if not write:
        return counts

    dialect = connection.dialect.name
    if updated:
        await connection.execute(
            insert(audit).from_select(
                [
                    "value_id",
                    "measure_id",
                    "closed_period",
                    "changed_by",
                    "changed_at",
                    "old",
                    "new",
                ],
                select(
                    values.c.id,
                    values.c.measure_id,
                    stage.c.closed,
                    literal(actor),
                    literal(now, audit.c.changed_at.type),
                    _snapshot(values, dialect),
                    _snapshot(stage, dialect),
                )
                .select_from(stage.join(values, values.c.id == stage.c.value_id))
                .where(_differs()),
            )
        )
        assignments: dict[str, Any] = {name: stage.c[name] for name in COMPARED}
        assignments |= {
            "definition_version": stage.c.definition_version,
            "source": literal(source, values.c.source.type),
            "recorded_by": literal(actor),
            "updated_at": literal(now, values.c.updated_at.type),
        }
        if "import_run_id" in values.c:
            assignments["import_run_id"] = literal(run_id, Integer)
        await connection.execute(
            update(values).where(values.c.id == stage.c.value_id, _differs()).values(**assignments)
        )
    if inserted:
        columns = [
            "measure_id",
            "org_unit_id",
            "period",
            "period_end",
            "year",
            "segment",
            "gender",
            *COMPARED,
            "definition_version",
        ]
        extra: dict[str, Any] = {
            "source": literal(source, values.c.source.type),
            "recorded_by": literal(actor),
            "recorded_at": literal(now, values.c.recorded_at.type),
            "updated_at": literal(now, values.c.updated_at.type),
        }
        if "import_run_id" in values.c:
            extra["import_run_id"] = literal(run_id, Integer)
        await connection.execute(
            insert(values).from_select(
                [*columns, *extra],
                select(*(stage.c[name] for name in columns), *extra.values()).where(new),
            )
        )
    if inserted and any_closed:
        # A new value in a closed period is a late correction too: audit it.
        await connection.execute(
            insert(audit).from_select(
                ["value_id", "measure_id", "closed_period", "changed_by", "changed_at", "new"],
                select(
                    values.c.id,
                    values.c.measure_id,
                    literal(True),
                    literal(actor),
                    literal(now, audit.c.changed_at.type),
                    _snapshot(stage, dialect),
                )
                .select_from(stage.join(values, _key_match(values)))
                .where(new, stage.c.closed),
            )
        )
    return counts
