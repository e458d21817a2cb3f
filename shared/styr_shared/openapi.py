"""What every service's OpenAPI document promises to client generators: a stable, readable
``operationId`` per operation and only ``#/components/schemas/...`` references.

Generated clients name their functions after the ``operationId``; FastAPI's default
(``list_plans_api_v1_plans_get``) changes with the path and reads badly. The services derive it
from the route's name instead, in camelCase (``list_plans`` -> ``listPlans``); a route whose
function name says too little in the whole service sets ``operation_id=`` itself. Changing an
``operationId`` renames a generated client's function: it is a change to the contract.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

from fastapi.routing import APIRoute
from pydantic import BaseModel

COMPONENTS_PREFIX = "#/components/schemas/"
DEFS_PREFIX = "#/$defs/"
OPERATION_ID = re.compile(r"^[a-z][a-zA-Z0-9]*$")
"""A readable operation id: camelCase letters and digits (FastAPI's own contain ``_``)."""
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def camel_case(name: str) -> str:
    """``list_plans`` -> ``listPlans``; ``re_encrypt`` -> ``reEncrypt``."""
    first, *rest = [part for part in name.split("_") if part]
    return first.lower() + "".join(part[:1].upper() + part[1:] for part in rest)


def operation_id(route: APIRoute) -> str:
    """FastAPI's ``generate_unique_id_function`` for every service: the route's name (its
    function's name unless ``name=`` says otherwise) in camelCase. An explicit
    ``operation_id=`` on the route takes precedence (FastAPI's rule)."""
    return camel_case(route.name)


def operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """``("GET /api/v1/plans", operation)`` for every operation of a document."""
    for path, item in document.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                yield f"{method.upper()} {path}", item[method]


def check_operation_ids(document: dict[str, Any]) -> dict[str, Any]:
    """Raise if an operation has no readable ``operationId`` or shares one with another.

    FastAPI only warns about a duplicate, and a generator then renames one of the two
    silently; we refuse to publish such a document.
    """
    ids = Counter(operation.get("operationId") for _, operation in operations(document))
    for where, operation in operations(document):
        identifier = operation.get("operationId")
        if not isinstance(identifier, str) or not OPERATION_ID.match(identifier):
            raise ValueError(f"{where}: operationId {identifier!r} is not camelCase")
        if ids[identifier] > 1:
            raise ValueError(f"{where}: operationId {identifier!r} is used more than once")
    return document


def component_schema(model: type[BaseModel]) -> dict[str, Any]:
    """A reference to ``model`` as a named component, for a body documented by hand
    (``openapi_extra``): the model's schema and those it uses travel along as ``$defs``, which
    :func:`hoist_definitions` moves into ``components/schemas``."""
    schema = model.model_json_schema(ref_template=COMPONENTS_PREFIX + "{model}")
    definitions = schema.pop("$defs", {})
    definitions[model.__name__] = schema
    return {"$ref": COMPONENTS_PREFIX + model.__name__, "$defs": definitions}


def hoist_definitions(document: dict[str, Any]) -> dict[str, Any]:
    """Move JSON Schema ``$defs`` nested in a document (a pydantic schema written into
    ``openapi_extra``) into ``components/schemas`` and point their ``#/$defs/...`` references
    there: in an OpenAPI document ``#/$defs/X`` resolves against the document's root, where
    there is none, and generators drop the operation.

    A definition whose name is already a different component is an error, not a silent merge.
    """
    found: dict[str, Any] = {}

    def visit(node: Any) -> Any:
        if isinstance(node, list):
            return [visit(item) for item in node]
        if not isinstance(node, dict):
            return node
        node = {key: visit(value) for key, value in node.items()}
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(DEFS_PREFIX):
            node["$ref"] = COMPONENTS_PREFIX + ref.removeprefix(DEFS_PREFIX)
        for name, definition in node.pop("$defs", {}).items():
            if found.setdefault(name, definition) != definition:
                raise ValueError(f"two different $defs/{name} in one document")
        return node

    hoisted: dict[str, Any] = visit(document)
    schemas: dict[str, Any] = hoisted.setdefault("components", {}).setdefault("schemas", {})
    for name, definition in found.items():
        if schemas.setdefault(name, definition) != definition:
            raise ValueError(f"$defs/{name} differs from the component of that name")
    hoisted["components"]["schemas"] = dict(sorted(schemas.items()))
    return hoisted
