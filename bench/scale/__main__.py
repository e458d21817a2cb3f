"""``python -m bench.scale``: every part of the large-municipality benchmark, each in its own
process (see ``bench.scale``); ``python -m bench.scale goals deviations`` runs only those."""

from __future__ import annotations

import sys

from bench.runner import run_modules

PARTS = ["goals", "budget", "deviations"]


def main(argv: list[str]) -> int:
    if unknown := [name for name in argv if name not in PARTS]:
        print(f"unknown part {unknown[0]!r}; the parts are {', '.join(PARTS)}")
        return 2
    failed = run_modules("bench.scale", argv or PARTS)
    if failed:
        print(f"bench.scale: missed or failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
