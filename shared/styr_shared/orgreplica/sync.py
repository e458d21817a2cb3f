"""Polling the org change feed and applying it to the replica, and fetching it on a miss."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_shared.auth.minting import mint_token
from styr_shared.db import Database
from styr_shared.metrics import ORG_REPLICA_SYNCS, REPLICA_LAG
from styr_shared.orgreplica.models import OrgFeedState, ReplicaOrgUnit
from styr_shared.settings import AuthSettings, Environment, ServiceSettings
from styr_shared.types import utcnow

FEED = "goals-org-units"
FEED_PATH = "/api/v1/org-units/changes"
MAX_CONFLICTS = 3
logger = logging.getLogger("styr.orgreplica")


def _as_date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


async def _municipality_of(session: AsyncSession, unit: dict[str, Any]) -> str:
    """The feed names each unit's municipality; a feed from before tenants is derived from the
    parent, which the feed always delivers first."""
    if unit.get("municipality_id"):
        return str(unit["municipality_id"])
    parent_id = unit.get("parent_id")
    if not parent_id:
        return str(unit["id"])
    parent = await session.get(ReplicaOrgUnit, parent_id)
    return parent.municipality_id if parent is not None else str(parent_id)


async def apply_feed_page(session: AsyncSession, page: dict[str, Any]) -> int:
    """Apply one feed answer and store its cursor in the same transaction."""
    for item in page["items"]:
        unit = item["after"]
        fields: dict[str, Any] = {
            "code": unit["code"],
            "name": unit["name"],
            "level": unit["level"],
            "parent_id": unit.get("parent_id"),
            "municipality_id": await _municipality_of(session, unit),
            "valid_from": _as_date(unit.get("valid_from")),
            "valid_to": _as_date(unit.get("valid_to")),
            "successor_id": unit.get("successor_id"),
            "kolada_id": unit.get("kolada_id"),
            "replicated_at": utcnow(),
        }
        replica = await session.get(ReplicaOrgUnit, unit["id"])
        if replica is None:
            replica = ReplicaOrgUnit(id=unit["id"], **fields)
        else:
            replica.sqlmodel_update(fields)
        session.add(replica)
        await session.flush()
    state = await session.get(OrgFeedState, FEED) or OrgFeedState(feed=FEED, cursor="0")
    state.cursor = str(page["cursor"])
    state.synced_at = utcnow()
    session.add(state)
    await session.commit()
    return len(page["items"])


async def current_cursor(session: AsyncSession) -> str:
    state = await session.get(OrgFeedState, FEED)
    return state.cursor if state else "0"


def service_token(settings: ServiceSettings) -> str:
    """The token a service presents to the goals service's feed.

    In production it is configured (``STYR_<SERVICE>_ORG_FEED_TOKEN``, e.g. from the OIDC
    issuer's client-credentials flow); in development the service mints a reader token.
    """
    configured = getattr(settings, "org_feed_token", None)
    if configured:
        return str(configured.get_secret_value())
    auth = AuthSettings()
    if auth.environment is Environment.PRODUCTION:
        raise RuntimeError(f"STYR_{settings.service_name.upper()}_ORG_FEED_TOKEN is required")
    return mint_token(auth, subject=f"service:{settings.service_name}", roles=["reader"])


async def sync_once(database: Database, client: httpx.AsyncClient, token: str) -> int:
    """Pull every pending change; returns how many were applied.

    Another process of the same service (a second replica of it) may apply the same page at
    the same moment; the loser's transaction fails on the unit's key and is rolled back, and it
    goes on from the cursor the winner stored.
    """
    applied, conflicts = 0, 0
    while True:
        async with database.session() as session:
            cursor = await current_cursor(session)
            response = await client.get(
                FEED_PATH,
                params={"after": cursor, "limit": 500},
                headers={"Authorization": f"Bearer {token}"},
            )
            response.raise_for_status()
            page = response.json()
            try:
                applied += await apply_feed_page(session, page)
            except IntegrityError:
                await session.rollback()
                conflicts += 1
                if conflicts > MAX_CONFLICTS:
                    raise
                continue
        if not page["has_more"]:
            REPLICA_LAG.caught_up()
            return applied


class ReplicaRefresher:
    """Pulls the feed for one process: on its schedule, and at once on a miss.

    A unit created in the goals service a moment ago must be usable at once, not after the next
    poll. Pulls never overlap within the process (one lock for the schedule and the misses),
    and concurrent misses share one pull: a caller whose miss happened before a pull that has
    since started does not pull again.
    """

    def __init__(self, database: Database, client: httpx.AsyncClient, token: str) -> None:
        self.database, self.client, self.token = database, client, token
        self._lock = asyncio.Lock()
        self._last_started = float("-inf")

    async def pull(self) -> int:
        """Pull every pending change now (raises what the pull meets)."""
        async with self._lock:
            self._last_started = time.monotonic()
            try:
                applied = await sync_once(self.database, self.client, self.token)
            except Exception:
                ORG_REPLICA_SYNCS.labels("failed").inc()
                raise
            ORG_REPLICA_SYNCS.labels("ok").inc()
            return applied

    async def refresh(self) -> None:
        """Pull for a miss, unless a pull started since; failures are logged, not raised."""
        missed_at = time.monotonic()
        async with self._lock:
            if self._last_started >= missed_at:
                return
        try:
            applied = await self.pull()
        except (httpx.HTTPError, KeyError, ValueError, IntegrityError) as exc:
            logger.warning("org replica: on-demand sync failed: %s", exc)
            return
        if applied:
            logger.info("org replica: applied %d changes on a miss", applied)


# Keyed by the engine, which every session knows (``session.bind``): service code that meets an
# unknown unit has a session, not the app.
_refreshers: weakref.WeakKeyDictionary[Any, ReplicaRefresher] = weakref.WeakKeyDictionary()


def register_refresher(database: Database, refresher: ReplicaRefresher) -> None:
    _refreshers[database.engine] = refresher


async def get_unit(session: AsyncSession, unit_id: str) -> ReplicaOrgUnit | None:
    """The replicated unit; on a miss the feed is pulled first (when replication is on)."""
    unit = await session.get(ReplicaOrgUnit, unit_id)
    if unit is not None:
        return unit
    if not await refresh_for(session):
        return None
    return await session.get(ReplicaOrgUnit, unit_id, populate_existing=True)


async def refresh_for(session: AsyncSession) -> bool:
    """Pull the feed for this session's database; False when replication is off."""
    refresher = _refreshers.get(session.bind)
    if refresher is None:
        return False
    await refresher.refresh()
    return True


FIRST_RETRY_SECONDS = 0.5


async def replication_task(app: FastAPI) -> AsyncIterator[None]:
    """Background task for :func:`styr_shared.app.create_service_app`'s ``background``."""
    settings = app.state.settings
    goals_url: str | None = getattr(settings, "goals_url", None)
    interval: float = getattr(settings, "org_sync_seconds", 2.0)
    if not goals_url:
        logger.info("org replication off: no goals URL configured")
        yield
        return

    token = service_token(settings)
    client = httpx.AsyncClient(base_url=goals_url, timeout=10)
    refresher = ReplicaRefresher(app.state.database, client, token)
    register_refresher(app.state.database, refresher)

    async def loop() -> None:
        retry = FIRST_RETRY_SECONDS
        while True:
            try:
                applied = await refresher.pull()
                if applied:
                    logger.info("org replica: applied %d changes", applied)
                delay, retry = interval, FIRST_RETRY_SECONDS
            except (httpx.HTTPError, KeyError, ValueError, IntegrityError) as exc:
                # Retry soon, then less often: when all services start together the
                # goals service is usually up within a second or two.
                delay, retry = min(retry, interval), min(retry * 2, interval)
                logger.warning("org replica: sync failed, retrying in %.1f s: %s", delay, exc)
            await asyncio.sleep(delay)

    task = asyncio.create_task(loop(), name="org-replication")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        _refreshers.pop(app.state.database.engine, None)
        await client.aclose()
