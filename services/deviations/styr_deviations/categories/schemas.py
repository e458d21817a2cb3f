"""API contracts of the category lists."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field

from styr_deviations.config import CategoryGroup
from styr_deviations.text import ShortText
from styr_shared.schemas import StrictModel

Year = Annotated[int, Field(ge=1990, le=2100)]


class CategorySource(StrEnum):
    NATIONAL = "national"  # the national default list (perhaps relabelled or retired)
    OWN = "own"  # the municipality's own code


class CategoryIn(StrictModel):
    """For a national code: `label` (null = the national label) and `valid_to_year` (the last
    year the municipality uses it; null = as long as the national list has it); its group and
    first year are the national list's. For an own code: `label` and `group` are required."""

    label: ShortText | None = None
    group: CategoryGroup | None = Field(
        None, description="`deviation` or `feedback` (complaints too)."
    )
    valid_from_year: Year | None = Field(None, description="First year it is valid (own codes).")
    valid_to_year: Year | None = Field(
        None, description="Last year it is valid: the code is retired from the year after."
    )


class CategoryRead(BaseModel):
    code: str
    label: str
    group: CategoryGroup = Field(description="`deviation` or `feedback` (complaints too).")
    valid_from_year: int | None
    valid_to_year: int | None
    source: CategorySource = Field(
        description="`national` (the national default list) or `own` (the municipality's)."
    )
    national_label: str | None = Field(
        None, description="For a national code: its national label (the label may be relabelled)."
    )
