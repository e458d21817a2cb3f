"""What client generators need from every service's OpenAPI document: a readable, unique
``operationId`` and a tag on every operation, ``$ref``s that resolve, and examples that are
valid against their own schemas."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from styr_shared.openapi import OPERATION_ID, operations

from .conftest import OPENAPI_SERVICES, ROOT, openapi_document

DOCUMENT_URI = "urn:styr:openapi"


@pytest.fixture(scope="module", params=OPENAPI_SERVICES)
def document(request: pytest.FixtureRequest) -> dict[str, Any]:
    return openapi_document(request.param)


def walk(node: Any, pointer: str = "") -> Iterator[tuple[str, Any]]:
    """Every value of a JSON document with its JSON pointer."""
    yield pointer, node
    if isinstance(node, dict):
        for key, value in node.items():
            escaped = str(key).replace("~", "~0").replace("/", "~1")
            yield from walk(value, f"{pointer}/{escaped}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{pointer}/{index}")


def resolve(document: dict[str, Any], pointer: str) -> Any:
    node: Any = document
    for part in pointer.split("/")[1:]:
        key = part.replace("~1", "/").replace("~0", "~")
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node


# --- operation ids and tags ---------------------------------------------------------------


def test_every_operation_has_a_readable_unique_id_and_a_tag(document: dict[str, Any]) -> None:
    found = list(operations(document))
    assert len(found) >= 4  # /healthz and /readyz at least, and the service's own
    ids = [operation.get("operationId") for _, operation in found]
    generated = [
        (where, operation.get("operationId"))
        for where, operation in found
        if not OPERATION_ID.match(operation.get("operationId") or "")
    ]
    assert generated == [], "FastAPI's generated ids (name_path_method) or none"
    assert len(set(ids)) == len(ids), [i for i in ids if ids.count(i) > 1]
    untagged = [where for where, operation in found if not operation.get("tags")]
    assert untagged == []


@pytest.mark.parametrize("service", ["goals", "budget", "deviations"])
def test_the_committed_document_records_the_operation_ids(service: str) -> None:
    committed = json.loads((ROOT / f"services/{service}/openapi.json").read_text("utf-8"))
    ids = {where: op.get("operationId") for where, op in operations(committed)}
    assert ids == {where: op["operationId"] for where, op in operations(openapi_document(service))}
    assert all(OPERATION_ID.match(identifier or "") for identifier in ids.values())


def test_the_operation_ids_name_what_the_operations_do() -> None:
    """Spot checks of ids set by hand where the function's name said too little."""
    expected = {
        "goals": {
            "GET /api/v1/plans": "listPlans",
            "GET /api/v1/plans/{plan_id}": "getPlan",
            "POST /api/v1/measure-values/import": "importMeasureValues",
            "GET /api/v1/goals/{goal_id}/activities": "listGoalActivities",
            "GET /healthz": "getLiveness",
        },
        "budget": {
            "PUT /api/v1/forecasts/{year}/{month}": "putForecasts",
            "POST /api/v1/budgets/{committee_id}/{year}/versions": "createBudgetVersion",
            "PUT /api/v1/investments/{object_id}/years/{year}": "putInvestmentYear",
            "PUT /api/v1/municipalities/{municipality_id}/fiscal-years/{year}": "putFiscalYear",
        },
        "deviations": {
            "POST /api/v1/cases": "createCase",
            "POST /api/v1/cases/import": "importCases",
            "GET /readyz": "getReadiness",
        },
        "gateway": {"POST /graphql": "executeGraphqlPost"},
    }
    for service, ids in expected.items():
        found = {where: op["operationId"] for where, op in operations(openapi_document(service))}
        assert {where: found.get(where) for where in ids} == ids


# --- references ---------------------------------------------------------------------------


def test_no_two_schemas_share_a_name(document: dict[str, Any]) -> None:
    """FastAPI names a schema after its module path (``styr_goals__x__schemas__PlanRead``) when
    two models share a class name; generators then drop what refers to them."""
    clashes = [name for name in document["components"]["schemas"] if "__" in name]
    assert clashes == []


def test_every_ref_resolves_within_the_components(document: dict[str, Any]) -> None:
    refs = [(pointer, node["$ref"]) for pointer, node in walk(document) if _is_ref(node)]
    assert refs, "a document without references tests nothing"
    wrong = [(p, ref) for p, ref in refs if not ref.startswith("#/components/")]
    assert wrong == [], "e.g. #/$defs/... resolves against the document's root: generators drop it"
    unresolved = []
    for pointer, ref in refs:
        try:
            resolve(document, ref[1:])
        except (KeyError, IndexError, ValueError):
            unresolved.append((pointer, ref))
    assert unresolved == []
    assert not [p for p, node in walk(document) if isinstance(node, dict) and "$defs" in node]


def _is_ref(node: Any) -> bool:
    return isinstance(node, dict) and isinstance(node.get("$ref"), str)


def test_the_migration_import_documents_its_rows_as_a_component() -> None:
    document = openapi_document("deviations")
    body = document["paths"]["/api/v1/cases/import"]["post"]["requestBody"]
    rows = body["content"]["application/json"]["schema"]["properties"]["rows"]
    assert rows["items"] == {"$ref": "#/components/schemas/ImportRow"}
    row = document["components"]["schemas"]["ImportRow"]
    assert row["properties"]["kind"] == {"$ref": "#/components/schemas/CaseKind"}


# --- examples -----------------------------------------------------------------------------


def examples(document: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """``(where, schema pointer, example)`` for every example in a document: a schema's own
    ``examples`` and a media type's or parameter's ``example`` / ``examples``."""
    for pointer, node in walk(document):
        if not isinstance(node, dict) or pointer.endswith("/properties"):
            continue
        if "schema" in node and ("example" in node or "examples" in node):
            schema_pointer = f"{pointer}/schema"
            if "example" in node:
                yield pointer, schema_pointer, node["example"]
            for name, example in (node.get("examples") or {}).items():
                yield f"{pointer}/examples/{name}", schema_pointer, example["value"]
        elif isinstance(node.get("examples"), list) and _is_schema(node):
            for index, example in enumerate(node["examples"]):
                yield f"{pointer}/examples/{index}", pointer, example


def _is_schema(node: dict[str, Any]) -> bool:
    return any(key in node for key in ("type", "properties", "$ref", "anyOf", "oneOf", "enum"))


def test_every_example_is_valid_against_its_schema(document: dict[str, Any]) -> None:
    registry: Registry[Any] = Registry().with_resource(
        DOCUMENT_URI, Resource.from_contents(document, default_specification=DRAFT202012)
    )
    invalid = []
    for where, schema_pointer, example in examples(document):
        validator = Draft202012Validator(
            {"$ref": f"{DOCUMENT_URI}#{schema_pointer}"}, registry=registry
        )
        invalid += [f"{where}: {error.message}" for error in validator.iter_errors(example)]
    assert invalid == []


MAIN_REQUEST_EXAMPLES = {
    # service: the schemas (components, or the measure-value import's own) that must have one
    "goals": ["#/paths/~1api~1v1~1measure-values~1import/post/requestBody/content"],
    "budget": ["LineWrite", "VersionCreate", "ForecastWrite"],
    "deviations": ["CaseCreate", "ImportRow"],
}


@pytest.mark.parametrize("service", sorted(MAIN_REQUEST_EXAMPLES))
def test_the_main_request_bodies_have_examples(service: str) -> None:
    document = openapi_document(service)
    places = {where for where, _, _ in examples(document)}
    for name in MAIN_REQUEST_EXAMPLES[service]:
        prefix = name[1:] if name.startswith("#") else f"/components/schemas/{name}/examples/"
        assert any(place.startswith(prefix) for place in places), f"{service}: {name}"
    if service == "goals":
        content = resolve(document, MAIN_REQUEST_EXAMPLES["goals"][0][1:])
        assert {media for media, value in content.items() if "example" in value} == {
            "text/csv",
            "application/json",
            "application/x-ndjson",
        }
