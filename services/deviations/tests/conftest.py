from __future__ import annotations

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from styr_deviations.app import create_app
from styr_deviations.database import metadata, migrate
from styr_deviations.demo.loader import SETTINGS
from styr_deviations.settings import DeviationsSettings
from styr_deviations.testing import store_case_settings
from styr_shared.testing import (
    BOTH_MUNICIPALITIES,
    TokenFactory,
    seed_org_replica,
    service_fixtures,
)

# goals_url=None: tests feed the org replica directly instead of polling a goals service.
app, client = service_fixtures(
    lambda url: create_app(DeviationsSettings(database_url=url, goals_url=None)), migrate, metadata
)


@pytest.fixture
async def org(app: FastAPI, client: AsyncClient) -> None:
    """The Oxelösund org units in the replica, and Oxelösund's case settings as migration 0004
    gives them (today's defaults, intake unit oxelosund-vof). Tables are emptied after each
    test."""
    await seed_org_replica(app.state.database)
    await store_case_settings(app.state.database, "oxelosund", SETTINGS["oxelosund"])


@pytest.fixture
async def both(app: FastAPI, client: AsyncClient) -> None:
    """Oxelösund (with its migrated settings) and Trosa (nothing stored yet) in the replica."""
    await seed_org_replica(app.state.database, BOTH_MUNICIPALITIES)
    await store_case_settings(app.state.database, "oxelosund", SETTINGS["oxelosund"])


@pytest.fixture
def handler(tokens: TokenFactory) -> dict[str, str]:
    """A unit manager (case handler) of särskilt boende."""
    return tokens.headers("case_handler", org_units=["oxelosund-sabo"], subject="ec-sabo")


@pytest.fixture
def admin(tokens: TokenFactory) -> dict[str, str]:
    return tokens.headers("admin", subject="admin-user")
