"""Operation ids from route names, refused duplicates, and ``$defs`` hoisted into components."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

from styr_shared.openapi import (
    camel_case,
    check_operation_ids,
    component_schema,
    hoist_definitions,
    operation_id,
)


def test_camel_case() -> None:
    assert camel_case("list_plans") == "listPlans"
    assert camel_case("re_encrypt") == "reEncrypt"
    assert camel_case("healthz") == "healthz"
    assert camel_case("import_versions_csv") == "importVersionsCsv"


def _app(*routers: APIRouter) -> FastAPI:
    app = FastAPI(generate_unique_id_function=operation_id)
    for router in routers:
        app.include_router(router, prefix="/api/v1")
    return app


def test_ids_come_from_the_route_name_unless_given() -> None:
    router = APIRouter(tags=["plans"])

    @router.get("/plans")
    async def list_plans() -> list[str]:
        return []

    @router.get("/plans/{plan_id}/goals", operation_id="getGoalTree")
    async def goal_tree(plan_id: str) -> list[str]:
        return []

    document = check_operation_ids(_app(router).openapi())
    assert document["paths"]["/api/v1/plans"]["get"]["operationId"] == "listPlans"
    assert document["paths"]["/api/v1/plans/{plan_id}/goals"]["get"]["operationId"] == (
        "getGoalTree"
    )


def _year_router(path: str) -> APIRouter:
    router = APIRouter()

    @router.put(path)
    async def put_year(year: int) -> None: ...

    return router


def test_a_duplicate_or_unreadable_id_is_refused() -> None:
    fiscal, investments = _year_router("/fiscal-years/{year}"), _year_router("/objects/{year}")
    with pytest.warns(UserWarning, match="Duplicate Operation ID"):
        document = _app(fiscal, investments).openapi()
    with pytest.raises(ValueError, match="'putYear' is used more than once"):
        check_operation_ids(document)
    with pytest.raises(ValueError, match="is not camelCase"):
        check_operation_ids(FastAPI(routes=fiscal.routes).openapi())


class Kind(BaseModel):
    value: int


class Row(BaseModel):
    kind: Kind
    note: str | None = None


def test_defs_are_hoisted_into_components_and_refs_follow() -> None:
    inline = Row.model_json_schema()  # refs #/$defs/Kind, as pydantic writes them
    document: dict[str, Any] = {
        "paths": {"/a": {"post": {"requestBody": {"schema": inline}}}},
        "components": {"schemas": {"Problem": {"type": "object"}}},
    }
    assert "$defs" in inline
    hoisted = hoist_definitions(document)
    schema = hoisted["paths"]["/a"]["post"]["requestBody"]["schema"]
    assert "$defs" not in schema
    assert schema["properties"]["kind"] == {"$ref": "#/components/schemas/Kind"}
    assert set(hoisted["components"]["schemas"]) == {"Kind", "Problem"}

    named = hoist_definitions({"paths": {"/b": {"post": {"schema": component_schema(Row)}}}})
    assert named["paths"]["/b"]["post"]["schema"] == {"$ref": "#/components/schemas/Row"}
    assert set(named["components"]["schemas"]) == {"Kind", "Row"}


def test_a_def_that_differs_from_a_component_of_its_name_is_refused() -> None:
    document = {
        "paths": {"/a": {"post": {"schema": component_schema(Row)}}},
        "components": {"schemas": {"Kind": {"type": "string"}}},
    }
    with pytest.raises(ValueError, match="Kind differs"):
        hoist_definitions(document)
