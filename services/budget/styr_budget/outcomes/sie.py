"""A streaming reader for SIE files (the Swedish ledger exchange format, sie.se), as far as
outcome and budgets need it.

The format: one record per line, a ``#LABEL`` then fields separated by blanks or tabs; a field
with blanks is quoted (``"Särskilt boende"``, ``\\"`` inside is a quote); an object list is
``{dim "object" dim "object"}``; a ``#VER`` is followed by a ``{`` … ``}`` block of ``#TRANS``.

What is read:

- ``#SIETYP`` 2, 3 or 4 (type 1 has only year balances and is refused), ``#PROGRAM`` (the
  exporting program, the import's default source), ``#FNAMN``, ``#RAR`` (fiscal years; SIE 4I
  import files have none, and ``#RAR 0`` without dates occurs), ``#KONTO``, ``#DIM``,
  ``#UNDERDIM``, ``#OBJEKT``.
- ``#VER`` blocks of ``#TRANS account {objects} amount [transdate] [text] …``, yielded row by
  row (a voucher may hold a million rows; :func:`parse` keeps them): each row is booked
  on its own transdate when it has one, on the voucher's date otherwise (one voucher can spread a
  cost over months, and the exporting program's ``#PSALDO`` books it the same way). Vouchers
  without rows are skipped and counted; ``#RTRANS``/``#BTRANS`` (rows added and removed after
  registration; an added row is repeated as a plain ``#TRANS``) are skipped so nothing counts
  twice.
- ``#PSALDO`` and ``#PBUDGET`` (``yearno YYYYMM account {objects} amount``): period balances
  (the outcome of SIE 2 and 3 files; for a result account, the month's movement) and period
  budgets. Both are yielded by :meth:`SieReader.records` (``kind`` tells them apart) and
  collected by :func:`parse`, so a budget import can use ``SieFile.budgets``.

Encoding: ``#FORMAT PC8`` says IBM PC 8-bit (CP437), but some programs write UTF-8 anyway; each
line is read as UTF-8 when it is valid UTF-8, as CP437 otherwise (CP437 maps every byte).

A broken record the outcome needs (``#SIETYP``, ``#VER``, ``#TRANS``, the block braces, and
``#PSALDO`` in a type 2/3 file) raises :class:`SieError` with its 1-based line number; a broken
record it does not need (``#KONTO`` with a broken quote, a ``#PBUDGET``, a ``#RAR`` …) becomes a
warning in ``SieFile.warnings``. Lines are read one at a time (at most :data:`MAX_LINE_BYTES`),
so memory does not grow with the file.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import BinaryIO, Literal

Token = str | list[str]

MAX_LINE_BYTES = 64 * 1024
MAX_WARNINGS = 50
# Outcome is stored as Numeric(18, 2): a row must stay well inside it so sums do too.
MAX_AMOUNT = Decimal(10) ** 14

_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|([{}])|([^\s{}"]+)|(")')
_AMOUNT = re.compile(r"[+-]?\d{1,20}(\.\d{1,20})?")
_CENT = Decimal("0.01")
# The common shape of a #TRANS row, read in one match (the general tokenizer reads the rest):
# account, object list, amount with at most two decimals and 14 digits, an optional transdate
# (plain, quoted or ""), then fields the outcome does not use. Without a transdate, what
# follows must not look like a date (a broken one goes to the general reader, which refuses it).
_FAST_TRANS = re.compile(
    r'(?i:#TRANS)\s+(\d{1,9})\s*\{((?:[^{}"]|"(?:[^"\\]|\\.)*")*)\}\s*'
    r"([+-]?\d{1,14}(?:\.\d{1,2})?)"
    r'(?:\s+(?:(\d{8})|"(\d{8})"|"")(?=\s|$)(?:\s.*)?|\s+(?!"?[\d-]).*)?'
)
_CACHE_LIMIT = 100_000


class SieError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


@dataclass(slots=True)
class SieTransaction:
    line: int
    account: int
    account_class: int  # first digit of the account as written: BAS class 1–8
    objects: list[tuple[int, str]]
    amount: Decimal
    date: date  # the row's transdate, or the voucher's date when it has none
    # an account that is no number (e.g. "FEL", as a real export writes its suspense rows):
    # ``account`` and ``account_class`` are then -1 and this holds what the file says
    raw_account: str | None = None


@dataclass
class SieVerification:
    line: int
    series: str
    number: str
    date: date
    text: str
    transactions: list[SieTransaction] = field(default_factory=list)


@dataclass
class SiePeriodAmount:
    """A ``#PSALDO`` (period balance) or ``#PBUDGET`` (period budget) record."""

    kind: Literal["PSALDO", "PBUDGET"]
    line: int
    year_index: int
    year: int
    month: int
    account: int
    account_class: int
    objects: list[tuple[int, str]]
    amount: Decimal


@dataclass
class SieFile:
    """What the file says about itself; :func:`parse` also collects its records."""

    sie_type: int | None = None
    program: str | None = None
    company: str | None = None
    years: dict[int, tuple[date, date]] = field(default_factory=dict)
    accounts: dict[int, str] = field(default_factory=dict)
    dimensions: dict[int, str] = field(default_factory=dict)
    objects: dict[tuple[int, str], str] = field(default_factory=dict)
    empty_vouchers: int = 0
    warnings: list[str] = field(default_factory=list)
    warning_count: int = 0
    verifications: list[SieVerification] = field(default_factory=list)
    balances: list[SiePeriodAmount] = field(default_factory=list)
    budgets: list[SiePeriodAmount] = field(default_factory=list)

    def warn(self, line: int, message: str) -> None:
        self.warning_count += 1
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(f"line {line}: {message}")


def tokenize(text: str, line_no: int, lenient_from: int | None = None) -> list[Token]:
    """Split one record into fields: plain words, quoted strings and ``{…}`` object lists.

    With ``lenient_from``, an unterminated quote in field ``lenient_from`` or later (a text
    the caller does not need) ends the record: the rest of the line is that field, and
    :class:`LenientTokens` says so."""
    tokens: list[Token] = LenientTokens() if lenient_from is not None else []
    current_list: list[str] | None = None
    for match in _TOKEN.finditer(text):
        quoted, brace, word, stray = match.groups()
        if stray is not None:
            if lenient_from is not None and current_list is None and len(tokens) >= lenient_from:
                tokens.append(text[match.end() :])
                assert isinstance(tokens, LenientTokens)
                tokens.broken = True
                return tokens
            raise SieError(line_no, "unterminated quoted string")
        if brace == "{":
            if current_list is not None:
                raise SieError(line_no, "nested { in an object list")
            current_list = []
            continue
        if brace == "}":
            if current_list is None:
                raise SieError(line_no, "} without {")
            tokens.append(current_list)
            current_list = None
            continue
        value = quoted.replace('\\"', '"') if quoted is not None else word
        if current_list is not None:
            current_list.append(value)
        else:
            tokens.append(value)
    if current_list is not None:
        raise SieError(line_no, "object list without closing }")
    return tokens


class LenientTokens(list[Token]):
    broken = False


def _text(tokens: list[Token], index: int, line: int, what: str, required: bool = True) -> str:
    if index >= len(tokens):
        if required:
            raise SieError(line, f"missing {what}")
        return ""
    value = tokens[index]
    if isinstance(value, list):
        raise SieError(line, f"{what}: expected a value, found an object list")
    return value


def _int(tokens: list[Token], index: int, line: int, what: str) -> int:
    value = _text(tokens, index, line, what)
    digits = value[1:] if value[:1] == "-" else value
    if not digits.isascii() or not digits.isdigit() or len(digits) > 9:
        raise SieError(line, f"{what}: not a number: {value[:40]!r}")
    return int(value)


def _account(tokens: list[Token], index: int, line: int) -> tuple[int, int]:
    value = _text(tokens, index, line, "account")
    if not value.isascii() or not value.isdigit() or len(value) > 9:
        raise SieError(line, f"account: not a number: {value[:40]!r}")
    return int(value), int(value[0])


def _date(value: str, line: int, what: str) -> date:
    text = value.replace("-", "") if len(value) == 10 else value
    if len(text) != 8 or not text.isascii() or not text.isdigit():
        raise SieError(line, f"{what}: expected YYYYMMDD, found {value[:40]!r}")
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError as exc:
        raise SieError(line, f"{what}: no such date {value!r}") from exc


def _amount(value: str, line: int) -> Decimal:
    if not _AMOUNT.fullmatch(value):
        raise SieError(line, f"amount: not a number: {value[:40]!r}")
    try:
        amount = Decimal(value)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only numbers
        raise SieError(line, f"amount: not a number: {value[:40]!r}") from exc
    if amount != amount.quantize(_CENT):
        raise SieError(line, f"amount: more than two decimals: {value[:40]!r}")
    if abs(amount) >= MAX_AMOUNT:
        raise SieError(line, f"amount: too large for kronor with öre: {value[:40]!r}")
    return amount


def _object_list(tokens: list[Token], index: int, line: int) -> list[tuple[int, str]]:
    if index >= len(tokens) or not isinstance(tokens[index], list):
        raise SieError(line, "expected an object list {…} after the account")
    items = tokens[index]
    assert isinstance(items, list)
    if len(items) % 2:
        raise SieError(line, "object list must hold dimension/object pairs")
    pairs: list[tuple[int, str]] = []
    for position in range(0, len(items), 2):
        dimension = items[position]
        if not dimension.isascii() or not dimension.isdigit() or len(dimension) > 6:
            raise SieError(line, f"object list: dimension {dimension[:40]!r} is not a number")
        pairs.append((int(dimension), items[position + 1]))
    return pairs


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp437")


Record = SieVerification | SieTransaction | SiePeriodAmount
USED_LABELS = frozenset({"#SIETYP", "#VER", "#TRANS"})
SKIPPED_IN_BLOCK = frozenset({"#RTRANS", "#BTRANS"})


class SieReader:
    """Reads an SIE file line by line; :meth:`records` yields each ``#TRANS`` row as it is read
    (with ``keep_rows``, instead each voucher with its rows once it closes) and each
    ``#PSALDO``/``#PBUDGET`` record, while :attr:`file` collects what the file says about itself
    (its warnings, the vouchers without rows)."""

    def __init__(self, stream: BinaryIO, *, keep_rows: bool = False) -> None:
        self.stream = stream
        self.keep_rows = keep_rows
        self.file = SieFile()
        # a ledger repeats its object lists and dates: each is read once
        self._object_lists: dict[str, list[tuple[int, str]]] = {}
        self._dates: dict[str, date] = {}

    def _lines(self) -> Iterator[tuple[int, str]]:
        line_no = 0
        while True:
            raw = self.stream.readline(MAX_LINE_BYTES + 1)
            if not raw:
                return
            line_no += 1
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                raise SieError(line_no, f"line longer than {MAX_LINE_BYTES} bytes")
            if b"\x00" in raw:
                raise SieError(line_no, "binary data (NUL byte), not SIE text")
            yield line_no, _decode(raw).strip()

    def records(self) -> Iterator[Record]:
        file = self.file
        open_ver: SieVerification | None = None
        expecting_block = False
        rows_in_voucher, balance = 0, Decimal(0)
        for line_no, text in self._lines():
            if not text:
                continue
            if text == "{":
                if not expecting_block:
                    raise SieError(line_no, "{ without a #VER before it")
                expecting_block = False
                continue
            if text == "}":
                if open_ver is None or expecting_block:
                    raise SieError(line_no, "} without an open #VER block")
                if not rows_in_voucher:
                    file.empty_vouchers += 1
                else:
                    if balance:
                        # Real exports hold unbalanced vouchers (the ledger kept them): the
                        # rows are the ledger's outcome all the same, so they count.
                        file.warn(
                            open_ver.line,
                            f"voucher does not balance (off by {balance}); imported as is",
                        )
                    if self.keep_rows:
                        yield open_ver
                open_ver = None
                continue
            if expecting_block:
                raise SieError(line_no, "expected { to open the #VER block")
            if not text.startswith("#"):
                file.warn(line_no, "not a record (no #label); skipped")
                continue
            label = text.split(None, 1)[0].upper()
            if open_ver is not None:
                if label == "#TRANS":
                    row = self._transaction(text, line_no, open_ver)
                    rows_in_voucher += 1
                    balance += row.amount
                    if self.keep_rows:
                        open_ver.transactions.append(row)
                    else:
                        yield row  # not kept: one voucher may hold a million rows
                elif label not in SKIPPED_IN_BLOCK:
                    file.warn(line_no, f"{label[:40]} inside a #VER block; skipped")
                continue
            used = label in USED_LABELS or (label == "#PSALDO" and file.sie_type in (2, 3))
            try:
                record = self._record(label, text, line_no)
            except SieError as exc:
                if used:
                    raise
                file.warn(line_no, f"{label[:40]}: {exc.message}; skipped")
                continue
            if isinstance(record, SieVerification):
                open_ver, expecting_block = record, True
                rows_in_voucher, balance = 0, Decimal(0)
            elif record is not None:
                yield record
        if open_ver is not None:
            raise SieError(open_ver.line, "#VER block is not closed with }")

    def _record(self, label: str, text: str, line_no: int) -> Record | None:
        file = self.file
        if label in {"#TRANS", "#RTRANS", "#BTRANS"}:
            raise SieError(line_no, f"{label} outside a #VER block")
        if label not in _READ_LABELS:
            return None  # the standard asks readers to skip labels they do not know
        tokens = tokenize(text, line_no)
        if label == "#SIETYP":
            value = _text(tokens, 1, line_no, "type")
            if value not in {"1", "2", "3", "4"}:
                raise SieError(line_no, f"unknown SIE type {value[:10]!r}")
            if value == "1":
                raise SieError(line_no, "SIE type 1 has year balances only; send type 2, 3 or 4")
            file.sie_type = int(value)
        elif label == "#PROGRAM":
            file.program = _text(tokens, 1, line_no, "program name").strip() or None
        elif label == "#FORMAT":
            value = _text(tokens, 1, line_no, "format")
            if value.upper() != "PC8":
                file.warn(line_no, f"#FORMAT {value[:20]!r}: read as PC8 (or UTF-8 where valid)")
        elif label == "#FNAMN":
            file.company = _text(tokens, 1, line_no, "company name")
        elif label == "#RAR":
            index = _int(tokens, 1, line_no, "year index")
            if len(tokens) >= 4:
                start = _date(_text(tokens, 2, line_no, "start date"), line_no, "start date")
                end = _date(_text(tokens, 3, line_no, "end date"), line_no, "end date")
                if end < start:
                    raise SieError(line_no, "the fiscal year ends before it starts")
                file.years[index] = (start, end)
        elif label == "#KONTO":
            account, _ = _account(tokens, 1, line_no)
            if len(file.accounts) < _CACHE_LIMIT:  # names only: a bound keeps memory flat
                file.accounts[account] = _text(tokens, 2, line_no, "account name", required=False)
        elif label in {"#DIM", "#UNDERDIM"}:
            if len(file.dimensions) < _CACHE_LIMIT:
                file.dimensions[_int(tokens, 1, line_no, "dimension")] = _text(
                    tokens, 2, line_no, "dimension name", required=False
                )
        elif label == "#OBJEKT":
            dimension = _int(tokens, 1, line_no, "dimension")
            code = _text(tokens, 2, line_no, "object id")
            if len(file.objects) < _CACHE_LIMIT:
                file.objects[(dimension, code)] = _text(
                    tokens, 3, line_no, "object name", required=False
                )
        elif label == "#VER":
            return SieVerification(
                line=line_no,
                series=_text(tokens, 1, line_no, "series", required=False),
                number=_text(tokens, 2, line_no, "number", required=False),
                date=_date(_text(tokens, 3, line_no, "date"), line_no, "date"),
                text=_text(tokens, 4, line_no, "text", required=False),
            )
        elif label in {"#PSALDO", "#PBUDGET"}:
            return _period_amount(label, tokens, line_no)
        return None

    def _transaction(
        self, text: str, line_no: int, verification: SieVerification
    ) -> SieTransaction:
        fast = _FAST_TRANS.fullmatch(text)
        if fast is not None:
            account_text, inner, amount_text, plain_day, quoted_day = fast.groups()
            objects = self._object_lists.get(inner)
            if objects is None:
                objects = _object_list(tokenize("{" + inner + "}", line_no), 0, line_no)
                if len(self._object_lists) < _CACHE_LIMIT:
                    self._object_lists[inner] = objects
            day_text = plain_day or quoted_day
            day = verification.date
            if day_text is not None:
                cached = self._dates.get(day_text)
                if cached is None:
                    cached = _date(day_text, line_no, "transdate")
                    if len(self._dates) < _CACHE_LIMIT:
                        self._dates[day_text] = cached
                day = cached
            return SieTransaction(
                line_no,
                int(account_text),
                ord(account_text[0]) - 48,
                objects,
                Decimal(amount_text),
                day,
            )
        tokens = tokenize(text, line_no, lenient_from=4)
        if isinstance(tokens, LenientTokens) and tokens.broken:
            self.file.warn(line_no, "unterminated quote in the row's text; the text is ignored")
        raw_account: str | None = None
        try:
            account, account_class = _account(tokens, 1, line_no)
        except SieError:
            raw_account = _text(tokens, 1, line_no, "account")[:40]
            account = account_class = -1
        objects = _object_list(tokens, 2, line_no)
        amount = _amount(_text(tokens, 3, line_no, "amount"), line_no)
        day = verification.date
        if len(tokens) > 4 and isinstance(tokens[4], str) and tokens[4]:
            raw = tokens[4]
            if raw.replace("-", "").isdigit():
                day = _date(raw, line_no, "transdate")
            else:
                self.file.warn(line_no, "transdate is not a date; the voucher's date is used")
        return SieTransaction(line_no, account, account_class, objects, amount, day, raw_account)


_READ_LABELS = frozenset(
    {
        "#SIETYP",
        "#PROGRAM",
        "#FORMAT",
        "#FNAMN",
        "#RAR",
        "#KONTO",
        "#DIM",
        "#UNDERDIM",
        "#OBJEKT",
        "#VER",
        "#PSALDO",
        "#PBUDGET",
    }
)


def _period_amount(label: str, tokens: list[Token], line_no: int) -> SiePeriodAmount:
    year_index = _int(tokens, 1, line_no, "year index")
    period = _text(tokens, 2, line_no, "period")
    if len(period) != 6 or not period.isascii() or not period.isdigit():
        raise SieError(line_no, f"period: expected YYYYMM, found {period[:20]!r}")
    year, month = int(period[:4]), int(period[4:])
    if not 1 <= month <= 12 or not 1900 <= year <= 2200:
        raise SieError(line_no, f"period: no such month {period!r}")
    account, account_class = _account(tokens, 3, line_no)
    objects = _object_list(tokens, 4, line_no)
    amount = _amount(_text(tokens, 5, line_no, "amount"), line_no)
    kind: Literal["PSALDO", "PBUDGET"] = "PSALDO" if label == "#PSALDO" else "PBUDGET"
    return SiePeriodAmount(
        kind, line_no, year_index, year, month, account, account_class, objects, amount
    )


def parse(data: bytes | BinaryIO) -> SieFile:
    """Read a whole SIE file into memory (small files, tests, a budget import); raises
    :class:`SieError` at the first broken record the outcome needs."""
    reader = SieReader(io.BytesIO(data) if isinstance(data, bytes) else data, keep_rows=True)
    file = reader.file
    for record in reader.records():
        if isinstance(record, SieVerification):
            file.verifications.append(record)
        elif isinstance(record, SieTransaction):  # pragma: no cover - kept in their voucher
            continue
        elif record.kind == "PSALDO":
            file.balances.append(record)
        else:
            file.budgets.append(record)
    return file
