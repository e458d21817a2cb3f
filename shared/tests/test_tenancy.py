"""Municipalities as tenants: who covers what, who may change a municipality's settings, and
how a request finds the municipality it acts in (over a real org replica table)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import SQLModel, select

from styr_shared.auth.principal import Principal, Role
from styr_shared.db import Database
from styr_shared.errors import ForbiddenError, InvalidFieldError, NotFoundError
from styr_shared.orgreplica.models import ReplicaOrgUnit
from styr_shared.orgreplica.sync import FEED_PATH, current_cursor, sync_once
from styr_shared.tenancy import (
    municipalities_in_scope,
    require_settings_reader,
    require_settings_writer,
    resolve_municipality,
    snapshot,
)
from styr_shared.testing import UvicornThread, create_test_database, drop_test_database
from styr_shared.testing.orgs import BOTH_MUNICIPALITIES, OXELOSUND, feed_items, seed_org_replica


def principal(*roles: Role, units: tuple[str, ...] = ()) -> Principal:
    return Principal(subject="p", roles=frozenset(roles), org_units=frozenset(units))


def test_a_scoped_admin_covers_only_its_subtrees() -> None:
    operator = principal(Role.ADMIN)
    trosa_admin = principal(Role.ADMIN, units=("trosa",))
    assert operator.unrestricted
    assert operator.covers(["oxelosund-von", "oxelosund"])
    assert not trosa_admin.unrestricted
    assert trosa_admin.covers(["trosa-von", "trosa"])
    assert not trosa_admin.covers(["oxelosund-von", "oxelosund"])
    assert trosa_admin.has_any_role(Role.CONTROLLER)  # every role, inside its scope


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        (principal(Role.ADMIN), True),
        (principal(Role.ADMIN, units=("oxelosund",)), True),
        (principal(Role.CONTROLLER, units=("oxelosund",)), True),
        (principal(Role.ADMIN, units=("oxelosund-von",)), False),  # one unit's admin
        (principal(Role.CONTROLLER, units=("oxelosund-von",)), False),
        (principal(Role.ADMIN, units=("trosa",)), False),  # another municipality
        (principal(Role.PLANNER, units=("oxelosund",)), False),  # not a settings role
    ],
)
def test_settings_writes_need_the_role_on_the_municipality_root(
    who: Principal, allowed: bool
) -> None:
    if allowed:
        require_settings_writer(who, "oxelosund", [Role.CONTROLLER])
    else:
        with pytest.raises(ForbiddenError):
            require_settings_writer(who, "oxelosund", [Role.CONTROLLER])


def test_a_history_snapshot_is_plain_json() -> None:
    from datetime import date
    from decimal import Decimal

    assert snapshot(None) is None
    assert snapshot({"municipality_id": "x", "a": Decimal("1.50"), "d": date(2025, 1, 2)}) == {
        "a": "1.50",
        "d": "2025-01-02",
    }


@pytest.fixture
async def replica(db_backend: str, tmp_path: Path) -> AsyncIterator[Database]:
    url = await create_test_database(db_backend, tmp_path)
    database = Database(url)
    tables = [SQLModel.metadata.tables["org_unit"], SQLModel.metadata.tables["org_feed_state"]]
    async with database.engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all, tables=tables)
    try:
        yield database
    finally:
        await database.dispose()
        await drop_test_database(url)


async def test_the_replica_knows_each_units_municipality(replica: Database) -> None:
    await seed_org_replica(replica, BOTH_MUNICIPALITIES)
    async with replica.session() as session:
        sabo = await session.get(ReplicaOrgUnit, "oxelosund-sabo")
        trosa_ht = await session.get(ReplicaOrgUnit, "trosa-hemtjanst")
        assert sabo is not None
        assert sabo.municipality_id == "oxelosund"
        assert trosa_ht is not None
        assert trosa_ht.municipality_id == "trosa"
        assert trosa_ht.code == "HT"
        assert sabo.code == "SÄBO"


async def test_a_request_acts_in_the_municipality_it_names_or_can_only_mean(
    replica: Database,
) -> None:
    await seed_org_replica(replica, BOTH_MUNICIPALITIES)
    von = principal(Role.CONTROLLER, units=("oxelosund-von",))
    operator = principal(Role.ADMIN)
    async with replica.session() as session:
        assert await municipalities_in_scope(session, ReplicaOrgUnit, von) == {"oxelosund"}
        assert await municipalities_in_scope(session, ReplicaOrgUnit, operator) is None
        assert await resolve_municipality(session, ReplicaOrgUnit, von, None) == "oxelosund"
        with pytest.raises(InvalidFieldError, match="name the municipality"):
            await resolve_municipality(session, ReplicaOrgUnit, operator, None)
        assert await resolve_municipality(session, ReplicaOrgUnit, operator, "trosa") == "trosa"
        with pytest.raises(ForbiddenError):
            await resolve_municipality(session, ReplicaOrgUnit, von, "trosa")
        with pytest.raises(InvalidFieldError, match="unknown municipality"):
            await resolve_municipality(session, ReplicaOrgUnit, von, "oxelosund-von")
        await require_settings_reader(session, ReplicaOrgUnit, von, "oxelosund")
        with pytest.raises(ForbiddenError):
            await require_settings_reader(session, ReplicaOrgUnit, von, "trosa")
        with pytest.raises(NotFoundError):
            await require_settings_reader(session, ReplicaOrgUnit, operator, "nowhere")


async def test_one_municipality_is_everyones_without_naming_it(replica: Database) -> None:
    await seed_org_replica(replica, OXELOSUND)
    async with replica.session() as session:
        operator = principal(Role.ADMIN)
        assert await resolve_municipality(session, ReplicaOrgUnit, operator, None) == "oxelosund"


async def test_two_processes_pulling_the_same_feed_page_both_end_in_step(
    replica: Database,
) -> None:
    """Two replicas of a service share its database and pull the same page at the same time:
    one applies it, the other's transaction fails on the units' keys, rolls back and goes on
    from the cursor the first stored, over real HTTP from a real feed."""
    items = feed_items(BOTH_MUNICIPALITIES)
    feed = FastAPI()

    @feed.get(FEED_PATH)
    async def changes(after: str, limit: int) -> dict[str, Any]:
        rest = [item for item in items if item["seq"] > int(after)][:limit]
        await asyncio.sleep(0.05)  # both pulls hold the page before either applies it
        return {"items": rest, "cursor": str(rest[-1]["seq"] if rest else after), "has_more": False}

    other_process = Database(str(replica.engine.url.render_as_string(hide_password=False)))
    try:
        with UvicornThread(feed) as url:
            async with httpx.AsyncClient(base_url=url) as client:
                applied = await asyncio.gather(
                    sync_once(replica, client, "token"), sync_once(other_process, client, "token")
                )
        assert sorted(applied) == [0, len(items)]
        async with replica.session() as session:
            assert await current_cursor(session) == str(len(items))
            units = (await session.exec(select(ReplicaOrgUnit))).all()
            assert sorted(u.id for u in units) == sorted(u[0] for u in BOTH_MUNICIPALITIES)
    finally:
        await other_process.dispose()
