"""The goals service app."""

from __future__ import annotations

from fastapi import FastAPI

from styr_goals.followup.routes import router as followup_router
from styr_goals.imports.routes import IMPORT_PATH
from styr_goals.imports.routes import router as imports_router
from styr_goals.internal_control.routes import router as internal_control_router
from styr_goals.measures.routes import router as measures_router
from styr_goals.orgunits.models import OrgUnit
from styr_goals.orgunits.routes import router as orgunits_router
from styr_goals.plans.routes import router as plans_router
from styr_goals.settings import GoalsSettings
from styr_shared.app import create_service_app
from styr_shared.tenancy.routes import history_router


def create_app(settings: GoalsSettings | None = None) -> FastAPI:
    settings = settings or GoalsSettings()
    return create_service_app(
        settings,
        title="Styr goals service",
        description=(
            "Organisation, plans, the goal chain (kommunmål → KF-mål → nämndmål), measures "
            "with targets, values, computed status, assessments, activities and follow-up "
            "reports, and the nightly bulk import of measure values. Errors are "
            "`application/problem+json` (RFC 9457)."
        ),
        routers=[
            orgunits_router,
            plans_router,
            measures_router,
            followup_router,
            imports_router,
            internal_control_router,
            history_router(OrgUnit),
        ],
        # Nightly files are large; the import streams them to disk and checks its own limit.
        body_limit_overrides={IMPORT_PATH: settings.import_max_bytes},
    )
