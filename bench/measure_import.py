"""Bulk import of measure values: 1,000 measures × 100 units × 10 periods = 1,000,000 rows.

Posts one CSV file to a real goals service (its own process, over HTTP) on PostgreSQL and on
SQLite, twice (the second time every row is unchanged), and measures the wall time of each
request and the service process's peak memory. On PostgreSQL it also times a plain ``COPY``
of the same file into an empty table, the floor any import can reach, and prints the ratio.
Beside it, the cost of storing alone: a ``COPY`` of the same rows, already checked and shaped,
into an empty table like ``measure_value`` (its indexes and its keys to measure and org unit).
Targets: PostgreSQL ≤ 30 s per post, SQLite ≤ 90 s, peak memory ≤ 500 MB, ratio ≤ 5×.

Sizes can be changed with STYR_BENCH_MEASURES, STYR_BENCH_UNITS and STYR_BENCH_PERIODS, the
databases with STYR_BENCH_BACKENDS (``postgresql,sqlite``); STYR_GOALS_LOG_LEVEL=INFO shows
the service's log line per import, with the time each phase took.
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import insert

from styr_goals.database import migrate
from styr_goals.measures.models import Measure
from styr_goals.orgunits.models import OrgLevel, OrgUnit
from styr_shared.db import Database
from styr_shared.testing import TokenFactory, create_test_database, drop_test_database
from styr_shared.testing.database import POSTGRES_ADMIN_URL
from styr_shared.testing.servers import free_port, stop, wait_until_up
from styr_shared.types import utcnow

MEASURES = int(os.environ.get("STYR_BENCH_MEASURES", "1000"))
UNITS = int(os.environ.get("STYR_BENCH_UNITS", "100"))
PERIODS = int(os.environ.get("STYR_BENCH_PERIODS", "10"))
BACKENDS = os.environ.get("STYR_BENCH_BACKENDS", "postgresql,sqlite").split(",")
TARGET_SECONDS = {"postgresql": 30.0, "sqlite": 90.0}
TARGET_PEAK_MB = 500
TARGET_COPY_RATIO = 5.0


def write_file(path: Path) -> int:
    rng = random.Random(4711)  # noqa: S311  (reproducible test data, not secrets)
    years = range(2025 - PERIODS, 2025)
    with path.open("w", encoding="utf-8") as file:
        file.write("measure;org_unit;period;value\n")
        for m in range(MEASURES):
            for u in range(UNITS):
                lines = [
                    f"B-{m:04d};U-{u:03d};{year};{rng.randint(0, 99999) / 100:.2f}".replace(
                        ".", ","
                    )
                    for year in years
                ]
                file.write("\n".join(lines) + "\n")
    return MEASURES * UNITS * PERIODS


async def seed(url: str) -> None:
    await migrate(url)
    database = Database(url)
    now = utcnow()
    stamps = {"created_at": now, "updated_at": now}
    units = [{"id": "bench", "code": "BENCH", "name": "Bench", "level": "municipality"}]
    units += [
        {
            "id": f"u-{u:03d}",
            "code": f"U-{u:03d}",
            "name": f"Enhet {u}",
            "level": "unit",
            "parent_id": "bench",
        }
        for u in range(UNITS)
    ]
    measures = [
        {
            "id": f"b-{m:04d}",
            "org_unit_id": "bench",
            "code": f"B-{m:04d}",
            "name": f"Mått {m}",
            "unit_kind": "percent",
            "decimals": 2,
            "direction": "higher_better",
            "periodicity": "year",
            "segments": [],
            "gender_split": False,
        }
        for m in range(MEASURES)
    ]
    levels = [
        {"key": "municipality", "label": "Kommun", "rank": 0},
        {"key": "unit", "label": "Enhet", "rank": 4},
    ]
    async with database.engine.begin() as connection:
        await connection.execute(insert(OrgLevel), levels)
        for unit in units:  # parents before children
            # Every unit is of the one municipality "bench" (its root names itself).
            await connection.execute(
                insert(OrgUnit), [unit | stamps | {"municipality_id": "bench"}]
            )
        await connection.execute(insert(Measure), [measure | stamps for measure in measures])
    await database.dispose()


def _peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _post(base_url: str, path: Path, token: str) -> tuple[float, dict[str, Any]]:
    def chunks() -> Iterator[bytes]:
        with path.open("rb") as file:
            while chunk := file.read(1 << 20):
                yield chunk

    started = time.perf_counter()
    response = httpx.post(
        f"{base_url}/api/v1/measure-values/import",
        content=chunks(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
        timeout=httpx.Timeout(30.0, read=600.0),
    )
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    return elapsed, response.json()


async def plain_copy(url: str, path: Path) -> float:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await connection.execute(
            "CREATE TABLE bench_copy (measure text, org_unit text, period text, value text)"
        )
        started = time.perf_counter()
        await connection.copy_to_table(
            "bench_copy", source=str(path), format="csv", delimiter=";", header=True
        )
        return time.perf_counter() - started
    finally:
        await connection.close()


# The columns of write_shaped_file's lines, as measure_value names them.
SHAPED_COLUMNS = [
    "measure_id",
    "org_unit_id",
    "period",
    "period_end",
    "year",
    "segment",
    "gender",
    "value",
    "state",
    "definition_version",
    "recorded_by",
    "recorded_at",
    "updated_at",
]


def write_shaped_file(path: Path, source: Path) -> None:
    """The bench file's rows as the import stores them, in COPY's text format."""
    with source.open(encoding="utf-8") as rows, path.open("w", encoding="utf-8") as shaped:
        next(rows)
        for line in rows:
            measure, unit, year, value = line.rstrip("\n").split(";")
            shaped.write(
                f"{measure.lower()}\t{unit.lower()}\t{year}\t{year}-12-31\t{year}\t\tT\t"
                f"{value.replace(',', '.')}\tfinal\t1\tbench\tnow\tnow\n"
            )


async def storing_copy(url: str, shaped: Path) -> float:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await connection.execute(
            "CREATE TABLE bench_values (LIKE measure_value INCLUDING DEFAULTS INCLUDING INDEXES);"
            "ALTER TABLE bench_values ADD FOREIGN KEY (measure_id) REFERENCES measure (id),"
            " ADD FOREIGN KEY (org_unit_id) REFERENCES org_unit (id)"
        )
        started = time.perf_counter()
        await connection.copy_to_table(
            "bench_values",
            source=str(shaped),
            columns=SHAPED_COLUMNS,
        )
        return time.perf_counter() - started
    finally:
        await connection.close()


def run_backend(backend: str, path: Path, rows: int, workdir: Path) -> bool:
    url = asyncio.run(create_test_database(backend, workdir, label="bench"))
    try:
        asyncio.run(seed(url))
        port = free_port()
        env = {"STYR_GOALS_LOG_LEVEL": "WARNING"} | os.environ
        env |= {"STYR_GOALS_DATABASE_URL": url, "STYR_GOALS_PORT": str(port)}
        service = subprocess.Popen([sys.executable, "-m", "styr_goals.cli", "serve"], env=env)
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_until_up(f"{base_url}/healthz")
            token = TokenFactory().token("importer", org_units=["bench"], ttl_seconds=3600)
            first, result = _post(base_url, path, token)
            second, again = _post(base_url, path, token)
            peak = _peak_mb(service.pid)
        finally:
            stop(service)
        ok: bool = result["counts"] == {
            "inserted": rows,
            "updated": 0,
            "unchanged": 0,
            "rejected": 0,
            "skipped": 0,
            "skipped_by_reason": {},
        }
        ok &= again["counts"] == {
            "inserted": 0,
            "updated": 0,
            "unchanged": rows,
            "rejected": 0,
            "skipped": 0,
            "skipped_by_reason": {},
        }
        target = TARGET_SECONDS[backend]
        print(
            f"{backend}: first post {first:.1f} s ({rows / first:,.0f} rows/s), "
            f"re-post (all unchanged) {second:.1f} s; target ≤ {target:.0f} s each"
        )
        print(f"{backend}: service peak memory {peak:.0f} MB (target ≤ {TARGET_PEAK_MB} MB)")
        ok &= first <= target and second <= target and peak <= TARGET_PEAK_MB
        if backend == "postgresql":
            floor = asyncio.run(plain_copy(url, path))
            ratio = first / floor
            print(
                f"postgresql: plain COPY of the same file {floor:.1f} s; "
                f"import/COPY = {ratio:.1f}× (aim ≤ {TARGET_COPY_RATIO:.0f}×)"
            )
            shaped = workdir / "values.shaped.txt"
            write_shaped_file(shaped, path)
            storing = asyncio.run(storing_copy(url, shaped))
            print(
                f"postgresql: COPY of the same rows, checked and shaped, into a table like "
                f"measure_value (indexes, keys) {storing:.1f} s; import/that = "
                f"{first / storing:.1f}×"
            )
        print(
            f"{backend}: {'PASS' if ok else 'FAIL'} "
            f"(counts {result['counts']} then {again['counts']})"
        )
        return ok
    finally:
        asyncio.run(drop_test_database(url))


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="styr-bench-") as directory:
        workdir = Path(directory)
        path = workdir / "values.csv"
        rows = write_file(path)
        print(
            f"measure import: {rows:,} rows "
            f"({MEASURES} measures × {UNITS} units × {PERIODS} periods), "
            f"{path.stat().st_size / 1e6:.0f} MB CSV; PostgreSQL at {POSTGRES_ADMIN_URL}"
        )
        results = [run_backend(backend.strip(), path, rows, workdir) for backend in BACKENDS]
    return 0 if all(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
