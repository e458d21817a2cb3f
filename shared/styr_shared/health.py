"""Liveness (`/healthz`: the process answers) and readiness (`/readyz`: what the service needs
answers: its database, or for the gateway its upstream services)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from styr_shared.errors import problem_response

router = APIRouter(tags=["operations"])
logger = logging.getLogger("styr.health")


class Health(BaseModel):
    status: str
    service: str


@router.get(
    "/healthz",
    response_model=Health,
    summary="Liveness: the process is up",
    operation_id="getLiveness",
)
async def healthz(request: Request) -> Health:
    return Health(status="ok", service=_service_name(request))


@router.get(
    "/readyz",
    response_model=Health,
    summary="Readiness: the service's dependencies answer",
    responses={503: {"description": "A dependency is unavailable"}},
    operation_id="getReadiness",
)
async def readyz(request: Request) -> Health | JSONResponse:
    try:
        await request.app.state.readiness_check()
    except Exception as exc:  # any failure means "not ready"; the cause goes to the log
        logger.warning("readiness check failed: %s", exc)
        return problem_response(503, slug="not-ready", detail=f"Not ready: {exc}")
    return Health(status="ready", service=_service_name(request))


def _service_name(request: Request) -> str:
    name: str = request.app.state.settings.service_name
    return name
