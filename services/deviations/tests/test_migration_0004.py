"""Migration 0004 with data: a single-municipality database of 0003 (cases with history and
actions, a reference series, a migrated case, a case on a unit the replica lost) upgrades to
municipalities and back, and numbering continues where it stood."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from styr_deviations.app import create_app
from styr_deviations.casesettings.schemas import CaseSettings
from styr_deviations.config import LOCAL_TIME
from styr_deviations.database import MIGRATIONS_DIR, VERSION_TABLE, migrate
from styr_deviations.settings import DeviationsSettings
from styr_deviations.testing import deviation
from styr_shared import migrations
from styr_shared.db import Database
from styr_shared.testing import (
    OXELOSUND,
    TokenFactory,
    api_client,
    create_test_database,
    drop_test_database,
    running_service,
)
from styr_shared.types import UTCDateTime

NOW = datetime.now(UTC)
TEXT = sa.String()

units = sa.table(
    "org_unit",
    *(sa.column(name, TEXT) for name in ("id", "code", "name", "level", "parent_id")),
    sa.column("replicated_at", UTCDateTime()),
)
counters = sa.table("reference_counter", sa.column("series", TEXT), sa.column("last_value"))
cases = sa.table(
    "deviation_case",
    *(
        sa.column(name, TEXT)
        for name in (
            "reference_number",
            "series",
            "kind",
            "law_area",
            "regime",
            "category",
            "org_unit_id",
            "channel",
            "reporter_type",
            "description",
            "state",
            "external_id",
            "legacy_reference",
        )
    ),
    sa.column("serial"),
    sa.column("mas_routed"),
    sa.column("mas_took_over"),
    sa.column("reported_at", UTCDateTime()),
    sa.column("created_at", UTCDateTime()),
    sa.column("updated_at", UTCDateTime()),
)
history = sa.table(
    "case_history",
    sa.column("case_id"),
    sa.column("actor", TEXT),
    sa.column("event", TEXT),
    sa.column("at", UTCDateTime()),
)
actions = sa.table(
    "case_action",
    sa.column("case_id"),
    sa.column("description", TEXT),
    sa.column("owner", TEXT),
    sa.column("status", TEXT),
    sa.column("created_at", UTCDateTime()),
)


def _case(number: int, year: int, serial: int, unit: str, **extra: Any) -> dict[str, Any]:
    # ids are left to the database (on PostgreSQL a given id does not advance the sequence)
    return {
        "reference_number": f"VON.{year}.{serial}",
        "series": f"VON.{year}.*",
        "serial": serial,
        "kind": "deviation",
        "law_area": "HSL",
        "regime": "standard",
        "category": "fall",
        "org_unit_id": unit,
        "channel": "staff_report",
        "reporter_type": "staff",
        "description": "Fall",
        "state": "registered",
        "external_id": None,
        "legacy_reference": None,
        "mas_routed": False,
        "mas_took_over": False,
        "reported_at": NOW - timedelta(hours=number),
        "created_at": NOW,
        "updated_at": NOW,
    } | extra


async def _seed_0003(connection: AsyncConnection, year: int) -> None:
    await connection.execute(
        units.insert(),
        [
            {"id": i, "code": c, "name": n, "level": lv, "parent_id": p, "replicated_at": NOW}
            for i, c, n, lv, p in OXELOSUND
        ],
    )
    rows = [_case(n, year, n, "oxelosund-sabo") for n in range(1, 7)]
    # a unit the replica no longer has (the deployment's only municipality takes it)
    rows.append(_case(7, year, 7, "oxelosund-gone"))
    rows.append(
        _case(
            8,
            2021,
            1,
            "oxelosund-hemtjanst",
            reference_number="SN.2021.30",
            series="legacy:SN.2021.30",
            external_id="T-5",
            legacy_reference="SN.2021.30",
        )
    )
    for row in rows:  # one by one: ids 1 to 8 in this order
        await connection.execute(cases.insert(), [row])
    await connection.execute(counters.insert(), [{"series": f"VON.{year}.*", "last_value": 7}])
    await connection.execute(
        history.insert(),
        [{"case_id": n, "actor": "ec", "event": "created", "at": NOW} for n in range(1, 9)],
    )
    await connection.execute(
        actions.insert(),
        [
            {
                "case_id": 1,
                "description": "Halkskydd",
                "owner": "ec",
                "status": "planned",
                "created_at": NOW,
            }
        ],
    )


@pytest.fixture
async def database_0003(db_backend: str, tmp_path: Path) -> AsyncIterator[str]:
    url = await create_test_database(db_backend, tmp_path, label="migration_0004")
    try:
        await migrations.upgrade(MIGRATIONS_DIR, url, VERSION_TABLE, "0003")
        yield url
    finally:
        await drop_test_database(url)


async def _rows(url: str, query: str) -> list[tuple[Any, ...]]:
    database = Database(url)
    try:
        async with database.engine.connect() as connection:
            return [tuple(row) for row in await connection.execute(sa.text(query))]
    finally:
        await database.dispose()


async def test_cases_settings_and_series_move_to_the_municipality_and_back(
    database_0003: str, tokens: TokenFactory
) -> None:
    url = database_0003
    year = datetime.now(LOCAL_TIME).year  # the series year is the Swedish calendar year
    database = Database(url)
    try:
        async with database.engine.begin() as connection:
            await _seed_0003(connection, year)
    finally:
        await database.dispose()

    await migrations.upgrade(MIGRATIONS_DIR, url, VERSION_TABLE)

    assert await _rows(url, "SELECT DISTINCT municipality_id FROM org_unit") == [("oxelosund",)]
    assert await _rows(url, "SELECT id, municipality_id FROM deviation_case ORDER BY id") == [
        (n, "oxelosund") for n in range(1, 9)
    ]
    assert await _rows(
        url, "SELECT municipality_id, series, last_value FROM reference_counter"
    ) == [("oxelosund", f"VON.{year}.*", 7)]
    assert await _rows(url, "SELECT count(*) FROM case_history") == [(8,)]
    assert await _rows(url, "SELECT case_id, description FROM case_action") == [(1, "Halkskydd")]
    (document,) = (await _rows(url, "SELECT document FROM deviation_case_settings"))[0]
    document = document if isinstance(document, dict) else json.loads(document)
    assert document["reference_format"] == "VON.{year}.{n}"
    assert document["intake_unit_id"] == "oxelosund-vof"
    assert document["suppression_threshold"] == 5

    # the service on the migrated database: the next case continues Oxelösund's series
    app = create_app(DeviationsSettings(database_url=url, goals_url=None))
    handler = tokens.headers("case_handler", org_units=["oxelosund-sabo"])
    async with running_service(app, migrate, url), api_client(app) as client:
        created = await client.post("/api/v1/cases", json=deviation(), headers=handler)
        assert created.status_code == 201, created.text
        assert created.json()["reference_number"] == f"VON.{year}.8"
        assert created.json()["municipality_id"] == "oxelosund"
        settings = await client.get(
            "/api/v1/municipalities/oxelosund/case-settings",
            headers=tokens.headers("admin", org_units=["oxelosund"]),
        )
        assert settings.json()["stored"] is True
        assert settings.json()["settings"]["intake_unit_id"] == "oxelosund-vof"
        intake = await client.post(
            "/api/v1/public/feedback", json={"message": "Bra bemötande", "anonymous": True}
        )
        assert intake.status_code == 201, intake.text
        assert intake.json()["reference_number"] == f"VON.{year}.9"

    await migrations.downgrade(MIGRATIONS_DIR, url, VERSION_TABLE, "0003")

    assert await _rows(url, "SELECT series, last_value FROM reference_counter") == [
        (f"VON.{year}.*", 9)
    ]
    assert await _rows(url, "SELECT count(*) FROM deviation_case") == [(10,)]
    assert await _rows(url, "SELECT count(*) FROM case_history") == [(10,)]
    assert await _rows(url, "SELECT case_id FROM case_action") == [(1,)]
    for table, column in (("deviation_case", "municipality_id"), ("org_unit", "municipality_id")):
        with pytest.raises(sa.exc.DBAPIError):
            await _rows(url, f"SELECT {column} FROM {table}")  # noqa: S608 (constants)
    for table in ("setting_change", "deviation_category", "deviation_case_settings"):
        with pytest.raises(sa.exc.DBAPIError):
            await _rows(url, f"SELECT * FROM {table}")  # noqa: S608 (constants)
    # the old schema's rule is back: a reference number is unique across the deployment
    database = Database(url)
    try:
        with pytest.raises(sa.exc.IntegrityError):
            async with database.engine.begin() as connection:
                await connection.execute(
                    cases.insert(),
                    [_case(20, year, 99, "oxelosund-sabo", reference_number=f"VON.{year}.1")],
                )
    finally:
        await database.dispose()

    # and up again
    await migrations.upgrade(MIGRATIONS_DIR, url, VERSION_TABLE)
    assert await _rows(
        url, "SELECT municipality_id, series, last_value FROM reference_counter"
    ) == [("oxelosund", f"VON.{year}.*", 9)]


async def test_the_retired_variables_become_the_municipalitys_settings(
    database_0003: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = database_0003
    database = Database(url)
    try:
        async with database.engine.begin() as connection:
            await connection.execute(
                units.insert(),
                [
                    {
                        "id": i,
                        "code": c,
                        "name": n,
                        "level": lv,
                        "parent_id": p,
                        "replicated_at": NOW,
                    }
                    for i, c, n, lv, p in OXELOSUND
                ],
            )
    finally:
        await database.dispose()
    monkeypatch.setenv("STYR_DEVIATIONS_REFERENCE_FORMAT", "x" * 58 + "{n}")
    with pytest.raises(RuntimeError, match="STYR_DEVIATIONS_REFERENCE_FORMAT"):
        await migrations.upgrade(MIGRATIONS_DIR, url, VERSION_TABLE)
    version = f"SELECT version_num FROM {VERSION_TABLE}"  # noqa: S608 (a constant)
    assert await _rows(url, version) == [("0003",)]  # the failed upgrade left nothing behind

    monkeypatch.setenv("STYR_DEVIATIONS_REFERENCE_FORMAT", "AVV-{year}-{n}")
    monkeypatch.setenv("STYR_DEVIATIONS_STATISTICS_SUPPRESSION_THRESHOLD", "2")
    monkeypatch.setenv("STYR_DEVIATIONS_PUBLIC_INTAKE_UNIT", "oxelosund-ifo")
    await migrations.upgrade(MIGRATIONS_DIR, url, VERSION_TABLE)
    (document,) = (await _rows(url, "SELECT document FROM deviation_case_settings"))[0]
    document = document if isinstance(document, dict) else json.loads(document)
    assert document["reference_format"] == "AVV-{year}-{n}"
    assert document["suppression_threshold"] == 3  # the new minimum
    assert document["intake_unit_id"] == "oxelosund-ifo"
    assert CaseSettings.model_validate(document).reference.render(2025, 1) == "AVV-2025-1"
