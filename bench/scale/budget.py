"""The budget part of the large-municipality benchmark (``python -m bench.scale.budget``).

Starts goals and budget (``bench.scale.stack``), measures the demo committee's two dashboard
calls (``/summaries?…&group_by=activity`` and ``/deficits``, as the gateway sends them) on the
demo data alone, then loads the large municipality through the public paths:

- its settings through the municipality API: fiscal years, activity codes, account groups,
  account mappings and one SIE object mapping per unit (dimension 1) and activity (dimension 2);
- the budget of every committee for 2021–2025: a frame and an adopted original version with a
  line per unit × activity × account group that books outcome;
- five years of monthly outcome (``OUTCOME_ROWS`` stored rows in all), one SIE 4 ledger file per
  year posted to ``/outcomes/sie`` (the real ledger path: mapped through the objects);
- the October 2025 forecasts per unit × activity (some worse than budget: deficits).

Then it measures the demo again (the ratio to before: cost must follow what a request returns,
not what the database holds), a large committee's summary (target ≤ 30 ms), the municipality's
summary and a large committee's deficits, and the budget process's CPU per request of the two
dashboard calls (from ``/proc/<pid>/stat`` over ``CPU_REQUESTS`` requests).
"""

from __future__ import annotations

import asyncio
import os
import random
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.scale import MUNICIPALITY_ID, OUTCOME_ROWS, YEARS, scaled
from bench.scale.report import Figure, ScaleError, p50_ms, ratio_line, verdict
from bench.scale.stack import OrgTree, Stack, scale_stack

DEMO_COMMITTEE = "oxelosund-von"
DEMO_YEAR = 2024
YEAR = YEARS[-1]
FORECAST_MONTH = 10
TARGET_SUMMARY_MS = 30.0
CPU_REQUESTS = 50
TIMEOUT = httpx.Timeout(60.0, read=900.0)

# account group key: (name, kind, SIE account range, an account of the range)
GROUPS: dict[str, tuple[str, str, int, int, int]] = {
    "avgiftsintakter": ("Avgiftsintäkter", "revenue", 3000, 3499, 3010),
    "bidragsintakter": ("Bidragsintäkter", "revenue", 3500, 3899, 3510),
    "ovriga_intakter": ("Övriga intäkter", "revenue", 3900, 3999, 3910),
    "kop_av_verksamhet": ("Köp av verksamhet", "cost", 4000, 4999, 4010),
    "lokalkostnader": ("Lokalkostnader", "cost", 5000, 6999, 5010),
    "personalkostnader": ("Personalkostnader", "cost", 7000, 7999, 7010),
    "ovriga_kostnader": ("Övriga kostnader", "cost", 8000, 8999, 8010),
}
ALLOCATION_GROUP = "anslagsintakter"
ACTIVITY_CODES = [str(code) for code in range(100, 112)]
ACTIVITIES_PER_COMMITTEE = 3
COMBOS = [
    (activity, group) for activity in range(ACTIVITIES_PER_COMMITTEE) for group in GROUPS
]  # per unit: the committee's k-th activity × every group


def activities_of(committee: int) -> list[str]:
    return [
        ACTIVITY_CODES[(committee + k) % len(ACTIVITY_CODES)]
        for k in range(ACTIVITIES_PER_COMMITTEE)
    ]


def unit_object(unit: str) -> str:
    return unit.removeprefix(f"{MUNICIPALITY_ID}-").upper().replace("-", "")


Cell = tuple[int, str, str, str]  # committee index, unit, activity code, group


def cells(org: OrgTree) -> list[Cell]:
    """The unit × activity × group cells that book outcome every month: enough for
    ``OUTCOME_ROWS`` stored rows over the five years, spread over every unit first."""
    per_month = scaled(OUTCOME_ROWS) // (len(YEARS) * 12)
    leaves = [(c, unit) for c, units in enumerate(org.units) for unit in units]
    found: list[Cell] = []
    for activity_index, group in COMBOS:
        for c, unit in leaves:
            if len(found) == per_month:
                return found
            found.append((c, unit, activities_of(c)[activity_index], group))
    return found


def monthly_amount(cell: Cell, year: int, month: int) -> Decimal:
    """The outcome of a cell in a month, result sign (revenue +, cost −), whole öre."""
    rng = random.Random(f"{cell}-{year}-{month}")  # noqa: S311  (benchmark data)
    kind = GROUPS[cell[3]][1]
    ore = rng.randrange(2_000_000, 20_000_000) if kind == "cost" else rng.randrange(10_000, 900_000)
    return Decimal(-ore if kind == "cost" else ore) / 100


def annual_budget(cell: Cell, year: int) -> Decimal:
    """About a year of the cell's outcome, whole kronor."""
    rng = random.Random(f"{cell}-{year}-budget")  # noqa: S311
    kind = GROUPS[cell[3]][1]
    kronor = rng.randrange(150_000, 1_500_000) if kind == "cost" else rng.randrange(1_000, 80_000)
    return Decimal(-kronor if kind == "cost" else kronor)


# --- loading ----------------------------------------------------------------------------------


def _check(response: httpx.Response, what: str) -> Any:
    if response.status_code >= 300:
        raise ScaleError(f"{what}: {response.status_code} {response.text[:500]}")
    return response.json() if response.content else None


def load_settings(client: httpx.Client, stack: Stack) -> None:
    base = f"/api/v1/municipalities/{MUNICIPALITY_ID}"
    headers = stack.operator
    body: dict[str, Any]
    for year in range(YEARS[0], YEARS[-1] + 2):
        body = {"follow_up_months": [4, 8, FORECAST_MONTH, 12]}
        _check(client.put(f"{base}/fiscal-years/{year}", json=body, headers=headers), "year")
    for code in ACTIVITY_CODES:
        body = {"name": f"Verksamhet {code}"}
        _check(client.put(f"{base}/activity-codes/{code}", json=body, headers=headers), "code")
    for order, (key, (name, kind, first, last, _)) in enumerate(GROUPS.items()):
        body = {"name": name, "kind": kind, "sort_order": order}
        _check(client.put(f"{base}/account-groups/{key}", json=body, headers=headers), key)
        body = {"account_from": first, "account_to": last, "account_group": key}
        _check(client.post(f"{base}/account-mappings", json=body, headers=headers), key)
    body = {"name": "Kommunbidrag", "kind": "allocation", "sort_order": len(GROUPS)}
    _check(client.put(f"{base}/account-groups/{ALLOCATION_GROUP}", json=body, headers=headers), "")
    units = [unit for committee in stack.org.units for unit in committee]
    for unit in units:
        path = f"{base}/object-mappings/1/{unit_object(unit)}"
        _check(client.put(path, json={"org_unit_id": unit}, headers=headers), unit)
    for code in ACTIVITY_CODES:
        path = f"{base}/object-mappings/2/A{code}"
        _check(client.put(path, json={"activity_code": code}, headers=headers), code)


def load_budgets(client: httpx.Client, stack: Stack, all_cells: list[Cell]) -> int:
    """A frame and an adopted original budget per committee and year: the lines' count."""
    count = 0
    body: dict[str, Any]
    for year in YEARS:
        for c, committee in enumerate(stack.org.committees):
            lines = [
                {
                    "org_unit_id": unit,
                    "activity_code": activity,
                    "account_group": group,
                    "amount": str(annual_budget(cell, year)),
                }
                for cell in all_cells
                if cell[0] == c
                for _, unit, activity, group in [cell]
            ]
            if not lines:
                continue
            net = sum(Decimal(line["amount"]) for line in lines)
            frame = {"amount": str(max(-net, Decimal(1)))}
            path = f"/api/v1/budgets/{committee}/{year}"
            _check(client.put(f"{path}/frame", json=frame, headers=stack.operator), path)
            if net > 0:  # revenue above cost (a small scale): the frame is 1 kr of cost
                lines[0]["amount"] = str(Decimal(lines[0]["amount"]) - net - 1)
            body = {
                "kind": "original",
                "label": f"Internbudget {year}",
                "lines": lines,
                "adopt": True,
            }
            _check(client.post(f"{path}/versions", json=body, headers=stack.operator), path)
            count += len(lines)
    return count


def write_ledger(path: Path, year: int, all_cells: list[Cell]) -> int:
    """A year's SIE 4 export: one #TRANS per cell and month, 20 to a voucher with the
    balancing row on a balance account. Returns the #TRANS rows on result accounts."""
    rows = 0
    with path.open("w", encoding="cp437", newline="\r\n") as file:
        file.write(
            '#FLAGGA 0\n#PROGRAM "Storstad Ekonomi" 1.0\n#FORMAT PC8\n#GEN 20260105\n'
            f'#SIETYP 4\n#FNAMN "Storstads kommun"\n#RAR 0 {year}0101 {year}1231\n'
            '#DIM 1 "Ansvar"\n#DIM 2 "Verksamhet"\n'
        )
        number = 0
        for month in range(1, 13):
            day = date(year, month, 15)
            for start in range(0, len(all_cells), 20):
                number += 1
                file.write(f'#VER A {number} {day:%Y%m%d} "Bokföring {number}"\n{{\n')
                total = Decimal(0)
                for cell in all_cells[start : start + 20]:
                    _, unit, activity, group = cell
                    ledger = -monthly_amount(cell, year, month)  # debit-positive
                    total += ledger
                    objects = f'{{1 "{unit_object(unit)}" 2 "A{activity}"}}'
                    file.write(f"   #TRANS {GROUPS[group][4]} {objects} {ledger} {day:%Y%m%d}\n")
                    rows += 1
                file.write(f"   #TRANS 2440 {{}} {-total}\n}}\n")
    return rows


def load_outcome(client: httpx.Client, stack: Stack, all_cells: list[Cell], workdir: Path) -> int:
    stored = 0
    for year in YEARS:
        path = workdir / f"storstad-{year}.se"
        write_ledger(path, year, all_cells)
        with path.open("rb") as file:
            response = client.post(
                "/api/v1/outcomes/sie",
                params={"municipality": MUNICIPALITY_ID, "filename": path.name},
                content=file.read(),
                headers=stack.headers("importer", org_units=[MUNICIPALITY_ID])
                | {"Content-Type": "application/octet-stream"},
            )
        stored += _check(response, f"ledger {year}")["rows"]
        path.unlink()
    return stored


def load_forecasts(client: httpx.Client, stack: Stack, all_cells: list[Cell]) -> int:
    """October's forecast per unit × activity of the last year: budget ± a few per cent, every
    seventh worse than budget by 5 %."""
    budgets: dict[tuple[int, str, str], Decimal] = {}
    for cell in all_cells:
        key = (cell[0], cell[1], cell[2])
        budgets[key] = budgets.get(key, Decimal(0)) + annual_budget(cell, YEAR)
    count = 0
    for c in range(len(stack.org.committees)):
        lines = [
            {
                "org_unit_id": unit,
                "activity_code": activity,
                "amount": str(amount + abs(amount) * Decimal("-0.05" if n % 7 == 0 else "0.01")),
            }
            for n, ((committee, unit, activity), amount) in enumerate(sorted(budgets.items()))
            if committee == c
        ]
        if lines:
            path = f"/api/v1/forecasts/{YEAR}/{FORECAST_MONTH}"
            _check(client.put(path, json={"lines": lines}, headers=stack.operator), path)
            count += len(lines)
    return count


async def analyze(database_url: str) -> str:
    """ANALYZE the budget database after the bulk load, as autovacuum does on a server where
    it is on (the default); says whether it is on here."""
    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        autovacuum = await connection.fetchval("SHOW autovacuum")
        await connection.execute("ANALYZE")
        return str(autovacuum)
    finally:
        await connection.close()


# --- measuring --------------------------------------------------------------------------------


def dashboard_calls(unit: str, year: int) -> list[tuple[str, dict[str, Any]]]:
    """The budget calls of the committee dashboard (services/gateway/tests/test_dashboard.py)."""
    return [
        (
            "/api/v1/summaries",
            {"org_unit": unit, "year": year, "period": 12, "group_by": "activity"},
        ),
        ("/api/v1/deficits", {"committee_id": unit, "year": year}),
    ]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100


def cpu_ms_per_request(
    client: httpx.Client, pid: int, path: str, params: dict[str, Any], headers: dict[str, str]
) -> float:
    for _ in range(5):
        _check(client.get(path, params=params, headers=headers), path)
    before = cpu_seconds(pid)
    for _ in range(CPU_REQUESTS):
        _check(client.get(path, params=params, headers=headers), path)
    return (cpu_seconds(pid) - before) * 1000 / CPU_REQUESTS


def measure_dashboard(
    client: httpx.Client, stack: Stack, unit: str, year: int, label: str
) -> tuple[list[Figure], str]:
    headers = stack.headers("reader", org_units=[unit])
    figures = []
    cpu = []
    for path, params in dashboard_calls(unit, year):
        name = f"{label} {path.rsplit('/', 1)[1]}"
        figures.append(Figure(name, p50_ms(client, path, headers=headers, params=params)))
        cpu.append(
            f"{path.rsplit('/', 1)[1]} "
            f"{cpu_ms_per_request(client, stack.pids['budget'], path, params, headers):.1f} ms"
        )
    return figures, f"  {label}: budget process CPU per request: {', '.join(cpu)}"


def main() -> int:
    tick = os.sysconf("SC_CLK_TCK")
    if tick != 100:  # cpu_seconds assumes the usual 100 Hz
        raise ScaleError(f"clock ticks {tick} per second")
    print(
        f"budget: large municipality {MUNICIPALITY_ID}, {scaled(OUTCOME_ROWS):,} outcome rows over "
        f"{YEARS[0]}–{YEARS[-1]} (PostgreSQL); load average "
        f"{os.getloadavg()[0]:.2f}",
        flush=True,
    )
    with (
        scale_stack(("budget",)) as stack,
        httpx.Client(base_url=stack.urls["budget"], timeout=TIMEOUT) as client,
        tempfile.TemporaryDirectory(prefix="styr-scale-budget-") as directory,
    ):
        demo_before, demo_cpu_before = measure_dashboard(
            client, stack, DEMO_COMMITTEE, DEMO_YEAR, "demo before"
        )
        print(demo_cpu_before, flush=True)
        all_cells = cells(stack.org)
        started = time.perf_counter()
        load_settings(client, stack)
        settings_s = time.perf_counter() - started
        lines = load_budgets(client, stack, all_cells)
        budgets_s = time.perf_counter() - started - settings_s
        stored = load_outcome(client, stack, all_cells, Path(directory))
        outcome_s = time.perf_counter() - started - settings_s - budgets_s
        forecasts = load_forecasts(client, stack, all_cells)
        print(
            f"  loaded in {time.perf_counter() - started:.0f} s: settings {settings_s:.0f} s, "
            f"{lines:,} budget lines {budgets_s:.0f} s, {stored:,} outcome rows from "
            f"{len(YEARS)} SIE files {outcome_s:.0f} s, {forecasts:,} forecasts",
            flush=True,
        )
        autovacuum = asyncio.run(analyze(stack.database_urls["budget"]))
        print(f"  ANALYZE after loading (autovacuum is {autovacuum} on this server)", flush=True)
        demo_after, demo_cpu_after = measure_dashboard(
            client, stack, DEMO_COMMITTEE, DEMO_YEAR, "demo after"
        )
        committee = stack.org.committees[0]
        scale, scale_cpu = measure_dashboard(client, stack, committee, YEAR, "storstad")
        summary, deficits = scale
        summary = Figure(
            f"summary of committee {committee} {YEAR} by activity",
            summary.milliseconds,
            TARGET_SUMMARY_MS,
        )
        root_headers = stack.headers("reader", org_units=[MUNICIPALITY_ID])
        root = Figure(
            f"summary of the municipality {MUNICIPALITY_ID} {YEAR} by activity",
            p50_ms(
                client,
                "/api/v1/summaries",
                headers=root_headers,
                params=dashboard_calls(MUNICIPALITY_ID, YEAR)[0][1],
                repeat=10,
            ),
        )
        deficits = Figure(f"deficits of committee {committee} {YEAR}", deficits.milliseconds)
        figures = [*demo_before, *demo_after, summary, root, deficits]
        status = verdict(figures)
        for before, after in zip(demo_before, demo_after, strict=True):
            print(ratio_line(after.name.replace("demo after", "demo"), before, after))
        print(demo_cpu_before)
        print(demo_cpu_after)
        print(scale_cpu)
        return status


if __name__ == "__main__":
    raise SystemExit(main())
