"""Domain metrics: what a municipality's operations team watches besides HTTP.

HTTP metrics come per app from ``prometheus-fastapi-instrumentator``; these are process-wide
(one registry per process, :data:`DOMAIN_REGISTRY`), exposed on every app's ``/metrics`` beside
them, and recorded from the services' domain code:

- ``styr_import_runs_total{service,kind,outcome}``, ``styr_import_rows_total{service,kind,outcome}``
  and ``styr_import_duration_seconds{service,kind}``: bulk imports (goals measure values, budget
  outcome and budgets, deviations migration);
- ``styr_cases_registered_total{kind,channel}``: deviation, complaint and feedback cases;
- ``styr_citizen_submissions_total{outcome}``: the public intake (accepted, rejected,
  rate_limited);
- ``styr_org_replica_lag_seconds`` and ``styr_org_replica_syncs_total{outcome}``: how far a
  service's org replica may be behind the goals service;
- ``styr_gateway_upstream_requests_total{service,outcome}`` and
  ``styr_gateway_upstream_duration_seconds{service}``: the gateway's calls to the services.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from styr_shared.errors import ProblemError

DOMAIN_REGISTRY = CollectorRegistry(auto_describe=True)

IMPORT_RUNS = Counter(
    "styr_import_runs",
    "Bulk import runs by service, kind and outcome (completed, rejected, failed).",
    ["service", "kind", "outcome"],
    registry=DOMAIN_REGISTRY,
)
IMPORT_ROWS = Counter(
    "styr_import_rows",
    "Rows of bulk imports by service, kind and outcome (accepted, rejected, skipped).",
    ["service", "kind", "outcome"],
    registry=DOMAIN_REGISTRY,
)
IMPORT_DURATION = Histogram(
    "styr_import_duration_seconds",
    "Duration of bulk import runs.",
    ["service", "kind"],
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
    registry=DOMAIN_REGISTRY,
)
CASES_REGISTERED = Counter(
    "styr_cases_registered",
    "Deviation, complaint and feedback cases registered, by kind and channel.",
    ["kind", "channel"],
    registry=DOMAIN_REGISTRY,
)
CITIZEN_SUBMISSIONS = Counter(
    "styr_citizen_submissions",
    "Citizen intake submissions by outcome (accepted, rejected, rate_limited).",
    ["outcome"],
    registry=DOMAIN_REGISTRY,
)
ORG_REPLICA_SYNCS = Counter(
    "styr_org_replica_syncs",
    "Pulls of the goals service's org change feed by outcome (ok, failed).",
    ["outcome"],
    registry=DOMAIN_REGISTRY,
)
UPSTREAM_REQUESTS = Counter(
    "styr_gateway_upstream_requests",
    "The gateway's calls to the services, by service and outcome (2xx, 4xx, 5xx, unavailable).",
    ["service", "outcome"],
    registry=DOMAIN_REGISTRY,
)
UPSTREAM_DURATION = Histogram(
    "styr_gateway_upstream_duration_seconds",
    "Duration of the gateway's calls to the services.",
    ["service"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=DOMAIN_REGISTRY,
)


class _ReplicaLag:
    """Seconds since the org replica last caught up with the feed (0 until replication runs)."""

    def __init__(self) -> None:
        self.caught_up_at: float | None = None

    def caught_up(self) -> None:
        self.caught_up_at = time.monotonic()

    def seconds(self) -> float:
        return 0.0 if self.caught_up_at is None else time.monotonic() - self.caught_up_at


REPLICA_LAG = _ReplicaLag()
Gauge(
    "styr_org_replica_lag_seconds",
    "Seconds since this service's org replica last caught up with the goals service's feed.",
    registry=DOMAIN_REGISTRY,
).set_function(REPLICA_LAG.seconds)


class _Domain(Collector):
    """Puts the domain metrics into an app's own registry, so one ``/metrics`` has both."""

    def collect(self) -> Iterator[Metric]:
        yield from DOMAIN_REGISTRY.collect()


def expose_domain_metrics(registry: CollectorRegistry) -> None:
    registry.register(_Domain())


def outcome_of_status(status: int | None) -> str:
    """``2xx``, ``4xx``, ``5xx`` or ``unavailable`` (no answer)."""
    return "unavailable" if status is None else f"{status // 100}xx"


@dataclass
class ImportTracker:
    """Counts of one import run, set by the importer; recorded when the run ends."""

    rows: dict[str, int] = field(default_factory=dict)
    outcome: str = "completed"


@contextmanager
def track_import(service: str, kind: str) -> Iterator[ImportTracker]:
    """Record a run's duration, outcome and rows: ``completed`` (unless the importer says
    otherwise), ``rejected`` when it ends in a problem answer (4xx), ``failed`` otherwise."""
    tracker = ImportTracker()
    started = time.perf_counter()
    try:
        yield tracker
    except ProblemError:
        tracker.outcome = "rejected"
        raise
    except BaseException:
        tracker.outcome = "failed"
        raise
    finally:
        record_import(service, kind, tracker.outcome, time.perf_counter() - started, tracker.rows)


def record_import(
    service: str, kind: str, outcome: str, seconds: float, rows: dict[str, int]
) -> None:
    """One finished import run: its outcome, duration and rows by outcome."""
    IMPORT_RUNS.labels(service, kind, outcome).inc()
    IMPORT_DURATION.labels(service, kind).observe(seconds)
    for row_outcome, count in rows.items():
        if count:
            IMPORT_ROWS.labels(service, kind, row_outcome).inc(count)
