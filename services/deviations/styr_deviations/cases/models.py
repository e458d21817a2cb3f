"""Cases (deviations, complaints, feedback), their actions, history and reference series."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Column, Field, SQLModel, Text

from styr_deviations.cases import calendar
from styr_shared.types import JSONDocument, UTCDateTime, utcnow

SERIES_LENGTH = 80  # a format's series (at most 60) or ``legacy:`` and an imported number


class ReferenceCounter(SQLModel, table=True):
    """The last serial handed out in one reference series of a municipality (e.g.
    ``oxelosund`` / ``VON.2025.*``; per committee the series names the committee's code).

    Locked for update in the transaction that inserts the case, so serials are gap-free:
    a rolled-back registration rolls its serial back too.
    """

    __tablename__ = "reference_counter"

    municipality_id: str = Field(primary_key=True, max_length=64)
    series: str = Field(primary_key=True, max_length=SERIES_LENGTH)
    last_value: int = Field(default=0)


class Case(SQLModel, table=True):
    __tablename__ = "deviation_case"
    # Reference numbers, serials and migrated ids are unique within a municipality.
    __table_args__ = (
        UniqueConstraint(
            "municipality_id", "reference_number", name="uq_deviation_case_reference_number"
        ),
        UniqueConstraint("municipality_id", "series", "serial", name="uq_deviation_case_serial"),
        UniqueConstraint("municipality_id", "external_id", name="uq_deviation_case_external_id"),
        # What the statistics filter on: the year on a date basis and the unit (scope, subtree).
        Index("ix_deviation_case_registration_year_unit", "registration_year", "org_unit_id"),
        Index("ix_deviation_case_event_year_unit", "event_year", "org_unit_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    municipality_id: str = Field(
        max_length=64, index=True, description="The municipality (root org unit) of the case."
    )
    reference_number: str = Field(max_length=60, index=True)
    series: str = Field(max_length=SERIES_LENGTH)
    serial: int
    kind: str = Field(max_length=30, index=True)
    law_area: str | None = Field(default=None, max_length=10, index=True)
    regime: str = Field(default="standard", max_length=20)
    category: str | None = Field(default=None, max_length=60, index=True)
    feedback_type: str | None = Field(default=None, max_length=20)
    housing_type: str | None = Field(default=None, max_length=30)
    external_direction: str | None = Field(default=None, max_length=20)
    external_party: str | None = Field(default=None, max_length=200)
    external_date: date | None = Field(
        default=None, description="The day an external deviation was sent or received."
    )
    external_answered_on: date | None = Field(
        default=None, description="The day the receiving care giver answered it."
    )
    event_time: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reported_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    org_unit_id: str = Field(max_length=64, index=True)
    channel: str = Field(max_length=30)
    reporter_type: str = Field(max_length=20)
    reported_by: str | None = Field(
        default=None, max_length=200, description="Subject of the staff member who registered."
    )
    description: str = Field(sa_column=Column(Text, nullable=False))
    immediate_actions: str | None = Field(default=None, sa_column=Column(Text))
    state: str = Field(default="registered", max_length=20, index=True)
    assigned_to: str | None = Field(default=None, max_length=200)
    mas_routed: bool = False
    mas_took_over: bool = False
    risk_probability: int | None = None
    risk_consequence: int | None = None
    risk_score: int | None = None
    risk_level: str | None = Field(default=None, max_length=30)
    # Lex Maria (MAS/MAR)
    lm_mas_assessment: str | None = Field(default=None, sa_column=Column(Text))
    lm_event_analysis: str | None = Field(default=None, sa_column=Column(Text))
    lm_report_to_ivo: bool | None = None
    lm_decision_date: date | None = None
    lm_ivo_report_date: date | None = None
    lm_ivo_case_number: str | None = Field(default=None, max_length=60)
    # Lex Sarah
    ls_initial_assessment: str | None = Field(default=None, sa_column=Column(Text))
    ls_investigation: str | None = Field(default=None, sa_column=Column(Text))
    ls_standpoint: str | None = Field(default=None, max_length=30)
    ls_ivo_report_date: date | None = None
    ls_ivo_case_number: str | None = Field(default=None, max_length=60)
    # How a MAS/MAR or Lex Sarah investigation ended
    investigation_outcome: str | None = Field(default=None, max_length=30)
    # Deadlines and answers
    due_date: date | None = Field(default=None, index=True)
    deadline_milestone: str | None = Field(default=None, max_length=20)
    received_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    answer_summary: str | None = Field(default=None, sa_column=Column(Text))
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Personal data: only ciphertext and a keyed hash are stored.
    personal_data: str | None = Field(default=None, sa_column=Column(Text))
    person_hash: str | None = Field(default=None, max_length=64, index=True)
    # Citizen intake and migration
    receipt_id: str | None = Field(default=None, max_length=40)
    external_id: str | None = Field(default=None, max_length=100)
    legacy_reference: str | None = Field(default=None, max_length=100)
    import_withdrawn_at: datetime | None = Field(
        default=None,
        sa_type=UTCDateTime,
        description="A wrongly imported case an admin withdrew: kept, out of the statistics.",
    )
    related_case_id: int | None = Field(
        default=None, index=True, description="The complaint a deviation was raised from."
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Swedish-calendar facts of the dates, for the statistics (``cases/calendar.py``): never
    # set by hand, computed on every write.
    registration_year: int | None = Field(
        default=None, sa_column_kwargs={"default": calendar.column_default("registration_year")}
    )
    registration_month: int | None = Field(
        default=None, sa_column_kwargs={"default": calendar.column_default("registration_month")}
    )
    event_year: int | None = Field(
        default=None, sa_column_kwargs={"default": calendar.column_default("event_year")}
    )
    event_month: int | None = Field(
        default=None, sa_column_kwargs={"default": calendar.column_default("event_month")}
    )
    answered_on: date | None = Field(
        default=None, sa_column_kwargs={"default": calendar.column_default("answered_on")}
    )
    answer_days: int | None = Field(
        default=None, sa_column_kwargs={"default": calendar.column_default("answer_days")}
    )
    close_days: int | None = Field(
        default=None, sa_column_kwargs={"default": calendar.column_default("close_days")}
    )


calendar.listen(Case)


class CaseAction(SQLModel, table=True):
    """An action (åtgärd) decided in a case, and the follow-up of its effect."""

    __tablename__ = "case_action"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="deviation_case.id", index=True)
    description: str = Field(sa_column=Column(Text, nullable=False))
    owner: str = Field(max_length=200)
    due_date: date | None = None
    status: str = Field(default="planned", max_length=20)
    effect_follow_up: str | None = Field(default=None, sa_column=Column(Text))
    effect_followed_up_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    effect_followed_up_by: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CaseHistory(SQLModel, table=True):
    """Append-only history: every transition and field change, with before and after.

    Personal data never appears here in plain text; its changes are recorded as redacted.
    """

    __tablename__ = "case_history"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="deviation_case.id", index=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor: str = Field(max_length=200)
    event: str = Field(max_length=40, description="created, transition, field_change, ...")
    field: str | None = Field(default=None, max_length=60)
    before: Any = Field(default=None, sa_column=Column(JSONDocument))
    after: Any = Field(default=None, sa_column=Column(JSONDocument))
    reason: str | None = Field(default=None, sa_column=Column(Text))
