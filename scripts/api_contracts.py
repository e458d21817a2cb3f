"""The published API contracts: each service's OpenAPI document and the GraphQL schema.

``python scripts/api_contracts.py --write`` (``make docs``) refreshes the committed documents
(``services/<service>/openapi.json``, ``services/gateway/schema.graphql`` and the Federation
subgraph's ``subgraph.graphql``); ``--check`` exits 1
when one is stale. ``--breaking`` lists what changed incompatibly since the last release
(``api/released/``) and which of those changes ``CHANGELOG.md``'s *Unreleased* section does not
name yet; ``--release`` makes the current documents the released ones.

A breaking change is named by the operation or schema coordinate it concerns, e.g.
``budget GET /api/v1/fiscal-years`` or ``Query.fiscalYears``; the changelog names it in
backticks. Written by hand: the npm ``openapi-diff`` reads only OpenAPI 3.0 (FastAPI writes
3.1) and ``oasdiff`` is a Go binary on neither PyPI nor npm.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
REST_SERVICES = ("goals", "budget", "deviations")
RELEASED = ROOT / "api/released"
CHANGELOG = ROOT / "CHANGELOG.md"
GRAPHQL_SCHEMA = ROOT / "services/gateway/schema.graphql"
SUBGRAPH_SCHEMA = ROOT / "services/gateway/subgraph.graphql"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
# One process per service: the goals service's org table and the others' org replica share a
# table name, so their models cannot be loaded side by side.
DUMP = (
    "import json, sys; from styr_{0}.app import create_app; "
    "json.dump(create_app().openapi(), sys.stdout, indent=2, ensure_ascii=False, sort_keys=True)"
)


@dataclass(frozen=True)
class Change:
    """One incompatible change: ``subject`` is what the changelog must name."""

    subject: str
    detail: str

    def __str__(self) -> str:
        return f"{self.subject}: {self.detail}"


def openapi_path(service: str) -> Path:
    return ROOT / f"services/{service}/openapi.json"


def generate_openapi(service: str) -> str:
    output = subprocess.run(  # noqa: S603 (our interpreter, our code)
        [sys.executable, "-c", DUMP.format(service)], check=True, capture_output=True, text=True
    ).stdout
    return output + "\n"


def generate_graphql() -> str:
    from styr_gateway.schema import sdl

    return sdl()


def generate_subgraph() -> str:
    from styr_gateway.schema import subgraph_sdl

    return subgraph_sdl()


def current_documents() -> dict[Path, str]:
    documents = {openapi_path(service): generate_openapi(service) for service in REST_SERVICES}
    documents[GRAPHQL_SCHEMA] = generate_graphql()
    documents[SUBGRAPH_SCHEMA] = generate_subgraph()
    return documents


# --- OpenAPI ------------------------------------------------------------------------------


class _Schemas:
    """Schema comparison with ``$ref`` resolution against each side's components."""

    def __init__(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        self.old_components = old.get("components", {}).get("schemas", {})
        self.new_components = new.get("components", {}).get("schemas", {})

    @staticmethod
    def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
        seen: set[str] = set()
        while "$ref" in schema and schema["$ref"] not in seen:
            seen.add(schema["$ref"])
            schema = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
        return schema

    @staticmethod
    def _variants(schema: dict[str, Any]) -> list[dict[str, Any]]:
        """The non-null alternatives of a schema (``X | None`` is ``anyOf: [X, null]``)."""
        options = schema.get("anyOf") or schema.get("oneOf")
        if options:
            return [o for o in options if o.get("type") != "null"]
        return [schema]

    def _types(self, schema: dict[str, Any], components: dict[str, Any]) -> set[str]:
        types: set[str] = set()
        for variant in self._variants(self._resolve(schema, components)):
            variant = self._resolve(variant, components)
            kind = variant.get("type")
            if isinstance(kind, list):
                types.update(k for k in kind if k != "null")
            elif kind:
                types.add(kind)
            elif "properties" in variant:
                types.add("object")
        return types

    def _single(self, schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any] | None:
        variants = self._variants(self._resolve(schema, components))
        return self._resolve(variants[0], components) if len(variants) == 1 else None

    def compare(
        self,
        old: dict[str, Any],
        new: dict[str, Any],
        where: str,
        *,
        request: bool,
        depth: int = 0,
    ) -> list[str]:
        """What breaks a client between ``old`` and ``new`` at ``where``.

        Responses break when a field, an object or a type the client reads goes away or
        changes kind; requests break when an input becomes required, a field the client sends
        is refused, or an enum value it sends is no longer accepted.
        """
        if depth > 12:
            return []
        problems: list[str] = []
        old_types = self._types(old, self.old_components)
        new_types = self._types(new, self.new_components)
        if old_types and new_types and old_types != new_types:
            if request and old_types <= new_types:
                pass  # accepting more kinds of input breaks no caller
            else:
                return [f"{where} changed from {sorted(old_types)} to {sorted(new_types)}"]
        old_one = self._single(old, self.old_components)
        new_one = self._single(new, self.new_components)
        if old_one is None or new_one is None:
            return problems
        old_enum, new_enum = old_one.get("enum"), new_one.get("enum")
        if old_enum is not None and new_enum is not None:
            removed = [v for v in old_enum if v not in new_enum]
            if removed:
                problems.append(f"{where} no longer has the values {removed}")
        old_props = old_one.get("properties", {})
        new_props = new_one.get("properties", {})
        for name, old_prop in old_props.items():
            if name not in new_props:
                problems.append(f"{where}.{name} was removed")
            else:
                problems += self.compare(
                    old_prop, new_props[name], f"{where}.{name}", request=request, depth=depth + 1
                )
        if request:
            newly_required = set(new_one.get("required", [])) - set(old_one.get("required", []))
            for name in sorted(newly_required):
                problems.append(f"{where}.{name} is newly required")
        if "items" in old_one and "items" in new_one:
            problems += self.compare(
                old_one["items"], new_one["items"], f"{where}[]", request=request, depth=depth + 1
            )
        return problems


_STABLE_OPERATION_ID = re.compile(r"^[a-z][a-zA-Z0-9]*$")
"""A readable ``operationId`` (``listPlans``) is a promise: generated clients name their
functions after it. FastAPI's generated ones (``list_plans_api_v1_plans_get``) never were."""


def _parameters(operation: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(p["in"], p["name"]): p for p in operation.get("parameters", [])}


def _json_schema(part: dict[str, Any] | None) -> dict[str, Any] | None:
    if not part:
        return None
    content = part.get("content", {})
    for media_type in ("application/json", "multipart/form-data"):
        if media_type in content:
            schema: dict[str, Any] = content[media_type].get("schema", {})
            return schema
    return None


def openapi_breaking_changes(
    service: str, old: dict[str, Any], new: dict[str, Any]
) -> list[Change]:
    """Removed operations, parameters, fields and enum values, newly required inputs,
    renamed operation ids and changed response shapes between two OpenAPI documents of one
    service."""
    schemas = _Schemas(old, new)
    changes: list[Change] = []
    for path, old_item in old.get("paths", {}).items():
        new_item = new.get("paths", {}).get(path, {})
        for method in METHODS:
            if method not in old_item:
                continue
            subject = f"{service} {method.upper()} {path}"
            if method not in new_item:
                changes.append(Change(subject, "removed"))
                continue
            old_op, new_op = old_item[method], new_item[method]
            old_id, new_id = old_op.get("operationId"), new_op.get("operationId")
            if old_id != new_id and _STABLE_OPERATION_ID.match(old_id or ""):
                changes.append(Change(subject, f"operationId {old_id} is now {new_id}"))
            old_params, new_params = _parameters(old_op), _parameters(new_op)
            for key, param in new_params.items():
                was = old_params.get(key)
                if param.get("required") and not (was and was.get("required")):
                    changes.append(Change(subject, f"parameter {key[0]}.{key[1]} is now required"))
            for key, param in old_params.items():
                if key not in new_params:
                    changes.append(Change(subject, f"parameter {key[0]}.{key[1]} was removed"))
                else:
                    for problem in schemas.compare(
                        param.get("schema", {}),
                        new_params[key].get("schema", {}),
                        f"{key[0]}.{key[1]}",
                        request=True,
                    ):
                        changes.append(Change(subject, problem))
            old_body = _json_schema(old_op.get("requestBody"))
            new_body = _json_schema(new_op.get("requestBody"))
            if new_body is not None and old_body is None and new_op["requestBody"].get("required"):
                changes.append(Change(subject, "a request body is now required"))
            if old_body is not None and new_body is not None:
                for problem in schemas.compare(old_body, new_body, "body", request=True):
                    changes.append(Change(subject, problem))
            for status, old_response in old_op.get("responses", {}).items():
                if not status.startswith("2"):
                    continue
                new_response = new_op.get("responses", {}).get(status)
                if new_response is None:
                    changes.append(Change(subject, f"no longer answers {status}"))
                    continue
                old_schema, new_schema = _json_schema(old_response), _json_schema(new_response)
                if old_schema is not None and new_schema is not None:
                    for problem in schemas.compare(
                        old_schema, new_schema, f"response {status}", request=False
                    ):
                        changes.append(Change(subject, problem))
    return changes


# --- GraphQL ------------------------------------------------------------------------------

_FIELD = re.compile(r"\b[A-Za-z_]\w*\.[A-Za-z_]\w*\b")
_ENUM_VALUE = re.compile(r"^(\w+) was removed from enum type (\w+)")


def _coordinate(description: str) -> str:
    """The schema coordinate a graphql-core description names (``Type.field`` or ``Type``)."""
    if enum_value := _ENUM_VALUE.match(description):
        return f"{enum_value.group(2)}.{enum_value.group(1)}"
    if field := _FIELD.search(description):
        return field.group(0)
    return description.split()[0]


def graphql_breaking_changes(old_sdl: str, new_sdl: str) -> list[Change]:
    """graphql-core's own list of breaking changes, each named by its schema coordinate."""
    from graphql import build_schema, find_breaking_changes

    changes = []
    for change in find_breaking_changes(build_schema(old_sdl), build_schema(new_sdl)):
        changes.append(
            Change(_coordinate(change.description), f"{change.type.name}: {change.description}")
        )
    return changes


# --- the changelog ------------------------------------------------------------------------


def unreleased_section(changelog: str) -> str:
    match = re.search(r"^## \[Unreleased\]\s*$(.*?)(?=^## \[|\Z)", changelog, re.M | re.S)
    return match.group(1) if match else ""


def unnamed(changes: list[Change], changelog: str) -> list[Change]:
    """The breaking changes the changelog's *Unreleased* section does not name (in backticks)."""
    section = unreleased_section(changelog)
    return [change for change in changes if f"`{change.subject}`" not in section]


def breaking_since_release() -> list[Change]:
    changes: list[Change] = []
    for service in REST_SERVICES:
        released = json.loads((RELEASED / f"{service}.openapi.json").read_text(encoding="utf-8"))
        current = json.loads(openapi_path(service).read_text(encoding="utf-8"))
        changes += openapi_breaking_changes(service, released, current)
    changes += graphql_breaking_changes(
        (RELEASED / "gateway.graphql").read_text(encoding="utf-8"),
        GRAPHQL_SCHEMA.read_text(encoding="utf-8"),
    )
    return changes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", action="store_true", help="refresh the committed documents")
    action.add_argument("--check", action="store_true", help="exit 1 if one is stale")
    action.add_argument("--breaking", action="store_true", help="breaking changes since release")
    action.add_argument("--release", action="store_true", help="current documents -> released")
    args = parser.parse_args(argv)
    if args.write or args.check:
        stale = []
        for path, text in current_documents().items():
            if path.exists() and path.read_text(encoding="utf-8") == text:
                continue
            stale.append(path.relative_to(ROOT))
            if args.write:
                path.write_text(text, encoding="utf-8")
        verb = "wrote" if args.write else "stale (run `make docs`)"
        for path in stale:
            print(f"{verb}: {path}")
        return 1 if stale and args.check else 0
    if args.release:
        RELEASED.mkdir(parents=True, exist_ok=True)
        for service in REST_SERVICES:
            shutil.copyfile(openapi_path(service), RELEASED / f"{service}.openapi.json")
        shutil.copyfile(GRAPHQL_SCHEMA, RELEASED / "gateway.graphql")
        print(f"released the current documents into {RELEASED.relative_to(ROOT)}")
        return 0
    changes = breaking_since_release()
    missing = unnamed(changes, CHANGELOG.read_text(encoding="utf-8"))
    for change in changes:
        print(("  " if change not in missing else "! ") + str(change))
    print(f"{len(changes)} breaking changes since the release, {len(missing)} not in the changelog")
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
