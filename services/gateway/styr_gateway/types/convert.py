"""From a service's record to a graph type: the fields that only copy a value."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from pydantic import BaseModel

T = TypeVar("T")


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
