"""The bulk import of measure values: receive, read, check, stage, merge, record.

The body is streamed to a spooled temporary file (gunzipped on the way, with a size limit),
then read row by row; rows are checked against a :class:`~.resolve.Catalogue` and staged in
batches into the temporary tables of :mod:`.writer`, while the next batch is being read.
Memory stays flat with the file's size: the file is on disk, one batch is in memory, and
the staged rows live in the database's temporary storage. Once the whole file is staged, one
short transaction rejects duplicate keys, matches, counts, merges and records the rejects:
the good rows of a file land together or (on any failure) not at all.

Modes: by default good rows are kept and bad ones reported; ``dry_run`` counts what would
happen and writes no value; ``atomic`` writes nothing if any row is rejected. Every run is
recorded with all its rejected rows, and a retry with the same ``Idempotency-Key`` gets the
first answer back.

Duplicate keys within one file are rejected (the later row; the message names the first): a
file that says two things about one value is an error its sender must hear about.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import tempfile
import time
import zlib
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http import HTTPStatus
from pathlib import Path
from typing import IO, Any

import anyio
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_goals.imports.models import ImportRowError, ImportRun
from styr_goals.imports.parsing import (
    FileError,
    ImportFormat,
    RowError,
    SkippedRow,
    SourceRow,
    read_rows,
)
from styr_goals.imports.resolve import Catalogue, ImportScope, ValueRow, import_scope
from styr_goals.imports.schemas import ImportCounts, ImportResult, RowErrorRead
from styr_goals.imports.writer import (
    BatchCounts,
    StagePayload,
    clear_stage,
    encode_rows,
    match_stored,
    merge_staged,
    prepare_stage,
    record_rejects,
    reject_duplicates,
    stage_rejects,
    stage_rows,
    tune_for_bulk,
)
from styr_goals.orgunits.models import OrgUnit
from styr_shared.auth import Principal, Role
from styr_shared.db import Database, begin_write
from styr_shared.errors import ConflictError, InvalidFieldError, NotFoundError, ProblemError
from styr_shared.jsonlimits import JsonLimitError, JsonScanner
from styr_shared.metrics import record_import
from styr_shared.pagination import PageParams, paginate
from styr_shared.tenancy import municipalities_in_scope
from styr_shared.types import utcnow

logger = logging.getLogger(__name__)
BATCH_SIZE = 10000
SHOWN_ERRORS = 1000
SPOOL_IN_MEMORY = 16 << 20
# A million rows take well under a minute: a run "running" for this long has lost its service.
STALE_RUN = timedelta(hours=1)
READ_CHUNK = 1 << 20
# Decompressed bytes allowed before the compression ratio is checked (a tiny file of
# repeated rows can expand far, and harmlessly).
FREE_EXPANSION = 1 << 20


@dataclass(frozen=True)
class ImportOptions:
    format: ImportFormat
    source: str | None = None
    dry_run: bool = False
    atomic: bool = False
    idempotency_key: str | None = None
    compressed: bool = False
    # The municipality the import acts in, as named (None: the importer's only one).
    municipality: str | None = None
    # Reject Kolada gender rows of a measure without a gender split instead of skipping them.
    strict: bool = False
    # What an Idempotency-Key stands for: the content and the options (see
    # request_fingerprint).
    fingerprint: str | None = None


def request_fingerprint(
    content_sha256: str,
    fmt: ImportFormat,
    source: str | None,
    dry_run: bool,
    atomic: bool,
    municipality: str | None = None,
    strict: bool = False,
) -> str:
    """The request an Idempotency-Key was first used for: the decompressed content and the
    options that change the answer."""
    parts = [content_sha256, str(fmt), source or "", str(dry_run), str(atomic)]
    if municipality is not None:
        # Only when named, so the fingerprints of runs recorded before stay as they were.
        parts.append(f"municipality={municipality}")
    if strict:
        parts.append("strict")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


@dataclass
class Outcome:
    counts: BatchCounts = field(default_factory=BatchCounts)
    rejected: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    shown_errors: list[RowError] = field(default_factory=list)
    # atomic and some row was rejected: nothing was written
    refused: bool = False


class UnreadableImportError(ProblemError):
    status, slug = 422, "import-file-unreadable"


@dataclass
class SpooledBody:
    """The decompressed body on a temporary file, the bytes received, and a fingerprint of
    the content (an Idempotency-Key must not be reused for another file)."""

    file: IO[bytes]
    received: int
    sha256: str


@dataclass(frozen=True)
class SpoolLimits:
    max_bytes: int
    max_ratio: int
    temp_dir: Path | None = None
    # JSON content is checked for depth and string length while it is decompressed (an
    # identity body was checked by the request middleware as it arrived).
    json: bool = False


async def spool_body(
    chunks: AsyncIterator[bytes], *, gzipped: bool, limits: SpoolLimits
) -> SpooledBody:
    """The body on a spooled temporary file (gunzipped), checked against ``limits``."""
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(  # noqa: SIM115
        max_size=SPOOL_IN_MEMORY, dir=str(limits.temp_dir) if limits.temp_dir else None
    )
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS) if gzipped else None
    scanner = JsonScanner() if gzipped and limits.json else None
    digest = hashlib.sha256()
    received = written = 0

    def keep(piece: bytes) -> None:
        nonlocal written
        written += len(piece)
        if written > limits.max_bytes:
            raise ProblemError(
                f"The import exceeds {limits.max_bytes} bytes (after decompression).",
                status=413,
                slug="payload-too-large",
            )
        # Checked as the pieces come, so that a bomb stops within a piece of its start.
        if gzipped and written > FREE_EXPANSION and written > received * limits.max_ratio:
            raise ProblemError(
                f"The gzip body expands more than {limits.max_ratio} times; no real import "
                "does that.",
                status=413,
                slug="compression-ratio-too-high",
            )
        if scanner is not None:
            try:
                scanner.feed(piece)
            except JsonLimitError as exc:
                raise UnreadableImportError(f"The file: {exc}.") from exc
        digest.update(piece)
        spool.write(piece)

    try:
        async for chunk in chunks:
            received += len(chunk)
            if inflater is None:
                keep(chunk)
                continue
            # Inflate in bounded steps so a small bomb cannot take the memory.
            keep(inflater.decompress(chunk, READ_CHUNK))
            while inflater.unconsumed_tail:
                keep(inflater.decompress(inflater.unconsumed_tail, READ_CHUNK))
        if inflater is not None:
            keep(inflater.flush())
            if not inflater.eof:
                raise UnreadableImportError("The gzip stream ends early: the upload is incomplete.")
    except zlib.error as exc:
        spool.close()
        raise UnreadableImportError(f"Content-Encoding is gzip but the body is not: {exc}") from exc
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return SpooledBody(spool, received, digest.hexdigest())


class _Phases:
    """Where an import's time went, for the log (operators tune by it)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def mark(self, phase: str) -> None:
        now = time.perf_counter()
        self.seconds[phase] = round(now - self._last, 3)
        self._last = now

    def __str__(self) -> str:
        return ", ".join(f"{phase} {seconds:.2f} s" for phase, seconds in self.seconds.items())


class _FileReader:
    """Reads, checks and encodes the file batch by batch, numbering every row it gives (good
    or bad) in file order. Runs in a worker thread, so the next batch is read while the
    database takes the previous one."""

    def __init__(
        self,
        items: Iterator[SourceRow | RowError | SkippedRow],
        catalogue: Catalogue,
        dialect: str,
    ) -> None:
        self.items, self.resolve, self.dialect = items, catalogue.resolve, dialect
        self.ordinal = 0
        self.rejected = 0
        self.skipped: Counter[str] = Counter()

    def next_batch(self) -> tuple[StagePayload, list[tuple[int, RowError]], bool]:
        """The next batch's good rows (encoded for staging), its rejects, and whether it was
        the last."""
        good: list[tuple[int, ValueRow]] = []
        bad: list[tuple[int, RowError]] = []
        resolve, ordinal, last = self.resolve, self.ordinal, True
        for item in self.items:
            ordinal += 1
            resolved = item if isinstance(item, (RowError, SkippedRow)) else resolve(item)
            if isinstance(resolved, SkippedRow):
                self.skipped[resolved.reason] += 1
                continue
            if isinstance(resolved, RowError):
                bad.append((ordinal, resolved))
            else:
                good.append((ordinal, resolved))
            if len(good) + len(bad) >= BATCH_SIZE:
                last = False
                break
        self.ordinal = ordinal
        self.rejected += len(bad)
        return encode_rows(self.dialect, good), bad, last


async def _stage_file(connection: AsyncConnection, reader: _FileReader) -> None:
    reading = asyncio.ensure_future(anyio.to_thread.run_sync(reader.next_batch))
    try:
        while True:
            good, bad, last = await reading
            if not last:
                reading = asyncio.ensure_future(anyio.to_thread.run_sync(reader.next_batch))
            await stage_rejects(connection, bad)
            await stage_rows(connection, good)
            if last:
                return
    finally:
        if not reading.done():
            reading.cancel()


async def _import(
    connection: AsyncConnection,
    actor: Principal,
    run_id: int,
    options: ImportOptions,
    body: IO[bytes],
    scope: ImportScope,
) -> Outcome:
    """Stage the whole file, then check it for duplicates, match, count and merge it in one
    short transaction (the staging transaction touches only temporary tables)."""
    phases = _Phases()
    catalogue = await Catalogue.load(AsyncSession(bind=connection), actor, scope)
    catalogue.strict = options.strict
    await prepare_stage(connection)
    await connection.commit()
    body.seek(0)
    reader = _FileReader(read_rows(options.format, body), catalogue, connection.dialect.name)
    await _stage_file(connection, reader)
    await connection.commit()
    phases.mark("read and staged")

    await begin_write(connection)
    await tune_for_bulk(connection)
    rejected = reader.rejected + await reject_duplicates(connection)
    refused = options.atomic and rejected > 0
    phases.mark("duplicates")
    await match_stored(connection)
    phases.mark("matched")
    counts = await merge_staged(
        connection,
        actor=actor.subject,
        source=options.source,
        run_id=run_id,
        now=utcnow(),
        write=not (options.dry_run or refused),
    )
    phases.mark("merged")
    shown = await record_rejects(connection, run_id, SHOWN_ERRORS)
    await clear_stage(connection)
    await connection.commit()
    phases.mark("committed")
    logger.info(
        "import run %s: %s rows, %s rejected, %s skipped; %s",
        run_id,
        reader.ordinal,
        rejected,
        reader.skipped.total(),
        phases,
        extra={"import_run": run_id, "phases": phases.seconds},
    )
    return Outcome(
        counts=BatchCounts() if refused else counts,
        rejected=rejected,
        skipped=reader.skipped,
        shown_errors=shown,
        refused=refused,
    )


async def _start_run(
    database: Database, actor: Principal, options: ImportOptions, scope: ImportScope
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
            if earlier is not None and _stale(earlier):
                await _abandon(database, earlier, "abandoned: the service stopped during it")
            elif earlier is not None:
                if earlier.request_fingerprint not in (None, options.fingerprint):
                    # As the IETF Idempotency-Key draft says: a key reused for another request
                    # is a client error; replaying the first answer would drop the new file.
                    raise InvalidFieldError(
                        "header.idempotency-key",
                        f"{options.idempotency_key!r} was used for another file or other "
                        "options; send a new key",
                        type_="idempotency_key_reused",
                    )
                if earlier.response_status is None or earlier.response_body is None:
                    raise ConflictError("An import with this Idempotency-Key is still running.")
                return earlier.response_status, earlier.response_body
        run = ImportRun(
            requested_by=actor.subject,
            idempotency_key=options.idempotency_key,
            request_fingerprint=options.fingerprint,
            source=options.source,
            municipality_id=scope.bound,
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


def _stale(run: ImportRun) -> bool:
    """A run still "running" long after any import ends: its service was stopped during it."""
    return run.status == "running" and utcnow() - run.started_at > STALE_RUN


async def _abandon(database: Database, run: ImportRun, detail: str) -> None:
    """Record that a run wrote nothing and ended without an answer, and let its
    Idempotency-Key go, so that a retry imports the file."""
    async with database.session() as session:
        stored = await session.get(ImportRun, run.id)
        if stored is None or stored.status != "running":
            return
        stored.status, stored.detail, stored.idempotency_key = "abandoned", detail, None
        stored.finished_at = utcnow()
        session.add(stored)
        await session.commit()


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
            "skipped",
            "skipped_reasons",
            "detail",
            "idempotency_key",
        ):
            setattr(stored, name, getattr(run, name))
        stored.response_status, stored.response_body = status_code, body
        session.add(stored)
        await session.commit()
    record_import(
        "goals",
        "measure_values",
        run.status,
        (run.duration_ms or 0) / 1000,
        {
            "accepted": (run.inserted or 0) + (run.updated or 0) + (run.unchanged or 0),
            "rejected": run.rejected or 0,
        },
    )


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
            skipped=run.skipped,
            skipped_by_reason=dict(sorted((run.skipped_reasons or {}).items())),
        ),
        errors=[
            # Already clipped when staged (record_rejects reads them back).
            RowErrorRead(row=e.row, field=e.field, message=e.message, value=e.value)
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
    async with database.session() as session:
        # Before the run is recorded: naming an unknown municipality, or one outside the
        # importer's scope, is an error of the request (422, 403), not of the file.
        scope = await import_scope(session, actor, options.municipality)
    started = await _start_run(database, actor, options, scope)
    if isinstance(started, tuple):
        return started
    run = started
    assert run.id is not None
    clock = time.perf_counter()
    outcome: Outcome | None = None
    try:
        async with database.engine.connect() as connection:
            outcome = await _import(connection, actor, run.id, options, body, scope)
    except FileError as exc:
        run.status, run.detail = "failed", str(exc)
    except IntegrityError:
        # A measure or unit removed, or a value written one by one, while the file was read:
        # the whole merge is rolled back. The key is let go so that a retry with the same
        # Idempotency-Key imports the file instead of replaying this answer.
        run.status, run.idempotency_key = "conflict", None
        run.detail = (
            "The stored measures, units or values changed while the file was imported; "
            "nothing was written. Send the file again."
        )
    except BaseException as exc:
        # Anything else (the database gone, the request cancelled): nothing was written, and
        # the run must not stay "running", or its Idempotency-Key would block every retry.
        await _abandon(database, run, f"interrupted: {type(exc).__name__}")
        raise
    if outcome is not None:
        counts = outcome.counts
        run.inserted, run.updated, run.unchanged = counts.inserted, counts.updated, counts.unchanged
        run.rejected = outcome.rejected
        run.skipped = outcome.skipped.total()
        run.skipped_reasons = dict(outcome.skipped) or None
        run.status = "rejected" if outcome.refused else "completed"
        if outcome.refused:
            run.detail = f"atomic: {outcome.rejected} row(s) rejected, so nothing was written"
    run.finished_at = utcnow()
    run.duration_ms = round((time.perf_counter() - clock) * 1000)
    run.bytes_received = bytes_received
    result = _result(run, outcome).model_dump(mode="json")
    if run.status in PROBLEMS:
        status_code, slug = PROBLEMS[run.status]
        body_json = _problem(run, result, status_code, slug)
    else:
        status_code, body_json = 200, result
    await _finish_run(database, run, status_code, body_json)
    return status_code, body_json


# Run outcomes answered as problem documents: (HTTP status, problem type).
PROBLEMS = {
    "failed": (422, "import-file-unreadable"),
    "conflict": (409, "import-conflict"),
    "rejected": (422, "import-rejected"),
}


def _problem(run: ImportRun, result: dict[str, Any], status: int, slug: str) -> dict[str, Any]:
    """A problem document that also carries the run (RFC 9457 extension members)."""
    return {
        "type": f"https://styr.se/problems/{slug}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": run.detail,
        **{key: value for key, value in result.items() if key != "detail"},
    }


async def get_run(session: AsyncSession, run_id: int) -> ImportRun:
    run = await session.get(ImportRun, run_id)
    if run is None:
        raise NotFoundError(f"Import run {run_id} does not exist.")
    return run


async def runs_visible_to(session: AsyncSession, actor: Principal) -> set[str] | None:
    """The municipalities whose runs ``actor`` sees beside its own: controllers and admins
    see those of the municipalities their scope touches (``None``: all, for the operator)."""
    if not actor.has_any_role(Role.CONTROLLER):
        return set()
    return await municipalities_in_scope(session, OrgUnit, actor)


async def may_see(session: AsyncSession, actor: Principal, run: ImportRun) -> bool:
    if run.requested_by == actor.subject:
        return True
    visible = await runs_visible_to(session, actor)
    return visible is None or run.municipality_id in visible


async def list_runs(
    session: AsyncSession, page: PageParams, actor: Principal
) -> tuple[list[ImportRun], str | None]:
    """The caller's own runs and those of the municipalities it oversees (see
    :func:`runs_visible_to`)."""
    statement = select(ImportRun)
    visible = await runs_visible_to(session, actor)
    if visible is not None:
        statement = statement.where(
            (col(ImportRun.requested_by) == actor.subject)
            | col(ImportRun.municipality_id).in_(visible)
        )
    return await paginate(session, statement, [col(ImportRun.id)], page)


async def run_errors(
    session: AsyncSession, run_id: int, page: PageParams
) -> tuple[list[ImportRowError], str | None]:
    await get_run(session, run_id)
    statement = select(ImportRowError).where(col(ImportRowError.run_id) == run_id)
    return await paginate(session, statement, [col(ImportRowError.id)], page)
