"""Set-based upsert of a whole file of values through temporary staging tables.

The checked rows of a file go, batch by batch, into the temporary ``import_stage`` table
(PostgreSQL: ``COPY`` in its text format, encoded in the reading thread; SQLite: one
``executemany`` per batch) and its rejected rows into ``import_reject``; memory stays flat
however long the file, because the file lives in the database's temporary storage, not in
the service. Once the whole file is staged, a handful of statements does the rest, each over
the whole file at once:

1. a window over the natural key rejects every row whose key came earlier in the file;
2. one join matches the staged rows to stored values (``value_id``);
3. one count says what would be inserted, updated and left unchanged;
4. when writing: audit rows for changed values, one ``UPDATE … FROM`` for them, one
   ``INSERT … SELECT`` for new ones (and audit rows for new values in closed periods).

Unchanged values are not touched at all, so re-posting a file writes nothing. The same SQL
runs on both databases; everything happens in the caller's transaction.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
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
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from styr_goals.imports.models import ImportRowError
from styr_goals.imports.parsing import RowError
from styr_goals.imports.resolve import ValueRow
from styr_goals.measures.models import MeasureValue, MeasureValueAudit

MAX_VALUE_TEXT = 200
STAGE_COLUMNS = (
    "ordinal",
    "row_number",
    "key_hash",
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
)
# Never created in a service's schema: both live per connection, as temporary tables.
stage = Table(
    "import_stage",
    MetaData(),
    # The position in the file of every row the reader gave (good or bad), so that rows
    # sharing a row number (the genders of one Kolada entry) are still told apart.
    Column("ordinal", BigInteger),
    Column("row_number", Integer),
    # A 64-bit hash of the natural key: the duplicate check sorts by it (cheap) before it
    # compares the key itself (exact, so a collision never rejects a row).
    Column("key_hash", BigInteger),
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
    Column("value_id", Integer),
    prefixes=["TEMPORARY"],
)
REJECT_COLUMNS = ("ordinal", "row_number", "field", "message", "value")
rejects = Table(
    "import_reject",
    MetaData(),
    Column("ordinal", BigInteger),
    Column("row_number", Integer),
    Column("field", String(40)),
    Column("message", Text),
    Column("value", Text),
    prefixes=["TEMPORARY"],
)
KEY = ("measure_id", "org_unit_id", "period", "segment", "gender")
values = MeasureValue.__table__  # type: ignore[attr-defined]
audit = MeasureValueAudit.__table__  # type: ignore[attr-defined]
row_errors = ImportRowError.__table__  # type: ignore[attr-defined]
COMPARED = ("value", "numerator", "denominator", "state", "comment")
DUPLICATE_MESSAGE = "the same measure, org unit, period, segment and gender as row "


@dataclass
class BatchCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


def clip(value: str | None) -> str | None:
    """A rejected value as kept on the run: shortened, and without NUL (which PostgreSQL's
    text cannot hold)."""
    if value is None:
        return None
    if len(value) > MAX_VALUE_TEXT:
        value = value[:MAX_VALUE_TEXT] + "…"
    return value.replace("\x00", "\ufffd")


async def prepare_stage(connection: AsyncConnection) -> None:
    """Create this connection's (empty) staging tables; call once per import."""

    def create(sync: Connection) -> None:
        for table in (stage, rejects):
            table.create(sync, checkfirst=True)

    await connection.run_sync(create)
    await clear_stage(connection)


async def clear_stage(connection: AsyncConnection) -> None:
    """Empty the staging tables (a pooled connection keeps its temporary tables)."""
    for table in (stage, rejects):
        # Autovacuum never visits temporary tables: on PostgreSQL a DELETE would leave the
        # dead rows behind for the next import's scans. TRUNCATE frees them at once.
        if connection.dialect.name == "postgresql":
            await connection.execute(text(f"TRUNCATE {table.name}"))
        else:
            await connection.execute(table.delete())


async def tune_for_bulk(connection: AsyncConnection) -> None:
    """Let this transaction sort and join the whole file in memory (PostgreSQL: the
    database server's memory, not the service's; reset when the transaction ends)."""
    if connection.dialect.name == "postgresql":
        await connection.execute(text("SET LOCAL work_mem = '64MB'"))


# A batch of checked rows as it travels to the staging table: PostgreSQL takes the text
# format of COPY, SQLite one executemany of parameter sets. Encoding happens in the reading
# thread (:func:`encode_rows`), so the event loop only sends.
StagePayload = bytes | list[dict[str, Any]]
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_NULL = "\\N"
_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]").search


def _escaped(value: str) -> str:
    # translate() is slow and nearly every text needs nothing: look first.
    return value.translate(_COPY_ESCAPES) if _NEEDS_ESCAPE(value) else value


class _Escaped(dict[str, str]):
    """Texts in COPY's text format, each escaped once."""

    def __missing__(self, value: str) -> str:
        self[value] = escaped = _escaped(value)
        return escaped


def _copy_text(value: Any) -> str:
    """One field in COPY's text format."""
    if value is None:
        return _COPY_NULL
    if isinstance(value, bool):
        return "t" if value else "f"
    return _escaped(str(value))


def encode_rows(dialect: str, rows: list[tuple[int, ValueRow]]) -> StagePayload:
    """A batch of checked rows (each with its ordinal in the file), ready for :func:`stage_rows`."""
    if dialect == "postgresql":
        # Written out field by field: this runs for every row of every night's file. Ids
        # and segments repeat, so each is escaped once per batch; period, gender and state
        # are canonical texts the checks made and need no escapes.
        text, null = _Escaped(), _COPY_NULL
        return "".join(
            [
                f"{ordinal}\t{r.row}\t{hash(r.key)}\t{text[r.measure_id]}\t"
                f"{text[r.org_unit_id]}\t{r.period}\t{r.period_end.isoformat()}\t{r.year}\t"
                f"{text[r.segment]}\t{r.gender}\t{r.value!s}\t"
                f"{null if r.numerator is None else str(r.numerator)}\t"
                f"{null if r.denominator is None else str(r.denominator)}\t{r.state}\t"
                f"{null if r.comment is None else _escaped(r.comment)}\t"
                f"{r.definition_version}\t{'t' if r.closed else 'f'}\n"
                for ordinal, r in rows
            ]
        ).encode()
    return [
        {
            "ordinal": ordinal,
            "row_number": r.row,
            "key_hash": hash(r.key),
            "measure_id": r.measure_id,
            "org_unit_id": r.org_unit_id,
            "period": r.period,
            "period_end": r.period_end,
            "year": r.year,
            "segment": r.segment,
            "gender": r.gender,
            "value": r.value,
            "numerator": r.numerator,
            "denominator": r.denominator,
            "state": r.state,
            "comment": r.comment,
            "definition_version": r.definition_version,
            "closed": r.closed,
        }
        for ordinal, r in rows
    ]


async def _copy_bytes(
    connection: AsyncConnection, table: Table, columns: Sequence[str], data: bytes
) -> None:
    async def once() -> AsyncIterator[bytes]:
        yield data

    raw = await connection.get_raw_connection()
    await raw.driver_connection.copy_to_table(  # type: ignore[union-attr]
        table.name, source=once(), columns=list(columns)
    )


async def stage_rows(connection: AsyncConnection, payload: StagePayload) -> None:
    """Stage one batch of checked rows (from :func:`encode_rows`)."""
    if not payload:
        return
    if isinstance(payload, bytes):
        await _copy_bytes(connection, stage, STAGE_COLUMNS, payload)
    else:
        await connection.execute(stage.insert(), payload)


async def stage_rejects(connection: AsyncConnection, errors: list[tuple[int, RowError]]) -> None:
    """Stage one batch of rejected rows, each with its ordinal in the file."""
    if not errors:
        return
    records = [(ordinal, e.row, e.field, e.message, clip(e.value)) for ordinal, e in errors]
    if connection.dialect.name == "postgresql":
        data = "".join("\t".join(map(_copy_text, record)) + "\n" for record in records)
        await _copy_bytes(connection, rejects, REJECT_COLUMNS, data.encode())
    else:
        await connection.execute(
            rejects.insert(), [dict(zip(REJECT_COLUMNS, record, strict=True)) for record in records]
        )


def _key_match(table: Table) -> ColumnElement[bool]:
    return and_(*(table.c[name] == stage.c[name] for name in KEY))


async def reject_duplicates(connection: AsyncConnection) -> int:
    """Reject every staged row whose key an earlier row of the file had; returns how many.

    The later row is rejected, and its message names the first: a file that says two things
    about one value is an error its sender must hear about.
    """
    partition = [stage.c.key_hash, *(stage.c[name] for name in KEY)]
    ranked = select(
        stage.c.ordinal,
        stage.c.row_number,
        func.row_number().over(partition_by=partition, order_by=stage.c.ordinal).label("rank"),
        func.first_value(stage.c.row_number)
        .over(partition_by=partition, order_by=stage.c.ordinal)
        .label("first_row"),
    ).subquery()
    found = await connection.execute(
        insert(rejects).from_select(
            ["ordinal", "row_number", "message"],
            select(
                ranked.c.ordinal,
                ranked.c.row_number,
                literal(DUPLICATE_MESSAGE) + cast(ranked.c.first_row, String),
            ).where(ranked.c.rank > 1),
        )
    )
    duplicates = found.rowcount
    if duplicates:
        # Rows rejected while reading were never staged: this takes out the duplicates.
        await connection.execute(
            stage.delete().where(stage.c.ordinal.in_(select(rejects.c.ordinal)))
        )
    return duplicates


async def match_stored(connection: AsyncConnection) -> None:
    """Give each staged row the id of the stored value with its key, if there is one."""
    if connection.dialect.name == "postgresql":
        # Autovacuum never analyzes temporary tables: without statistics the planner would
        # guess the staged file's size and might pick a loop of index probes for a million rows.
        await connection.execute(text(f"ANALYZE {stage.name}"))
    await connection.execute(update(stage).values(value_id=values.c.id).where(_key_match(values)))


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


async def merge_staged(
    connection: AsyncConnection,
    *,
    actor: str,
    source: str | None,
    run_id: int | None,
    now: datetime,
    write: bool,
) -> BatchCounts:
    """Count what the staged (and matched) file would do and, when ``write``, do it."""
    joined = stage.outerjoin(values, values.c.id == stage.c.value_id)
    new = stage.c.value_id.is_(None)
    changed = and_(stage.c.value_id.is_not(None), _differs())
    counts_row = (
        await connection.execute(
            select(
                func.count(),
                func.coalesce(func.sum(case((new, 1), else_=0)), 0),
                func.coalesce(func.sum(case((changed, 1), else_=0)), 0),
                func.coalesce(func.sum(case((and_(new, stage.c.closed), 1), else_=0)), 0),
            ).select_from(joined)
        )
    ).one()
    total, inserted, updated, new_closed = (int(n) for n in counts_row)
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
            "import_run_id": literal(run_id, Integer),
        }
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
            "import_run_id": literal(run_id, Integer),
        }
        await connection.execute(
            insert(values).from_select(
                [*columns, *extra],
                select(*(stage.c[name] for name in columns), *extra.values()).where(new),
            )
        )
    if new_closed:
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


async def record_rejects(connection: AsyncConnection, run_id: int, shown: int) -> list[RowError]:
    """Keep every rejected row on the run; returns the first ``shown`` of them (file order)."""
    in_order = select(
        rejects.c.row_number, rejects.c.field, rejects.c.message, rejects.c.value
    ).order_by(rejects.c.ordinal)
    await connection.execute(
        insert(row_errors).from_select(
            ["run_id", "row", "field", "message", "value"],
            select(
                literal(run_id, Integer),
                rejects.c.row_number,
                rejects.c.field,
                rejects.c.message,
                rejects.c.value,
            ).order_by(rejects.c.ordinal),
        )
    )
    return [
        RowError(row, field, message, value)
        for row, field, message, value in await connection.execute(in_order.limit(shown))
    ]
