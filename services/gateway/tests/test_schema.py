"""The exported SDL (`schema.graphql`) matches the code: every schema change shows in review."""

from __future__ import annotations

from pathlib import Path

import pytest

from styr_gateway.cli import main as cli_main
from styr_gateway.export_schema import SCHEMA_FILE, main
from styr_gateway.schema import sdl


def test_schema_file_matches_the_code() -> None:
    assert Path(__file__).resolve().parent.parent / "schema.graphql" == SCHEMA_FILE
    assert SCHEMA_FILE.read_text(encoding="utf-8") == sdl(), (
        "schema.graphql is out of date: run `.tools/bin/uv run --frozen styr-gateway export-schema`"
    )


def test_export_and_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "schema.graphql"
    assert main(["--check", "--output", str(target)]) == 1
    assert cli_main(["export-schema", "--output", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == sdl()
    assert main(["--check", "--output", str(target)]) == 0
    target.write_text(sdl().replace("orgUnit(", "unit("), encoding="utf-8")
    assert main(["--check", "--output", str(target)]) == 1
    assert "out of date" in capsys.readouterr().err


def test_schema_has_the_front_end_shape() -> None:
    text = sdl()
    for fragment in (
        "orgUnit(id: ID!): OrgUnit",
        "children(",
        "): OrgUnitConnection",
        "ancestors: [OrgUnit!]",
        "history: [OrgUnitChange!]",
        "type PageInfo {",
    ):
        assert fragment in text
