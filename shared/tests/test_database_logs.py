"""Database errors never carry statement values (personal data) into the logs."""

from __future__ import annotations

import logging

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import text

from styr_shared.db import Database

SECRET = "19121212-1212 Tolvan Tolvansson"


@pytest.fixture
async def probe_table(probe_app: FastAPI) -> None:
    database = Database(probe_app.state.settings.database_url)
    try:
        async with database.engine.begin() as connection:
            await connection.execute(
                text("CREATE TABLE IF NOT EXISTS log_probe (name TEXT, n INTEGER NOT NULL)")
            )
    finally:
        await database.dispose()


@pytest.mark.parametrize(
    ("values", "status"),
    [
        ({"name": SECRET, "n": None}, 409),  # NOT NULL (PostgreSQL: "Failing row contains")
        ({"name": "x", "n": SECRET}, 500),  # a value of the wrong type (asyncpg quotes it)
    ],
)
async def test_database_errors_are_logged_without_values(
    probe: AsyncClient,
    probe_table: None,
    caplog: pytest.LogCaptureFixture,
    db_backend: str,
    values: dict[str, object],
    status: int,
) -> None:
    with caplog.at_level(logging.INFO):
        response = await probe.post("/api/v1/log-probe", json=values)
    if db_backend == "sqlite" and status == 500:
        assert response.status_code == 200  # SQLite stores text in an INTEGER column
    else:
        assert response.status_code == status
        assert "error" in caplog.text
    # Every field of every record (the JSON log writes the extra fields too).
    logged = " ".join(str(vars(record)) for record in caplog.records)
    assert SECRET not in logged
    assert SECRET not in response.text
