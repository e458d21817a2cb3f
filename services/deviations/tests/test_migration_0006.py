"""Migration 0006 with data: cases of 0005 get their Swedish-calendar facts backfilled (in SQL
on PostgreSQL, in Python on SQLite), the same as the service computes on a write; downgrade
drops them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from styr_deviations.database import MIGRATIONS_DIR, VERSION_TABLE
from styr_shared import migrations
from styr_shared.db import Database
from styr_shared.testing import create_test_database, drop_test_database
from styr_shared.types import UTCDateTime

TEXT = sa.String()
MOMENTS = ("reported_at", "event_time", "answered_at", "closed_at", "created_at", "updated_at")
cases = sa.table(
    "deviation_case",
    *(
        sa.column(name, TEXT)
        for name in (
            "municipality_id",
            "reference_number",
            "series",
            "kind",
            "regime",
            "org_unit_id",
            "channel",
            "reporter_type",
            "description",
            "state",
        )
    ),
    sa.column("serial"),
    sa.column("mas_routed"),
    sa.column("mas_took_over"),
    *(sa.column(name, UTCDateTime()) for name in MOMENTS),
)
FACTS = (
    "registration_year",
    "registration_month",
    "event_year",
    "event_month",
    "answered_on",
    "answer_days",
    "close_days",
)


def case(serial: int, **moments: datetime | None) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "municipality_id": "oxelosund",
        "reference_number": f"M.{serial}",
        "series": "M.*",
        "serial": serial,
        "kind": "complaint",
        "regime": "standard",
        "org_unit_id": "oxelosund-sabo",
        "channel": "letter",
        "reporter_type": "relative",
        "description": "x",
        "state": "closed",
        "mas_routed": False,
        "mas_took_over": False,
        "event_time": None,
        "answered_at": None,
        "closed_at": None,
        "created_at": now,
        "updated_at": now,
        **moments,
    }


async def test_the_facts_are_backfilled_and_dropped_again(db_backend: str, tmp_path: Path) -> None:
    url = await create_test_database(db_backend, tmp_path, label="migration_0006")
    try:
        await migrations.upgrade(MIGRATIONS_DIR, url, VERSION_TABLE, "0005_case_facts")
        database = Database(url)
        rows = [
            # 23:30 UTC on New Year's Eve is 00:30 on 1 January in Stockholm
            case(
                1,
                reported_at=datetime(2023, 12, 31, 23, 30, tzinfo=UTC),
                event_time=datetime(2023, 12, 31, 22, 59, tzinfo=UTC),
                answered_at=datetime(2024, 1, 31, 23, 0, tzinfo=UTC),  # 1 February
                closed_at=datetime(2024, 3, 31, 22, 30, tzinfo=UTC),  # summer: 1 April
            ),
            case(2, reported_at=datetime(2024, 10, 27, 0, 30, tzinfo=UTC)),  # DST ends that day
        ]
        async with database.engine.begin() as connection:
            await connection.execute(sa.insert(cases), rows)
        await database.dispose()
        await migrations.upgrade(MIGRATIONS_DIR, url, VERSION_TABLE)
        database = Database(url)
        async with database.engine.connect() as connection:
            facts = sa.table("deviation_case", sa.column("serial"), *map(sa.column, FACTS))
            statement = sa.select(facts.c.serial, *(facts.c[name] for name in FACTS))
            stored = (await connection.execute(statement.order_by(facts.c.serial))).all()
        await database.dispose()
        answered = stored[0][5]
        assert [tuple(row[:5]) + (row[6:]) for row in stored] == [
            (1, 2024, 1, 2023, 12, 31, 91),
            (2, 2024, 10, 2024, 10, None, None),
        ]
        assert str(answered) == str(date(2024, 2, 1))
        assert stored[1][5] is None
        await migrations.downgrade(MIGRATIONS_DIR, url, VERSION_TABLE, "0005_case_facts")
        database = Database(url)
        async with database.engine.connect() as connection:
            columns = await connection.run_sync(
                lambda sync: {c["name"] for c in sa.inspect(sync).get_columns("deviation_case")}
            )
        await database.dispose()
        assert not columns & set(FACTS)
    finally:
        await drop_test_database(url)
