"""``python -m bench.scale``: every part of the large-municipality benchmark, each in its own
process (see ``bench.scale``); ``python -m bench.scale goals deviations`` runs only those."""

from __future__ import annotations

import subprocess
import sys

PARTS = ["goals", "budget", "deviations", "dashboard"]


def main(argv: list[str]) -> int:
    failed = []
    for name in argv or PARTS:
        if name not in PARTS:
            print(f"unknown part {name!r}; the parts are {', '.join(PARTS)}")
            return 2
        print(f"=== bench.scale.{name}", flush=True)
        # the module names are the fixed list above, not input
        run = subprocess.run([sys.executable, "-m", f"bench.scale.{name}"], check=False)  # noqa: S603
        if run.returncode != 0:
            failed.append(name)
    if failed:
        print(f"bench.scale: missed or failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
