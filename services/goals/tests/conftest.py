from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from styr_goals.app import create_app
from styr_goals.database import metadata, migrate
from styr_goals.demo.loader import DEMO_LOADER, load_demo
from styr_goals.demo.organisation import LEVELS, UNITS
from styr_goals.demo.steering import CONFIG
from styr_goals.demo.trosa import CONFIG as TROSA_CONFIG
from styr_goals.demo.trosa import UNITS as TROSA_UNITS
from styr_goals.orgunits.models import OrgLevel, OrgUnit
from styr_goals.plans import service as plans
from styr_goals.settings import GoalsSettings
from styr_shared.testing import TokenFactory, api_client, service_fixtures, truncate_all

app, client = service_fixtures(
    lambda url: create_app(GoalsSettings(database_url=url)), migrate, metadata
)


@pytest.fixture(scope="module")
async def demo_client(app: FastAPI) -> AsyncIterator[AsyncClient]:
    """A client over the whole demo (Oxelösund and Trosa), loaded once per test module."""
    await truncate_all(app.state.database, metadata)
    assert await load_demo(app.state.database)
    async with api_client(app) as client:
        yield client
    await truncate_all(app.state.database, metadata)


@pytest.fixture
def admin(tokens: TokenFactory) -> dict[str, str]:
    return tokens.headers("admin", subject="admin-user")


@pytest.fixture
async def oxelosund(client: AsyncClient, admin: dict[str, str], app: FastAPI) -> None:
    """Oxelösund's org units (as in the demo) and its steering configuration, without plans."""
    # Rows straight into the tables, in one commit: these tests do not read the change feed.
    async with app.state.database.session() as session:
        session.add_all(OrgLevel(key=key, label=label, rank=rank) for key, label, rank in LEVELS)
        await session.flush()
        for unit_id, code, name, level, parent, valid_from, valid_to, _ in UNITS:
            session.add(
                OrgUnit(
                    id=unit_id,
                    code=code,
                    name=name,
                    level=level,
                    parent_id=parent,
                    municipality_id="oxelosund",
                    valid_from=valid_from,
                    valid_to=valid_to,
                )
            )
            await session.flush()
        await plans.put_config(session, "oxelosund", CONFIG, DEMO_LOADER)


@pytest.fixture
async def trosa(oxelosund: None, app: FastAPI) -> None:
    """A second municipality beside Oxelösund: Trosa's units as in the demo (its committee is
    coded ``VON`` too) and its own steering configuration, without plans."""
    async with app.state.database.session() as session:
        for unit_id, code, name, level, parent, kolada in TROSA_UNITS:
            session.add(
                OrgUnit(
                    id=unit_id,
                    code=code,
                    name=name,
                    level=level,
                    parent_id=parent,
                    municipality_id="trosa",
                    kolada_id=kolada,
                )
            )
            await session.flush()
        await plans.put_config(session, "trosa", TROSA_CONFIG, DEMO_LOADER)
