"""The bulk import of measure values: receive, read, check, stage, merge, record.

The body is streamed to a spooled temporary file (gunzipped on the way, with a size limit),
then read row by row; rows are checked against a :class:`~.resolve.Catalogue` and merged in
batches through the staging tables of :mod:`.writer`. Memory stays flat with the file's size:
the file is on disk, one batch is in memory, and the keys seen so far live in the database.

Modes: by default good rows are kept and each batch commits; ``dry_run`` counts what would
happen and writes no value; ``atomic`` first checks the whole file and writes only if no row
is rejected, then in one transaction. Every run is recorded with all its rejected rows, and a
retry with the same ``Idempotency-Key`` gets the first answer back.

Duplicate keys within one file are rejected (the later row; the message names the first): a
file that says two things about one value is an error its sender must hear about.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import zlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import anyio
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_goals.imports.models import ImportRowError, ImportRun
from styr_goals.imports.parsing import FileError, ImportFormat, RowError, SourceRow, read_rows
from styr_goals.imports.resolve import Catalogue, ValueRow
from styr_goals.imports.schemas import ImportCounts, ImportResult, RowErrorRead
from styr_goals.imports.writer import BatchCounts, merge_staged, prepare_stage, stage_rows
from styr_shared.auth import Principal
from styr_shared.db import Database
from styr_shared.errors import ConflictError, NotFoundError, ProblemError
from styr_shared.pagination import PageParams, paginate
from styr_shared.types import utcnow

BATCH_SIZE = 10000
SHOWN_ERRORS = 1000
SPOOL_IN_MEMORY = 16 << 20
READ_CHUNK = 1 << 20
MAX_VALUE_TEXT = 200


@dataclass(frozen=True)
class ImportOptions:
    format: ImportFormat
    source: str | None = None
    dry_run: bool = False
    atomic: bool = False
    idempotency_key: str | None = None
    compressed: bool = False


@dataclass
class Outcome:
    counts: BatchCounts = field(default_factory=BatchCounts)
    rejected: int = 0
    shown_errors: list[RowError] = field(default_factory=list)


class UnreadableImportError(ProblemError):
    status, slug = 422, "import-file-unreadable"


async def spool_body(
    chunks: AsyncIterator[bytes], *, gzipped: bool, limit: int
) -> tuple[IO[bytes], int]:
    """The body on a spooled temporary file (gunzipped), and the bytes received."""
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS) if gzipped else None
    received = written = 0
    try:
        async for chunk in chunks:
            received += len(chunk)
            pieces = [chunk]
            if inflater is not None:
                # Inflate in bounded steps so a small bomb cannot take the memory.
                pieces = [inflater.decompress(chunk, READ_CHUNK)]
                while inflater.unconsumed_tail:
                    pieces.append(inflater.decompress(inflater.unconsumed_tail, READ_CHUNK))
            for piece in pieces:
                written += len(piece)
                if written > limit:
                    raise ProblemError(
                        f"The import exceeds {limit} bytes (after decompression).",
                        status=413,
                        slug="payload-too-large",
                    )
                spool.write(piece)
        if inflater is not None:
            spool.write(inflater.flush())
            if not inflater.eof:
                raise UnreadableImportError("The gzip stream ends early: the upload is incomplete.")
    except zlib.error as exc:
        spool.close()
        raise UnreadableImportError(f"Content-Encoding is gzip but the body is not: {exc}") from exc
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool, received


def _clip(value: str | None) -> str | None:
    return value if value is None or len(value) <= MAX_VALUE_TEXT else value[:MAX_VALUE_TEXT] + "…"


async def _record_errors(database: Database, run_id: int, errors: list[RowError]) -> None:
    if not errors:
        return
    async with database.engine.begin() as connection:
        await connection.execute(
            insert(ImportRowError.__table__),  # type: ignore[attr-defined]
            [
                {
                    "run_id": run_id,
                    "row": e.row,
                    "field": e.field,
                    "message": e.message,
                    "value": _clip(e.value),
                }
                for e in errors
            ],
        )


class _Pass:
    """One reading of the file: check every row, stage batches, merge (or only count)."""

    def __init__(
        self,
        database: Database,
        connection: AsyncConnection,
        catalogue: Catalogue,
        actor: Principal,
        run_id: int,
        options: ImportOptions,
        *,
        write: bool,
        per_batch_commit: bool,
        record_errors: bool,
    ) -> None:
        self.database, self.connection, self.catalogue = database, connection, catalogue
        self.actor, self.run_id, self.options = actor, run_id, options
        self.write, self.per_batch_commit, self.record_errors = (
            write,
            per_batch_commit,
            record_errors,
        )
        self.outcome = Outcome()
        self.pending_errors: list[RowError] = []
        self.now = utcnow()

    async def reject(self, error: RowError) -> None:
        self.outcome.rejected += 1
        if len(self.outcome.shown_errors) < SHOWN_ERRORS:
            self.outcome.shown_errors.append(error)
        if self.record_errors:
            self.pending_errors.append(error)
            if len(self.pending_errors) >= BATCH_SIZE:
                await self.flush_errors()

    async def flush_errors(self) -> None:
        # On SQLite a second writer would wait for the import's transaction: only write the
        # errors between transactions (per-batch mode) or after the pass.
        if self.per_batch_commit or not self.connection.in_transaction():
            await _record_errors(self.database, self.run_id, self.pending_errors)
            self.pending_errors = []

    async def flush(self, batch: list[ValueRow]) -> None:
        if not batch:
            return
        if not self.connection.in_transaction():
            await self.connection.begin()
        duplicates = await stage_rows(self.connection, batch)
        counts = await merge_staged(
            self.connection,
            actor=self.actor.subject,
            source=self.options.source,
            run_id=self.run_id,
            now=self.now,
            write=self.write,
            any_closed=any(row.closed for row in batch),
        )
        if self.per_batch_commit:
            await self.connection.commit()
        total = self.outcome.counts
        total.inserted += counts.inserted
        total.updated += counts.updated
        total.unchanged += counts.unchanged
        for row, first in duplicates:
            await self.reject(_duplicate(row, first))
        await self.flush_errors()

    def _read_batch(
        self, items: Iterator[SourceRow | RowError]
    ) -> tuple[list[ValueRow], list[RowError], bool]:
        """Read and check the next batch: its good rows, its rejects, and whether it was the
        last. Runs in a worker thread, so the next batch is read and checked while the
        database merges the previous one."""
        batch: list[ValueRow] = []
        rejects: list[RowError] = []
        first_row: dict[tuple[str, str, str, str, str], int] = {}
        resolve = self.catalogue.resolve
        for item in items:
            resolved = item if isinstance(item, RowError) else resolve(item)
            if isinstance(resolved, RowError):
                rejects.append(resolved)
                continue
            earlier = first_row.setdefault(resolved.key, resolved.row)
            if earlier != resolved.row:
                rejects.append(_duplicate(resolved.row, earlier))
                continue
            batch.append(resolved)
            if len(batch) >= BATCH_SIZE:
                return batch, rejects, False
        return batch, rejects, True

    async def run(self, body: IO[bytes]) -> Outcome:
        body.seek(0)
        items = read_rows(self.options.format, body)
        reading = asyncio.ensure_future(anyio.to_thread.run_sync(self._read_batch, items))
        try:
            while True:
                batch, rejects, last = await reading
                if not last:
                    reading = asyncio.ensure_future(
                        anyio.to_thread.run_sync(self._read_batch, items)
                    )
                for error in rejects:
                    await self.reject(error)
                await self.flush(batch)
                if last:
                    return self.outcome
        finally:
            if not reading.done():
                reading.cancel()


def _duplicate(row: int, first: int) -> RowError:
    return RowError(
        row, None, f"the same measure, org unit, period, segment and gender as row {first}"
    )


async def _start_run(
    database: Database, actor: Principal, options: ImportOptions
) -> ImportRun | tuple[int, dict[str, Any]]:
    """A new run, or the first answer of an earlier run with the same Idempotency-Key."""
    async with database.session() as session:
        if options.idempotency_key:
            earlier = (
                await session.exec(
                    select(ImportRun).where(
                        col(ImportRun.requested_by) == actor.subject,
                        col(ImportRun.idempotency_key) == options.idempotency_key,
                    )
                )
            ).first()
            if earlier is not None:
                if earlier.response_status is None or earlier.response_body is None:
                    raise ConflictError("An import with this Idempotency-Key is still running.")
                return earlier.response_status, earlier.response_body
        run = ImportRun(
            requested_by=actor.subject,
            idempotency_key=options.idempotency_key,
            source=options.source,
            format=options.format,
            compressed=options.compressed,
            dry_run=options.dry_run,
            atomic=options.atomic,
        )
        session.add(run)
        try:
            await session.commit()
        except IntegrityError as exc:
            raise ConflictError("An import with this Idempotency-Key is already running.") from exc
        return run


async def _finish_run(
    database: Database, run: ImportRun, status_code: int, body: dict[str, Any]
) -> None:
    async with database.session() as session:
        stored = await session.get(ImportRun, run.id)
        assert stored is not None
        for name in (
            "status",
            "finished_at",
            "duration_ms",
            "bytes_received",
            "inserted",
            "updated",
            "unchanged",
            "rejected",
            "detail",
        ):
            setattr(stored, name, getattr(run, name))
        stored.response_status, stored.response_body = status_code, body
        session.add(stored)
        await session.commit()


def _result(run: ImportRun, outcome: Outcome | None) -> ImportResult:
    shown = outcome.shown_errors if outcome else []
    return ImportResult(
        id=run.id or 0,
        outcome=run.status,
        format=run.format,
        source=run.source,
        dry_run=run.dry_run,
        atomic=run.atomic,
        started_at=run.started_at,
        finished_at=run.finished_at,
        duration_ms=run.duration_ms,
        counts=ImportCounts(
            inserted=run.inserted,
            updated=run.updated,
            unchanged=run.unchanged,
            rejected=run.rejected,
        ),
        errors=[
            RowErrorRead(row=e.row, field=e.field, message=e.message, value=_clip(e.value))
            for e in shown
        ],
        errors_truncated=run.rejected > len(shown),
        detail=run.detail,
    )


async def run_import(
    database: Database,
    actor: Principal,
    options: ImportOptions,
    body: IO[bytes],
    bytes_received: int,
) -> tuple[int, dict[str, Any]]:
    """Import the spooled body; returns the HTTP status and the JSON answer."""
    started = await _start_run(database, actor, options)
    if isinstance(started, tuple):
        return started
    run = started
    assert run.id is not None
    clock = time.perf_counter()
    outcome: Outcome | None = None
    try:
        async with database.engine.connect() as connection:
            await prepare_stage(connection)
            catalogue = await Catalogue.load(AsyncSession(bind=connection), actor)
            await connection.commit()
            if options.atomic and not options.dry_run:
                # Check the whole file first; write only a clean file, in one transaction.
                check = _Pass(
                    database,
                    connection,
                    catalogue,
                    actor,
                    run.id,
                    options,
                    write=False,
                    per_batch_commit=True,
                    record_errors=True,
                )
                outcome = await check.run(body)
                if outcome.rejected == 0:
                    await prepare_stage(connection)
                    await connection.commit()
                    final = _Pass(
                        database,
                        connection,
                        catalogue,
                        actor,
                        run.id,
                        options,
                        write=True,
                        per_batch_commit=False,
                        record_errors=False,
                    )
                    outcome = await final.run(body)
                    # Something changed between the passes (a measure removed, a period
                    # closed): keep the promise that nothing is written.
                    if outcome.rejected:
                        await connection.rollback()
                    else:
                        await connection.commit()
            else:
                single = _Pass(
                    database,
                    connection,
                    catalogue,
                    actor,
                    run.id,
                    options,
                    write=not options.dry_run,
                    per_batch_commit=True,
                    record_errors=True,
                )
                outcome = await single.run(body)
            await prepare_stage(connection)  # leave the pooled connection's temp tables empty
            await connection.commit()
    except FileError as exc:
        run.status, run.detail = "failed", str(exc)
    rejected_whole = options.atomic and outcome is not None and outcome.rejected > 0
    if outcome is not None:
        counts = outcome.counts
        if rejected_whole:
            counts = BatchCounts()
        run.inserted, run.updated, run.unchanged = counts.inserted, counts.updated, counts.unchanged
        run.rejected = outcome.rejected
        run.status = "rejected" if rejected_whole else "completed"
        if rejected_whole:
            run.detail = f"atomic: {outcome.rejected} row(s) rejected, so nothing was written"
    run.finished_at = utcnow()
    run.duration_ms = round((time.perf_counter() - clock) * 1000)
    run.bytes_received = bytes_received
    result = _result(run, outcome).model_dump(mode="json")
    if run.status == "failed":
        status_code, body_json = 422, _problem(run, result, "import-file-unreadable")
    elif rejected_whole:
        status_code, body_json = 422, _problem(run, result, "import-rejected")
    else:
        status_code, body_json = 200, result
    await _finish_run(database, run, status_code, body_json)
    return status_code, body_json


def _problem(run: ImportRun, result: dict[str, Any], slug: str) -> dict[str, Any]:
    """A problem document that also carries the run (RFC 9457 extension members)."""
    return {
        "type": f"https://styr.se/problems/{slug}",
        "title": "Unprocessable Content",
        "status": 422,
        "detail": run.detail,
        **{key: value for key, value in result.items() if key != "detail"},
    }


async def get_run(session: AsyncSession, run_id: int) -> ImportRun:
    run = await session.get(ImportRun, run_id)
    if run is None:
        raise NotFoundError(f"Import run {run_id} does not exist.")
    return run


async def list_runs(
    session: AsyncSession, page: PageParams, *, requested_by: str | None = None
) -> tuple[list[ImportRun], str | None]:
    statement = select(ImportRun)
    if requested_by is not None:
        statement = statement.where(col(ImportRun.requested_by) == requested_by)
    return await paginate(session, statement, [col(ImportRun.id)], page)


async def run_errors(
    session: AsyncSession, run_id: int, page: PageParams
) -> tuple[list[ImportRowError], str | None]:
    await get_run(session, run_id)
    statement = select(ImportRowError).where(col(ImportRowError.run_id) == run_id)
    return await paginate(session, statement, [col(ImportRowError.id)], page)
