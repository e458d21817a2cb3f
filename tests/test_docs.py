"""The README documents every environment variable, as the code defines them."""

from __future__ import annotations

from .conftest import ROOT, load_script


def test_readme_configuration_table_is_current() -> None:
    module = load_script("config_reference")
    readme = (ROOT / "README.md").read_text()
    assert module.readme_with_table(readme) == readme, "run `make docs` to regenerate the table"
    assert "`STYR_GOALS_DATABASE_URL`" in readme
