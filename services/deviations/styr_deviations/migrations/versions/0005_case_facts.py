"""case facts: external deviation dates, investigation outcomes, withdrawn imports

Revision ID: 0005_case_facts
Revises: 0004_municipalities
Create Date: 2026-12-03 16:00:00

New, nullable columns of ``deviation_case``; existing cases get none of them (no external
dates, no recorded outcome, not withdrawn), which is what they were. Downgrade drops them, and
with them what was recorded there.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import styr_shared.types

revision: str = "0005_case_facts"
down_revision: str | Sequence[str] | None = "0004_municipalities"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("external_date", "external_answered_on", "investigation_outcome", "import_withdrawn_at")


def upgrade() -> None:
    op.add_column("deviation_case", sa.Column("external_date", sa.Date(), nullable=True))
    op.add_column("deviation_case", sa.Column("external_answered_on", sa.Date(), nullable=True))
    op.add_column(
        "deviation_case",
        sa.Column(
            "investigation_outcome", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True
        ),
    )
    op.add_column(
        "deviation_case",
        sa.Column(
            "import_withdrawn_at", styr_shared.types.UTCDateTime(timezone=True), nullable=True
        ),
    )


def downgrade() -> None:
    # Plain columns without index or constraint: SQLite (3.35+) drops them in place.
    for name in reversed(COLUMNS):
        op.drop_column("deviation_case", name)
