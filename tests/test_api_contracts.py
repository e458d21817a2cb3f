"""The committed API contracts are current, and every breaking change since the last release is
named in the changelog; the comparison itself is checked on small documents."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from .conftest import ROOT, load_script

contracts = load_script("api_contracts")


def test_the_committed_documents_are_current() -> None:
    stale = [
        str(path.relative_to(ROOT))
        for path, text in contracts.current_documents().items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    assert stale == [], "run `make docs` to refresh them"


def test_every_breaking_change_since_the_release_is_in_the_changelog() -> None:
    changes = contracts.breaking_since_release()
    missing = contracts.unnamed(changes, contracts.CHANGELOG.read_text(encoding="utf-8"))
    assert [str(change) for change in missing] == []


# --- the comparison on small documents ---------------------------------------------------

BASE: dict[str, Any] = {
    "openapi": "3.1.0",
    "paths": {
        "/api/v1/years": {
            "get": {
                "parameters": [
                    {
                        "in": "query",
                        "name": "closed",
                        "required": False,
                        "schema": {"type": "boolean"},
                    }
                ],
                "responses": {
                    "200": {
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/Year"},
                                }
                            }
                        }
                    }
                },
            },
            "put": {
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/YearWrite"}}
                    },
                },
                "responses": {"200": {}},
            },
        }
    },
    "components": {
        "schemas": {
            "Year": {
                "type": "object",
                "properties": {
                    "year": {"type": "integer"},
                    "state": {"type": "string", "enum": ["open", "closed"]},
                    "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                },
            },
            "YearWrite": {
                "type": "object",
                "properties": {"months": {"type": "array", "items": {"type": "integer"}}},
                "required": [],
            },
        }
    },
}


def changed(edit: Any) -> list[str]:
    new = copy.deepcopy(BASE)
    edit(new)
    return [str(c) for c in contracts.openapi_breaking_changes("budget", BASE, new)]


def test_an_unchanged_document_breaks_nothing() -> None:
    assert changed(lambda doc: None) == []


def test_additions_break_nothing() -> None:
    def add(doc: dict[str, Any]) -> None:
        doc["paths"]["/api/v1/other"] = {"get": {"responses": {"200": {}}}}
        doc["components"]["schemas"]["Year"]["properties"]["label"] = {"type": "string"}
        doc["components"]["schemas"]["YearWrite"]["properties"]["label"] = {"type": "string"}
        doc["paths"]["/api/v1/years"]["get"]["parameters"].append(
            {"in": "query", "name": "q", "required": False, "schema": {"type": "string"}}
        )

    assert changed(add) == []


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda doc: doc["paths"]["/api/v1/years"].pop("put"),
            "budget PUT /api/v1/years: removed",
        ),
        (
            lambda doc: doc["components"]["schemas"]["Year"]["properties"].pop("note"),
            "budget GET /api/v1/years: response 200[].note was removed",
        ),
        (
            lambda doc: doc["components"]["schemas"]["Year"]["properties"]["state"].update(
                enum=["open"]
            ),
            "budget GET /api/v1/years: response 200[].state no longer has the values ['closed']",
        ),
        (
            lambda doc: doc["components"]["schemas"]["YearWrite"].update(required=["months"]),
            "budget PUT /api/v1/years: body.months is newly required",
        ),
        (
            lambda doc: doc["paths"]["/api/v1/years"]["get"]["parameters"][0].update(required=True),
            "budget GET /api/v1/years: parameter query.closed is now required",
        ),
        (
            # A list that became a page: the change the changelog missed last time.
            lambda doc: doc["paths"]["/api/v1/years"]["get"]["responses"]["200"]["content"][
                "application/json"
            ].update(schema={"type": "object", "properties": {"items": {"type": "array"}}}),
            "budget GET /api/v1/years: response 200 changed from ['array'] to ['object']",
        ),
    ],
)
def test_each_kind_of_break_is_found(edit: Any, expected: str) -> None:
    assert changed(edit) == [expected]


def test_a_readable_operation_id_renamed_is_a_break() -> None:
    """Generated clients name their functions after the operationId; FastAPI's generated ids
    (``name_path_method``) were never promised, so replacing one breaks nothing."""

    def with_id(identifier: str) -> dict[str, Any]:
        doc = copy.deepcopy(BASE)
        doc["paths"]["/api/v1/years"]["get"]["operationId"] = identifier
        return doc

    def breaks(old: str, new: str) -> list[str]:
        return [
            str(c) for c in contracts.openapi_breaking_changes("budget", with_id(old), with_id(new))
        ]

    assert breaks("listYears", "listFiscalYears") == [
        "budget GET /api/v1/years: operationId listYears is now listFiscalYears"
    ]
    assert breaks("list_years_api_v1_years_get", "listYears") == []
    assert breaks("listYears", "listYears") == []


def test_graphql_breaks_come_from_graphql_core() -> None:
    old = (
        "type Query { years: [Int!]! plan(id: ID!): State }"
        " enum State { OPEN CLOSED } type Gone { a: Int }"
    )
    new = "type Query { plan(id: ID!, year: Int!): State }  enum State { OPEN }"
    changes = contracts.graphql_breaking_changes(old, new)
    assert {c.subject for c in changes} == {"Query.years", "Query.plan", "State.CLOSED", "Gone"}


def test_the_changelog_must_name_each_break_in_its_unreleased_section() -> None:
    change = contracts.Change("budget GET /api/v1/years", "removed")
    released = "## [Unreleased]\n\n## [0.1.0]\n- `budget GET /api/v1/years` was there\n"
    named = "## [Unreleased]\n### Removed\n- `budget GET /api/v1/years`: use ...\n## [0.1.0]\n"
    assert contracts.unnamed([change], released) == [change]
    assert contracts.unnamed([change], named) == []
