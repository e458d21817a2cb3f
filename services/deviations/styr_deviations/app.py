"""The deviations service app."""

from __future__ import annotations

from fastapi import FastAPI

from styr_deviations.cases.routes import router as cases_router
from styr_deviations.context import Context
from styr_deviations.imports.routes import router as imports_router
from styr_deviations.intake.ratelimit import PublicRateLimiter
from styr_deviations.intake.routes import router as intake_router
from styr_deviations.personaldata.routes import router as personal_data_router
from styr_deviations.settings import DeviationsSettings
from styr_deviations.statistics.routes import router as statistics_router
from styr_shared.app import create_service_app
from styr_shared.orgreplica import replication_task


def create_app(settings: DeviationsSettings | None = None) -> FastAPI:
    settings = settings or DeviationsSettings()
    app = create_service_app(
        settings,
        title="Styr deviations service",
        description=(
            "Deviations (avvikelser), complaints and feedback (klagomål och synpunkter), "
            "Lex Sarah and Lex Maria. Errors are `application/problem+json` (RFC 9457). "
            "Personal data is encrypted at rest, shown only to the roles that work with the "
            "case, and every read of it is logged."
        ),
        # Fixed /cases/... paths before cases_router, so they do not match /cases/{case_id}.
        routers=[
            personal_data_router,
            imports_router,
            cases_router,
            statistics_router,
            intake_router,
        ],
        background=[replication_task],
        body_limit_overrides={
            "/public/feedback": settings.public_max_body_bytes,
            "/cases/import": settings.import_max_body_bytes,
        },
    )
    app.state.context = Context.from_settings(settings)
    app.state.public_limiter = PublicRateLimiter(
        settings.public_rate_limit,
        settings.public_rate_window_seconds,
        settings.public_rate_limit_storage,
    )
    return app
