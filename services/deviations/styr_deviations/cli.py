"""``styr-deviations migrate | demo | serve``."""

from __future__ import annotations

from styr_deviations.app import create_app
from styr_deviations.database import migrate
from styr_deviations.demo.loader import load_demo
from styr_deviations.settings import DeviationsSettings
from styr_shared.cli import service_main


def main(argv: list[str] | None = None) -> int:
    return service_main(DeviationsSettings, create_app, migrate, load_demo, argv)


if __name__ == "__main__":
    raise SystemExit(main())
