"""API contracts of the bulk import."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from styr_shared.schemas import ResponseModel


class ImportCounts(BaseModel):
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    skipped: int = Field(
        0,
        description="Rows left out on purpose, not errors: Kolada values of `null` (missing "
        "or secret data) and gender rows (K/M) of a measure without a gender split, in any "
        "format (rejected instead with `strict=true`).",
    )
    skipped_by_reason: dict[str, int] = Field(
        default_factory=dict,
        description="`kolada_null:<Kolada status>` and `gender_without_split:<K|M>`.",
    )


class RowErrorRead(ResponseModel):
    row: int = Field(
        description="CSV and NDJSON: the line (the CSV header is line 1). JSON and Kolada: "
        "the 0-based index in the array."
    )
    field: str | None = Field(description="The offending column, when one is to blame.")
    message: str
    value: str | None = Field(description="The raw value as sent (cut at 200 characters).")


class ImportResult(BaseModel):
    id: int = Field(description="The import run; `GET /api/v1/import-runs/{id}`.")
    outcome: str = Field(
        description="`completed`; `rejected` when `atomic` refused the file; `failed` when "
        "the file could not be read at all; `conflict` when the stored measures, units or "
        "values changed while the file was imported (nothing was written; send it again). "
        "A run is `running` while it is imported and `abandoned` when it ended without an "
        "answer (the service stopped or the database failed; nothing was written)."
    )
    format: str
    source: str | None
    dry_run: bool
    atomic: bool
    started_at: datetime
    finished_at: datetime | None
    duration_ms: int | None
    counts: ImportCounts
    errors: list[RowErrorRead] = Field(
        description="Rejected rows, the first 1000; every one is at "
        "`GET /api/v1/import-runs/{id}/errors`."
    )
    errors_truncated: bool
    detail: str | None = None


class ImportRunRead(ResponseModel):
    id: int
    requested_by: str
    idempotency_key: str | None
    source: str | None
    municipality_id: str | None = Field(
        description="The municipality the run wrote to; null for an importer in several "
        "municipalities that named none."
    )
    format: str
    compressed: bool
    dry_run: bool
    atomic: bool
    status: str
    started_at: datetime
    finished_at: datetime | None
    duration_ms: int | None
    bytes_received: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    skipped: int = 0
    skipped_reasons: dict[str, int] | None = None
    detail: str | None
