"""A small service built with the shared app factory, to test what every service inherits."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, ClassVar

import pytest
from fastapi import APIRouter, Depends, FastAPI, Request
from httpx import AsyncClient
from pydantic import Field
from pydantic_settings import SettingsConfigDict
from sqlalchemy import text

from styr_shared.app import create_service_app
from styr_shared.auth import Principal, Role, authenticated, require_roles
from styr_shared.db import get_database
from styr_shared.schemas import StrictModel
from styr_shared.settings import DatabaseServiceSettings
from styr_shared.testing import api_client


class ProbeSettings(DatabaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="STYR_PROBE_", extra="ignore")
    service_name: ClassVar[str] = "probe"
    default_port: ClassVar[int] = 8999


class Target(StrictModel):
    year: int = Field(ge=2000, le=2100)
    operator: str = Field(pattern=r"^(=|>=|>|<=|<)$")


class PlanIn(StrictModel):
    name: str = Field(min_length=1, max_length=50)
    targets: list[Target] = Field(default_factory=list)


router = APIRouter()


@router.post("/plans", status_code=201)
async def create_plan(
    body: PlanIn, principal: Annotated[Principal, Depends(require_roles(Role.PLANNER))]
) -> dict[str, object]:
    return {"name": body.name, "targets": len(body.targets), "by": principal.subject}


@router.get("/plans")
async def list_plans() -> list[str]:
    return []


@router.get("/me")
async def me(principal: authenticated) -> dict[str, object]:
    return {"subject": principal.subject}


@router.post("/log-probe")
async def log_probe(values: dict[str, object], request: Request) -> dict[str, str]:
    """Writes ``values`` to the table ``log_probe`` (made by the test), to make it fail."""
    async with get_database(request).engine.begin() as connection:
        await connection.execute(text("INSERT INTO log_probe (name, n) VALUES (:name, :n)"), values)
    return {"written": "yes"}


@router.get("/boom")
async def boom() -> None:
    raise RuntimeError("secret internal detail")


def build_app(database_url: str) -> FastAPI:
    settings = ProbeSettings(database_url=database_url, max_body_bytes=4096)
    return create_service_app(settings, title="probe", description="probe", routers=[router])


@pytest.fixture(scope="session")
def probe_factory() -> Callable[[str], FastAPI]:
    return build_app


@pytest.fixture(scope="session")
def probe_app(database_url: str) -> FastAPI:
    return build_app(database_url)


@pytest.fixture
async def probe(probe_app: FastAPI) -> AsyncIterator[AsyncClient]:
    async with api_client(probe_app) as client:
        yield client
