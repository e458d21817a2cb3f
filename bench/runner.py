"""Running benchmark modules, each in its own Python process: the services' table definitions
share names (each service has its own ``org_unit``), so two services' models cannot be loaded
into one process."""

from __future__ import annotations

import subprocess
import sys


def run_modules(package: str, names: list[str]) -> list[str]:
    """Run ``python -m <package>.<name>`` for each name, each in its own process: the names
    whose run failed (exit code not 0)."""
    failed = []
    for name in names:
        print(f"=== {package}.{name}", flush=True)
        # the module names are fixed lists in this package, not input
        run = subprocess.run([sys.executable, "-m", f"{package}.{name}"], check=False)  # noqa: S603
        if run.returncode != 0:
            failed.append(name)
    return failed
