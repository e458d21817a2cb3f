"""The large municipality of issue 18: a Göteborg-sized data set built through the public APIs
and import paths, and the read targets measured at the demo's size and at that size.

``python -m bench.scale`` (part of ``make bench``) runs each part in its own process (two
services' models cannot share one): ``bench.scale.goals`` (follow-ups), ``bench.scale.budget``
(budget summaries) and ``bench.scale.deviations`` (statistics); the committee dashboard's
targets are in ``bench.gateway_dashboard``. Each part starts the services it needs on fresh
PostgreSQL databases with the demo data (``bench.scale.stack``), builds the large
municipality's org tree in the goals service (the others replicate it), adds its own data and
prints one line per target with its figure and ``ok`` or ``MISSED`` (``bench.scale.report``).

The shape (the issue's "about Göteborg's size"), scaled down for a quick look by
``STYR_BENCH_SCALE`` (a fraction, 1 by default; the org tree keeps its shape, the data shrinks).
"""

from __future__ import annotations

import os

SCALE = float(os.environ.get("STYR_BENCH_SCALE", "1"))

MUNICIPALITY_ID = "storstad"
COMMITTEES = 30
# Per committee: one administration, DEPARTMENTS departments of UNITS_PER_DEPARTMENT units:
# 30 × (1 + 1 + 3 + 63) + the root = 2,041 org units.
DEPARTMENTS = 3
UNITS_PER_DEPARTMENT = 21
MEASURES = 3000  # with 5 years of monthly values: about 2 million values
YEARS = range(2021, 2026)
CASES = 500_000  # over the five years: 100,000 a year
OUTCOME_ROWS = 2_000_000  # five years of monthly outcome


def scaled(count: int) -> int:
    """``count`` shrunk by STYR_BENCH_SCALE (at least 1)."""
    return max(1, round(count * SCALE))
