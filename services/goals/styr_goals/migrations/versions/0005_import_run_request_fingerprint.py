"""import_run: the fingerprint of the request an Idempotency-Key was first used for

A retry with the same key and the same file gets the first answer back; the key reused with
another file (or other options) is refused with 422 instead of silently answering for the
first file. Runs recorded before have no fingerprint and replay as before.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("import_run", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "request_fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("import_run", schema=None) as batch_op:
        batch_op.drop_column("request_fingerprint")
