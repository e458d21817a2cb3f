"""The exported SDL (`schema.graphql`) matches the code: every schema change shows in review."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    specified_directives,
    specified_scalar_types,
)
from graphql import build_schema as build_graphql_schema

from styr_gateway.cli import main as cli_main
from styr_gateway.export_schema import SCHEMA_FILE, main
from styr_gateway.schema import sdl

SPECIFIED_SCALARS = set(specified_scalar_types)
SPECIFIED_DIRECTIVES = {directive.name for directive in specified_directives}


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
    query = build_graphql_schema(text).query_type
    assert query is not None
    org_unit = query.fields["orgUnit"]
    assert str(org_unit.type) == "OrgUnit"
    assert str(org_unit.args["id"].type) == "ID!"
    for fragment in (
        "children(",
        "): OrgUnitConnection",
        "ancestors: [OrgUnit!]",
        "history: [OrgUnitChange!]",
        "type PageInfo {",
    ):
        assert fragment in text


def _undocumented(schema: GraphQLSchema) -> list[str]:
    """Every type, field, argument, input field and enum value of ours without a description."""
    missing: list[str] = []
    for name, graphql_type in schema.type_map.items():
        if name.startswith("__") or name in SPECIFIED_SCALARS:
            continue
        if not graphql_type.description:
            missing.append(f"type {name}")
        if isinstance(graphql_type, GraphQLEnumType):
            missing += [
                f"{name}.{value_name}"
                for value_name, value in graphql_type.values.items()
                if not value.description
            ]
        if isinstance(graphql_type, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in graphql_type.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                missing += [
                    f"{name}.{field_name}({arg_name})"
                    for arg_name, arg in field.args.items()
                    if not arg.description
                ]
        if isinstance(graphql_type, GraphQLInputObjectType):
            missing += [
                f"{name}.{field_name}"
                for field_name, field in graphql_type.fields.items()
                if not field.description
            ]
    for directive in schema.directives:
        if directive.name in SPECIFIED_DIRECTIVES:
            continue
        if not directive.description:
            missing.append(f"@{directive.name}")
        missing += [
            f"@{directive.name}({arg_name})"
            for arg_name, arg in directive.args.items()
            if not arg.description
        ]
    return missing


def test_every_type_field_argument_and_enum_value_is_described() -> None:
    schema = build_graphql_schema(sdl())
    assert len(schema.type_map) > 50
    assert _undocumented(schema) == []


def test_the_walk_finds_what_is_undocumented() -> None:
    # The check itself: a schema with a gap of each kind reports each one.
    schema = build_graphql_schema(
        '"""Q."""\ntype Query {\n  """F."""\n  f(a: Int): E\n  g: Int\n}\n'
        "enum E {\n  X\n}\n"
        'input I {\n  """J."""\n  j: Int\n  k: Int\n}\n'
    )
    assert sorted(_undocumented(schema)) == sorted(
        ["Query.f(a)", "Query.g", "type E", "E.X", "type I", "I.k"]
    )


def test_deprecations_use_the_directive() -> None:
    # A field retired in words only is invisible to tools: say it with @deprecated(reason:).
    schema = build_graphql_schema(sdl())
    for name, graphql_type in schema.type_map.items():
        if name.startswith("__") or not isinstance(
            graphql_type, GraphQLObjectType | GraphQLInterfaceType
        ):
            continue
        for field_name, field in graphql_type.fields.items():
            text = (field.description or "").lower()
            if "deprecated" in text or ("use `" in text and "instead" in text):
                assert field.deprecation_reason, f"{name}.{field_name}: use @deprecated"
