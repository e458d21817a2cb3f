"""`make bench`: run every benchmark module listed in BENCHMARKS, in order, each in its own
Python process: the services' table definitions share names (each service has its own
``org_unit``), so two services' models cannot be loaded into one process."""

from __future__ import annotations

import sys

from bench.runner import run_modules

# Modules under bench/, each runnable as ``python -m bench.<name>`` (main() -> exit code).
BENCHMARKS: list[str] = [
    "measure_import",
    "measure_import_health",
    "gateway_dashboard",
    "measure_sie_import",
    "measure_case_import",
    "report_render",
    "scale",
]


def main() -> int:
    failed = run_modules("bench", BENCHMARKS)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
