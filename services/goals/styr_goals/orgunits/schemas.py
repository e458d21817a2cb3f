"""API contracts for organisation units and the change feed."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import Field, StringConstraints, model_validator

from styr_shared.schemas import ResponseModel, StrictModel

UnitId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")]
Code = Annotated[str, StringConstraints(min_length=1, max_length=40)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class ChangeKind(StrEnum):
    CREATED = "created"
    RENAMED = "renamed"
    MOVED = "moved"
    UPDATED = "updated"
    CLOSED = "closed"


class OrgLevelWrite(StrictModel):
    label: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    rank: int = Field(ge=0, le=20)


class OrgLevelRead(ResponseModel):
    key: str
    label: str
    rank: int


class LevelSource(StrEnum):
    DEFAULT = "default"
    OWN = "own"


class EffectiveOrgLevelRead(ResponseModel):
    """One level as a municipality sees it: a default, or its own (new or relabelled)."""

    key: str
    label: str
    rank: int
    source: LevelSource


class _Validity(StrictModel):
    valid_from: date | None = None
    valid_to: date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError("valid_to must not be before valid_from")
        return self


class OrgUnitCreate(_Validity):
    id: UnitId | None = Field(
        None, description="Stable id (lowercase slug). Generated when omitted."
    )
    code: Code = Field(
        description="Human code, unique within the municipality (a municipality's own code "
        "unique among municipalities), e.g. `VON`."
    )
    name: Name
    level: str = Field(max_length=40, description="Key of an org level, e.g. `committee`.")
    parent_id: str | None = Field(
        None,
        max_length=64,
        description="The unit above. Omitted: the unit is a new municipality (the root of a "
        "tree of its own), which only an unrestricted admin may create.",
    )
    kolada_id: str | None = Field(
        None, max_length=40, description="Kolada municipality code or OU id, e.g. `0481`."
    )


class OrgUnitUpdate(StrictModel):
    """A rename, move, closure or correction. Omitted fields stay as they are."""

    code: Code | None = None
    name: Name | None = None
    parent_id: str | None = Field(
        None, max_length=64, description="Move under this unit, in the same municipality."
    )
    valid_to: date | None = None
    successor_id: str | None = Field(None, max_length=64)
    kolada_id: str | None = Field(None, max_length=40)
    level: str | None = Field(
        None, max_length=40, description="A key of the municipality's effective org levels."
    )
    effective_from: date | None = Field(
        None, description="When the change takes effect (default: today); kept in the feed."
    )


class OrgUnitRead(ResponseModel):
    id: str
    code: str
    name: str
    level: str
    parent_id: str | None
    municipality_id: str = Field(
        description="The municipality: the id of the root of the unit's tree (a root's own)."
    )
    valid_from: date | None
    valid_to: date | None
    successor_id: str | None
    kolada_id: str | None
    created_at: datetime
    updated_at: datetime


class OrgUnitChangeRead(ResponseModel):
    seq: int
    unit_id: str
    kind: ChangeKind
    effective_from: date | None
    recorded_at: datetime
    recorded_by: str
    before: dict[str, Any] | None
    after: dict[str, Any]


class ChangeFeed(StrictModel):
    items: list[OrgUnitChangeRead]
    cursor: str = Field(
        description="Pass as `after` on the next poll; it is the last delivered position "
        "(unchanged when there was nothing new)."
    )
    has_more: bool = Field(description="True when more changes are waiting: poll again now.")


class MunicipalityRead(ResponseModel):
    """A municipality: the root of an org tree; its id is the root unit's id."""

    id: str
    code: str
    name: str
    kolada_id: str | None = Field(description="Kolada's municipality code, e.g. `0481`.")
    valid_from: date | None
    valid_to: date | None
