"""Mutation inputs → service request bodies, and service field paths → GraphQL argument names.

A mutation is a thin call to the owning service: its input becomes the JSON body (fields left
out stay out, so the service's defaults and "unchanged" semantics apply), and a 422 naming
``body.org_unit_id`` comes back as a ``BAD_USER_INPUT`` field error naming ``input.orgUnitId``.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from strawberry.types.unset import UnsetType
from strawberry.utils.str_converters import to_camel_case


def _json(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def body_of(data: Any) -> dict[str, Any]:
    """The set fields of a strawberry input (a dataclass) as JSON, snake_case as the services."""
    return {
        field.name: _json(getattr(data, field.name))
        for field in dataclasses.fields(data)
        if not isinstance(getattr(data, field.name), UnsetType)
    }


def field_names(
    data_type: type[Any], argument: str = "input", prefix: str = "body", **extra: str
) -> dict[str, str]:
    """``{"body.org_unit_id": "input.orgUnitId", ...}`` for every field of ``data_type``;
    ``extra`` adds more (``path.measure_id="measureId"``), keys with dots given as ``__``."""
    names = {
        f"{prefix}.{field.name}": f"{argument}.{to_camel_case(field.name)}"
        for field in dataclasses.fields(data_type)
    }
    names[prefix] = argument
    names.update({key.replace("__", "."): value for key, value in extra.items()})
    return names
