"""Migration 0008 on a database with data: values and targets survive the way up; a
qualitative value (no number) may then be stored, and the way back refuses while one is,
then restores ``measure_value.value`` as required."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from styr_goals.database import MIGRATIONS_DIR, VERSION_TABLE
from styr_shared import migrations
from styr_shared.db import create_engine
from styr_shared.testing import create_test_database, drop_test_database

STAMP = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
async def url(db_backend: str, tmp_path: Path) -> AsyncIterator[str]:
    database = await create_test_database(db_backend, tmp_path, label="migration0008")
    yield database
    await drop_test_database(database)


async def _run(url: str, sql: str, **params: Any) -> list[Any]:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            result = await connection.execute(text(sql), params)
            return list(result.all()) if result.returns_rows else []
    finally:
        await engine.dispose()


async def _value(url: str, period: str, value: Any) -> None:
    await _run(
        url,
        "INSERT INTO measure_value (measure_id, org_unit_id, period, period_end, year, segment, "
        "gender, value, state, definition_version, recorded_by, recorded_at, updated_at) "
        "VALUES ('m', 'oxelosund', :period, '2024-12-31', 2024, '', 'T', :value, 'final', 1, "
        "'me', :at, :at)",
        period=period,
        value=value,
        at=STAMP,
    )


async def test_0008_allows_qualitative_values_and_goes_back(url: str) -> None:
    await migrations.upgrade(MIGRATIONS_DIR, url, VERSION_TABLE, "0007")
    await _run(url, "INSERT INTO org_level (key, label, rank) VALUES ('municipality', 'K', 0)")
    await _run(
        url,
        "INSERT INTO org_unit (id, code, name, level, municipality_id, created_at, updated_at) "
        "VALUES ('oxelosund', 'OXD', 'Oxelösund', 'municipality', 'oxelosund', :at, :at)",
        at=STAMP,
    )
    await _run(
        url,
        "INSERT INTO measure (id, org_unit_id, code, name, unit_kind, decimals, direction, "
        "periodicity, segments, gender_split, created_at, updated_at) VALUES ('m', "
        "'oxelosund', 'M-1', 'm', 'percent', 0, 'increase', 'year', '[]', false, :at, :at)",
        at=STAMP,
    )
    await _value(url, "2023", 12)
    with pytest.raises(IntegrityError):
        await _value(url, "2024", None)

    await migrations.upgrade(MIGRATIONS_DIR, url, VERSION_TABLE, "0008")
    assert await _run(url, "SELECT lookback_years, data_org_unit_id FROM measure") == [(0, None)]
    assert await _run(url, "SELECT period, value, text FROM measure_value") == [("2023", 12, None)]
    await _value(url, "2024", None)
    await _run(url, "UPDATE measure_value SET text = 'Genomfört' WHERE period = '2024'")
    # A data unit must exist.
    with pytest.raises(IntegrityError):
        await _run(url, "UPDATE measure SET data_org_unit_id = 'nowhere'")

    with pytest.raises(RuntimeError, match="1 qualitative value"):
        await migrations.downgrade(MIGRATIONS_DIR, url, VERSION_TABLE, "0007")
    await _run(url, "DELETE FROM measure_value WHERE value IS NULL")
    await migrations.downgrade(MIGRATIONS_DIR, url, VERSION_TABLE, "0007")
    assert await _run(url, "SELECT period, value FROM measure_value") == [("2023", 12)]
    with pytest.raises(IntegrityError):
        await _value(url, "2024", None)
    await migrations.upgrade(MIGRATIONS_DIR, url, VERSION_TABLE)
