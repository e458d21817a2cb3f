"""The deviations service app."""

from __future__ import annotations

import logging
import os

from fastapi import FastAPI

from styr_deviations.cases.routes import router as cases_router
from styr_deviations.casesettings.routes import router as case_settings_router
from styr_deviations.categories.routes import router as categories_router
from styr_deviations.context import Context
from styr_deviations.imports.routes import router as imports_router
from styr_deviations.intake.ratelimit import PublicRateLimiter
from styr_deviations.intake.routes import router as intake_router
from styr_deviations.personaldata.routes import router as personal_data_router
from styr_deviations.settings import RETIRED_VARIABLES, DeviationsSettings
from styr_deviations.statistics.routes import router as statistics_router
from styr_shared.app import create_service_app
from styr_shared.orgreplica import ReplicaOrgUnit, replication_task
from styr_shared.tenancy.routes import history_router

logger = logging.getLogger("styr.deviations")


def create_app(settings: DeviationsSettings | None = None) -> FastAPI:
    settings = settings or DeviationsSettings()
    app = create_service_app(
        settings,
        title="Styr deviations service",
        description=(
            "Deviations (avvikelser), complaints and feedback (klagomål och synpunkter), "
            "Lex Sarah and Lex Maria, for one or several municipalities: each has its own "
            "categories, reference series and case settings. Errors are "
            "`application/problem+json` (RFC 9457). Personal data is encrypted at rest, shown "
            "only to the roles that work with the case, and every read of it is logged."
        ),
        # Fixed /cases/... paths before cases_router, so they do not match /cases/{case_id}.
        routers=[
            personal_data_router,
            imports_router,
            cases_router,
            categories_router,
            case_settings_router,
            history_router(ReplicaOrgUnit),
            statistics_router,
            intake_router,
        ],
        background=[replication_task],
        body_limit_overrides={
            # /public/feedback and /public/{municipality_id}/feedback
            "/feedback": settings.public_max_body_bytes,
            "/cases/import": settings.import_max_body_bytes,
        },
    )
    for name in RETIRED_VARIABLES:
        if name in os.environ:
            logger.warning(
                "%s is no longer read: each municipality's case settings are at "
                "/api/v1/municipalities/{municipality_id}/case-settings (migration 0004 copied "
                "the value for the municipality that existed then)",
                name,
            )
    app.state.context = Context.from_settings(settings)
    app.state.public_limiter = PublicRateLimiter(
        settings.public_rate_limit,
        settings.public_rate_window_seconds,
        settings.public_rate_limit_storage,
    )
    return app
