"""Schemathesis hooks for `make fuzz` (loaded through ``SCHEMATHESIS_HOOKS``).

The goals service's measure-value import takes NDJSON (``application/x-ndjson``, one JSON
object per line), which schemathesis cannot serialise by itself: a generated or documented
body is sent as such lines.
"""

from __future__ import annotations

import json
from typing import Any

import schemathesis


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx: Any, value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    rows = value if isinstance(value, list) else [value]
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8")
