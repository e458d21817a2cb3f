"""Steering configuration, plans and the goal tree.

A goal is an identity (``goal``) with one row per stretch of plan years in which its content
and place in the tree stayed the same (``goal_version``: ``valid_from_year`` ..
``valid_to_year``, open-ended when null). Re-parenting, renaming or retiring a goal from a year
closes the version in force and (unless retired) opens a new one, so the tree of any earlier
year reads exactly as it was.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Column, Field, SQLModel, Text

from styr_shared.types import JSONDocument, UTCDateTime, utcnow


class SteeringConfig(SQLModel, table=True):
    """A municipality's steering configuration (goal levels, follow-up periods, ...).

    One validated document per municipality (see ``schemas.SteeringConfigDocument``): the
    pieces are small, always read together and changed rarely by an administrator.
    """

    __tablename__ = "steering_config"

    municipality_id: str = Field(primary_key=True, foreign_key="org_unit.id", max_length=64)
    document: dict[str, Any] = Field(sa_column=Column(JSONDocument, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by: str = Field(max_length=200)


class Plan(SQLModel, table=True):
    __tablename__ = "plan"

    id: str = Field(primary_key=True, max_length=64)
    org_unit_id: str = Field(foreign_key="org_unit.id", max_length=64, index=True)
    name: str = Field(max_length=200)
    start_year: int
    end_year: int
    adopted_on: date | None = None
    description: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Goal(SQLModel, table=True):
    """A goal's identity within a plan; its content lives in ``goal_version``."""

    __tablename__ = "goal"
    __table_args__ = (UniqueConstraint("plan_id", "code", name="uq_goal_plan_code"),)

    id: str = Field(primary_key=True, max_length=64)
    plan_id: str = Field(foreign_key="plan.id", max_length=64, index=True)
    level: str = Field(max_length=40)
    code: str = Field(max_length=40)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(max_length=200)


class GoalVersion(SQLModel, table=True):
    __tablename__ = "goal_version"
    __table_args__ = (
        UniqueConstraint("goal_id", "valid_from_year", name="uq_goal_version_from_year"),
    )

    id: int | None = Field(default=None, primary_key=True)
    goal_id: str = Field(foreign_key="goal.id", max_length=64, index=True)
    valid_from_year: int
    valid_to_year: int | None = None
    parent_id: str | None = Field(default=None, foreign_key="goal.id", max_length=64, index=True)
    title: str = Field(sa_column=Column(Text, nullable=False))
    headline: str | None = Field(default=None, sa_column=Column(Text))
    description: str | None = Field(default=None, sa_column=Column(Text))
    follow_up_tag: str | None = Field(default=None, max_length=10)
    addressed_to: list[str] = Field(
        default_factory=list, sa_column=Column(JSONDocument, nullable=False)
    )
    position: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(max_length=200)
