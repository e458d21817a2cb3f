"""Numbers as Swedish files and people write them.

``1 234,5`` (space or no-break space between thousands, decimal comma), ``-3,2`` with a
Unicode minus, ``12.5`` (decimal point, as machines write), ``1.234,5`` (points between
thousands). A lone comma is always the decimal sign: in a Swedish file ``1,234`` is 1.234.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_GROUPING = re.compile(r"[\s\u00a0\u2009\u202f']")
_PLAIN = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


class NumberError(ValueError):
    pass


def parse_decimal(text: str) -> Decimal:
    """A finite Decimal from Swedish or machine number text; raises :class:`NumberError`."""
    raw = _GROUPING.sub("", text.strip()).replace("\u2212", "-").replace("\u2013", "-")
    if "," in raw and "." in raw:
        raw = raw.replace(".", "").replace(",", ".")
    else:
        raw = raw.replace(",", ".")
    if not _PLAIN.match(raw):
        raise NumberError(f"not a number: {text!r}")
    try:
        number = Decimal(raw)
    except InvalidOperation as exc:  # pragma: no cover - the pattern rules it out
        raise NumberError(f"not a number: {text!r}") from exc
    if not number.is_finite():
        raise NumberError(f"not a finite number: {text!r}")
    return number
