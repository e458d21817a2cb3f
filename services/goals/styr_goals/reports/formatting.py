"""Swedish number formats and the words and symbols the report uses (pure functions).

Numbers follow Swedish print conventions (Språkrådet, TNC): a space between thousands, a
decimal comma, a space before the percent sign, and a real minus sign. The spaces are
no-break spaces so a number or a percentage never breaks over two lines; the PDF's text
therefore carries U+00A0 there (the tests normalise it to a space).

A status is always a symbol **and** a word, never a colour alone; the ``tone`` only tells a
renderer which colour to add for sighted readers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from styr_goals.measures.schemas import TargetRead, UnitKind
from styr_goals.measures.status import Direction, Status, Trend

NBSP = "\u00a0"
MINUS = "\u2212"


class Tone(StrEnum):
    GOOD = "good"
    BAD = "bad"
    WARN = "warn"
    NEUTRAL = "neutral"


@dataclass(frozen=True)
class Marker:
    """A state shown as a symbol and a word; ``tone`` picks a colour, never carries meaning."""

    symbol: str
    word: str
    tone: Tone

    @property
    def text(self) -> str:
        return f"{self.symbol} {self.word}"


def number(value: Decimal | int | float, decimals: int = 0) -> str:
    """``1234.5`` → ``1 234,5`` (rounded half up to ``decimals``; no-break spaces)."""
    quantum = Decimal(1).scaleb(-decimals)
    rounded = Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP)
    sign = MINUS if rounded < 0 else ""
    whole, _, fraction = f"{abs(rounded):f}".partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    text = NBSP.join(groups)
    return f"{sign}{text},{fraction}" if fraction else f"{sign}{text}"


def percent(value: Decimal | int | float, decimals: int = 0) -> str:
    """``76`` → ``76 %``."""
    return f"{number(value, decimals)}{NBSP}%"


def _decimals_of(value: Decimal, decimals: int) -> int:
    # A value stored with more precision than the measure reports is shown at the measure's
    # precision; one with less (a target of 90 on a 2-decimal measure) without padding zeros.
    exponent = value.normalize().as_tuple().exponent
    shown = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return min(shown, decimals)


def value(amount: Decimal | None, unit_kind: str, decimals: int, text: str | None = None) -> str:
    """A measure value in its unit: ``49 %``, ``1 234``, ``12 dagar``, ``Ja``; a qualitative
    value as its text."""
    if amount is None:
        return text or "–"
    if unit_kind in (UnitKind.YES_NO, UnitKind.MILESTONE):
        return "Ja" if amount != 0 else "Nej"
    shown = number(amount, _decimals_of(amount, decimals))
    if unit_kind == UnitKind.PERCENT:
        return f"{shown}{NBSP}%"
    if unit_kind == UnitKind.DAYS:
        return f"{shown}{NBSP}dagar"
    if unit_kind == UnitKind.AMOUNT:
        return f"{shown}{NBSP}kr"
    return shown


OPERATORS = {"=": "=", ">=": "≥", ">": ">", "<=": "≤", "<": "<"}
DIRECTIONS = {"increase": "Öka", "decrease": "Minska", "maintain": "Behålla"}


def target(found: TargetRead | None, unit_kind: str, decimals: int) -> str:
    """``≥ 90 %``, with the target's qualifier or benchmark text after it."""
    if found is None:
        return "–"
    parts = []
    if found.value is not None:
        if unit_kind in (UnitKind.YES_NO, UnitKind.MILESTONE):
            parts.append(value(found.value, unit_kind, decimals))
        else:
            parts.append(f"{OPERATORS.get(found.op, found.op)} {value(found.value, unit_kind, 9)}")
    elif found.direction is not None and not found.qualifier:
        parts.append(DIRECTIONS.get(found.direction, found.direction))
    parts += [text for text in (found.qualifier, found.benchmark) if text]
    return " ".join(parts) or "–"


def interim(amount: Decimal, unit_kind: str, op: str | None = None) -> str:
    """An interim target with its operator, never shown as a stated one: ``delmål ≥ 60 %``."""
    operator = f"{OPERATORS.get(op, op)} " if op else ""
    return f"delmål {operator}{value(amount, unit_kind, 9)}"


UNIT_LABELS: dict[str, str] = {
    UnitKind.PERCENT: "procent",
    UnitKind.COUNT: "antal",
    UnitKind.AMOUNT: "kronor",
    UnitKind.DAYS: "dagar",
    UnitKind.SCORE: "poäng",
    UnitKind.YES_NO: "ja/nej",
    UnitKind.MILESTONE: "uppnått ja/nej",
}

STATUS = {
    Status.MET: Marker("✓", "Uppfyllt", Tone.GOOD),
    Status.NOT_MET: Marker("✗", "Ej uppfyllt", Tone.BAD),
    Status.NO_VALUE: Marker("–", "Utfall saknas", Tone.NEUTRAL),
    Status.NO_TARGET: Marker("○", "Målvärde saknas", Tone.NEUTRAL),
    Status.NO_REFERENCE: Marker("○", "Jämförelsevärde saknas", Tone.NEUTRAL),
}

ANSWERS = {
    "Ja": Marker("✓", "Ja", Tone.GOOD),
    "Delvis": Marker("◐", "Delvis", Tone.WARN),
    "Nej": Marker("✗", "Nej", Tone.BAD),
}

COLOURS = {"green": ("Grön", Tone.GOOD), "yellow": ("Gul", Tone.WARN), "red": ("Röd", Tone.BAD)}

FULFILLED = {
    True: Marker("✓", "Uppfyllt", Tone.GOOD),
    False: Marker("✗", "Ej uppfyllt", Tone.BAD),
}

TREND_WORDS = {
    Trend.IMPROVING: ("Förbättring", Tone.GOOD),
    Trend.WORSENING: ("Försämring", Tone.BAD),
    Trend.UNCHANGED: ("Oförändrat", Tone.NEUTRAL),
}


def trend(found: Trend | None, direction: str) -> Marker | None:
    """The arrow shows which way the value moved; the word whether that is good.

    For a measure that should decrease, an improvement is a value that went down: ``↓
    Förbättring``. The arrow alone would mislead, so the word is always there.
    """
    if found is None:
        return None
    word, tone = TREND_WORDS[found]
    if found is Trend.UNCHANGED:
        return Marker("→", word, tone)
    rising = (found is Trend.IMPROVING) == (direction != Direction.DECREASE)
    return Marker("↑" if rising else "↓", word, tone)


MONTHS = [
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
]


def long_date(day: date) -> str:
    """``2024-12-31`` → ``31 december 2024``."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def count(n: int, one: str, many: str) -> str:
    return f"{number(n)} {one if n == 1 else many}"


def period(key: str | None) -> str:
    """A value period as words: ``2024``, ``kvartal 3 2024``, ``augusti 2024``,
    ``1 december 2024``."""
    if not key:
        return ""
    year, _, rest = key.partition("-")
    if not rest:
        return year
    kinds = {"H": "halvår", "T": "tertial", "Q": "kvartal"}
    if rest[0] in kinds:
        return f"{kinds[rest[0]]} {rest[1:]} {year}"
    month, _, day = rest.partition("-")
    if not month.isdigit() or not 1 <= int(month) <= 12:
        return key
    if day.isdigit():
        return f"{int(day)} {MONTHS[int(month) - 1]} {year}"
    return f"{MONTHS[int(month) - 1]} {year}"
