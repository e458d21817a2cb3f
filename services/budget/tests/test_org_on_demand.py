"""Org units the budget service does not know yet: a unit created in the goals service is usable
at once (a miss pulls the org feed, at most once per request), and figures for a unit nobody
knows are a 404, not zeros.

The first test runs the real goals service as its own process (as ``make run`` does: its
tables and the replica's share the name ``org_unit``, so they cannot share a process) with a
poll interval far longer than the test, so only the pull on a miss can bring the new unit."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from httpx import AsyncClient

from styr_budget.app import create_app
from styr_budget.database import migrate
from styr_budget.settings import BudgetSettings
from styr_shared.orgreplica.models import ReplicaOrgUnit
from styr_shared.orgreplica.sync import _refreshers, register_refresher
from styr_shared.testing import TokenFactory, create_test_database, drop_test_database
from styr_shared.testing.harness import api_client
from styr_shared.testing.orgs import OXELOSUND
from styr_shared.testing.servers import cli, free_port, process, wait_until_up

LEVELS = [
    ("municipality", "Kommun", 0),
    ("committee", "Nämnd", 1),
    ("administration", "Förvaltning", 2),
    ("department", "Verksamhetsområde", 3),
    ("unit", "Enhet", 4),
]
SETTINGS = "/api/v1/municipalities/oxelosund"
CSV_HEADER = "period;org_unit_id;activity_code;account_group;amount\n"


@pytest.fixture
def goals_service(db_backend: str, tmp_path: Path, tokens: TokenFactory) -> Iterator[str]:
    """The goals service (migrated, Oxelösund's organisation) on a free port: its base URL."""
    url = asyncio.run(create_test_database(db_backend, tmp_path, label="goals"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("STYR_GOALS_")} | {
        "STYR_GOALS_DATABASE_URL": url,
        "STYR_GOALS_HOST": "127.0.0.1",
        "STYR_GOALS_PORT": str(port),
        "STYR_GOALS_LOG_LEVEL": "WARNING",
    }
    base = f"http://127.0.0.1:{port}"
    try:
        with ExitStack() as stack, (tmp_path / "goals.log").open("ab") as log:
            cli("goals", "migrate", env, log)
            serve = [sys.executable, "-m", "styr_goals.cli", "serve"]
            stack.enter_context(process(serve, env, log))
            assert wait_until_up(f"{base}/readyz", attempts=300), "goals did not start"
            admin = tokens.headers("admin", subject="goals-admin")
            with httpx.Client(base_url=base, headers=admin) as goals:
                for key, label, rank in LEVELS:
                    response = goals.put(
                        f"/api/v1/org-levels/{key}", json={"label": label, "rank": rank}
                    )
                    assert response.status_code == 200, response.text
                for unit_id, code, name, level, parent in OXELOSUND:
                    unit = {"id": unit_id, "code": code, "name": name, "level": level}
                    response = goals.post("/api/v1/org-units", json=unit | {"parent_id": parent})
                    assert response.status_code == 201, response.text
            yield base
    finally:
        asyncio.run(drop_test_database(url))


async def replica_has(app: FastAPI, unit_id: str) -> bool:
    async with app.state.database.session() as session:
        return await session.get(ReplicaOrgUnit, unit_id) is not None


async def test_a_unit_created_in_goals_takes_outcome_at_once(
    db_backend: str, tmp_path: Path, tokens: TokenFactory, goals_service: str
) -> None:
    url = await create_test_database(db_backend, tmp_path, label="budget")
    try:
        await migrate(url)
        settings = BudgetSettings(database_url=url, goals_url=goals_service, org_sync_seconds=600)
        app = create_app(settings)
        async with LifespanManager(app), api_client(app) as client:
            # the first poll at start-up reads the organisation as it is
            for _ in range(100):
                if await replica_has(app, "oxelosund-ao"):
                    break
                await asyncio.sleep(0.1)
            assert await replica_has(app, "oxelosund-ao")
            writer = tokens.headers("controller", org_units=["oxelosund"], subject="writer")
            for path, body in (
                ("/activity-codes/55", {"name": "Vård och omsorg"}),
                ("/account-groups/personal", {"name": "Personal", "kind": "cost"}),
            ):
                response = await client.put(SETTINGS + path, json=body, headers=writer)
                assert response.status_code == 200, response.text

            admin = tokens.headers("admin", subject="goals-admin")
            async with httpx.AsyncClient(base_url=goals_service, headers=admin) as goals:
                for unit_id, code in (("oxelosund-nattpatrull", "NP"), ("oxelosund-dagvard", "DV")):
                    created = await goals.post(
                        "/api/v1/org-units",
                        json={
                            "id": unit_id,
                            "code": code,
                            "name": unit_id,
                            "level": "unit",
                            "parent_id": "oxelosund-ao",
                        },
                    )
                    assert created.status_code == 201, created.text
            # no poll has run since (the interval is ten minutes): the replica lacks it …
            assert not await replica_has(app, "oxelosund-nattpatrull")
            # … and the import right after the unit was made is not refused
            importer = tokens.headers("importer", org_units=["oxelosund-von"], subject="nightly")
            imported = await client.post(
                "/api/v1/outcomes/csv",
                content=(
                    CSV_HEADER + "2025-01;oxelosund-nattpatrull;55;personal;-1 000\n"
                ).encode(),
                headers={**importer, "Content-Type": "text/csv"},
            )
            assert imported.status_code == 201, imported.text
            assert imported.json()["rows"] == 1
            assert await replica_has(app, "oxelosund-nattpatrull")
            # the second unit came with that pull: a settings write naming it is accepted too
            mapped = await client.put(
                f"{SETTINGS}/object-mappings/1/7400",
                json={"org_unit_id": "oxelosund-dagvard"},
                headers=writer,
            )
            assert mapped.status_code == 200, mapped.text
            # a unit neither service knows: the pull finds nothing, the summary is a 404
            reader = tokens.headers("reader", org_units=["oxelosund"])
            unknown = await client.get(
                "/api/v1/summaries",
                params={"org_unit": "oxelosund-finns-ej", "year": 2025},
                headers=reader,
            )
            assert unknown.status_code == 404, unknown.text
            summary = await client.get(
                "/api/v1/summaries",
                params={"org_unit": "oxelosund-nattpatrull", "year": 2025},
                headers=reader,
            )
            assert summary.status_code == 200, summary.text
            assert Decimal(summary.json()["total"]["outcome"]) == Decimal(-1000)
    finally:
        await drop_test_database(url)


class CountingRefresher:
    """Stands in for the feed pull: counts the pulls a request makes."""

    def __init__(self) -> None:
        self.pulls = 0

    async def refresh(self) -> None:
        self.pulls += 1


@pytest.fixture
def counting(app: FastAPI) -> Iterator[CountingRefresher]:
    refresher = CountingRefresher()
    register_refresher(app.state.database, refresher)  # type: ignore[arg-type]
    yield refresher
    _refreshers.pop(app.state.database.engine, None)


@pytest.mark.usefixtures("demo")
async def test_a_file_of_unknown_units_pulls_the_feed_once(
    client: AsyncClient, controller: dict[str, str], counting: CountingRefresher
) -> None:
    rows = [f"2025-01;oxelosund-ny-{n};55;personalkostnader;-1" for n in range(3)]
    response = await client.post(
        "/api/v1/outcomes/csv",
        content=(CSV_HEADER + "\n".join(rows) + "\n").encode(),
        headers={**controller, "Content-Type": "text/csv"},
    )
    assert response.status_code == 422, response.text
    assert counting.pulls == 1
    errors: list[dict[str, Any]] = response.json()["errors"]
    assert [(e["field"], e["message"]) for e in errors] == [
        (f"body.line.{n + 2}", f"unknown org unit 'oxelosund-ny-{n}'") for n in range(3)
    ]
    # a known unit pulls nothing
    known = await client.get(
        "/api/v1/summaries", params={"org_unit": "oxelosund-von", "year": 2024}, headers=controller
    )
    assert known.status_code == 200
    assert counting.pulls == 1


@pytest.mark.usefixtures("demo")
@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/api/v1/summaries", {"org_unit": "nowhere", "year": 2024}),
        ("/api/v1/deficits", {"committee_id": "nowhere", "year": 2024}),
        ("/api/v1/result-reports", {"org_unit": "nowhere", "year": 2024}),
        ("/api/v1/investments/totals", {"org_unit": "nowhere", "year": 2025}),
        ("/api/v1/investments", {"org_unit": "nowhere"}),
        ("/api/v1/outcomes", {"org_unit": "nowhere", "year": 2024}),
        ("/api/v1/forecasts", {"org_unit": "nowhere", "year": 2024}),
        ("/api/v1/balance-measures", {"committee_id": "nowhere", "year": 2024}),
    ],
)
async def test_reads_of_an_unknown_unit_are_404(
    client: AsyncClient, reader: dict[str, str], url: str, params: dict[str, Any]
) -> None:
    response = await client.get(url, params=params, headers=reader)
    assert response.status_code == 404, response.text
    assert "nowhere" in response.json()["detail"]
