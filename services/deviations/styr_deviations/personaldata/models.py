"""The personal-data access log: who read whose data in which case, when and why."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from styr_shared.types import UTCDateTime, utcnow


class PersonalDataAccess(SQLModel, table=True):
    """Append-only: one row per case whose personal data was shown to someone."""

    __tablename__ = "personal_data_access"

    id: int | None = Field(default=None, primary_key=True)
    accessed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor: str = Field(max_length=200, index=True)
    actor_roles: str = Field(max_length=200)
    case_id: int = Field(index=True)
    reference_number: str = Field(max_length=60)
    action: str = Field(max_length=20, description="`read`, `search` or `write`.")
    reason: str = Field(max_length=500)
