"""Write the schema's SDL to ``services/gateway/schema.graphql`` (or to ``--output``), and the
subgraph SDL (with Federation's ``@link`` and ``@key``) to ``subgraph.graphql`` beside it.

``.tools/bin/uv run styr-gateway export-schema`` (from the repository root);
``--check`` exits 1 when a file is out of date instead of writing it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from styr_gateway.schema import sdl, subgraph_sdl

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"
SUBGRAPH_NAME = "subgraph.graphql"
SUBGRAPH_FILE = SCHEMA_FILE.with_name(SUBGRAPH_NAME)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="styr-gateway export-schema")
    parser.add_argument(
        "--output",
        type=Path,
        default=SCHEMA_FILE,
        help=f"where to write (the subgraph SDL goes to {SUBGRAPH_NAME} beside it)",
    )
    parser.add_argument("--check", action="store_true", help="only compare, exit 1 if stale")
    args = parser.parse_args(argv)
    target: Path = args.output
    documents = {target: sdl(), target.with_name(SUBGRAPH_NAME): subgraph_sdl()}
    stale = 0
    for path, text in documents.items():
        if args.check:
            current = path.read_text(encoding="utf-8") if path.exists() else ""
            if current != text:
                print(f"{path} is out of date: run `styr-gateway export-schema`", file=sys.stderr)
                stale += 1
            else:
                print(f"{path} is up to date")
            continue
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
