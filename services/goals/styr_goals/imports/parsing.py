"""Reading a night's file of measure values, one row at a time, whatever its format.

Every reader takes the (already decompressed) body as a binary file and yields
:class:`SourceRow` or :class:`RowError` lazily, so memory stays flat however large the file.
Row numbers: the line for CSV (the header is line 1) and NDJSON, the 0-based array index for
JSON and for the entries of a Kolada page.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import IO, Any

import ijson

from styr_shared.jsonlimits import JsonLimitError, check_json_shape

REQUIRED_COLUMNS = ("measure", "org_unit", "period", "value")
OPTIONAL_COLUMNS = (
    "segment",
    "gender",
    "numerator",
    "denominator",
    "status",
    "comment",
)
KNOWN_COLUMNS = frozenset(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)
# No real line of a night's file comes near these; a longer one would be held whole in memory.
MAX_HEADER_CHARS = 4096
MAX_LINE_BYTES = 64 << 10
# Kolada's gender codes: T total, K women (kvinnor), M men; its v2 README also writes F.
KOLADA_GENDER = {"T": "T", "K": "K", "F": "K", "M": "M"}


class ImportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"
    NDJSON = "ndjson"
    KOLADA = "kolada"


class FileError(ValueError):
    """The file as a whole cannot be read (no header, not JSON, wrong shape)."""


@dataclass(slots=True)
class SourceRow:
    row: int
    fields: dict[str, str]
    # Kolada rows name their measure and unit by Kolada ids, resolved differently.
    kolada: bool = False


@dataclass(slots=True)
class SkippedRow:
    """A row left out on purpose and counted by ``reason`` (not an error): a Kolada value of
    ``null`` (``kolada_null:<status>``), a gender row (of any format) for a measure without a
    gender split (``gender_without_split:<K|M>``)."""

    row: int
    reason: str


@dataclass(slots=True)
class RowError:
    row: int
    field: str | None
    message: str
    value: str | None = None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _object_row(row: int, item: Any) -> SourceRow | RowError:
    if not isinstance(item, dict):
        return RowError(row, None, "each value must be a JSON object", _text(item)[:200])
    unknown = sorted(set(item) - KNOWN_COLUMNS)
    if unknown:
        return RowError(row, unknown[0], f"unknown field {unknown[0]!r}", _text(item[unknown[0]]))
    return SourceRow(row, {key: _text(value) for key, value in item.items() if value is not None})


def read_csv(body: IO[bytes]) -> Iterator[SourceRow | RowError]:
    # utf-8-sig drops the byte-order mark Excel writes; newline="" lets csv see quoted breaks.
    text = io.TextIOWrapper(body, encoding="utf-8-sig", newline="")
    try:
        yield from _csv_rows(text)
    finally:
        text.detach()  # the wrapper would close the spooled file, which is read again


class _BoundedLines:
    """The lines of a text, each at most ``limit`` characters: a longer line is skipped (it
    reaches the CSV reader as an empty line) and its number kept, to be reported."""

    def __init__(self, text: io.TextIOWrapper, limit: int) -> None:
        self.text, self.limit = text, limit
        self.number = 1  # the header was line 1
        self.overlong: list[int] = []

    def __iter__(self) -> Iterator[str]:
        while line := self.text.readline(self.limit):
            self.number += 1
            if len(line) == self.limit and not line.endswith("\n"):
                self.overlong.append(self.number)
                while (rest := self.text.readline(self.limit)) and not rest.endswith("\n"):
                    pass
                line = "\n"
            yield line


def _csv_header(text: io.TextIOWrapper) -> tuple[str, list[str]]:
    try:
        header_line = text.readline(MAX_HEADER_CHARS)
    except UnicodeDecodeError as exc:
        raise FileError("the file is not UTF-8") from exc
    if not header_line.strip():
        raise FileError("the file is empty; a header row is required")
    if len(header_line) == MAX_HEADER_CHARS and not header_line.endswith("\n"):
        raise FileError(f"the header row is longer than {MAX_HEADER_CHARS} characters")
    delimiter = max((";", ",", "\t"), key=header_line.count)
    try:
        names = next(csv.reader([header_line], delimiter=delimiter))
    except csv.Error as exc:
        raise FileError(f"the header row is not readable CSV: {exc}") from exc
    header = [name.strip().lower() for name in names]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise FileError(f"the header lacks the required column(s): {', '.join(missing)}")
    unknown = [name[:40] for name in header if name not in KNOWN_COLUMNS]
    if unknown:
        raise FileError(f"unknown column(s) in the header: {', '.join(unknown[:10])}")
    if len(set(header)) != len(header):
        raise FileError("a column is named twice in the header")
    return delimiter, header


def _csv_rows(text: io.TextIOWrapper) -> Iterator[SourceRow | RowError]:
    delimiter, header = _csv_header(text)
    lines = _BoundedLines(text, MAX_LINE_BYTES)
    reader = csv.reader(lines, delimiter=delimiter)
    columns = len(header)
    line = 1
    while True:
        start = line + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError:
            yield RowError(start, None, "the rest of the file is not UTF-8")
            return
        except csv.Error as exc:
            line = reader.line_num + 1
            yield RowError(start, None, f"unreadable CSV: {exc}")
            continue
        line = reader.line_num + 1
        if lines.overlong:
            for number in lines.overlong:
                yield RowError(number, None, f"the line is longer than {MAX_LINE_BYTES} characters")
            lines.overlong.clear()
            if not record:
                continue
        if not "".join(record).strip():
            continue
        if len(record) != columns:
            yield RowError(
                start,
                None,
                f"{len(record)} columns where the header has {len(header)}",
                delimiter.join(record)[:200],
            )
            continue
        # Empty cells stay "": the checks treat an empty cell as a missing one.
        yield SourceRow(start, dict(zip(header, record, strict=True)))


def read_ndjson(body: IO[bytes]) -> Iterator[SourceRow | RowError]:
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    number = 0
    while raw_line := body.readline(MAX_LINE_BYTES):
        number += 1
        if len(raw_line) == MAX_LINE_BYTES and not raw_line.endswith(b"\n"):
            while (rest := body.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                pass
            yield RowError(number, None, f"the line is longer than {MAX_LINE_BYTES} bytes")
            continue
        try:
            line = decoder.decode(raw_line)
        except UnicodeDecodeError:
            decoder.reset()
            yield RowError(number, None, "the line is not UTF-8")
            continue
        if not line.strip():
            continue
        try:
            check_json_shape(raw_line)
            item = json.loads(line, parse_float=Decimal)
        except JsonLimitError as exc:
            yield RowError(number, None, f"not a value object: {exc}")
            continue
        except json.JSONDecodeError as exc:
            yield RowError(number, None, f"not JSON: {exc.msg}", line.strip()[:200])
            continue
        yield _object_row(number, item)


def read_json(body: IO[bytes]) -> Iterator[SourceRow | RowError]:
    index = -1
    try:
        for index, item in enumerate(ijson.items(body, "item", use_float=False)):
            yield _object_row(index, item)
    except ijson.IncompleteJSONError as exc:
        yield _broken(index + 1, exc)
    except ijson.JSONError as exc:
        if index < 0:
            raise FileError(f"not a JSON array of values: {exc}") from exc
        yield _broken(index + 1, exc)
    if index < 0:
        _require_array(body)


def read_kolada(body: IO[bytes]) -> Iterator[SourceRow | RowError | SkippedRow]:
    """A Kolada v2 data page: ``{"values": [{"kpi", "municipality"|"ou", "period",
    "values": [{"gender", "value", "count", "status"}]}]}``; one row per gender value."""
    index = -1
    try:
        for index, entry in enumerate(ijson.items(body, "values.item", use_float=False)):
            yield from _kolada_rows(index, entry)
    except ijson.JSONError as exc:
        if index < 0:
            raise FileError(f"not a Kolada data page: {exc}") from exc
        yield _broken(index + 1, exc)


def _kolada_rows(index: int, entry: Any) -> Iterator[SourceRow | RowError | SkippedRow]:
    if not isinstance(entry, dict):
        yield RowError(index, None, "a Kolada entry must be an object", _text(entry)[:200])
        return
    unit = entry.get("ou") or entry.get("municipality")
    for name, value in (
        ("kpi", entry.get("kpi")),
        ("municipality", unit),
        ("period", entry.get("period")),
    ):
        if value in (None, ""):
            yield RowError(index, name, f"the Kolada entry has no {name}")
            return
    values = entry.get("values")
    if not isinstance(values, list):
        yield RowError(index, "values", "the Kolada entry has no list of values")
        return
    for gender_value in values:
        if not isinstance(gender_value, dict):
            yield RowError(index, "values", "each Kolada value must be an object")
            continue
        gender = _text(gender_value.get("gender")).upper()
        if gender not in KOLADA_GENDER:
            yield RowError(index, "gender", "Kolada gender must be T, K, M (or F)", gender)
            continue
        if gender_value.get("value") is None:
            # Kolada's way of saying missing or secret data: its status says which.
            status = _text(gender_value.get("status")).strip() or "none"
            yield SkippedRow(index, f"kolada_null:{status[:20]}")
            continue
        fields = {
            "measure": _text(entry["kpi"]),
            "org_unit": _text(unit),
            "period": _text(entry["period"]),
            "gender": KOLADA_GENDER[gender],
            "value": _text(gender_value.get("value")),
        }
        if gender_value.get("status"):
            fields["comment"] = f"Kolada status: {gender_value['status']}"
        yield SourceRow(
            index, {key: value for key, value in fields.items() if value != ""}, kolada=True
        )


def _broken(index: int, exc: Exception) -> RowError:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return RowError(index, None, f"the JSON breaks off or is malformed here ({reason})")


def _require_array(body: IO[bytes]) -> None:
    # ijson yields nothing both for [] and for a top-level object: tell them apart.
    body.seek(0)
    head = body.read(64).lstrip()
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8) :].lstrip()
    if not head.startswith(b"["):
        raise FileError("application/json takes an array of value objects")


READERS: dict[ImportFormat, Callable[[IO[bytes]], Iterator[SourceRow | RowError | SkippedRow]]] = {
    ImportFormat.CSV: read_csv,
    ImportFormat.NDJSON: read_ndjson,
    ImportFormat.JSON: read_json,
    ImportFormat.KOLADA: read_kolada,
}


def read_rows(fmt: ImportFormat, body: IO[bytes]) -> Iterator[SourceRow | RowError | SkippedRow]:
    return READERS[fmt](body)
