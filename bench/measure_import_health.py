"""The goals service's liveness while it takes its largest accepted measure-value import.

Writes a CSV file of measure values just under the import limit (``STYR_GOALS_IMPORT_MAX_BYTES``,
512 MiB by default; ``STYR_BENCH_IMPORT_BYTES`` sets a smaller size), posts it to a real goals
service (its own process, over HTTP on the loopback) on PostgreSQL, and polls ``/healthz``
every 50 ms while it runs, as bench/measure_case_import.py does for the deviations service.
Measures the wall time, the service process's peak memory (VmHWM) and the slowest ``/healthz``
answer, the figures the Kubernetes manifest's liveness timeout and memory limit must hold.
Targets: ``/healthz`` ≤ 1 s throughout, peak within three quarters of the pod's memory limit
(``STYR_BENCH_MEMORY_LIMIT_MB``, 512 by default), every row inserted. Run alone:
``uv run python -m bench.measure_import_health``.

Measured on a loaded 2-core machine (other suites running): 64 MiB, 2.7 million rows in 258 s,
/healthz within 232 ms, peak 139 MB; 128 MiB, 5.4 million rows in 435 s, /healthz within
488 ms, peak 139 MB (idle 121 MB in both). The whole limit, 512 MiB (21.6 million rows), with
the machine loaded 4-5 times over its cores by other jobs (load average 8-11): 3,388 s, every
one of 43,923 polls answered, the slowest in 1,979 ms (over the 1 s aim: the CPU was shared
with four test suites), peak 143 MB (idle 125 MB). The manifest's liveness timeout (5 s) and
memory limit (512 MiB) follow from these.
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from bench import measure_import
from bench.measure_import import _peak_mb, seed
from styr_goals.settings import GoalsSettings
from styr_shared.testing import TokenFactory, create_test_database, drop_test_database
from styr_shared.testing.servers import free_port, stop, wait_until_up

LIMIT_BYTES = GoalsSettings.model_fields["import_max_bytes"].default
IMPORT_BYTES = int(os.environ.get("STYR_BENCH_IMPORT_BYTES", str(LIMIT_BYTES)))
MEMORY_LIMIT_MB = int(os.environ.get("STYR_BENCH_MEMORY_LIMIT_MB", "512"))
TARGET_HEALTHZ_MS = 1000.0
# The catalogue (bench.measure_import.seed): 1,000 yearly measures × 200 units, and the years
# a period may name (1990-2100): room for 22 million distinct values, some 570 MB of CSV.
MEASURES = measure_import.MEASURES
UNITS = measure_import.UNITS = int(os.environ.get("STYR_BENCH_UNITS", "200"))
YEARS = range(2100, 1989, -1)


class HealthWatch(threading.Thread):
    """Polls /healthz every 50 ms while the import runs; keeps the slowest answer. (Like
    bench.measure_sie_import's, which cannot be imported beside the goals models: the budget
    service's org replica and the goals org table share a name.)"""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.done = threading.Event()
        self.slowest = 0.0
        self.polls = 0
        self.failures = 0

    def run(self) -> None:
        with httpx.Client(timeout=10.0) as client:
            while not self.done.is_set():
                started = time.perf_counter()
                try:
                    ok = client.get(self.url).status_code == 200
                except httpx.HTTPError:
                    ok = False
                self.slowest = max(self.slowest, time.perf_counter() - started)
                self.polls += 1
                self.failures += not ok
                self.done.wait(0.05)


def write_file(path: Path, size: int) -> int:
    """Distinct yearly values (measure × unit × year, years counting back from 2100) until the
    next row would pass ``size`` bytes; the number of rows."""
    rng = random.Random(4711)  # noqa: S311  (reproducible test data, not secrets)
    header = "measure;org_unit;period;value\n"
    written, rows = len(header), 0
    with path.open("w", encoding="utf-8") as file:
        file.write(header)
        for year in YEARS:
            block = [
                f"B-{m:04d};U-{u:03d};{year};{rng.randint(0, 99999) / 100:.2f}\n".replace(".", ",")
                for m in range(MEASURES)
                for u in range(UNITS)
            ]
            for line in block:
                if written + len(line) > size:
                    return rows
                file.write(line)
                written += len(line)
                rows += 1
    raise ValueError(f"{size} bytes need more units than {UNITS}")


def _post(url: str, path: Path, token: str) -> dict[str, Any]:
    """The file, streamed; an import of the whole limit runs for a long while (no timeout on
    the answer, unlike bench.measure_import's)."""

    def chunks() -> Iterator[bytes]:
        with path.open("rb") as file:
            while chunk := file.read(1 << 20):
                yield chunk

    response = httpx.post(
        url,
        content=chunks(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
        timeout=httpx.Timeout(30.0, read=None),
    )
    response.raise_for_status()
    answer: dict[str, Any] = response.json()
    return answer


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="styr-bench-") as directory:
        workdir = Path(directory)
        path = workdir / "values.csv"
        rows = write_file(path, IMPORT_BYTES)
        size_mib = path.stat().st_size / 2**20
        print(
            f"measure import: {rows:,} rows, {size_mib:.0f} MiB CSV "
            f"(limit {LIMIT_BYTES / 2**20:.0f} MiB), PostgreSQL"
        )
        url = asyncio.run(create_test_database("postgresql", workdir, label="bench"))
        try:
            asyncio.run(seed(url))
            port = free_port()
            env = os.environ | {
                "STYR_GOALS_LOG_LEVEL": "WARNING",
                "STYR_GOALS_DATABASE_URL": url,
                "STYR_GOALS_PORT": str(port),
                "STYR_GOALS_IMPORT_TEMP_DIR": str(workdir),
            }
            service = subprocess.Popen([sys.executable, "-m", "styr_goals.cli", "serve"], env=env)
            try:
                base_url = f"http://127.0.0.1:{port}"
                wait_until_up(f"{base_url}/healthz")
                idle = _peak_mb(service.pid)
                token = TokenFactory().token("importer", org_units=["bench"], ttl_seconds=7200)
                watch = HealthWatch(f"{base_url}/healthz")
                watch.start()
                started = time.perf_counter()
                try:
                    result = _post(f"{base_url}/api/v1/measure-values/import", path, token)
                except httpx.HTTPError as error:  # the figures of the run still count
                    result = {"counts": {}, "error": repr(error)}
                finally:
                    watch.done.set()
                    watch.join()
                elapsed = time.perf_counter() - started
                peak = _peak_mb(service.pid)
            finally:
                stop(service)
        finally:
            asyncio.run(drop_test_database(url))
    slowest_ms = watch.slowest * 1000
    target_peak = MEMORY_LIMIT_MB * 3 / 4
    print(
        f"postgresql: counts {result['counts']} in {elapsed:.1f} s; /healthz slowest "
        f"{slowest_ms:.0f} ms over {watch.polls} polls, {watch.failures} failed "
        f"(target ≤ {TARGET_HEALTHZ_MS:.0f} ms)"
    )
    print(
        f"postgresql: service peak memory {peak:.0f} MB (idle {idle:.0f} MB; target ≤ "
        f"{target_peak:.0f} MB, three quarters of the pod's {MEMORY_LIMIT_MB} MiB)"
    )
    ok = result["counts"].get("inserted") == rows
    ok &= slowest_ms <= TARGET_HEALTHZ_MS and watch.failures == 0 and peak <= target_peak
    print(f"postgresql: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
