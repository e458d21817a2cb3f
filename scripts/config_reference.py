"""Print (or write into README.md) the table of every environment variable Styr reads.

The table is generated from the settings classes, so the README cannot drift from the code:
``tests/test_docs.py`` fails when they disagree. Run ``make docs`` after changing settings.
"""

from __future__ import annotations

import argparse
import sys
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from pydantic_core import PydanticUndefined
from pydantic_settings import BaseSettings

from styr_budget.settings import BudgetSettings
from styr_deviations.settings import DeviationsSettings
from styr_gateway.settings import GatewaySettings
from styr_goals.settings import GoalsSettings
from styr_shared.settings import AuthSettings

README = Path(__file__).resolve().parents[1] / "README.md"
START, END = "<!-- config:start -->", "<!-- config:end -->"
SETTINGS: list[tuple[str, type[BaseSettings]]] = [
    ("All services: authentication", AuthSettings),
    ("Goals service", GoalsSettings),
    ("Budget service", BudgetSettings),
    ("Deviations service", DeviationsSettings),
    ("Gateway", GatewaySettings),
]


def _default(value: Any, name: str) -> str:
    if value is PydanticUndefined or value is None or value == "":
        return {
            "port": "the service's port",
            "database_url": "`sqlite+aiosqlite:///var/<service>.db`",
        }.get(name, "—")
    if isinstance(value, SecretStr):
        return "(development value)"
    if isinstance(value, Enum):
        return f"`{value.value}`"
    if isinstance(value, (str, int, float, bool)):
        return f"`{value}`"
    return "(see the description)"


def table() -> str:
    lines: list[str] = []
    for title, settings in SETTINGS:
        prefix = settings.model_config.get("env_prefix", "")
        lines += [f"#### {title}", "", "| Variable | Default | Meaning |", "|---|---|---|"]
        for name, field in settings.model_fields.items():
            description = (field.description or "").replace("|", "\\|").replace("\n", " ")
            lines.append(
                f"| `{prefix}{name.upper()}` | {_default(field.default, name)} | {description} |"
            )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def readme_with_table(text: str) -> str:
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    return f"{before}{START}\n{table()}{END}{after}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="update README.md in place")
    args = parser.parse_args()
    if args.write:
        README.write_text(readme_with_table(README.read_text()))
    else:
        sys.stdout.write(table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
