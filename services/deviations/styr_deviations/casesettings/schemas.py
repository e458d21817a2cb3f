"""API contract of a municipality's case settings."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Self

from pydantic import AfterValidator, BaseModel, Field, StringConstraints, model_validator

from styr_deviations.casesettings.formats import ReferenceFormat
from styr_deviations.config import (
    DEFAULT_DEADLINES,
    DEFAULT_RISK_MATRIX,
    CaseKind,
    DeadlineRule,
    RiskMatrix,
)
from styr_deviations.text import Code, printable
from styr_shared.schemas import StrictModel

MIN_SUPPRESSION_THRESHOLD = 3
"""Below 3 a shown count of 1 or 2 would point at one or two persons."""


class SeriesScope(StrEnum):
    MUNICIPALITY = "municipality"  # one series for the whole municipality
    COMMITTEE = "committee"  # one per committee (the case unit's ancestor at level committee)


def _reference_format(value: str) -> str:
    ReferenceFormat(value)  # raises ValueError with the reason
    return value


FormatText = Annotated[
    str,
    StringConstraints(min_length=3, max_length=60),
    AfterValidator(printable),
    AfterValidator(_reference_format),
]


class CaseSettings(StrictModel):
    """One municipality's case settings. A PUT replaces the whole document: a field left out
    takes its national default."""

    # The national default names no committee: a municipality sets its own (Oxelösund's
    # migrated settings keep VON.{year}.{n}).
    reference_format: FormatText = Field(
        "{year}/{n}",
        description="Reference numbers (diarienummer): `{year}` the year of registration, "
        "`{n}` the gap-free serial (`{n:04d}` pads it), `{committee}` the committee's code "
        "(needed, and only allowed, with `series_scope: committee`). E.g. `SN {year}/{n}`. "
        "A changed format starts a new series at 1 (unless it gives the same series).",
    )
    series_scope: SeriesScope = Field(
        SeriesScope.MUNICIPALITY,
        description="`municipality`: one series per year for the municipality; `committee`: "
        "one per committee (the case's unit's ancestor at level `committee`).",
    )
    risk_matrix: RiskMatrix = Field(
        default_factory=lambda: DEFAULT_RISK_MATRIX.model_copy(deep=True),
        description="Probability and consequence scales, their labels and the risk levels.",
    )
    deadlines: dict[CaseKind, DeadlineRule] = Field(
        default_factory=lambda: {CaseKind(kind): rule for kind, rule in DEFAULT_DEADLINES.items()},
        description="Per case kind: what must happen (`received` or `answered`) within how "
        "many days/months of registration. A kind left out has no deadline.",
    )
    intake_unit_id: Code | None = Field(
        None,
        description="The org unit (of this municipality) that receives citizen feedback when "
        "the citizen names none. Without it, intake needs the citizen to name a unit.",
    )
    suppression_threshold: int = Field(
        5,
        ge=MIN_SUPPRESSION_THRESHOLD,
        le=100,
        description="For callers without case access, counts from 1 to this value minus one "
        "are shown as `<threshold` (and counts that would give them away as `x`).",
    )

    @model_validator(mode="after")
    def _scope_matches_format(self) -> Self:
        uses_committee = ReferenceFormat(self.reference_format).uses_committee
        if self.series_scope is SeriesScope.COMMITTEE and not uses_committee:
            raise ValueError(
                "a series per committee needs {committee} in reference_format, or the "
                "committees' numbers would repeat each other"
            )
        if self.series_scope is SeriesScope.MUNICIPALITY and uses_committee:
            raise ValueError("{committee} in reference_format needs series_scope: committee")
        return self

    @property
    def reference(self) -> ReferenceFormat:
        return ReferenceFormat(self.reference_format)


NATIONAL_DEFAULTS = CaseSettings()
"""What a municipality without stored settings uses (no intake unit of its own)."""


class CaseSettingsRead(BaseModel):
    municipality_id: str
    stored: bool = Field(
        description="False: the municipality has stored nothing and uses the national defaults."
    )
    updated_at: datetime | None
    updated_by: str | None
    settings: CaseSettings = Field(description="The document a `PUT` takes.")
