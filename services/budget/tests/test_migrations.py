"""The migrations build exactly the tables the models describe, and undo cleanly."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from sqlalchemy import column, select, table, text
from sqlalchemy.ext.asyncio import create_async_engine

from styr_budget.database import MIGRATIONS_DIR, VERSION_TABLE, metadata
from styr_budget.outcomes.models import MONTH_COLUMNS
from styr_shared import migrations
from styr_shared.testing import (
    assert_migrations_in_step,
    create_test_database,
    drop_test_database,
)


async def test_migrations_match_the_models_and_roundtrip(db_backend: str, tmp_path: Path) -> None:
    await assert_migrations_in_step(db_backend, tmp_path, MIGRATIONS_DIR, VERSION_TABLE, metadata)


async def test_monthly_budgets_migration_spreads_existing_lines(
    db_backend: str, tmp_path: Path
) -> None:
    # lines stored before 0005 get linear months adding up to their amount
    url = await create_test_database(db_backend, tmp_path, label="monthly")
    engine = create_async_engine(url)
    try:
        await migrations.upgrade(MIGRATIONS_DIR, url, VERSION_TABLE, "0002")
        async with engine.begin() as connection:
            for statement in (
                "INSERT INTO activity_code (code, name) VALUES ('55', 'Vård')",
                "INSERT INTO account_group (key, name, kind, sort_order) "
                "VALUES ('personal', 'Personal', 'cost', 0)",
                "INSERT INTO budget_version (id, committee_id, year, number, kind, label, status, "
                "frame_net_amount, created_by, created_at) VALUES (1, 'von', 2026, 1, "
                "'original', 'B', 'adopted', -100, 'x', '2026-01-01T00:00:00+00:00')",
                "INSERT INTO budget_entry (version_id, year, org_unit_id, activity_code, "
                "account_group_key, amount) VALUES (1, 2026, 'a', '55', 'personal', -100), "
                "(1, 2026, 'b', '55', 'personal', 0.13)",
            ):
                await connection.execute(text(statement))
        # to 0005 only: its lines name no org unit the replica knows, which 0006 refuses
        await migrations.upgrade(MIGRATIONS_DIR, url, VERSION_TABLE, "0005_monthly_budgets")
        async with engine.connect() as connection:
            entry = table("budget_entry", column("org_unit_id"), *map(column, MONTH_COLUMNS))
            rows = (await connection.execute(select(entry).order_by(entry.c.org_unit_id))).all()
        spread = {
            row[0]: [Decimal(str(value)).quantize(Decimal("0.01")) for value in row[1:]]
            for row in rows
        }
        assert spread["a"] == [Decimal(-9)] * 4 + [Decimal(-8)] * 8
        assert spread["b"] == [Decimal("0.02")] + [Decimal("0.01")] * 11
    finally:
        await engine.dispose()
        await drop_test_database(url)
