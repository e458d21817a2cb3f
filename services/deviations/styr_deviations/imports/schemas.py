"""API contracts for the migration import."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints, model_validator

from styr_deviations.config import (
    CaseKind,
    CaseState,
    Channel,
    FeedbackType,
    HousingType,
    LawArea,
    Regime,
    ReporterType,
)
from styr_deviations.text import Code, Day, LongText, Moment, printable
from styr_shared.errors import FieldError
from styr_shared.schemas import StrictModel

Reference = Annotated[
    str, StringConstraints(min_length=1, max_length=60), AfterValidator(printable)
]
"""A reference or case number: what the 60-character columns hold."""
ExternalId = Annotated[
    str, StringConstraints(min_length=1, max_length=100), AfterValidator(printable)
]


class ImportRow(StrictModel):
    """One historical case. Personal data is not imported (add it per case if needed)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "external_id": "procapita-2019-00042",
                    "reference_number": "AVV 2019/42",
                    "kind": "deviation",
                    "law_area": "HSL",
                    "regime": "lex_maria",
                    "category": "lakemedel",
                    "event_time": "2019-05-02T08:15:00+02:00",
                    "reported_at": "2019-05-02T10:03:00+02:00",
                    "org_unit_id": "oxelosund-sabo",
                    "description": "Morgondosen gavs två gånger.",
                    "state": "closed",
                    "closed_at": "2019-06-20T14:00:00+02:00",
                    "lex_maria_report_to_ivo": True,
                    "lex_maria_ivo_report_date": "2019-05-20",
                    "lex_maria_ivo_case_number": "3.1.1-12345/2019",
                }
            ]
        }
    )

    external_id: ExternalId = Field(description="The old system's id; imports are idempotent.")
    reference_number: Reference | None = Field(
        None,
        description="The old reference number, kept as is (unique within the municipality); a "
        "new one of the municipality's series is given if absent.",
    )
    kind: CaseKind
    law_area: LawArea | None = None
    regime: Regime = Regime.STANDARD
    category: Code | None = None
    feedback_type: FeedbackType | None = None
    housing_type: HousingType | None = None
    event_time: Moment | None = None
    reported_at: Moment
    org_unit_id: Code
    channel: Channel = Channel.MIGRATION
    reporter_type: ReporterType = ReporterType.STAFF
    description: LongText
    immediate_actions: LongText | None = None
    state: CaseState = CaseState.CLOSED
    received_at: Moment | None = None
    answered_at: Moment | None = None
    answer_summary: LongText | None = None
    closed_at: Moment | None = None
    lex_maria_report_to_ivo: bool | None = None
    lex_maria_ivo_report_date: Day | None = None
    lex_maria_ivo_case_number: Reference | None = None

    @model_validator(mode="after")
    def _rules(self) -> Self:
        for name in ("event_time", "reported_at", "received_at", "answered_at", "closed_at"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"{name} needs a timezone")
        if self.kind in (CaseKind.DEVIATION, CaseKind.EXTERNAL_DEVIATION) and not self.law_area:
            raise ValueError("law_area is required for deviations")
        if self.state in (CaseState.CLOSED, CaseState.REJECTED, CaseState.WITHDRAWN) and (
            self.closed_at is None
        ):
            self.closed_at = self.answered_at or self.reported_at
        if self.lex_maria_ivo_report_date and self.lex_maria_report_to_ivo is not True:
            raise ValueError("lex_maria_ivo_report_date needs lex_maria_report_to_ivo = true")
        return self


class ImportRequest(StrictModel):
    rows: list[dict[str, object]] = Field(max_length=20_000)


class RowError(StrictModel):
    row: int = Field(description="0-based position in the file (CSV: data row, header excluded).")
    external_id: str | None
    errors: list[FieldError]


class ImportResult(StrictModel):
    created: int
    unchanged: int = Field(description="Rows whose external id was imported before.")
    failed: int
    errors: list[RowError]
    created_ids: list[str] = Field(description="External ids created by this import.")
