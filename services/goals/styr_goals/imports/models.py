"""Import runs: every bulk import of measure values, who sent it, what happened to each row."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, UniqueConstraint
from sqlmodel import Column, Field, SQLModel, Text

from styr_shared.types import JSONDocument, UTCDateTime, utcnow


class ImportRun(SQLModel, table=True):
    __tablename__ = "import_run"
    __table_args__ = (
        UniqueConstraint("requested_by", "idempotency_key", name="uq_import_run_idempotency"),
    )

    id: int | None = Field(default=None, primary_key=True)
    requested_by: str = Field(max_length=200, index=True)
    idempotency_key: str | None = Field(default=None, max_length=200)
    # SHA-256 of what the key was first sent with (content and options), hex.
    request_fingerprint: str | None = Field(default=None, max_length=64)
    source: str | None = Field(default=None, max_length=200)
    # The municipality the run wrote to; null for an importer in several that named none.
    municipality_id: str | None = Field(default=None, max_length=64, index=True)
    format: str = Field(max_length=20)
    compressed: bool = False
    dry_run: bool = False
    atomic: bool = False
    status: str = Field(default="running", max_length=20)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    duration_ms: int | None = None
    bytes_received: int = Field(default=0, sa_type=BigInteger)
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    # Rows left out on purpose and counted, by reason (Kolada's nulls with their status,
    # gender rows of a measure without a gender split).
    skipped: int = 0
    skipped_reasons: dict[str, int] | None = Field(default=None, sa_column=Column(JSONDocument))
    detail: str | None = Field(default=None, sa_column=Column(Text))
    # The first answer, replayed verbatim to a retry with the same Idempotency-Key.
    response_status: int | None = None
    response_body: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONDocument))


class ImportRowError(SQLModel, table=True):
    """One rejected row of a run; all are kept, however many."""

    __tablename__ = "import_row_error"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="import_run.id", index=True)
    row: int
    field: str | None = Field(default=None, max_length=40)
    message: str = Field(sa_column=Column(Text, nullable=False))
    value: str | None = Field(default=None, sa_column=Column(Text))
