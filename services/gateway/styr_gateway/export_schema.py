"""Write the schema's SDL to ``services/gateway/schema.graphql`` (or to ``--output``).

``.tools/bin/uv run styr-gateway export-schema`` (from the repository root);
``--check`` exits 1 when the file is out of date instead of writing it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from styr_gateway.schema import sdl

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="styr-gateway export-schema")
    parser.add_argument("--output", type=Path, default=SCHEMA_FILE, help="where to write")
    parser.add_argument("--check", action="store_true", help="only compare, exit 1 if stale")
    args = parser.parse_args(argv)
    text = sdl()
    target: Path = args.output
    if args.check:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != text:
            print(f"{target} is out of date: run `styr-gateway export-schema`", file=sys.stderr)
            return 1
        print(f"{target} is up to date")
        return 0
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
