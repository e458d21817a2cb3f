"""Replica tables: the org units as the feed last described them, and the feed position."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from styr_shared.types import UTCDateTime, utcnow


class ReplicaOrgUnit(SQLModel, table=True):
    __tablename__ = "org_unit"

    id: str = Field(primary_key=True, max_length=64)
    code: str = Field(max_length=40, index=True)
    name: str = Field(max_length=200)
    level: str = Field(max_length=40)
    parent_id: str | None = Field(default=None, max_length=64, index=True)
    municipality_id: str = Field(
        max_length=64, index=True, description="The root of the unit's tree: its tenant."
    )
    valid_from: date | None = None
    valid_to: date | None = None
    successor_id: str | None = Field(default=None, max_length=64)
    kolada_id: str | None = Field(default=None, max_length=40)
    replicated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OrgFeedState(SQLModel, table=True):
    """Where the replica stands in the goals service's feed (one row)."""

    __tablename__ = "org_feed_state"

    feed: str = Field(primary_key=True, max_length=40)
    cursor: str = Field(max_length=40)
    synced_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
