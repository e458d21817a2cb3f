"""Every error response in every service's OpenAPI document is typed as it is sent:
``application/problem+json`` with the Problem schema (and its ``errors[]``), never
``application/json``, so clients generated from the documents parse our errors."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from styr_shared.errors import PROBLEM_MEDIA_TYPE

SERVICES = ("goals", "budget", "deviations", "gateway")
# One process per service: the goals service's org table and the others' org replica share a
# table name, so their models cannot be loaded side by side.
DUMP = (
    "import json, sys; from styr_{0}.app import create_app; "
    "json.dump(create_app().openapi(), sys.stdout)"
)
PROBLEM_REF = "#/components/schemas/Problem"


def error_responses(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (f"{method.upper()} {path}", status, response)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        for status, response in operation["responses"].items()
        if status[:1] in ("4", "5")
    ]


@pytest.fixture(scope="module", params=SERVICES)
def document(request: pytest.FixtureRequest) -> dict[str, Any]:
    output = subprocess.run(  # our interpreter, our code
        [sys.executable, "-c", DUMP.format(request.param)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    document: dict[str, Any] = json.loads(output)
    return document


def test_every_error_response_is_a_problem_document(document: dict[str, Any]) -> None:
    responses = error_responses(document)
    assert len(responses) >= 8  # at least the common ones of /healthz
    wrong = [
        (operation, status, response.get("content"))
        for operation, status, response in responses
        if response.get("content") != {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}}
    ]
    assert wrong == []


def test_every_operation_declares_its_common_problems(document: dict[str, Any]) -> None:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            declared = set(operation["responses"])
            missing = {"400", "401", "403", "404", "422", "500"} - declared
            assert not missing, f"{method.upper()} {path} does not declare {missing}"


def test_problem_schema_lists_the_offending_fields(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    problem = schemas["Problem"]
    assert {"title", "status"} <= set(problem["required"])
    errors = problem["properties"]["errors"]
    arrays = [
        variant for variant in errors.get("anyOf", [errors]) if variant.get("type") == "array"
    ]
    assert arrays == [{"items": {"$ref": "#/components/schemas/FieldError"}, "type": "array"}]
    assert set(schemas["FieldError"]["required"]) == {"field", "message", "type"}
    for name, field in problem["properties"].items():
        assert field.get("description"), f"Problem.{name} has no description"


def test_no_error_is_documented_as_plain_json(document: dict[str, Any]) -> None:
    for operation, status, response in error_responses(document):
        assert "application/json" not in response.get("content", {}), (operation, status)
