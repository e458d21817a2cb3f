"""`make fuzz`: schemathesis against the goals, budget and deviations services.

For each database backend (``STYR_TEST_BACKENDS``, default ``sqlite,postgresql``) the three
services run as their own processes with the demo data, as under ``make run`` (fresh
databases; budget and deviations replicate the goals service's org tree). Then ``st run``
tests every operation of each service's published OpenAPI document with every check, once
with an admin token and once with a reader's, from a fixed seed and with a bounded number of
examples per operation (``STYR_FUZZ_MAX_EXAMPLES``, default 8), so that a run is repeatable
and stays well inside CI's time. The deliberate deviations from schemathesis' defaults are in
``fuzz/schemathesis.toml``, each with its reason.

Exit 1 when any run finds a failure (a 5xx, a response outside its schema, an undocumented
status …); the failures and the last lines of the services' logs are printed.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from styr_shared.testing import (
    TEST_BACKENDS,
    TokenFactory,
    create_test_database,
    drop_test_database,
)
from styr_shared.testing.servers import SERVICES, StackError, start_services, wait_until_up

HERE = Path(__file__).resolve().parent
CONFIG = HERE / "schemathesis.toml"
SEED = os.environ.get("STYR_FUZZ_SEED", "20261203")
MAX_EXAMPLES = os.environ.get("STYR_FUZZ_MAX_EXAMPLES", "8")
ROLES: dict[str, tuple[str, list[str]]] = {
    # role: (role, org scope). An admin reaches every write; a reader of one committee sees
    # the read side and the 403s.
    "admin": ("admin", []),
    "reader": ("reader", ["oxelosund-von"]),
}
# The services answer about org units only once their replica has the demo organisation.
REPLICA_READY = {
    "budget": "/api/v1/summaries?org_unit=oxelosund-von&year=2024",
    "deviations": "/api/v1/statistics?org_unit_id=oxelosund-von",
}


def schemathesis(base_url: str, token: str, report: Path) -> int:
    """One ``st run`` over the service's OpenAPI document, in the report's directory (where
    schemathesis keeps its cache); its exit code."""
    command = [
        str(Path(sys.executable).with_name("st")),
        "--config-file",
        str(CONFIG),
        "run",
        f"{base_url}/openapi.json",
        "--url",
        base_url,
        "--header",
        f"Authorization: Bearer {token}",
        "--seed",
        SEED,
        "--max-examples",
        MAX_EXAMPLES,
        "--no-color",
    ]
    # fuzz/hooks.py adds the serialisers schemathesis lacks (NDJSON)
    path = os.pathsep.join(filter(None, [str(HERE.parent), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "fuzz.hooks", "PYTHONPATH": path}
    with report.open("wb") as output:
        done = subprocess.run(  # noqa: S603
            command, stdout=output, stderr=subprocess.STDOUT, cwd=report.parent, env=env
        )
    return done.returncode


def fuzz_backend(backend: str, workdir: Path) -> tuple[int, list[str]]:
    """Fuzz the three services on ``backend``: how many runs passed, and the names of the runs
    (or the stack) that failed."""
    urls: dict[str, str] = {}
    logs: dict[str, Path] = {}
    failed: list[str] = []
    passed = 0
    try:
        for service in SERVICES:
            urls[service] = asyncio.run(
                create_test_database(backend, workdir, label=f"fuzz_{service}")
            )
        with ExitStack() as stack:
            base, _ = start_services(stack, urls, workdir, logs, processes=SERVICES)
            tokens = TokenFactory()
            reader = tokens.headers("reader", org_units=["oxelosund-von"])
            for service, path in REPLICA_READY.items():
                if not wait_until_up(base[service] + path, attempts=300, headers=reader):
                    raise StackError(f"{service} never knew the demo organisation")
            for service in SERVICES:
                for name_of_role, (role, scope) in ROLES.items():
                    token = tokens.token(role, org_units=scope, subject=f"fuzz-{name_of_role}")
                    name = f"{backend}/{service}/{name_of_role}"
                    report = workdir / f"{service}-{name_of_role}.txt"
                    started = time.perf_counter()
                    code = schemathesis(base[service], token, report)
                    passed += code == 0
                    lines = report.read_text(errors="replace").strip().splitlines()
                    summary = lines[-1].strip("= ") if lines else "no output"
                    print(
                        f"{name}: exit {code} in {time.perf_counter() - started:.0f} s ({summary})"
                    )
                    if code != 0:
                        failed.append(name)
                        print(report.read_text(errors="replace"))
    except StackError as exc:
        failed.append(f"{backend}: {exc}")
    finally:
        for url in urls.values():
            asyncio.run(drop_test_database(url))
    if failed:
        for name, log in logs.items():
            if log.exists() and (text := log.read_text(errors="replace").strip()):
                print(f"--- {backend} {name} log (last lines)")
                print("\n".join(text.splitlines()[-40:]))
    return passed, failed


def main() -> int:
    failed: list[str] = []
    passed = 0
    for backend in TEST_BACKENDS:
        with tempfile.TemporaryDirectory(prefix=f"styr-fuzz-{backend}-") as directory:
            backend_passed, backend_failed = fuzz_backend(backend, Path(directory))
        passed += backend_passed
        failed += backend_failed
    verdict = f"FAIL ({', '.join(failed)})" if failed else "PASS"
    print(f"fuzz {verdict}: {', '.join(TEST_BACKENDS)}; seed {SEED}, {MAX_EXAMPLES} examples")
    # one schemathesis run per service, role and backend, counted like tests
    print(f"fuzz: {passed} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
