"""balance measures can answer the deficit of an org unit

Revision ID: 0004
Revises: 0003_outcome_sources
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003_outcome_sources"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("balance_measure") as batch:
        batch.add_column(
            sa.Column("org_unit_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("balance_measure") as batch:
        batch.drop_column("org_unit_id")
