"""A year's ledger export into budget outcome: one SIE 4 file of 1,000,000 #TRANS rows.

Posts the file (56 MB, CP437) to a real budget service (its own process, over HTTP on the
loopback) on PostgreSQL, as the raw body and then again as a multipart form (the re-import
replaces the same rows), and while each import runs polls ``/healthz`` every 50 ms. Measures the
wall time of the import, the service process's peak memory (VmHWM) and the slowest ``/healthz``
answer, and checks that the stored outcome adds up to the file's result rows. Targets: ≤ 60 s,
≤ 250 MB, ``/healthz`` ≤ 200 ms throughout. The rows: 250,000 vouchers of three result rows
(accounts 3010–7990, 60 cost centres mapped to 12 org units, some rows without objects for the
default unit, transdates spread over the year) and one balance row.

Sizes can be changed with STYR_BENCH_SIE_VOUCHERS (rows = 4 × vouchers); the database is the
test server's (see styr_shared.testing.database). STYR_BENCH_TIMELINE=1 prints every /healthz
poll as ``seconds:milliseconds``; STYR_BUDGET_LOG_LEVEL=INFO shows the service's log (the time
the mapping took). Run alone: ``uv run python -m bench.measure_sie_import``.
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
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, insert, select

from styr_budget.database import migrate
from styr_budget.dimensions.models import AccountGroup, AccountMapping, ObjectMapping
from styr_budget.outcomes.models import Outcome
from styr_shared.db import Database
from styr_shared.orgreplica.models import ReplicaOrgUnit
from styr_shared.testing import TokenFactory, create_test_database, drop_test_database
from styr_shared.testing.servers import free_port, stop, wait_until_up

VOUCHERS = int(os.environ.get("STYR_BENCH_SIE_VOUCHERS", "250000"))
UNITS = 12
COST_CENTRES = 60
TARGET_SECONDS = 60.0
TARGET_PEAK_MB = 250
TARGET_HEALTHZ_MS = 200.0
HEALTHZ_EVERY = 0.05


def write_file(path: Path) -> tuple[int, Decimal]:
    """The SIE file; returns its #TRANS count and the outcome its result rows add up to."""
    rng = random.Random(4711)  # noqa: S311  (reproducible test data, not secrets)
    outcome = Decimal(0)
    rows = 0
    start = date(2025, 1, 1)
    with path.open("w", encoding="cp437", newline="\r\n") as file:
        file.write(
            '#FLAGGA 0\n#PROGRAM "Bench Ekonomi" 1.0\n#FORMAT PC8\n#GEN 20260105\n'
            '#SIETYP 4\n#FNAMN "Bänkeby kommun"\n#RAR 0 20250101 20251231\n'
            '#DIM 1 "Ansvar"\n'
        )
        for centre in range(COST_CENTRES):
            file.write(f'#OBJEKT 1 "{7000 + centre}" "Ansvar {centre}"\n')
        for number in range(1, VOUCHERS + 1):
            day = start + timedelta(days=rng.randrange(365))
            file.write(f'#VER A {number} {day:%Y%m%d} "Faktura {number}"\n{{\n')
            total = 0
            for _ in range(3):
                account = rng.choice((3010, 4010, 4510, 5010, 5410, 6110, 7010, 7990))
                ore = rng.randrange(-5_000_000, 5_000_000)
                total += ore
                objects = "{}" if rng.random() < 0.1 else f'{{1 "{7000 + rng.randrange(60)}"}}'
                transdate = day + timedelta(days=rng.randrange(-20, 60))
                if transdate.year != 2025:
                    transdate = day
                file.write(
                    f'   #TRANS {account} {objects} {_kronor(ore)} {transdate:%Y%m%d} "Rad"\n'
                )
                outcome -= Decimal(ore) / 100
            file.write(f"   #TRANS 2440 {{}} {_kronor(-total)}\n}}\n")
            rows += 4
    return rows, outcome


def _kronor(ore: int) -> str:
    sign = "-" if ore < 0 else ""
    return f"{sign}{abs(ore) // 100}.{abs(ore) % 100:02d}"


async def seed(url: str) -> None:
    await migrate(url)
    database = Database(url)
    # "bench" is the root of its tree: the municipality the settings and the import belong to
    tenant = {"municipality_id": "bench"}
    units: list[dict[str, Any]] = [
        {"id": "bench", "code": "BENCH", "name": "Bänkeby", "level": "committee"} | tenant
    ]
    units += [
        {"id": f"u-{u:02d}", "code": f"U{u}", "name": f"Enhet {u}", "level": "unit"}
        | {"parent_id": "bench"}
        | tenant
        for u in range(UNITS)
    ]
    groups = [
        {"key": key, "name": key, "kind": kind, "sort_order": order} | tenant
        for order, (key, kind) in enumerate((("intakter", "revenue"), ("kostnader", "cost")))
    ]
    mappings = [
        {"account_from": 3000, "account_to": 3999, "account_group_key": "intakter"} | tenant,
        {"account_from": 4000, "account_to": 8999, "account_group_key": "kostnader"} | tenant,
    ]
    objects = [
        {"dimension": 1, "object_code": str(7000 + c), "org_unit_id": f"u-{c % UNITS:02d}"} | tenant
        for c in range(COST_CENTRES)
    ]
    async with database.engine.begin() as connection:
        for unit in units:  # parents before children
            await connection.execute(insert(ReplicaOrgUnit), [unit])
        await connection.execute(insert(AccountGroup), groups)
        await connection.execute(insert(AccountMapping), mappings)
        await connection.execute(insert(ObjectMapping), objects)
    await database.dispose()


async def stored_total(url: str) -> Decimal:
    database = Database(url)
    async with database.engine.connect() as connection:
        total = (await connection.execute(select(func.sum(Outcome.amount)))).scalar_one()
    await database.dispose()
    return Decimal(total)


def _peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class HealthWatch(threading.Thread):
    """Polls /healthz while the import runs; keeps the slowest answer."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.done = threading.Event()
        self.slowest = 0.0
        self.timeline: list[tuple[float, float]] = []
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
                took = time.perf_counter() - started
                self.slowest = max(self.slowest, took)
                self.timeline.append((started, took))
                self.polls += 1
                self.failures += not ok
                self.done.wait(HEALTHZ_EVERY)


def _post(base_url: str, path: Path, token: str, form: bool) -> tuple[float, dict[str, Any]]:
    def chunks() -> Iterator[bytes]:
        with path.open("rb") as file:
            while chunk := file.read(1 << 20):
                yield chunk

    started = time.perf_counter()
    with path.open("rb") as file:
        body: dict[str, Any] = (
            {"files": {"file": (path.name, file, "application/octet-stream")}}
            if form
            else {"content": chunks(), "headers": {"Content-Type": "application/octet-stream"}}
        )
        headers = {"Authorization": f"Bearer {token}", **body.pop("headers", {})}
        response = httpx.post(
            f"{base_url}/api/v1/outcomes/sie",
            params={"default_org_unit": "bench", "filename": path.name},
            headers=headers,
            timeout=httpx.Timeout(30.0, read=600.0),
            **body,
        )
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    return elapsed, response.json()


def _import(base_url: str, path: Path, token: str, form: bool) -> tuple[float, Any, HealthWatch]:
    watch = HealthWatch(f"{base_url}/healthz")
    watch.start()
    try:
        elapsed, result = _post(base_url, path, token, form)
    finally:
        watch.done.set()
        watch.join()
    if os.environ.get("STYR_BENCH_TIMELINE"):
        first = watch.timeline[0][0]
        print(" ".join(f"{at - first:.1f}:{took * 1000:.0f}" for at, took in watch.timeline))
    return elapsed, result, watch


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="styr-bench-") as directory:
        workdir = Path(directory)
        path = workdir / "ledger-2025.se"
        rows, outcome = write_file(path)
        print(
            f"SIE import: {rows:,} #TRANS rows in {VOUCHERS:,} vouchers, "
            f"{path.stat().st_size / 1e6:.0f} MB, posted as the raw body and again (replacing "
            "it) as a multipart form (PostgreSQL)"
        )
        url = asyncio.run(create_test_database("postgresql", workdir, label="bench"))
        try:
            asyncio.run(seed(url))
            port = free_port()
            env = os.environ | {
                "STYR_BUDGET_LOG_LEVEL": os.environ.get("STYR_BUDGET_LOG_LEVEL", "WARNING"),
                "STYR_BUDGET_DATABASE_URL": url,
                "STYR_BUDGET_PORT": str(port),
                "STYR_BUDGET_GOALS_URL": "",
            }
            service = subprocess.Popen([sys.executable, "-m", "styr_budget.cli", "serve"], env=env)
            try:
                base_url = f"http://127.0.0.1:{port}"
                wait_until_up(f"{base_url}/healthz")
                idle = _peak_mb(service.pid)
                token = TokenFactory().token("importer", org_units=["bench"], ttl_seconds=3600)
                runs = {form: _import(base_url, path, token, form) for form in (False, True)}
                peak = _peak_mb(service.pid)
            finally:
                stop(service)
            total = asyncio.run(stored_total(url))
        finally:
            asyncio.run(drop_test_database(url))
    ok = True
    for form, (elapsed, result, watch) in runs.items():
        how = "multipart" if form else "raw body"
        slowest_ms = watch.slowest * 1000
        print(
            f"postgresql, {how}: import {elapsed:.1f} s ({rows / elapsed:,.0f} rows/s; target ≤ "
            f"{TARGET_SECONDS:.0f} s), {result['rows']} outcome rows "
            f"({result['replaced_rows']} replaced), {result['rows_defaulted']:,} rows defaulted; "
            f"/healthz slowest {slowest_ms:.0f} ms over {watch.polls} polls, "
            f"{watch.failures} failed (target ≤ {TARGET_HEALTHZ_MS:.0f} ms)"
        )
        ok &= result["transactions"] == rows and watch.failures == 0
        ok &= elapsed <= TARGET_SECONDS and slowest_ms <= TARGET_HEALTHZ_MS
    ok &= runs[True][1]["replaced_rows"] == runs[False][1]["rows"]
    print(
        f"postgresql: service peak memory {peak:.0f} MB (idle {idle:.0f} MB; target ≤ "
        f"{TARGET_PEAK_MB} MB)"
    )
    print(f"postgresql: stored outcome {total} = file's result rows {outcome}: {total == outcome}")
    ok &= total == outcome and peak <= TARGET_PEAK_MB
    print(f"postgresql: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
