"""``styr-budget migrate | demo | serve``."""

from __future__ import annotations

from styr_budget.app import create_app
from styr_budget.database import migrate
from styr_budget.demo.loader import load_demo
from styr_budget.settings import BudgetSettings
from styr_shared.cli import service_main


def main(argv: list[str] | None = None) -> int:
    return service_main(BudgetSettings, create_app, migrate, load_demo, argv)


if __name__ == "__main__":
    raise SystemExit(main())
