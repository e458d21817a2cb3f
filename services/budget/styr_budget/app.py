"""The budget service app."""

from __future__ import annotations

import sys

from fastapi import FastAPI

from styr_budget.budgets.routes import router as budgets_router
from styr_budget.dimensions.routes import router as dimensions_router
from styr_budget.forecasts.routes import router as forecasts_router
from styr_budget.investments.routes import router as investments_router
from styr_budget.outcomes.routes import router as outcomes_router
from styr_budget.results.routes import router as results_router
from styr_budget.settings import BudgetSettings
from styr_budget.summaries.routes import router as summaries_router
from styr_budget.uploads import MAX_UPLOAD_BYTES
from styr_shared.app import create_service_app
from styr_shared.orgreplica import ReplicaOrgUnit, replication_task
from styr_shared.tenancy.routes import history_router

# Outcome imports read a file in a worker thread, which holds the GIL while it parses; with
# CPython's default 5 ms switch interval the event loop waits for it at every hand-over, and
# /healthz took over a second during a million-row import. At 0.5 ms it answers in a few ms
# (bench/measure_sie_import.py) and the import is not measurably slower.
SWITCH_INTERVAL_SECONDS = 0.0005


def create_app(settings: BudgetSettings | None = None) -> FastAPI:
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    return create_service_app(
        settings or BudgetSettings(),
        title="Styr budget service",
        description=(
            "Frames, internal budget, monthly ledger outcome (SIE 4), forecasts, deviations and "
            "investments. Errors are `application/problem+json` (RFC 9457).\n\n"
            "**Sign convention.** Every amount is stored and returned in kronor with the result "
            "sign: revenues positive, costs negative, a net cost negative (as the papers' budget "
            "tables print it). A deviation is forecast − budget during the year and outcome − "
            "budget at year end, so positive is favourable (as the papers' deviation tables). "
            "Frames are entered and shown as positive allowances (`370,697 tkr`) and also shown "
            "as the net budget they allow. Summaries grouped by account group also give the "
            "outcome tables' positive magnitudes. Investments are positive outflows."
        ),
        routers=[
            dimensions_router,
            budgets_router,
            outcomes_router,
            forecasts_router,
            investments_router,
            summaries_router,
            results_router,
            history_router(ReplicaOrgUnit),
        ],
        background=[replication_task],
        body_limit_overrides={
            "/outcomes/sie": MAX_UPLOAD_BYTES,
            "/outcomes/csv": MAX_UPLOAD_BYTES,
            "/versions/csv": MAX_UPLOAD_BYTES,
            "/versions/sie": MAX_UPLOAD_BYTES,
        },
    )
