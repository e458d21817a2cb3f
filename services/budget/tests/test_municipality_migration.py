"""0006_municipalities with data: rows seeded at 0005 go to the municipality, the summaries
read the same figures, the composite keys hold, and the downgrade gives the rows back (or
refuses when two municipalities share a code)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from styr_budget.amounts import MoneyUnit
from styr_budget.database import MIGRATIONS_DIR, VERSION_TABLE
from styr_budget.summaries import service as summaries
from styr_budget.summaries.schemas import BudgetBasis, GroupBy
from styr_shared import migrations
from styr_shared.auth import Principal
from styr_shared.db import Database, create_engine
from styr_shared.tenancy import ReadScope
from styr_shared.testing import create_test_database, drop_test_database
from styr_shared.testing.orgs import OXELOSUND, TROSA

BEFORE = "0005_monthly_budgets"
MUNICIPALITY_TABLES = [
    "fiscal_year",
    "activity_code",
    "account_group",
    "periodisation_key",
    "account_mapping",
    "object_mapping",
    "budget_frame",
    "budget_entry",
    "outcome_import",
    "outcome",
    "outcome_year",
    "forecast",
    "balance_measure",
    "result_explanation",
]
SEED = [
    "INSERT INTO fiscal_year (year, follow_up_months, closed) VALUES "
    "(2023, '[3, 4, 8, 10]', false), (2024, '[3, 4, 8, 10]', false)",
    "INSERT INTO activity_code (code, name) VALUES ('55', 'Vård och omsorg'), ('56', 'LSS')",
    "INSERT INTO periodisation_key (key, name, weights) VALUES "
    '(\'semester\', \'Semester\', \'["1","1","1","1","1","1","0","1","1","1","1","1"]\')',
    "INSERT INTO account_group (key, name, kind, sort_order, periodisation) VALUES "
    "('personal', 'Personal', 'cost', 1, 'semester'), "
    "('avgifter', 'Avgifter', 'revenue', 2, NULL), ('anslag', 'Anslag', 'allocation', 3, NULL)",
    "INSERT INTO account_mapping (id, account_from, account_to, account_group_key) VALUES "
    "(1, 5000, 5999, 'personal'), (2, 3100, 3199, 'avgifter')",
    "INSERT INTO object_mapping (id, dimension, object_code, org_unit_id, activity_code) VALUES "
    "(1, 1, '7210', 'oxelosund-sabo', '55'), (2, 20, '56', NULL, '56')",
    "INSERT INTO budget_frame (id, committee_id, year, net_amount, original_net_amount, "
    "created_by, created_at, updated_at) VALUES (1, 'oxelosund-von', 2024, -96000, -96000, 'x', "
    "'2024-01-01T00:00:00+00:00', '2024-01-01T00:00:00+00:00')",
    "INSERT INTO budget_version (id, committee_id, year, number, kind, label, status, "
    "frame_net_amount, from_month, created_by, created_at) VALUES (1, 'oxelosund-von', 2024, 1, "
    "'original', 'B', 'adopted', -96000, 1, 'x', '2024-01-01T00:00:00+00:00')",
    "INSERT INTO budget_entry (id, version_id, year, org_unit_id, activity_code, "
    "account_group_key, amount, fixed_months, m01, m02, m03, m04, m05, m06, m07, m08, m09, m10, "
    "m11, m12) VALUES (1, 1, 2024, 'oxelosund-sabo', '55', 'personal', -120000, 0, -10000, "
    "-10000, -10000, -10000, -10000, -10000, -10000, -10000, -10000, -10000, -10000, -10000), "
    "(2, 1, 2024, 'oxelosund-lss', '56', 'avgifter', 24000, 0, 2000, 2000, 2000, 2000, 2000, "
    "2000, 2000, 2000, 2000, 2000, 2000, 2000)",
    "INSERT INTO outcome_import (id, source, format, sha256, periods, transactions, rows, "
    "replaced_rows, rows_defaulted, accounts_skipped, vouchers_skipped, warnings, created_by, "
    "created_at) VALUES (1, 'csv', 'csv', '-', '[\"2024-12\"]', 3, 3, 0, 0, 0, 0, '[]', 'x', "
    "'2024-12-31T00:00:00+00:00')",
    "INSERT INTO outcome (id, import_id, source, year, month, org_unit_id, activity_code, "
    "account_group_key, amount) VALUES "
    "(1, 1, 'csv', 2024, 12, 'oxelosund-sabo', '55', 'personal', -125000), "
    "(2, 1, 'csv', 2024, 12, 'oxelosund-lss', '56', 'avgifter', 25000), "
    "(3, 1, 'csv', 2024, 12, 'oxelosund-von', NULL, 'anslag', 96000)",
    "INSERT INTO outcome_year (id, year, org_unit_id, activity_code, account_group_key, m01, "
    "m02, m03, m04, m05, m06, m07, m08, m09, m10, m11, m12) VALUES "
    "(1, 2024, 'oxelosund-sabo', '55', 'personal', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -125000), "
    "(2, 2024, 'oxelosund-lss', '56', 'avgifter', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 25000), "
    "(3, 2024, 'oxelosund-von', NULL, 'anslag', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 96000)",
    "INSERT INTO forecast (id, year, month, org_unit_id, activity_code, account_group_key, "
    "amount, created_by, created_at) VALUES (1, 2024, 10, 'oxelosund-sabo', '55', 'personal', "
    "-123000, 'x', '2024-10-31T00:00:00+00:00')",
    "INSERT INTO balance_measure (id, committee_id, year, month, activity_code, org_unit_id, "
    "description, amount, responsible, status, created_by, created_at) VALUES (1, "
    "'oxelosund-von', 2024, 10, '55', NULL, 'Färre timmar', 2000, 'Chef', 'planned', 'x', "
    "'2024-10-31T00:00:00+00:00')",
    "INSERT INTO result_report (id, org_unit_id, year, month, result, created_by, created_at) "
    "VALUES (1, 'oxelosund-ao', 2024, 12, -5000, 'x', '2025-01-31T00:00:00+00:00')",
    "INSERT INTO result_explanation (id, report_id, position, label, activity_code, amount) "
    "VALUES (1, 1, 0, 'Särskilt boende', '55', -5000)",
]


async def _execute(engine: AsyncEngine, statements: list[str]) -> None:
    async with engine.begin() as connection:
        for statement in statements:
            await connection.execute(sa.text(statement))


async def _replica(engine: AsyncEngine, units: list[tuple[str, str, str, str, str | None]]) -> None:
    """The org replica as it stood at 0005 (no municipality column yet)."""
    async with engine.begin() as connection:
        for unit_id, code, name, level, parent in units:
            await connection.execute(
                sa.text(
                    "INSERT INTO org_unit (id, code, name, level, parent_id, replicated_at) "
                    "VALUES (:id, :code, :name, :level, :parent, '2024-01-01T00:00:00+00:00')"
                ),
                {"id": unit_id, "code": code, "name": name, "level": level, "parent": parent},
            )


async def _scalars(engine: AsyncEngine, statement: str) -> list[Any]:
    async with engine.connect() as connection:
        return list((await connection.execute(sa.text(statement))).scalars())


async def _counts(engine: AsyncEngine) -> dict[str, int]:
    return {
        table: (await _scalars(engine, f"SELECT COUNT(*) FROM {table}"))[0]  # noqa: S608
        for table in MUNICIPALITY_TABLES
    }


@pytest.fixture
async def seeded(db_backend: str, tmp_path: Path) -> AsyncIterator[tuple[str, AsyncEngine]]:
    """A database at 0005 with a replica of Oxelösund and Trosa (two roots, so the rule that
    decides is "the municipality of the units the data names") and budget data of Oxelösund."""
    url = await create_test_database(db_backend, tmp_path, label="tenancy")
    engine = create_engine(url)
    try:
        await migrations.upgrade(MIGRATIONS_DIR, url, VERSION_TABLE, BEFORE)
        await _replica(engine, OXELOSUND + TROSA)
        await _execute(engine, SEED)
        yield url, engine
    finally:
        await engine.dispose()
        await drop_test_database(url)


async def _summary(url: str) -> dict[str, Any]:
    database = Database(url)
    try:
        async with database.session() as session:
            summary = await summaries.summarize(
                session,
                org_unit_id="oxelosund-von",
                year=2024,
                period=12,
                group_by=GroupBy.ACTIVITY,
                basis=BudgetBasis.REVISED,
                unit=MoneyUnit.KR,
                forecast_month=None,
                kinds=None,
                scope=ReadScope(Principal(subject="migration-test"), municipalities=None),
            )
    finally:
        await database.dispose()
    return summary.model_dump(mode="json")


async def test_existing_rows_go_to_the_municipality_and_come_back(
    seeded: tuple[str, AsyncEngine],
) -> None:
    url, engine = seeded
    before = await _counts(engine)
    await migrations.upgrade(MIGRATIONS_DIR, url, VERSION_TABLE)

    # every row of the settings and of the data using them is Oxelösund's
    for table in MUNICIPALITY_TABLES:
        found = await _scalars(engine, f"SELECT DISTINCT municipality_id FROM {table}")  # noqa: S608
        assert found == ["oxelosund"], table
    assert await _counts(engine) == before
    assert sorted(await _scalars(engine, "SELECT DISTINCT municipality_id FROM org_unit")) == [
        "oxelosund",
        "trosa",
    ]
    assert await _scalars(engine, "SELECT COUNT(*) FROM setting_change") == [0]

    # the summary reads the seeded figures through the composite keys
    summary = await _summary(url)
    total = summary["total"]
    assert Decimal(total["budget"]) == Decimal(-96000)
    assert Decimal(total["outcome"]) == Decimal(-100000)
    assert Decimal(total["allocation_outcome"]) == Decimal(96000)
    assert Decimal(total["forecast"]) == Decimal(-99000)  # −96 000 + (−123 000 + 120 000)
    assert {row["key"]: row["name"] for row in summary["rows"]} == {
        "55": "Vård och omsorg",
        "56": "LSS",
    }

    # a row of Trosa cannot name a code only Oxelösund has: the key is (municipality, code)
    with pytest.raises(IntegrityError):
        await _execute(
            engine,
            [
                "INSERT INTO forecast (year, month, org_unit_id, activity_code, amount, "
                "created_by, created_at, municipality_id) VALUES (2024, 10, 'trosa-sabo', '55', "
                "-1, 'x', '2024-10-31T00:00:00+00:00', 'trosa')"
            ],
        )
    # but Trosa may have a code 55 of its own
    await _execute(
        engine,
        ["INSERT INTO activity_code (municipality_id, code, name) VALUES ('trosa', '55', 'Ä')"],
    )
    await _execute(engine, ["DELETE FROM activity_code WHERE municipality_id = 'trosa'"])

    await migrations.downgrade(MIGRATIONS_DIR, url, VERSION_TABLE, BEFORE)
    assert await _counts(engine) == before
    entries = await _scalars(engine, "SELECT SUM(amount) FROM budget_entry")
    assert Decimal(entries[0]) == Decimal(-96000)
    async with engine.connect() as connection:
        columns = await connection.run_sync(
            lambda sync: {
                table: {column["name"] for column in sa.inspect(sync).get_columns(table)}
                for table in [*MUNICIPALITY_TABLES, "org_unit"]
            }
        )
        tables = await connection.run_sync(lambda sync: sa.inspect(sync).get_table_names())
    assert all("municipality_id" not in names for names in columns.values())
    assert "setting_change" not in tables
    # the single-column keys are back: an unknown code is refused again
    with pytest.raises(IntegrityError):
        await _execute(
            engine,
            [
                "INSERT INTO forecast (year, month, org_unit_id, activity_code, amount, "
                "created_by, created_at) VALUES (2024, 10, 'oxelosund-sabo', '99', -1, 'x', "
                "'2024-10-31T00:00:00+00:00')"
            ],
        )
    # and up again: the same rows, the same municipality
    await migrations.upgrade(MIGRATIONS_DIR, url, VERSION_TABLE)
    assert await _counts(engine) == before
    assert (await _summary(url))["total"] == total


async def test_downgrade_refuses_codes_two_municipalities_share(
    seeded: tuple[str, AsyncEngine],
) -> None:
    url, engine = seeded
    await migrations.upgrade(MIGRATIONS_DIR, url, VERSION_TABLE)
    await _execute(
        engine,
        [
            "INSERT INTO activity_code (municipality_id, code, name) VALUES "
            "('trosa', '55', 'Äldreomsorg')",
            "INSERT INTO fiscal_year (municipality_id, year, follow_up_months, closed) VALUES "
            "('trosa', 2024, '[4, 8, 12]', false)",
        ],
    )
    with pytest.raises(RuntimeError, match=r"activity_code 55.*fiscal_year|fiscal_year 2024"):
        await migrations.downgrade(MIGRATIONS_DIR, url, VERSION_TABLE, BEFORE)
    # nothing changed: still at head with both municipalities' codes
    assert sorted(await _scalars(engine, "SELECT municipality_id FROM activity_code")) == [
        "oxelosund",
        "oxelosund",
        "trosa",
    ]


async def test_upgrade_refuses_data_it_cannot_place(db_backend: str, tmp_path: Path) -> None:
    """An empty replica cannot say whose the settings are: the upgrade stops, changing nothing."""
    url = await create_test_database(db_backend, tmp_path, label="noreplica")
    engine = create_engine(url)
    try:
        await migrations.upgrade(MIGRATIONS_DIR, url, VERSION_TABLE, BEFORE)
        await _execute(engine, SEED[:2])
        with pytest.raises(RuntimeError, match="org replica"):
            await migrations.upgrade(MIGRATIONS_DIR, url, VERSION_TABLE)
        version = await _scalars(engine, f"SELECT version_num FROM {VERSION_TABLE}")  # noqa: S608
        assert version == [BEFORE]
        # with the replica read (one root), the same data goes to that root
        await _replica(engine, OXELOSUND)
        await migrations.upgrade(MIGRATIONS_DIR, url, VERSION_TABLE)
        assert await _scalars(engine, "SELECT DISTINCT municipality_id FROM activity_code") == [
            "oxelosund"
        ]
    finally:
        await engine.dispose()
        await drop_test_database(url)
