"""``python -m bench.scale.goals``: the goals service's reads at a large municipality's size.

Starts the goals service alone (``scale_stack(())``) on PostgreSQL with the demo data and the
large municipality's org tree, then:

1. measures, BEFORE the scale data, the demo's follow-up of Oxelösund's VON plan (2024, helår)
   and the committee dashboard's five goals calls for ``oxelosund-von``;
2. builds through the public API and the value import: one plan per committee (40 goals: 4
   goal areas of 9 committee goals), a municipality-wide plan of 1,000 goals (10 areas of 99
   committee-level goals), 3,000 monthly measures owned by the committees (targets 2021–2027:
   stated, interim, direction-only; some gender-split, some with a look-back), each linked to
   a goal of its committee's plan (990 of them also to a goal of the municipality's plan, one
   per goal; the municipality-wide plan follows their values at the root), and five years
   (2021–2025) of monthly values per measure for the committee (T, and K and M when split),
   the municipality (the municipality-wide plan follows its values there) and units below the
   committee: about 2 million values, posted as CSV files to the measure-value import;
3. measures again: the demo follow-up (and its ratio to step 1), a committee plan's follow-up
   (target ≤ 30 ms), the municipality-wide plan's follow-up (≤ 200 ms), and the five dashboard
   calls for a committee; and prints the goals process's CPU per request for those five calls.

STYR_BENCH_SCALE shrinks the measures and values (the plans keep their size); the targets are
for the full size.
"""

from __future__ import annotations

import gzip
import io
import os
import random
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from bench.scale import MEASURES, MUNICIPALITY_ID, YEARS, scaled
from bench.scale.report import Figure, ScaleError, p50_ms, ratio_line, verdict
from bench.scale.stack import Stack, scale_stack
from styr_goals.demo.steering import CONFIG

DEMO_UNIT = "oxelosund-von"
DEMO_PLAN = "oxelosund-von-vp-2024-2026"
DEMO_YEAR = 2024
YEAR = 2025
PERIOD = "helar"
AREAS = 4
GOALS_PER_AREA = 9  # 4 areas + 36 committee goals = 40 goals per committee plan
WIDE_AREAS = 10
WIDE_GOALS_PER_AREA = 99  # 10 + 990 = 1,000 goals
UNITS_BELOW = 8  # units below the committee with values of each measure
TARGET_COMMITTEE_MS = 30.0
TARGET_WIDE_MS = 200.0
TARGET_DASHBOARD_CALLS_MS = 15.0  # the goals side of a dashboard (CPU, see cpu_line)
CPU_REQUESTS = int(os.environ.get("STYR_BENCH_GOALS_CPU_REQUESTS", "50"))
IMPORT_ROWS_PER_FILE = 250_000
WORKERS = 4  # concurrent writers while building


def _ok(response: httpx.Response, *expected: int) -> httpx.Response:
    if response.status_code not in (expected or (200, 201)):
        request = response.request
        raise ScaleError(
            f"{request.method} {request.url}: {response.status_code} {response.text[:500]}"
        )
    return response


def committee_plan(committee: str) -> str:
    return f"{committee}-plan"


WIDE_PLAN = f"{MUNICIPALITY_ID}-plan"


def dashboard_calls(unit: str, plan: str, year: int) -> list[tuple[str, dict[str, str]]]:
    """The committee dashboard's goals calls (services/gateway/tests/test_dashboard.py)."""
    return [
        (f"/api/v1/org-units/{unit}", {}),
        ("/api/v1/plans", {"org_unit_id": unit, "year": str(year), "limit": "500"}),
        (f"/api/v1/plans/{plan}/follow-up", {"year": str(year), "period": PERIOD}),
        (f"/api/v1/plans/{plan}/goals", {"year": str(year)}),
        ("/api/v1/measures", {"plan_id": plan, "limit": "500"}),
    ]


# --- building ------------------------------------------------------------------------------


def build_plans(url: str, headers: dict[str, str], stack: Stack) -> dict[str, list[str]]:
    """Every committee's plan and the municipality-wide plan (WORKERS at a time); the
    committee-level goals of each plan (by plan id), in order."""
    with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
        _ok(client.put(f"/api/v1/municipalities/{MUNICIPALITY_ID}/steering-config",
                       json=CONFIG.model_dump(mode="json")))  # fmt: skip

    def plan(plan_id: str, unit: str, areas: int, per_area: int) -> list[str]:
        goals = []
        with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
            body = {"id": plan_id, "org_unit_id": unit, "name": f"Plan {unit}",
                    "start_year": 2021, "end_year": 2027}  # fmt: skip
            _ok(client.post("/api/v1/plans", json=body))
            for a in range(areas):
                area = f"{plan_id}-a{a}"
                body = {"id": area, "code": f"A{a}", "level": "kommunmal",
                        "title": f"Målområde {a}", "position": a}  # fmt: skip
                _ok(client.post(f"/api/v1/plans/{plan_id}/goals", json=body))
                for g in range(per_area):
                    goal = f"{plan_id}-g{a}-{g:02d}"
                    body = {"id": goal, "code": f"NM-{a}-{g:02d}", "level": "namndmal",
                            "parent_id": area, "title": f"Mål {a}.{g}",
                            "position": g}  # fmt: skip
                    if g % 5 == 4:
                        body["follow_up_tag"] = "B"
                    _ok(client.post(f"/api/v1/plans/{plan_id}/goals", json=body))
                    goals.append(goal)
        return goals

    jobs = [(committee_plan(c), c, AREAS, GOALS_PER_AREA) for c in stack.org.committees]
    jobs.append((WIDE_PLAN, MUNICIPALITY_ID, WIDE_AREAS, WIDE_GOALS_PER_AREA))
    with ThreadPoolExecutor(WORKERS) as pool:
        done = pool.map(lambda job: plan(*job), jobs)
        return {job[0]: goals for job, goals in zip(jobs, done, strict=True)}


def measure_body(index: int, committee: str, goal_ids: list[str]) -> dict[str, object]:
    kind = index % 5
    targets: dict[str, dict[str, object]]
    if kind == 0:  # a stated target every year
        targets = {str(y): {"op": ">=", "value": 40 + (y - 2021) * 2} for y in range(2021, 2028)}
    elif kind == 1:  # stated 2023 and 2027: interim targets between
        targets = {"2023": {"op": ">=", "value": 45}, "2027": {"op": ">=", "value": 60}}
    elif kind == 2:  # direction only
        targets = {str(y): {"direction": "increase"} for y in range(2021, 2028)}
    elif kind == 3:  # lower is better
        targets = {str(y): {"op": "<=", "value": 55} for y in range(2021, 2028)}
    else:  # a benchmark only in 2025, a stated target later
        targets = {"2025": {"op": ">=", "benchmark": "minst i nivå med riket"},
                   "2026": {"op": ">=", "value": 50}}  # fmt: skip
    return {
        "id": f"{committee}-m{index:04d}",
        "code": f"M{index:04d}",
        "org_unit_id": committee,
        "name": f"Mått {index}",
        "unit_kind": "percent",
        "decimals": 1,
        "direction": "decrease" if kind == 3 else "increase",
        "periodicity": "month",
        "gender_split": index % 3 == 0,
        "lookback_years": 1 if index % 7 == 0 else 0,
        "goal_ids": goal_ids,
        "series": [
            {
                "baseline": {"value": 42, "period": "2020"},
                "targets": targets,
                **(
                    {"gender_baselines": {"K": {"value": 44, "period": "2020"}}}
                    if index % 3 == 0
                    else {}
                ),
            }
        ],
    }


def build_measures(
    url: str, headers: dict[str, str], stack: Stack, goals: dict[str, list[str]], count: int
) -> list[tuple[str, str, bool]]:
    """``count`` measures, spread over the committees (WORKERS at a time): (id, committee,
    gender split)."""
    wide = goals[WIDE_PLAN]
    committees = stack.org.committees
    bodies = []
    for index in range(count):
        committee = committees[index % len(committees)]
        own = goals[committee_plan(committee)]
        goal_ids = [own[(index // len(committees)) % len(own)]]
        if index < len(wide):  # one measure per goal of the municipality-wide plan
            goal_ids.append(wide[index])
        bodies.append(measure_body(index, committee, goal_ids))

    def post(chunk: list[dict[str, object]]) -> None:
        with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
            for body in chunk:
                _ok(client.post("/api/v1/measures", json=body))

    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(post, [bodies[w::WORKERS] for w in range(WORKERS)]))
    created = [(str(b["id"]), str(b["org_unit_id"]), bool(b["gender_split"])) for b in bodies]
    # Every wide goal with at least one measure (at a small scale: reuse the first ones).
    with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
        for g in range(count, len(wide)):
            measure_id = created[g % count][0]
            linked = client.get(f"/api/v1/measures/{measure_id}").json()["goal_ids"]
            body = {"goal_ids": [*linked, wide[g]]}
            _ok(client.patch(f"/api/v1/measures/{measure_id}", json=body))
    return created


def value_rows(
    measures: list[tuple[str, str, bool]], stack: Stack
) -> Iterator[str]:  # fmt: skip
    rng = random.Random(18)  # noqa: S311  (reproducible bench data, not secrets)
    below = {
        committee: stack.org.units[c][:UNITS_BELOW]
        for c, committee in enumerate(stack.org.committees)
    }
    for measure_id, committee, split in measures:
        series = [(committee, "T"), (MUNICIPALITY_ID, "T")]
        if split:
            series += [(committee, "K"), (committee, "M")]
        series += [(unit, "T") for unit in below[committee]]
        for unit, gender in series:
            level = rng.uniform(35, 65)
            for year in YEARS:
                for month in range(1, 13):
                    level += rng.uniform(-1.5, 1.5)
                    yield f"{measure_id};{unit};{year}-{month:02d};{level:.1f};{gender}\n"


def import_values(client: httpx.Client, rows: Iterator[str]) -> int:
    """Post the rows in files of IMPORT_ROWS_PER_FILE (gzip CSV); the rows inserted."""
    inserted = 0
    done = False
    while not done:
        buffer = io.StringIO()
        buffer.write("measure;org_unit;period;value;gender\n")
        count = 0
        for row in rows:
            buffer.write(row)
            count += 1
            if count == IMPORT_ROWS_PER_FILE:
                break
        else:
            done = True
        if count == 0:
            break
        body = gzip.compress(buffer.getvalue().encode(), compresslevel=1)
        response = _ok(
            client.post(
                "/api/v1/measure-values/import",
                content=body,
                headers={"Content-Type": "text/csv", "Content-Encoding": "gzip"},
                timeout=httpx.Timeout(30.0, read=900.0),
            )
        )
        counts = response.json()["counts"]
        if counts["rejected"]:
            raise ScaleError(f"the import rejected rows: {response.json()['rejected'][:3]}")
        inserted += counts["inserted"]
    return inserted


def build_assessments(url: str, headers: dict[str, str], goals: dict[str, list[str]]) -> None:
    def assess(goal_ids: list[str]) -> None:
        with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
            for index, goal in enumerate(goal_ids):
                if index % 3 == 2:
                    continue  # not every goal is assessed yet
                body = {"year": YEAR, "period": PERIOD, "kind": "final",
                        "answer": "Ja" if index % 3 == 0 else "Delvis"}  # fmt: skip
                _ok(client.post(f"/api/v1/goals/{goal}/assessments", json=body))

    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(assess, goals.values()))


# --- measuring -----------------------------------------------------------------------------


def follow_up_ms(client: httpx.Client, plan: str, year: int, headers: dict[str, str]) -> float:
    params = {"year": str(year), "period": PERIOD}
    return p50_ms(client, f"/api/v1/plans/{plan}/follow-up", headers=headers, params=params)


def dashboard_ms(
    client: httpx.Client, unit: str, plan: str, year: int, headers: dict[str, str]
) -> float:
    """The five calls' p50s added up (the gateway sends them in three waves)."""
    return sum(
        p50_ms(client, path, headers=headers, params=params, repeat=20)
        for path, params in dashboard_calls(unit, plan, year)
    )


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_line(
    client: httpx.Client, pid: int, unit: str, plan: str, year: int, headers: dict[str, str]
) -> tuple[str, float]:
    """The goals process's CPU ms per request of each of the five calls, and their sum."""
    names = ["org-unit", "plans", "follow-up", "goals", "measures"]
    parts = []
    total = 0.0
    for name, (path, params) in zip(names, dashboard_calls(unit, plan, year), strict=True):
        for _ in range(5):
            _ok(client.get(path, headers=headers, params=params))
        before = cpu_seconds(pid)
        for _ in range(CPU_REQUESTS):
            _ok(client.get(path, headers=headers, params=params))
        per = (cpu_seconds(pid) - before) * 1000 / CPU_REQUESTS
        total += per
        parts.append(f"{name} {per:.1f}")
    detail = ", ".join(parts)
    return f"{unit}: goals CPU ms per request: {detail}; sum {total:.1f}", total


def main() -> int:
    measures = scaled(MEASURES)
    scale = os.environ.get("STYR_BENCH_SCALE", "1")
    print(
        f"bench.scale.goals: {measures} measures × {len(YEARS)} years monthly, "
        f"{len(YEARS) * 12} values per series; STYR_BENCH_SCALE={scale}",
        flush=True,
    )
    with scale_stack(()) as stack:
        url = stack.urls["goals"]
        pid = stack.pids["goals"]
        demo_reader = stack.headers("reader", org_units=[DEMO_UNIT])
        figures: list[Figure] = []
        with httpx.Client(base_url=url, timeout=60) as client:
            demo_before = Figure(
                "demo follow-up (VON 2024, helår), before", follow_up_ms(
                    client, DEMO_PLAN, DEMO_YEAR, demo_reader)
            )  # fmt: skip
            demo_dash_before = Figure(
                "demo dashboard's five goals calls (sum of p50s), before",
                dashboard_ms(client, DEMO_UNIT, DEMO_PLAN, DEMO_YEAR, demo_reader),
            )
            demo_cpu_before, _ = cpu_line(client, pid, DEMO_UNIT, DEMO_PLAN, DEMO_YEAR, demo_reader)
            print(f"  {demo_cpu_before} (before)", flush=True)

            started = time.perf_counter()
            admin = stack.operator
            goals = build_plans(url, admin, stack)
            print(f"  plans: {len(goals)} ({time.perf_counter() - started:.0f} s)", flush=True)
            created = build_measures(url, admin, stack, goals, measures)
            print(f"  measures: {len(created)} ({time.perf_counter() - started:.0f} s)", flush=True)
            importer = stack.headers("importer", org_units=[MUNICIPALITY_ID])
            with httpx.Client(base_url=url, headers=importer, timeout=120) as writer:
                inserted = import_values(writer, value_rows(created, stack))
            print(f"  values: {inserted:,} ({time.perf_counter() - started:.0f} s)", flush=True)
            build_assessments(url, admin, goals)
            print(f"  scale data built in {time.perf_counter() - started:.0f} s", flush=True)

            committee = stack.org.committees[0]
            reader = stack.headers("reader", org_units=[MUNICIPALITY_ID])
            plan = committee_plan(committee)
            params: dict[str, str | int] = {"year": YEAR, "period": PERIOD}
            report = client.get(f"/api/v1/plans/{plan}/follow-up", params=params, headers=reader)
            series = [
                s for g in _walk(_ok(report).json()["goals"]) for m in g["measures"]
                for s in m["series"]
            ]  # fmt: skip
            if not any(s["value"] is not None for s in series):
                raise ScaleError(f"{plan}'s follow-up shows no values")
            demo_after = Figure(
                "demo follow-up (VON 2024, helår), after", follow_up_ms(
                    client, DEMO_PLAN, DEMO_YEAR, demo_reader)
            )  # fmt: skip
            demo_dash_after = Figure(
                "demo dashboard's five goals calls (sum of p50s), after",
                dashboard_ms(client, DEMO_UNIT, DEMO_PLAN, DEMO_YEAR, demo_reader),
            )
            committee_figure = Figure(
                "follow-up of a 40-goal committee plan",
                follow_up_ms(client, plan, YEAR, reader),
                TARGET_COMMITTEE_MS,
                f"{plan}, {YEAR} helår, {len(series)} series",
            )
            wide_figure = Figure(
                "follow-up of the 1,000-goal municipality-wide plan",
                follow_up_ms(client, WIDE_PLAN, YEAR, reader),
                TARGET_WIDE_MS,
                f"{WIDE_PLAN}, {YEAR} helår",
            )
            dash_figure = Figure(
                "a committee dashboard's five goals calls (sum of p50s)",
                dashboard_ms(client, committee, plan, YEAR, reader),
                detail=committee,
            )
            demo_cpu_after, _ = cpu_line(client, pid, DEMO_UNIT, DEMO_PLAN, DEMO_YEAR, demo_reader)
            scale_cpu, scale_cpu_total = cpu_line(client, pid, committee, plan, YEAR, reader)
        figures = [
            demo_before,
            demo_after,
            demo_dash_before,
            demo_dash_after,
            committee_figure,
            wide_figure,
            dash_figure,
        ]
        result = verdict(figures)
        print(ratio_line("demo follow-up", demo_before, demo_after))
        print(ratio_line("demo dashboard's goals calls", demo_dash_before, demo_dash_after))
        print(f"  {demo_cpu_before} (before the scale data)")
        print(f"  {demo_cpu_after} (after)")
        cpu_ok = scale_cpu_total <= TARGET_DASHBOARD_CALLS_MS
        print(
            f"  {scale_cpu} (aim ≤ {TARGET_DASHBOARD_CALLS_MS:.0f} ms: "
            f"{'ok' if cpu_ok else 'MISSED'})"
        )
        print(f"  load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return result


def _walk(goals: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for goal in goals:
        yield goal
        yield from _walk(goal["children"])


if __name__ == "__main__":
    sys.exit(main())
