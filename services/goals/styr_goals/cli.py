"""``styr-goals migrate | demo | serve``."""

from __future__ import annotations

from styr_goals.app import create_app
from styr_goals.database import migrate
from styr_goals.demo.loader import load_demo
from styr_goals.settings import GoalsSettings
from styr_shared.cli import service_main


def main(argv: list[str] | None = None) -> int:
    return service_main(GoalsSettings, create_app, migrate, load_demo, argv)


if __name__ == "__main__":
    raise SystemExit(main())
