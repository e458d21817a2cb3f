"""The committee dashboard through the GraphQL gateway, against the REST calls it makes.

Runs the goals, budget, deviations and gateway services as their own uvicorn processes on
PostgreSQL with the demo data (fresh databases, migrated and loaded as ``make demo`` does; the
budget and deviations services replicate the org tree from the goals service as under
``make run``), then, with 10 concurrent clients and the same reader token:

1. the gateway: ``DASHBOARD_QUERY`` (``styr_gateway.dashboard``) for VON, 2024, "helar":
   requests/s and p50/p95 latency;
2. the REST baseline, in the same run: the gateway runs with ``STYR_GATEWAY_UPSTREAM_STATS=true``,
   so every response carries the trace of its service calls (``extensions.upstream.trace``: path
   with query string, start and duration). Those exact calls are replayed directly against the
   services, as many times as the gateway was asked, each call starting as soon as the calls it
   depends on have answered.

Dependencies (the gateway's own sequencing), from the traces of the gateway's warm-up: the
gateway sends a call when the result it waits for has arrived (a DataLoader batch goes out in
the tick after its keys were asked for), so in each trace the call that finished last before B
started is B's trigger. B's parent is its most frequent trigger among the calls that finished
before B in every trace; B depends on its parent and on what the parent depends on. Waves are
the depths of this tree (wave 1: no dependency; wave n + 1: the parent is in wave n). A call
starts when its own parent has answered, not when the whole previous wave has, as in the
gateway: replaying wave by wave would make the REST side slower than the gateway's own critical
path (and a call that waits for two others would only wait for one: the REST side errs fast).

After a warm-up of each side, the two sides alternate in two rounds, so that a change in the
machine's load (other jobs) hits both. Aim: gateway latency ≤ 1.5× the REST calls' (p50 and
p95), printed as ok or MISSED, not a failure (like measure_import's COPY ratio). The run fails
(exit 1) when the dashboard answers with errors or empty parts, or any request fails. The
gateway's per-call upstream timeout is raised from 5 s to 60 s, the clients' timeout: at 10
concurrent dashboards on a small machine single calls can take longer than 5 s, and a timeout
would end the measurement instead of measuring. Also printed: how long the service calls took
inside the gateway's requests, and the CPU time each process spent per dashboard (the services,
the gateway, PostgreSQL and this load generator share the machine's cores).

Then one client alone asks for STYR_BENCH_DASHBOARD_SINGLE dashboards (default 60) in a row:
its p50 and the CPU per dashboard of the whole machine but the load generator (the services,
the gateway and PostgreSQL; on a machine that is not quiet, whatever else runs too). The issue's
targets are printed last with ``ok`` or ``MISSED``: ≥ 30 dashboards/s with 10 clients, one
client's p50 ≤ 60 ms, ≤ 60 CPU ms per dashboard, gateway ≤ 1.5× its REST calls (p50).

Sizes: STYR_BENCH_DASHBOARD_REQUESTS (measured dashboards per side, default 80),
STYR_BENCH_DASHBOARD_CLIENTS (default 10), STYR_BENCH_DASHBOARD_WARMUP (per side, default 20).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from styr_gateway.dashboard import DASHBOARD_QUERY
from styr_shared.testing import TokenFactory, create_test_database, drop_test_database
from styr_shared.testing.database import POSTGRES_ADMIN_URL
from styr_shared.testing.servers import SERVICES, StackError, start_services

REQUESTS = int(os.environ.get("STYR_BENCH_DASHBOARD_REQUESTS", "80"))
CLIENTS = int(os.environ.get("STYR_BENCH_DASHBOARD_CLIENTS", "10"))
WARMUP = int(os.environ.get("STYR_BENCH_DASHBOARD_WARMUP", "20"))
ROUNDS = 2  # the sides alternate, so that a change in the machine's load hits both
VARIABLES: dict[str, Any] = {"unit": "oxelosund-von", "year": 2024, "period": "helar", "month": 12}
TARGET_RATIO = 1.5
# Issue 18: 30 dashboards/s with 10 clients; one client's p50 and the CPU per dashboard (all
# processes of the machine but the load generator) both within 60 ms.
TARGET_RATE = 30.0
TARGET_SINGLE_P50_MS = 60.0
TARGET_CPU_MS = 60.0
SINGLE_REQUESTS = int(os.environ.get("STYR_BENCH_DASHBOARD_SINGLE", "60"))
TIMEOUT_SECONDS = 60.0
READY_SECONDS = 60.0


class BenchmarkError(RuntimeError):
    """The dashboard or a service did not answer as it must; the figures would mean nothing."""


@dataclass(frozen=True)
class Call:
    """One service call of a gateway trace; ``start`` and ``seconds`` from the trace."""

    service: str
    method: str
    path: str  # with the query string
    start: float
    seconds: float

    @property
    def key(self) -> tuple[str, str, str]:
        return self.service, self.method, self.path

    @property
    def end(self) -> float:
        return self.start + self.seconds


Key = tuple[str, str, str]


@dataclass
class Side:
    """One side's measured dashboards, added up over the rounds."""

    name: str
    one: Callable[[httpx.AsyncClient], Awaitable[None]]
    latencies: list[float] = field(default_factory=list)  # seconds, one per dashboard
    wall: float = 0.0  # seconds the rounds took
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds per process

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.wall

    def percentile(self, p: int) -> float:
        return percentile(self.latencies, p)

    def line(self) -> str:
        return (
            f"{self.name}: {self.rate:.2f} dashboards/s, p50 {self.percentile(50) * 1000:.0f} ms, "
            f"p95 {self.percentile(95) * 1000:.0f} ms, max {max(self.latencies) * 1000:.0f} ms"
        )

    def cpu_ms(self) -> float:
        """CPU ms per dashboard of the whole machine but this load generator: the services,
        the gateway, PostgreSQL (and anything else running, on a machine that is not quiet)."""
        busy = self.cpu["machine"] - self.cpu["client"]
        return busy * 1000 / len(self.latencies)

    def cpu_line(self) -> str:
        count = len(self.latencies)
        per = {name: seconds * 1000 / count for name, seconds in self.cpu.items()}
        machine = per.pop("machine")
        ours = ", ".join(f"{name} {ms:.0f}" for name, ms in per.items())
        cores = os.cpu_count() or 1
        return (
            f"{self.name}, CPU ms per dashboard: {ours}; rest of the machine (PostgreSQL, "
            f"others) {machine - sum(per.values()):.0f}; machine busy "
            f"{self.cpu['machine'] / self.wall / cores:.0%} of {cores} CPUs"
        )


@dataclass(frozen=True)
class Target:
    """One of issue 18's targets for the dashboard, with the figure measured."""

    name: str
    figure: float
    target: float
    at_least: bool = False

    @property
    def ok(self) -> bool:
        return self.figure >= self.target if self.at_least else self.figure <= self.target

    def line(self) -> str:
        sign = "≥" if self.at_least else "≤"
        verdict = "ok" if self.ok else "MISSED"
        return f"  {self.name}: {self.figure:.1f} (target {sign} {self.target:g}: {verdict})"


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def trace_of(body: dict[str, Any]) -> list[Call]:
    trace = body.get("extensions", {}).get("upstream", {}).get("trace")
    if not isinstance(trace, list):
        raise BenchmarkError("no extensions.upstream.trace: is STYR_GATEWAY_UPSTREAM_STATS on?")
    return [
        Call(item["service"], item["method"], item["path"], item["start"], item["seconds"])
        for item in trace
    ]


def dependencies(traces: list[list[Call]]) -> dict[Key, set[Key]]:
    """What each call waits for, from the warm-up's traces (see the module docstring)."""
    keys = sorted({call.key for call in traces[0]})
    always: dict[Key, set[Key]] = {key: set(keys) - {key} for key in keys}
    triggers: dict[Key, Counter[Key | None]] = {key: Counter() for key in keys}
    for trace in traces:
        if sorted(call.key for call in trace) != keys:
            raise BenchmarkError("the dashboard did not always make the same service calls")
        calls = {call.key: call for call in trace}
        for key, before in always.items():
            start = calls[key].start
            before -= {other for other in before if calls[other].end > start}
            finished = [call for call in trace if call.key != key and call.end <= start]
            trigger = max(finished, key=lambda call: call.end) if finished else None
            triggers[key][trigger.key if trigger else None] += 1
    parent: dict[Key, Key | None] = {}
    for key, counts in triggers.items():
        candidates = [trigger for trigger, _ in counts.most_common() if trigger in always[key]]
        parent[key] = candidates[0] if candidates else None
    result: dict[Key, set[Key]] = {}
    for key in keys:
        result[key] = set()
        ancestor = parent[key]
        while ancestor is not None and ancestor not in result[key]:
            result[key].add(ancestor)
            ancestor = parent[ancestor]
    return result


def waves(depends: dict[Key, set[Key]]) -> dict[Key, int]:
    depth: dict[Key, int] = {}

    def of(key: Key) -> int:
        if key not in depth:
            depth[key] = 1 + max((of(other) for other in depends[key]), default=0)
        return depth[key]

    for key in depends:
        of(key)
    return depth


# --- the processes -------------------------------------------------------------------------


def cpu_seconds(pids: dict[str, int]) -> dict[str, float]:
    """CPU seconds (user + system) so far of each process, of this one (``client``) and of the
    whole machine (``machine``, all cores)."""
    tick = os.sysconf("SC_CLK_TCK")
    result = {}
    for name, pid in pids.items():
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        result[name] = (int(fields[11]) + int(fields[12])) / tick
    result["client"] = time.process_time()
    # cpu user nice system idle iowait irq softirq steal ...: busy is all but idle and iowait.
    total = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:9]]
    result["machine"] = (sum(total) - total[3] - total[4]) / tick
    return result


async def org_units(url: str) -> int:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        count: int = await connection.fetchval("SELECT count(*) FROM org_unit")
        return count
    finally:
        await connection.close()


async def wait_for_replicas(urls: dict[str, str]) -> int:
    """Wait until budget and deviations have replicated every org unit of the goals service."""
    expected = await org_units(urls["goals"])
    deadline = time.monotonic() + READY_SECONDS
    while True:
        counts = [await org_units(urls[service]) for service in ("budget", "deviations")]
        if all(count == expected for count in counts):
            return expected
        if time.monotonic() > deadline:
            raise BenchmarkError(f"org replicas have {counts} units, goals has {expected}")
        await asyncio.sleep(0.2)


# --- the load ------------------------------------------------------------------------------


async def load(
    one: Callable[[httpx.AsyncClient], Awaitable[None]], total: int, clients: int
) -> list[float]:
    """``total`` calls of ``one`` by ``clients`` concurrent clients (one connection pool each):
    the latency of each, in seconds."""
    latencies: list[float] = []
    issued = 0

    async def client() -> None:
        nonlocal issued
        async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as http:
            while issued < total:
                issued += 1
                started = time.perf_counter()
                await one(http)
                latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies


def dashboard_figures(data: dict[str, Any]) -> tuple[int, int, int]:
    """Goals, measures and latest values in a dashboard; BenchmarkError when a part is empty."""
    unit = data.get("orgUnit") or {}
    plans = unit.get("plans") or []
    goals = [goal for plan in plans for goal in plan.get("goals") or []]
    measures = [measure for goal in goals for measure in goal.get("measures") or []]
    latest = [value for measure in measures for value in measure.get("latest") or []]
    budget = unit.get("budget") or {}
    deviations = unit.get("deviationStatistics") or {}
    parts = {
        "plans": plans,
        "follow-up": all(plan.get("followUp") for plan in plans),
        "goals": goals,
        "measures": measures,
        "latest values": latest,
        "budget total": budget.get("total"),
        "budget by activity": budget.get("byActivity"),
        "deviation statistics": deviations.get("total"),
    }
    if empty := [part for part, present in parts.items() if not present]:
        raise BenchmarkError(f"the dashboard has no {', '.join(empty)}")
    return len(goals), len(measures), len(latest)


class Bench:
    def __init__(self, base: dict[str, str], token: str) -> None:
        self.base = base
        self.graphql = f"{base['gateway']}/graphql"
        self.payload = {"query": DASHBOARD_QUERY, "variables": VARIABLES}
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self.traces: list[list[Call]] = []
        self.depends: dict[Key, set[Key]] = {}

    async def check(self) -> tuple[int, int, int, int]:
        """One dashboard, checked: goals, measures, latest values, service calls."""
        async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as http:
            response = await http.post(self.graphql, json=self.payload, headers=self.headers)
        body = response.json()
        if response.status_code != 200 or body.get("errors"):
            raise BenchmarkError(f"the dashboard answered {response.status_code}: {response.text}")
        return (*dashboard_figures(body["data"]), len(trace_of(body)))

    async def gateway(self, http: httpx.AsyncClient) -> None:
        response = await http.post(self.graphql, json=self.payload, headers=self.headers)
        if response.status_code != 200:
            raise BenchmarkError(f"the dashboard answered {response.status_code}")
        body = response.json()
        if body.get("errors"):
            raise BenchmarkError(f"the dashboard answered errors: {body['errors']}")
        self.traces.append(trace_of(body))

    async def rest(self, http: httpx.AsyncClient) -> None:
        tasks: dict[Key, asyncio.Task[None]] = {}

        async def call(key: Key, after: list[asyncio.Task[None]]) -> None:
            await asyncio.gather(*after)
            service, method, path = key
            response = await http.request(method, self.base[service] + path, headers=self.headers)
            if response.status_code != 200:
                raise BenchmarkError(f"{method} {path} answered {response.status_code}")

        for key in sorted(self.depends, key=lambda key: len(self.depends[key])):
            # A call depends on every call its dependencies depend on, so fewer come first.
            after = [tasks[other] for other in self.depends[key]]
            tasks[key] = asyncio.create_task(call(key, after))
        await asyncio.gather(*tasks.values())

    async def run(self, pids: dict[str, int]) -> list[Target]:
        goals, measures, latest, calls = await self.check()
        print(
            f"dashboard {VARIABLES}: {goals} goals, {measures} measures, {latest} latest values, "
            f"{calls} service calls"
        )
        print(
            f"{CLIENTS} concurrent clients; per side {WARMUP} warm-up and {REQUESTS} measured "
            f"dashboards, the sides alternating in {ROUNDS} rounds"
        )
        await load(self.gateway, WARMUP, CLIENTS)
        self.depends = dependencies(self.traces)
        if any(method != "GET" for _, method, _ in self.depends):
            raise BenchmarkError("the dashboard made calls other than GET; they are not replayed")
        depth = waves(self.depends)
        for key in sorted(depth, key=lambda key: (depth[key], key)):
            after = ", ".join(sorted(other[2].split("?")[0] for other in self.depends[key]))
            print(f"  wave {depth[key]}: {key[0]:<10} {key[1]} {key[2]}  (after: {after or '-'})")
        await load(self.rest, WARMUP, CLIENTS)

        self.traces.clear()
        gateway = Side("gateway (GraphQL)", self.gateway)
        rest = Side(f"REST ({calls} calls replayed)", self.rest)
        for round_ in range(ROUNDS):
            count = REQUESTS // ROUNDS + (round_ < REQUESTS % ROUNDS)
            for side in (gateway, rest):
                await self.measure(side, count, pids)
        spans = [max(c.end for c in trace) - min(c.start for c in trace) for trace in self.traces]

        print(gateway.line())
        print(rest.line())
        ratios = []
        for p in (50, 95):
            ratio = gateway.percentile(p) / rest.percentile(p)
            ratios.append(ratio)
            verdict = "ok" if ratio <= TARGET_RATIO else "MISSED"
            print(f"gateway p{p} / REST p{p} = {ratio:.2f}× (aim ≤ {TARGET_RATIO}×: {verdict})")
        print(
            "inside the gateway: first service call to last answer "
            f"p50 {percentile(spans, 50) * 1000:.0f} ms, p95 {percentile(spans, 95) * 1000:.0f} ms"
        )
        print(gateway.cpu_line())
        print(rest.cpu_line())

        single = Side("gateway, one client", self.gateway)
        await self.measure(single, SINGLE_REQUESTS, pids, clients=1)
        print(single.line())
        print(single.cpu_line())
        return [
            Target("dashboards/s, 10 clients", gateway.rate, TARGET_RATE, at_least=True),
            Target("p50 ms, one client", single.percentile(50) * 1000, TARGET_SINGLE_P50_MS),
            Target("CPU ms per dashboard, all processes", single.cpu_ms(), TARGET_CPU_MS),
            Target("gateway / REST, p50 (×)", ratios[0], TARGET_RATIO),
        ]

    @staticmethod
    async def measure(side: Side, count: int, pids: dict[str, int], clients: int = CLIENTS) -> None:
        before = cpu_seconds(pids)
        started = time.perf_counter()
        side.latencies += await load(side.one, count, clients)
        side.wall += time.perf_counter() - started
        after = cpu_seconds(pids)
        for name, seconds in after.items():
            side.cpu[name] = side.cpu.get(name, 0.0) + seconds - before[name]


def main() -> int:
    print(
        f"committee dashboard, gateway vs. its REST calls; PostgreSQL at {POSTGRES_ADMIN_URL}; "
        f"machine load average before starting {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)"
    )
    started = time.perf_counter()
    urls: dict[str, str] = {}
    logs: dict[str, Path] = {}
    with tempfile.TemporaryDirectory(prefix="styr-bench-") as directory:
        workdir = Path(directory)
        try:
            for service in SERVICES:
                urls[service] = asyncio.run(
                    create_test_database("postgresql", workdir, label=f"bench_{service}")
                )
            with ExitStack() as stack:
                gateway_env = {
                    "STYR_GATEWAY_UPSTREAM_STATS": "true",
                    "STYR_GATEWAY_UPSTREAM_TIMEOUT_SECONDS": str(TIMEOUT_SECONDS),
                }
                base, pids = start_services(
                    stack, urls, workdir, logs, extra_env={"gateway": gateway_env}
                )
                units = asyncio.run(wait_for_replicas(urls))
                print(
                    f"demo data loaded, services up, org replicas current ({units} units) "
                    f"after {time.perf_counter() - started:.0f} s"
                )
                token = TokenFactory().token(
                    "reader", org_units=[VARIABLES["unit"]], subject="bench-dashboard"
                )
                targets = asyncio.run(Bench(base, token).run(pids))
            print("targets (issue 18):")
            for target in targets:
                print(target.line())
            print("gateway dashboard: PASS")
            return 0
        except (BenchmarkError, StackError, httpx.HTTPError) as exc:
            print(f"gateway dashboard: FAIL: {type(exc).__name__}: {exc}")
            for name, path in logs.items():
                if path.exists() and (text := path.read_text(errors="replace").strip()):
                    print(f"--- {name} log (last lines)")
                    print("\n".join(text.splitlines()[-20:]))
            return 1
        finally:
            for url in urls.values():
                asyncio.run(drop_test_database(url))


if __name__ == "__main__":
    raise SystemExit(main())
