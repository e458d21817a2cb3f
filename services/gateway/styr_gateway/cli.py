"""``styr-gateway serve | export-schema``."""

from __future__ import annotations

import sys

from styr_gateway import export_schema
from styr_gateway.app import create_app
from styr_gateway.settings import GatewaySettings
from styr_shared.cli import service_main


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["export-schema"]:
        return export_schema.main(args[1:])
    return service_main(GatewaySettings, create_app, argv=args)


if __name__ == "__main__":
    raise SystemExit(main())
