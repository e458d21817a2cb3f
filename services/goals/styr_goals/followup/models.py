"""Human assessments of goals per follow-up period, and activities (action plans).

Assessments are append-only: a new judgement is a new row, the latest row of a goal, year,
period and kind is the current one, and computed measure statuses never touch them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Column, Field, SQLModel, Text

from styr_shared.types import JSONDocument, UTCDateTime, utcnow


class Assessment(SQLModel, table=True):
    __tablename__ = "goal_assessment"

    id: int | None = Field(default=None, primary_key=True)
    goal_id: str = Field(foreign_key="goal.id", max_length=64, index=True)
    year: int = Field(index=True)
    period: str = Field(max_length=40)
    kind: str = Field(max_length=20)
    answer: str = Field(max_length=10)
    answer_text: str | None = Field(default=None, sa_column=Column(Text))
    colour: str | None = Field(default=None, max_length=10)
    comment: str | None = Field(default=None, sa_column=Column(Text))
    causes: str | None = Field(default=None, sa_column=Column(Text))
    consequences: str | None = Field(default=None, sa_column=Column(Text))
    actions_taken: str | None = Field(default=None, sa_column=Column(Text))
    actions_planned: str | None = Field(default=None, sa_column=Column(Text))
    author: str = Field(max_length=200)
    author_name: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Activity(SQLModel, table=True):
    __tablename__ = "activity"

    id: int | None = Field(default=None, primary_key=True)
    goal_id: str = Field(foreign_key="goal.id", max_length=64, index=True)
    org_unit_id: str = Field(foreign_key="org_unit.id", max_length=64, index=True)
    year: int = Field(index=True)
    title: str = Field(sa_column=Column(Text, nullable=False))
    responsible: str | None = Field(default=None, max_length=200)
    start_date: date | None = None
    end_date: date | None = None
    due_quarter: str | None = Field(default=None, max_length=7)
    status: str = Field(max_length=40)
    progress: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Publication(SQLModel, table=True):
    """A follow-up as it was reported (delårsrapport, årsredovisning).

    Either a frozen copy of the computed report at publication (later value corrections and
    assessments do not change what was reported) or, for history taken from the papers, only
    the printed headline figure (e.g. the interim forecast "94 %").
    """

    __tablename__ = "follow_up_publication"

    id: int | None = Field(default=None, primary_key=True)
    plan_id: str = Field(foreign_key="plan.id", max_length=64, index=True)
    year: int
    period: str = Field(max_length=40)
    percent: int | None = None
    result_level: str | None = Field(default=None, max_length=200)
    computed: bool
    note: str | None = Field(default=None, sa_column=Column(Text))
    report: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONDocument))
    published_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    published_by: str = Field(max_length=200)
