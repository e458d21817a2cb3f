from __future__ import annotations

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from styr_budget.app import create_app
from styr_budget.database import metadata, migrate
from styr_budget.demo.loader import load_demo
from styr_budget.settings import BudgetSettings
from styr_shared.testing import (
    TokenFactory,
    seed_org_replica,
    service_fixtures,
)
from styr_shared.testing.orgs import BOTH_MUNICIPALITIES

# goals_url=None: tests feed the org replica directly instead of polling a goals service.
app, client = service_fixtures(
    lambda url: create_app(BudgetSettings(database_url=url, goals_url=None)), migrate, metadata
)


@pytest.fixture
async def org(client: AsyncClient, app: FastAPI) -> None:
    """The demo organisation in the org replica (as the goals feed would deliver it)."""
    await seed_org_replica(app.state.database)


@pytest.fixture
async def demo(org: None, app: FastAPI) -> None:
    """The Oxelösund demo data (dimensions, budgets, forecasts, outcome, investments)."""
    assert await load_demo(app.state.database)


@pytest.fixture
async def both(client: AsyncClient, app: FastAPI) -> None:
    """Oxelösund and Trosa in the replica, with their demo data."""
    await seed_org_replica(app.state.database, BOTH_MUNICIPALITIES)
    assert await load_demo(app.state.database)


@pytest.fixture
def controller(tokens: TokenFactory) -> dict[str, str]:
    return tokens.headers("controller", org_units=["oxelosund-von"], subject="controller")


@pytest.fixture
def settings_writer(tokens: TokenFactory) -> dict[str, str]:
    """A controller on Oxelösund's root: writes its budget settings (a unit scope does not)."""
    return tokens.headers("controller", org_units=["oxelosund"], subject="settings-writer")


@pytest.fixture
def reader(tokens: TokenFactory) -> dict[str, str]:
    """A reader in Oxelösund (a municipality's settings are read by those working in it)."""
    return tokens.headers("reader", org_units=["oxelosund"], subject="reader")
