"""The largest migration import the deviations service accepts, against its pod's limits.

Posts 20,000 historical cases (the row limit) with long descriptions, a JSON body just under the
20 MiB body limit (``STYR_DEVIATIONS_IMPORT_MAX_BODY_BYTES``), to a real deviations service (its
own process, over HTTP on the loopback) on PostgreSQL, and polls ``/healthz`` every 50 ms while
it runs. Measures the wall time, the service process's peak memory (VmHWM) and the slowest
``/healthz`` answer, the figures the Kubernetes manifest's memory limit (640 MiB) and liveness
timeout (2 s, three misses) must hold. Targets: peak ≤ 480 MB (three quarters of the limit),
``/healthz`` ≤ 1 s throughout, every row stored. Run alone:
``uv run python -m bench.measure_case_import``.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.measure_sie_import import HealthWatch, _peak_mb
from styr_deviations.database import migrate
from styr_shared.db import Database
from styr_shared.testing import TokenFactory, create_test_database, drop_test_database
from styr_shared.testing.orgs import OXELOSUND, seed_org_replica
from styr_shared.testing.servers import free_port, stop, wait_until_up

ROWS = 20_000
MAX_BODY_BYTES = 20 * 1024 * 1024
TARGET_PEAK_MB = 480
TARGET_HEALTHZ_MS = 1000.0
UNITS = ["oxelosund-sabo", "oxelosund-hemtjanst", "oxelosund-hsl", "oxelosund-lss"]
CATEGORIES = ["fall", "lakemedel", "dokumentation", "bemotande", "ovrigt"]


def body() -> bytes:
    """20,000 closed deviations of 2019-2021 whose descriptions fill the body to the limit."""
    start = datetime(2019, 1, 1, 8, tzinfo=UTC)
    rows: list[dict[str, Any]] = [
        {
            "external_id": f"old-{n}",
            "kind": "deviation",
            "law_area": "SoL" if n % 3 else "HSL",
            "category": CATEGORIES[n % len(CATEGORIES)],
            "org_unit_id": UNITS[n % len(UNITS)],
            "reported_at": (start + timedelta(hours=n)).isoformat(),
            "description": "",
        }
        for n in range(ROWS)
    ]
    bare = len(json.dumps(rows, ensure_ascii=False).encode())
    room = (MAX_BODY_BYTES - 4096 - bare) // ROWS
    text = "Händelsen dokumenterades i det gamla systemet och följdes upp av enhetschefen. "
    chars = int(room * len(text) / len(text.encode())) - 1  # å, ä, ö take two bytes
    for row in rows:
        row["description"] = (text * (chars // len(text) + 1))[:chars]
    data = json.dumps(rows, ensure_ascii=False).encode()
    assert len(data) <= MAX_BODY_BYTES, len(data)
    return data


async def prepare(url: str) -> None:
    await migrate(url)
    database = Database(url)
    try:
        await seed_org_replica(database, OXELOSUND)
    finally:
        await database.dispose()


def main() -> int:
    data = body()
    print(
        f"case import: {ROWS:,} rows, {len(data) / 2**20:.1f} MiB of JSON "
        f"(limit {MAX_BODY_BYTES / 2**20:.0f} MiB), PostgreSQL"
    )
    with tempfile.TemporaryDirectory(prefix="styr-bench-") as directory:
        url = asyncio.run(create_test_database("postgresql", Path(directory), label="bench"))
        try:
            asyncio.run(prepare(url))
            port = free_port()
            env = os.environ | {
                "STYR_DEVIATIONS_LOG_LEVEL": "WARNING",
                "STYR_DEVIATIONS_DATABASE_URL": url,
                "STYR_DEVIATIONS_PORT": str(port),
                "STYR_DEVIATIONS_GOALS_URL": "",
            }
            service = subprocess.Popen(
                [sys.executable, "-m", "styr_deviations.cli", "serve"], env=env
            )
            try:
                base_url = f"http://127.0.0.1:{port}"
                wait_until_up(f"{base_url}/healthz")
                idle = _peak_mb(service.pid)
                token = TokenFactory().token("importer", org_units=["oxelosund"])
                watch = HealthWatch(f"{base_url}/healthz")
                watch.start()
                started = time.perf_counter()
                try:
                    response = httpx.post(
                        f"{base_url}/api/v1/cases/import",
                        content=data,
                        headers={
                            "Authorization": f"Bearer {token}",
                            "Content-Type": "application/json",
                        },
                        timeout=httpx.Timeout(30.0, read=600.0),
                    )
                finally:
                    watch.done.set()
                    watch.join()
                elapsed = time.perf_counter() - started
                peak = _peak_mb(service.pid)
            finally:
                stop(service)
        finally:
            asyncio.run(drop_test_database(url))
    result = response.json()
    slowest_ms = watch.slowest * 1000
    print(
        f"postgresql: HTTP {response.status_code}, created {result.get('created')}, failed "
        f"{result.get('failed')}, in {elapsed:.1f} s; /healthz slowest {slowest_ms:.0f} ms "
        f"over {watch.polls} polls, {watch.failures} failed (target ≤ {TARGET_HEALTHZ_MS:.0f} ms)"
    )
    print(
        f"postgresql: service peak memory {peak:.0f} MB (idle {idle:.0f} MB; target ≤ "
        f"{TARGET_PEAK_MB} MB, the pod's limit is 640 MiB)"
    )
    ok = response.status_code == 200 and result.get("created") == ROWS
    ok &= slowest_ms <= TARGET_HEALTHZ_MS and watch.failures == 0 and peak <= TARGET_PEAK_MB
    print(f"postgresql: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
