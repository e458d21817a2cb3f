"""case calendar facts: Swedish-calendar year and month of each date basis, answer and close days

Revision ID: 0006_case_calendar
Revises: 0005_case_facts
Create Date: 2026-12-03 19:10:00

The statistics group cases in SQL by Swedish calendar year and month (Europe/Stockholm) on the
registration or the event, and count Swedish calendar days to answer and to close. These facts
are stored with each case (``cases/calendar.py`` keeps them right on every write) and the
years indexed with the unit. Existing cases are backfilled: on PostgreSQL in SQL (``AT TIME
ZONE 'Europe/Stockholm'``), on SQLite (which knows no time zones) in Python, in batches, with
the very function the service writes them with. Downgrade drops the indexes and columns (they
are derived: nothing is lost).
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from styr_deviations.cases.calendar import facts

revision: str = "0006_case_calendar"
down_revision: str | Sequence[str] | None = "0005_case_facts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INTEGERS = ("registration_year", "registration_month", "event_year", "event_month")
INDEXES = {
    "ix_deviation_case_registration_year_unit": ["registration_year", "org_unit_id"],
    "ix_deviation_case_event_year_unit": ["event_year", "org_unit_id"],
}
BATCH = 5000

POSTGRESQL_BACKFILL = """
UPDATE deviation_case SET
    registration_year = extract(year FROM reported_at AT TIME ZONE 'Europe/Stockholm'),
    registration_month = extract(month FROM reported_at AT TIME ZONE 'Europe/Stockholm'),
    event_year = extract(year FROM coalesce(event_time, reported_at)
                         AT TIME ZONE 'Europe/Stockholm'),
    event_month = extract(month FROM coalesce(event_time, reported_at)
                          AT TIME ZONE 'Europe/Stockholm'),
    answered_on = (answered_at AT TIME ZONE 'Europe/Stockholm')::date,
    answer_days = (answered_at AT TIME ZONE 'Europe/Stockholm')::date
                  - (reported_at AT TIME ZONE 'Europe/Stockholm')::date,
    close_days = (closed_at AT TIME ZONE 'Europe/Stockholm')::date
                 - (reported_at AT TIME ZONE 'Europe/Stockholm')::date
"""


def _moment(value: datetime | str | None) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def upgrade() -> None:
    for name in INTEGERS:
        op.add_column("deviation_case", sa.Column(name, sa.Integer(), nullable=True))
    op.add_column("deviation_case", sa.Column("answered_on", sa.Date(), nullable=True))
    op.add_column("deviation_case", sa.Column("answer_days", sa.Integer(), nullable=True))
    op.add_column("deviation_case", sa.Column("close_days", sa.Integer(), nullable=True))
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(POSTGRESQL_BACKFILL)
    else:
        table = sa.table(
            "deviation_case",
            sa.column("id", sa.Integer()),
            *(sa.column(name) for name in ("reported_at", "event_time", "answered_at")),
            sa.column("closed_at"),
            *(sa.column(name, sa.Integer()) for name in INTEGERS),
            sa.column("answered_on", sa.Date()),
            sa.column("answer_days", sa.Integer()),
            sa.column("close_days", sa.Integer()),
        )
        last = 0
        while True:
            rows = bind.execute(
                sa.select(
                    table.c.id,
                    table.c.reported_at,
                    table.c.event_time,
                    table.c.answered_at,
                    table.c.closed_at,
                )
                .where(table.c.id > last)
                .order_by(table.c.id)
                .limit(BATCH)
            ).all()
            if not rows:
                break
            bind.execute(
                table.update().where(table.c.id == sa.bindparam("case_id")),
                [
                    {
                        "case_id": row.id,
                        **facts(*(_moment(value) for value in row[1:])),
                    }
                    for row in rows
                ],
            )
            last = rows[-1].id
    for name, columns in INDEXES.items():
        op.create_index(name, "deviation_case", columns, unique=False)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="deviation_case")
    for name in ("close_days", "answer_days", "answered_on", *reversed(INTEGERS)):
        op.drop_column("deviation_case", name)
