"""`make bench`: run every benchmark module listed in BENCHMARKS, in order."""

from __future__ import annotations

import importlib
import sys

# Modules under bench/, each with main() -> int.
BENCHMARKS: list[str] = [
    "measure_import",
    "measure_import_health",
    "gateway_dashboard",
    "measure_sie_import",
    "measure_case_import",
    "report_render",
]


def main() -> int:
    if not BENCHMARKS:
        print("no benchmarks registered yet")
        return 0
    failures = 0
    for name in BENCHMARKS:
        print(f"=== bench.{name}")
        failures += importlib.import_module(f"bench.{name}").main() != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
