"""Reference number formats (diarienummer), e.g. ``VON.{year}.{n}`` or ``SN {year}/{n}``.

A format names the year of registration ``{year}``, the serial ``{n}`` (once; ``{n:04d}``
pads it) and, for series kept per committee, the committee's code ``{committee}``. Nothing
else is read: the text is parsed here rather than handed to ``str.format``, which would let a
format reach an object's attributes (``{year.__class__}``).

A series is what the format gives with ``*`` in place of the serial (``VON.2025.*``): the
numbers of one series never repeat, and cases whose reference numbers could coincide share
its counter. A format without ``{year}`` runs one series over the years.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

PLACEHOLDERS = ("year", "n", "committee")
MAX_REFERENCE_LENGTH = 60  # the reference_number column
MAX_COMMITTEE_CODE = 40  # the org unit code column
MAX_SERIAL_DIGITS = 7
_WIDTH = re.compile(r"0[1-9]d?")


@dataclass(frozen=True)
class _Piece:
    literal: str
    field: str | None
    spec: str


class ReferenceFormat:
    def __init__(self, text: str) -> None:
        try:
            parsed = list(string.Formatter().parse(text))
        except ValueError as exc:  # a lone { or }
            raise ValueError(f"{exc}; write a literal brace as {{{{ or }}}}") from None
        pieces = []
        for literal, field, spec, conversion in parsed:
            if field is not None:
                if field not in PLACEHOLDERS:
                    raise ValueError(
                        f"unknown placeholder {{{field}}}: use {{year}}, {{n}} and {{committee}}"
                    )
                if conversion is not None:
                    raise ValueError(f"{{{field}}} takes no conversion")
                if spec and (field != "n" or not _WIDTH.fullmatch(spec)):
                    raise ValueError("only {n} takes a width, zero-padded, e.g. {n:04d}")
            pieces.append(_Piece(literal, field, spec or ""))
        fields = [piece.field for piece in pieces if piece.field]
        if fields.count("n") != 1:
            raise ValueError("must contain {n} (the serial) exactly once")
        if len(set(fields)) != len(fields):
            raise ValueError("each placeholder may appear once")
        self.text = text
        self._pieces = tuple(pieces)
        worst = self.render(2100, 10**MAX_SERIAL_DIGITS - 1, "X" * MAX_COMMITTEE_CODE)
        if len(worst) > MAX_REFERENCE_LENGTH:
            raise ValueError(
                f"gives reference numbers up to {len(worst)} characters (with a "
                f"{MAX_COMMITTEE_CODE}-character committee code and a "
                f"{MAX_SERIAL_DIGITS}-digit serial); at most {MAX_REFERENCE_LENGTH}"
            )

    @property
    def uses_committee(self) -> bool:
        return any(piece.field == "committee" for piece in self._pieces)

    def _join(self, year: int, serial: str | int, committee: str | None) -> str:
        values: dict[str, str | int] = {"year": year, "n": serial, "committee": committee or ""}
        parts = []
        for piece in self._pieces:
            parts.append(piece.literal)
            if piece.field is not None:
                value = values[piece.field]
                parts.append(format(value, piece.spec) if isinstance(value, int) else value)
        return "".join(parts)

    def render(self, year: int, serial: int, committee: str | None = None) -> str:
        return self._join(year, serial, committee)

    def series(self, year: int, committee: str | None = None) -> str:
        """The series key: the format with ``*`` for the serial."""
        return self._join(year, "*", committee)
