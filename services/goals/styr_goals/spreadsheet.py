"""What an XLSX cell cannot hold: openpyxl refuses control characters (XML 1.0 forbids them),
which a text typed into the API may contain. The exports replace them instead of failing."""

from __future__ import annotations

from typing import Any, TypeVar

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # type: ignore[import-untyped]
from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)
REPLACEMENT = "\ufffd"


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub(REPLACEMENT, value)
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_clean(item) for item in value]
    return value


def cell_safe(report: M) -> M:
    """A copy of ``report`` whose texts hold only what a spreadsheet cell accepts."""
    return type(report).model_validate(_clean(report.model_dump()))
