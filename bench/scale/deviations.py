"""``python -m bench.scale.deviations``: deviation statistics at the demo's size and at the large
municipality's (issue 18).

Starts goals and deviations on fresh PostgreSQL databases with the demo data and the storstad
org tree (``bench.scale.stack``), measures the committee dashboard's statistics call for the
demo committee (``oxelosund-von``, 2024) BEFORE loading, then loads 500,000 cases over
2021–2025 (100,000 a year, ``bench.scale.CASES``, scaled by ``STYR_BENCH_SCALE``) spread over
the storstad units through the public migration import (``POST /api/v1/cases/import``, 20,000
rows per request, its limit), and measures:

- the demo committee-year again (target ≤ 25 ms; the ratio to before),
- one storstad committee-year (≤ 50 ms),
- the whole storstad municipality for one year (100,000 cases; ≤ 50 ms),
- a ten-year trend of the municipality (2016–2025, the API's year range; ≤ 100 ms).

Every figure is what the dashboard's reader gets: a ``reader`` token scoped to the unit it asks
for (statistics only, small counts suppressed, so the suppression runs per request); the same
calls with a ``case_handler`` token (no suppression) are printed for comparison without a
target of their own.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bench.scale import CASES, MUNICIPALITY_ID, SCALE, YEARS, scaled
from bench.scale.report import Figure, ScaleError, p50_ms, ratio_line, verdict
from bench.scale.stack import OrgTree, Stack, scale_stack

DEMO_COMMITTEE = "oxelosund-von"
DASHBOARD_YEAR = 2024  # the year the committee dashboard asks for (bench.gateway_dashboard)
STATISTICS = "/api/v1/statistics"
IMPORT = "/api/v1/cases/import"
IMPORT_ROWS = 20_000  # the import's row limit per request
TREND = (2016, 2025)
TARGET_COMMITTEE_YEAR_MS = 25.0
TARGET_SCALE_YEAR_MS = 50.0
TARGET_TREND_MS = 100.0

DEVIATION_CATEGORIES = ["fall", "lakemedel", "dokumentation", "informationsoverforing", "ovrigt"]
FEEDBACK_CATEGORIES = ["hemtjanst", "sarskilt_boende", "bemotande_synpunkt", "ovrigt_synpunkt"]
LAW_AREAS = ["HSL", "SoL", "LSS"]
CHANNELS = ["staff_report", "web_form", "phone", "email", "letter"]
OUTCOMES = ["no_deficiency", "staff_matter", "lex_sarah", "ongoing"]
OPEN_STATES = ["registered", "received", "assessed", "investigating"]


def case_row(rng: random.Random, n: int, year: int, units: list[str]) -> dict[str, Any]:
    """One imported case of ``year`` at one of ``units``: a realistic mix of kinds, areas,
    categories, channels, states, outcomes and answer/close times."""
    start = datetime(year, 1, 1, tzinfo=UTC) - timedelta(hours=1)  # Stockholm's New Year
    reported = start + timedelta(seconds=rng.randrange(365 * 86400))
    draw = rng.random()
    kind = (
        "deviation"
        if draw < 0.8
        else "complaint"
        if draw < 0.9
        else "feedback"
        if draw < 0.95
        else "external_deviation"
    )
    deviation = kind in ("deviation", "external_deviation")
    row: dict[str, Any] = {
        "external_id": f"scale-{year}-{n}",
        "kind": kind,
        "category": rng.choice(DEVIATION_CATEGORIES if deviation else FEEDBACK_CATEGORIES),
        "org_unit_id": rng.choice(units),
        "reported_at": reported.isoformat(),
        "event_time": (reported - timedelta(hours=rng.randrange(72))).isoformat(),
        "channel": rng.choice(CHANNELS),
        "description": "Inläst ur det gamla systemet.",
    }
    if deviation:
        row["law_area"] = rng.choice(LAW_AREAS)
        if rng.random() < 0.05:
            row["investigation_outcome"] = rng.choice(OUTCOMES)
    if kind == "external_deviation":
        row["external_direction"] = rng.choice(["incoming", "outgoing"])
    if rng.random() < 0.3:
        row["housing_type"] = rng.choice(["sarskilt_boende", "ordinart_boende"])
    if kind in ("complaint", "feedback") and rng.random() < 0.8:
        row["answered_at"] = (reported + timedelta(days=rng.randrange(1, 40))).isoformat()
    if year == YEARS[-1] and rng.random() < 0.1:
        row["state"] = rng.choice(OPEN_STATES)
    else:
        row["closed_at"] = (reported + timedelta(days=rng.randrange(1, 90))).isoformat()
    return row


def load(stack: Stack, org: OrgTree) -> tuple[int, float]:
    """Import the scale cases, 20,000 a request; returns (cases, seconds)."""
    rng = random.Random(18)  # noqa: S311 (reproducible benchmark data)
    units = [unit for committee in org.units for unit in committee]
    per_year = scaled(CASES // len(YEARS))
    headers = stack.headers("importer", org_units=[MUNICIPALITY_ID])
    created = 0
    started = time.perf_counter()
    with httpx.Client(
        base_url=stack.urls["deviations"], timeout=httpx.Timeout(30.0, read=900.0)
    ) as client:
        for year in YEARS:
            rows = [case_row(rng, n, year, units) for n in range(per_year)]
            for first in range(0, len(rows), IMPORT_ROWS):
                response = client.post(
                    IMPORT, json={"rows": rows[first : first + IMPORT_ROWS]}, headers=headers
                )
                result = response.json() if response.status_code == 200 else {}
                if response.status_code != 200 or result.get("failed"):
                    raise ScaleError(f"import: {response.status_code} {response.text[:500]}")
                created += int(result["created"])
            print(
                f"  {year}: {per_year:,} cases imported "
                f"({time.perf_counter() - started:.0f} s so far)",
                flush=True,
            )
    return created, time.perf_counter() - started


def statistics_ms(
    client: httpx.Client,
    headers: dict[str, str],
    unit: str,
    years: tuple[int, int],
    expect_total: int | None = None,
) -> tuple[float, str]:
    """The p50 of the statistics of ``unit``'s subtree over ``years``, and what it answered."""
    params: dict[str, str | int] = {"org_unit_id": unit, "from_year": years[0], "to_year": years[1]}
    started = time.perf_counter()
    answer = client.get(STATISTICS, params=params, headers=headers)
    first = time.perf_counter() - started
    if answer.status_code != 200:
        raise ScaleError(f"statistics {params}: {answer.status_code} {answer.text[:300]}")
    body = answer.json()
    if expect_total is not None and body["total"] != expect_total:
        raise ScaleError(f"statistics {params}: total {body['total']}, expected {expect_total}")
    size = len(answer.content)
    # an answer that takes seconds is timed fewer times (the figure is far off its target)
    repeat, warmup = (30, 5) if first < 1 else (3, 0)
    ms = p50_ms(client, STATISTICS, params=params, headers=headers, repeat=repeat, warmup=warmup)
    print(
        f"    {unit} {years[0]}–{years[1]}: p50 {ms:.1f} ms (first {first * 1000:.0f} ms)",
        flush=True,
    )
    return ms, (
        f"total {body['total']}, {len(body['by_org_subtree'])} subtrees, {size:,} bytes, n={repeat}"
    )


def main() -> int:
    print(
        f"deviation statistics, PostgreSQL, STYR_BENCH_SCALE={SCALE:g} "
        f"({scaled(CASES):,} cases to load)",
        flush=True,
    )
    with scale_stack(("deviations",)) as stack:
        org = stack.org
        committee = org.committees[0]
        reader = stack.headers("reader", org_units=[DEMO_COMMITTEE])
        handler = stack.headers("case_handler", org_units=[DEMO_COMMITTEE])
        dashboard_year = (DASHBOARD_YEAR, DASHBOARD_YEAR)
        scale_year = (YEARS[-1], YEARS[-1])
        print(f"  deviations pid (for py-spy): {stack.pids.get('deviations')}", flush=True)
        with httpx.Client(base_url=stack.urls["deviations"], timeout=600) as client:
            before_ms, before_detail = statistics_ms(client, reader, DEMO_COMMITTEE, dashboard_year)
            before_handler_ms, _ = statistics_ms(client, handler, DEMO_COMMITTEE, dashboard_year)
            print(f"  demo committee-year before loading: {before_ms:.1f} ms ({before_detail})")
            print(f"  the same for a case_handler: {before_handler_ms:.1f} ms", flush=True)
            created, seconds = load(stack, org)
            print(
                f"  loaded {created:,} cases through {IMPORT} in {seconds:.0f} s "
                f"({created / seconds:,.0f} cases/s)",
                flush=True,
            )
            demo = Figure(
                "demo committee-year (oxelosund-von, 2024), before loading",
                before_ms,
                TARGET_COMMITTEE_YEAR_MS,
                before_detail,
            )
            after_ms, after_detail = statistics_ms(client, reader, DEMO_COMMITTEE, dashboard_year)
            demo_after = Figure(
                "demo committee-year, after loading",
                after_ms,
                TARGET_COMMITTEE_YEAR_MS,
                after_detail,
            )
            committee_reader = stack.headers("reader", org_units=[committee])
            committee_ms, committee_detail = statistics_ms(
                client, committee_reader, committee, scale_year
            )
            municipality_reader = stack.headers("reader", org_units=[MUNICIPALITY_ID])
            year_ms, year_detail = statistics_ms(
                client,
                municipality_reader,
                MUNICIPALITY_ID,
                scale_year,
                expect_total=scaled(CASES // len(YEARS)),
            )
            trend_ms, trend_detail = statistics_ms(
                client, municipality_reader, MUNICIPALITY_ID, TREND, expect_total=created
            )
            municipality_handler = stack.headers("case_handler", org_units=[MUNICIPALITY_ID])
            after_handler_ms, _ = statistics_ms(client, handler, DEMO_COMMITTEE, dashboard_year)
            year_handler_ms, _ = statistics_ms(
                client, municipality_handler, MUNICIPALITY_ID, scale_year
            )
            trend_handler_ms, _ = statistics_ms(
                client, municipality_handler, MUNICIPALITY_ID, TREND
            )
        figures = [
            demo,
            demo_after,
            Figure(
                f"storstad committee-year ({committee}, {scale_year[0]})",
                committee_ms,
                TARGET_SCALE_YEAR_MS,
                committee_detail,
            ),
            Figure(
                f"storstad municipality-year ({scale_year[0]})",
                year_ms,
                TARGET_SCALE_YEAR_MS,
                year_detail,
            ),
            Figure(
                f"storstad ten-year trend ({TREND[0]}–{TREND[1]})",
                trend_ms,
                TARGET_TREND_MS,
                trend_detail,
            ),
            Figure("case_handler (no suppression): demo committee-year before", before_handler_ms),
            Figure("case_handler: demo committee-year after", after_handler_ms),
            Figure("case_handler: storstad municipality-year", year_handler_ms),
            Figure("case_handler: storstad ten-year trend", trend_handler_ms),
        ]
        print(ratio_line("demo committee-year after / before", demo, demo_after))
        return verdict(figures)


if __name__ == "__main__":
    sys.exit(main())
