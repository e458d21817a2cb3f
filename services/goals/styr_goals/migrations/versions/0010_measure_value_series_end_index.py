"""measure_value: an index ending in period_end per series, for the latest values

The follow-up asks for the two latest total values of each series of its measures
(``styr_goals.measures.latest``): measure, unit, gender and segment fixed, the latest
``period_end`` up to the period's end. The unique key's index has ``period`` (a string)
before segment and gender, so it cannot answer that without reading every value of the
measure and unit; ``ix_measure_value_series_end`` (measure_id, org_unit_id, gender, segment,
period_end, id) gives a series' values in the order the follow-up ranks them (latest period
end, then latest id), so a scan backwards stops after the rows returned.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 19:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_measure_value_series_end"


def upgrade() -> None:
    op.create_index(
        INDEX,
        "measure_value",
        ["measure_id", "org_unit_id", "gender", "segment", "period_end", "id"],
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="measure_value")
