"""What the domains' graph types share: a graph type from a service's record (the fields that
only copy a value), and a mutation's call to the owning service."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel

from styr_gateway.context import Info
from styr_gateway.loaders import parse
from styr_gateway.upstream import Service

T = TypeVar("T")
R = TypeVar("R", bound=BaseModel)


def from_record(cls: type[T], source: BaseModel, /, **values: Any) -> T:
    """An instance of the strawberry type ``cls`` whose fields take ``values`` and, for every
    other field set at construction, the attribute of the same name of the ``source`` record.
    Ids, enums and nested types, which need converting, are given in ``values``; a field
    neither gives is a bug that fails here (``AttributeError``), not a silent null."""
    names = (
        field.name
        for field in dataclasses.fields(cls)  # type: ignore[arg-type]
        if field.init and field.name not in values
    )
    return cls(**values, **{name: getattr(source, name) for name in names})


async def write(
    info: Info,
    method: str,
    service: Service,
    path: str,
    body: Any,
    field_names: Mapping[str, str],
    model: type[R],
) -> R:
    """A mutation's call with the caller's token: ``body`` as JSON, the answer as ``model``; a
    4xx problem becomes the GraphQL error naming the argument (``field_names``)."""
    data = await info.context.upstream.request(
        method, service, path, json=body, field_names=field_names
    )
    return parse(model, service, data)
