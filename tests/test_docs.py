"""The README documents every environment variable, as the code defines them."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_configuration_table_is_current() -> None:
    spec = importlib.util.spec_from_file_location(
        "config_reference", ROOT / "scripts/config_reference.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["config_reference"] = module
    spec.loader.exec_module(module)
    readme = (ROOT / "README.md").read_text()
    assert module.readme_with_table(readme) == readme, "run `make docs` to regenerate the table"
    assert "`STYR_GOALS_DATABASE_URL`" in readme
