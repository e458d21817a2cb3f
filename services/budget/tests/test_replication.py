"""The org replica's background sync against a feed served over real HTTP."""

from __future__ import annotations

import asyncio
import time

from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import func
from sqlmodel import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from styr_budget.app import create_app
from styr_budget.database import migrate
from styr_budget.settings import BudgetSettings
from styr_shared.orgreplica.models import ReplicaOrgUnit
from styr_shared.testing import UvicornThread
from styr_shared.testing.orgs import OXELOSUND, feed_items
from styr_shared.testing.servers import free_port


def feed_server() -> Starlette:
    """What the goals service's change feed answers, for one page of the demo org."""
    items = feed_items(OXELOSUND)

    async def changes(request: Request) -> JSONResponse:
        after = int(request.query_params.get("after", "0"))
        page = items[after:]
        return JSONResponse({"items": page, "cursor": str(len(items)), "has_more": False})

    return Starlette(routes=[Route("/api/v1/org-units/changes", changes)])


async def replica_size(app: FastAPI) -> int:
    async with app.state.database.session() as session:
        counted = await session.exec(select(func.count()).select_from(ReplicaOrgUnit))
        return int(counted.one())


async def test_a_goals_service_that_starts_late_is_read_within_seconds(
    database_url: str,
) -> None:
    """`make run` starts every service at once: the first attempt finds no goals service.
    The replica must not then wait a whole sync interval (30 s) before it tries again."""
    await migrate(database_url)
    port = free_port()
    settings = BudgetSettings(
        database_url=database_url, goals_url=f"http://127.0.0.1:{port}", org_sync_seconds=30
    )
    app = create_app(settings)
    async with LifespanManager(app):
        await asyncio.sleep(0.3)  # the first sync attempt has failed by now
        assert await replica_size(app) == 0
        with UvicornThread(feed_server(), port=port):
            started = time.monotonic()
            while await replica_size(app) == 0:
                assert time.monotonic() - started < 10, "the replica did not retry soon"
                await asyncio.sleep(0.1)
        assert await replica_size(app) == len(OXELOSUND)
