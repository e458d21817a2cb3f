"""Money: Swedish amount formats in, exact SEK stored, kr/tkr/mkr out.

**Stored sign convention (one for every table of this service).** Amounts are kronor
(``Numeric(18, 2)``) in the *result* convention: revenues positive, costs negative, and a net
(revenues + costs) is therefore negative when it is a net cost, exactly like the budget tables
of the committee papers ("Nettokostnad −370 697"). A deviation is ``forecast − budget`` during
the year and ``outcome − budget`` at year end, so a positive deviation is favourable (a surplus),
as in the papers' deviation tables. The outcome tables of the papers print positive magnitudes
for revenues and costs alike; summaries grouped by account group show those as ``*_magnitude``.
A committee's frame (*ram*) is printed as a positive allowance ("370,697 tkr"); it is stored as
the net budget it allows (−370 697 000 kr), so "the lines add up to the frame" is a plain sum.

**Input formats.** Amounts may arrive as JSON numbers or as text as printed: ``-353 639``,
``−1 071`` (Unicode minus), ``1,1 mkr`` (decimal comma), ``370,697 tkr`` (a comma followed by
exactly three digits in a kr or tkr amount is a thousands separator, as the papers print
frames), ``1 234,50`` or ``1.5``. A unit written in the text (kr, tkr, mkr) wins over the
unit given beside it. The result must be whole öre.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from pydantic import ValidationInfo


class MoneyUnit(StrEnum):
    KR = "kr"
    TKR = "tkr"
    MKR = "mkr"


FACTORS = {MoneyUnit.KR: Decimal(1), MoneyUnit.TKR: Decimal(1000), MoneyUnit.MKR: Decimal(10**6)}
ORE = Decimal("0.01")
MAX_ABS = Decimal(10) ** 15  # Numeric(18, 2) holds 16 digits before the point

_UNIT_SUFFIX = re.compile(r"^(?P<number>.*?)\s*(?P<unit>mkr|tkr|kr|sek)\.?$", re.IGNORECASE)
_THOUSANDS_COMMA = re.compile(r"^[1-9]\d{0,2}(,\d{3})+$")
_PLAIN = re.compile(r"^\d+(\.\d+)?$")
_SPACES = re.compile(r"[\s\u00a0\u2009\u202f']")


class AmountError(ValueError):
    """The text is not an amount; the message says why (shown to the caller)."""


def parse_amount(value: str | int | float | Decimal, unit: MoneyUnit = MoneyUnit.KR) -> Decimal:
    """An amount as exact kronor, from a number or Swedish text in ``unit`` (kr/tkr/mkr)."""
    if isinstance(value, bool):
        raise AmountError("not an amount")
    if isinstance(value, Decimal | int):
        number = Decimal(value)
    elif isinstance(value, float):
        # via str: 0.1 must stay 0.1, not its binary neighbour
        number = Decimal(repr(value))
    elif isinstance(value, str):
        number, unit = _parse_text(value, unit)
    else:
        raise AmountError("not an amount: give a number or text")
    if not number.is_finite():
        raise AmountError("not a finite amount")
    kronor = number * FACTORS[unit]
    # Before quantizing: 1e26 to whole öre needs more digits than the decimal context has.
    if abs(kronor) >= MAX_ABS:
        raise AmountError("too large")
    if kronor != kronor.quantize(ORE):
        raise AmountError("more precise than whole öre")
    return kronor.quantize(ORE)


def _parse_text(text: str, unit: MoneyUnit) -> tuple[Decimal, MoneyUnit]:
    raw = text.strip()
    match = _UNIT_SUFFIX.match(raw)
    if match:
        raw = match.group("number")
        written = match.group("unit").lower()
        unit = MoneyUnit.KR if written == "sek" else MoneyUnit(written)
    raw = raw.replace("\u2212", "-").replace("\u2013", "-")
    negative = raw.startswith("-")
    if raw[:1] in "+-":
        raw = raw[1:]
    raw = _SPACES.sub("", raw)
    if not raw:
        raise AmountError("empty amount")
    if "," in raw and "." in raw:
        # 1.234,50: points group thousands, the comma is the decimal sign
        raw = raw.replace(".", "").replace(",", ".")
    elif _THOUSANDS_COMMA.match(raw) and unit is not MoneyUnit.MKR:
        # "370,697 tkr" in the papers is 370 697 tkr, not 370.697
        raw = raw.replace(",", "")
    else:
        raw = raw.replace(",", ".")
    if not _PLAIN.match(raw):
        raise AmountError(f"not an amount: {text!r}")
    try:
        number = Decimal(raw)
    except InvalidOperation as exc:  # pragma: no cover - the pattern above rules it out
        raise AmountError(f"not an amount: {text!r}") from exc
    return (-number if negative else number), unit


def present(amount: Decimal | None, unit: MoneyUnit) -> Decimal | None:
    """Kronor shown in ``unit``, exactly (no rounding: 1 234 567,89 kr = 1,23456789 mkr)."""
    if amount is None:
        return None
    shown = Decimal(amount) / FACTORS[unit]
    # normalize() would give 3.7E+5; keep a plain exponent of at most 0
    return shown.quantize(Decimal(1)) if shown == shown.to_integral() else shown.normalize()


def amount_validator(value: Any, info: ValidationInfo) -> Any:
    """Pydantic "before" validator: text or number in the model's ``unit`` → kronor.

    The model declares ``unit`` before its amount fields so that it is already validated here.
    """
    if value is None:
        return None
    unit = info.data.get("unit", MoneyUnit.KR) if info.data else MoneyUnit.KR
    try:
        return parse_amount(value, MoneyUnit(unit))
    except AmountError as exc:
        raise ValueError(str(exc)) from exc


def inherit_unit(data: Any, *lists: str) -> Any:
    """Pydantic "before" model validator: items of ``lists`` without a ``unit`` take the
    enclosing body's ``unit``, so ``{"unit": "tkr", "lines": [...]}`` means tkr throughout."""
    if isinstance(data, dict) and "unit" in data:
        for name in lists:
            items = data.get(name)
            if isinstance(items, list):
                data = {
                    **data,
                    name: [
                        {"unit": data["unit"], **item} if isinstance(item, dict) else item
                        for item in items
                    ],
                }
    return data
