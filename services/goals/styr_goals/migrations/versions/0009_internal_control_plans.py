"""internal control plans (intern kontroll): ic_plan, ic_process, ic_risk, ic_control,
ic_result

A committee's yearly internal control plan (kommunallagen 6 kap. 6 §): processes, risks
assessed as probability × consequence, controls for the highest risks and their results.
Downgrading drops the tables and what they hold.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from styr_shared.types import UTCDateTime

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "ic_plan",
        sa.Column("id", _text(64), nullable=False),
        sa.Column("org_unit_id", _text(64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("risk_threshold", sa.Integer(), nullable=False),
        sa.Column("adopted_on", sa.Date(), nullable=True),
        sa.Column("decision", _text(200), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("created_by", _text(200), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_unit_id"], ["org_unit.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_unit_id", "year", name="uq_ic_plan_unit_year"),
    )
    op.create_index(op.f("ix_ic_plan_org_unit_id"), "ic_plan", ["org_unit_id"])
    op.create_table(
        "ic_process",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", _text(64), nullable=False),
        sa.Column("name", _text(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["ic_plan.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_ic_process_plan_id"), "ic_process", ["plan_id"])
    op.create_table(
        "ic_risk",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", _text(64), nullable=False),
        sa.Column("process_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("probability", sa.Integer(), nullable=False),
        sa.Column("consequence", sa.Integer(), nullable=False),
        sa.Column("financial", sa.Boolean(), nullable=False),
        sa.Column("assessed_by", _text(200), nullable=False),
        sa.Column("assessed_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["ic_plan.id"]),
        sa.ForeignKeyConstraint(["process_id"], ["ic_process.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_ic_risk_plan_id"), "ic_risk", ["plan_id"])
    op.create_index(op.f("ix_ic_risk_process_id"), "ic_risk", ["process_id"])
    op.create_table(
        "ic_control",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", _text(64), nullable=False),
        sa.Column("risk_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("frequency", _text(100), nullable=False),
        sa.Column("responsible", _text(200), nullable=False),
        sa.Column("timing", _text(100), nullable=False),
        sa.Column("created_by", _text(200), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["ic_plan.id"]),
        sa.ForeignKeyConstraint(["risk_id"], ["ic_risk.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_ic_control_plan_id"), "ic_control", ["plan_id"])
    op.create_index(op.f("ix_ic_control_risk_id"), "ic_control", ["risk_id"])
    op.create_table(
        "ic_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("control_id", sa.Integer(), nullable=False),
        sa.Column("outcome", _text(20), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("actions", sa.Text(), nullable=True),
        sa.Column("action_responsible", _text(200), nullable=True),
        sa.Column("action_due", sa.Date(), nullable=True),
        sa.Column("reported_by", _text(200), nullable=False),
        sa.Column("reported_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["control_id"], ["ic_control.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_ic_result_control_id"), "ic_result", ["control_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_ic_result_control_id"), table_name="ic_result")
    op.drop_table("ic_result")
    op.drop_index(op.f("ix_ic_control_risk_id"), table_name="ic_control")
    op.drop_index(op.f("ix_ic_control_plan_id"), table_name="ic_control")
    op.drop_table("ic_control")
    op.drop_index(op.f("ix_ic_risk_process_id"), table_name="ic_risk")
    op.drop_index(op.f("ix_ic_risk_plan_id"), table_name="ic_risk")
    op.drop_table("ic_risk")
    op.drop_index(op.f("ix_ic_process_plan_id"), table_name="ic_process")
    op.drop_table("ic_process")
    op.drop_index(op.f("ix_ic_plan_org_unit_id"), table_name="ic_plan")
    op.drop_table("ic_plan")
