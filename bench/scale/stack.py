"""The services of one benchmark part, on fresh PostgreSQL databases with the demo data, and
the large municipality's org tree, created through the goals service's API.

``with scale_stack(("goals", "budget")) as stack:`` migrates and loads the demo into a fresh
database per service, starts the processes (``styr_shared.testing.servers.start_services``),
creates the org tree of ``bench.scale`` under the root ``storstad`` and waits until the
services that replicate the org tree (budget, deviations) have every unit. The databases are
dropped on exit; STYR_BENCH_SCALE_KEEP=1 keeps them (their URLs are printed) for a look with
psql or py-spy.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx

from bench.scale import (
    COMMITTEES,
    DEPARTMENTS,
    MUNICIPALITY_ID,
    UNITS_PER_DEPARTMENT,
)
from bench.scale.report import ScaleError
from styr_shared.testing import TokenFactory, create_test_database, drop_test_database
from styr_shared.testing.servers import SERVICES, start_services

REPLICA_SECONDS = 120.0
KEEP = os.environ.get("STYR_BENCH_SCALE_KEEP") == "1"


@dataclass(frozen=True)
class OrgTree:
    """The large municipality's units by level (ids); ``committees[i]`` heads
    ``administrations[i]``, whose departments are ``departments[i]`` and units ``units[i]``."""

    root: str
    committees: list[str]
    administrations: list[str]
    departments: list[list[str]]
    units: list[list[str]]

    @property
    def count(self) -> int:
        return (
            1
            + 2 * len(self.committees)
            + sum(map(len, self.departments))
            + sum(map(len, self.units))
        )


@dataclass
class Stack:
    urls: dict[str, str]  # base URL per process
    database_urls: dict[str, str]  # async SQLAlchemy URL per service
    pids: dict[str, int]
    org: OrgTree
    tokens: TokenFactory = field(default_factory=TokenFactory)

    def headers(self, *roles: str, org_units: Sequence[str] = ()) -> dict[str, str]:
        return self.tokens.headers(*roles, org_units=org_units, subject="bench-scale")

    @property
    def operator(self) -> dict[str, str]:
        """An admin without an org scope: the deployment's operator."""
        return self.headers("admin")


def plan_org_tree() -> OrgTree:
    root = MUNICIPALITY_ID
    committees = [f"{root}-n{c:02d}" for c in range(1, COMMITTEES + 1)]
    administrations = [f"{root}-f{c:02d}" for c in range(1, COMMITTEES + 1)]
    departments = [
        [f"{root}-f{c:02d}-v{d}" for d in range(1, DEPARTMENTS + 1)]
        for c in range(1, COMMITTEES + 1)
    ]
    units = [
        [
            f"{department}-e{u:02d}"
            for department in committee_departments
            for u in range(1, UNITS_PER_DEPARTMENT + 1)
        ]
        for committee_departments in departments
    ]
    return OrgTree(root, committees, administrations, departments, units)


def create_org_tree(goals_url: str, headers: dict[str, str], org: OrgTree) -> None:
    """POST every unit, parents first (each unit is one request: the path a municipality's
    own org import script would take)."""
    rows: list[tuple[str, str, str, str | None]] = [(org.root, "STS", "municipality", None)]
    for c, committee in enumerate(org.committees):
        administration = org.administrations[c]
        rows.append((committee, f"N{c + 1:02d}", "committee", org.root))
        rows.append((administration, f"F{c + 1:02d}", "administration", committee))
        for d, department in enumerate(org.departments[c]):
            rows.append((department, f"F{c + 1:02d}V{d + 1}", "department", administration))
        for unit in org.units[c]:
            code = unit.removeprefix(f"{org.root}-").upper().replace("-", "")
            rows.append((unit, code, "unit", unit.rsplit("-", 1)[0]))
    with httpx.Client(base_url=goals_url, headers=headers, timeout=60) as client:
        for unit_id, code, level, parent in rows:
            body = {"id": unit_id, "code": code, "name": f"{level} {code}", "level": level}
            if parent is not None:
                body["parent_id"] = parent
            response = client.post("/api/v1/org-units", json=body)
            if response.status_code != 201:
                raise ScaleError(f"org unit {unit_id}: {response.status_code} {response.text}")


async def _count_units(database_url: str) -> int:
    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        count: int = await connection.fetchval("SELECT count(*) FROM org_unit")
        return count
    finally:
        await connection.close()


async def _wait_for_replicas(database_urls: dict[str, str]) -> None:
    replicas = [name for name in ("budget", "deviations") if name in database_urls]
    expected = await _count_units(database_urls["goals"])
    deadline = time.monotonic() + REPLICA_SECONDS
    while True:
        counts = [await _count_units(database_urls[name]) for name in replicas]
        if all(count == expected for count in counts):
            return
        if time.monotonic() > deadline:
            raise ScaleError(f"org replicas {replicas} have {counts} units, goals has {expected}")
        await asyncio.sleep(0.5)


@contextmanager
def scale_stack(processes: Sequence[str]) -> Iterator[Stack]:
    """The running services of ``processes`` (goals is always started: it owns the org tree)."""
    processes = ["goals", *(name for name in processes if name != "goals")]
    database_urls: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="styr-scale-") as directory:
        workdir = Path(directory)
        logs: dict[str, Path] = {}
        try:
            for service in (name for name in processes if name in SERVICES):
                database_urls[service] = asyncio.run(
                    create_test_database("postgresql", workdir, label=f"scale_{service}")
                )
            with ExitStack() as running:
                urls, pids = start_services(
                    running, database_urls, workdir, logs, processes=processes
                )
                org = plan_org_tree()
                started = time.perf_counter()
                tokens = TokenFactory()
                create_org_tree(urls["goals"], tokens.headers("admin", subject="bench"), org)
                asyncio.run(_wait_for_replicas(database_urls))
                print(
                    f"  org tree of {org.count} units created and replicated in "
                    f"{time.perf_counter() - started:.0f} s",
                    flush=True,
                )
                yield Stack(urls, database_urls, pids, org, tokens)
        except Exception:
            for name, path in logs.items():
                if path.exists() and (text := path.read_text(errors="replace").strip()):
                    print(f"--- {name} log (last lines)")
                    print("\n".join(text.splitlines()[-20:]))
            raise
        finally:
            if KEEP:
                print(f"  kept databases: {database_urls}")
            else:
                for url in database_urls.values():
                    asyncio.run(drop_test_database(url))
