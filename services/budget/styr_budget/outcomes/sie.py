"""A reader for SIE 4 files (the Swedish ledger exchange format, sie.se), as far as outcome
needs it: ``#FORMAT``, ``#SIETYP``, ``#RAR``, ``#KONTO``, ``#DIM``, ``#UNDERDIM``, ``#OBJEKT`` and
``#VER`` blocks with ``#TRANS`` rows carrying object lists.

The format: one record per line, a ``#LABEL`` then fields separated by blanks; a field with
blanks is quoted (``"Särskilt boende"``, ``\\"`` inside is a quote); an object list is
``{dim "object" dim "object"}``; a ``#VER`` is followed by a ``{`` … ``}`` block of ``#TRANS``.
Files are encoded in IBM PC 8-bit (CP437), as ``#FORMAT PC8`` says. Unknown labels are skipped
as the standard asks; ``#RTRANS``/``#BTRANS`` (supplementary and removed rows, each followed by
a plain ``#TRANS`` for older readers or already cancelled) are skipped so nothing counts twice.
Any broken record raises :class:`SieError` with its 1-based line number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

Token = str | list[str]


class SieError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


@dataclass
class SieTransaction:
    line: int
    account: int
    objects: list[tuple[int, str]]
    amount: Decimal


@dataclass
class SieVerification:
    line: int
    series: str
    number: str
    date: date
    text: str
    transactions: list[SieTransaction] = field(default_factory=list)


@dataclass
class SieFile:
    years: dict[int, tuple[date, date]] = field(default_factory=dict)
    accounts: dict[int, str] = field(default_factory=dict)
    dimensions: dict[int, str] = field(default_factory=dict)
    objects: dict[tuple[int, str], str] = field(default_factory=dict)
    verifications: list[SieVerification] = field(default_factory=list)
    company: str | None = None


def decode(data: bytes) -> str:
    # CP437 maps every byte, so decoding never fails; a NUL byte means it is no text file.
    if b"\x00" in data:
        raise SieError(data[: data.index(b"\x00")].count(b"\n") + 1, "binary data, not SIE text")
    return data.decode("cp437")


def tokenize(text: str, line_no: int) -> list[Token]:
    """Split one record into fields: plain words, quoted strings and ``{…}`` object lists."""
    tokens: list[Token] = []
    position, length = 0, len(text)
    current_list: list[str] | None = None
    while position < length:
        char = text[position]
        if char in " \t\r":
            position += 1
            continue
        if char == "{":
            if current_list is not None:
                raise SieError(line_no, "nested { in an object list")
            current_list = []
            position += 1
            continue
        if char == "}":
            if current_list is None:
                raise SieError(line_no, "} without {")
            tokens.append(current_list)
            current_list = None
            position += 1
            continue
        if char == '"':
            position += 1
            chars: list[str] = []
            while True:
                if position >= length:
                    raise SieError(line_no, "unterminated quoted string")
                char = text[position]
                if char == "\\" and position + 1 < length and text[position + 1] == '"':
                    chars.append('"')
                    position += 2
                    continue
                if char == '"':
                    position += 1
                    break
                chars.append(char)
                position += 1
            word = "".join(chars)
        else:
            start = position
            while position < length and text[position] not in ' \t\r{}"':
                position += 1
            word = text[start:position]
        if current_list is not None:
            current_list.append(word)
        else:
            tokens.append(word)
    if current_list is not None:
        raise SieError(line_no, "object list without closing }")
    return tokens


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
    if not value.lstrip("-").isdigit():
        raise SieError(line, f"{what}: not a number: {value!r}")
    return int(value)


def _date(value: str, line: int, what: str) -> date:
    if len(value) != 8 or not value.isdigit():
        raise SieError(line, f"{what}: expected YYYYMMDD, found {value!r}")
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError as exc:
        raise SieError(line, f"{what}: no such date {value!r}") from exc


def _amount(value: str, line: int) -> Decimal:
    try:
        amount = Decimal(value)
    except InvalidOperation as exc:
        raise SieError(line, f"amount: not a number: {value!r}") from exc
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        raise SieError(line, f"amount: not kronor with at most two decimals: {value!r}")
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
        if not dimension.isdigit():
            raise SieError(line, f"object list: dimension {dimension!r} is not a number")
        pairs.append((int(dimension), items[position + 1]))
    return pairs


def parse(data: bytes) -> SieFile:
    """Parse a whole SIE 4 file; raises :class:`SieError` at the first broken record."""
    result = SieFile()
    sie_type: str | None = None
    open_ver: SieVerification | None = None
    expecting_block = False
    lines = decode(data).split("\n")
    for line_no, raw in enumerate(lines, start=1):
        text = raw.strip()
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
            _close(open_ver, line_no)
            result.verifications.append(open_ver)
            open_ver = None
            continue
        if expecting_block:
            raise SieError(line_no, "expected { to open the #VER block")
        if not text.startswith("#"):
            raise SieError(line_no, "a record must start with #")
        tokens = tokenize(text, line_no)
        label = str(tokens[0]).upper()
        if open_ver is not None and label not in {"#TRANS", "#RTRANS", "#BTRANS"}:
            raise SieError(line_no, f"{label} inside a #VER block")
        if label == "#FORMAT":
            if _text(tokens, 1, line_no, "format").upper() != "PC8":
                raise SieError(line_no, "only #FORMAT PC8 (CP437) is defined for SIE")
        elif label == "#SIETYP":
            sie_type = _text(tokens, 1, line_no, "type")
            if sie_type != "4":
                raise SieError(line_no, f"SIE type {sie_type} has no verifications; expected 4")
        elif label == "#FNAMN":
            result.company = _text(tokens, 1, line_no, "company name")
        elif label == "#RAR":
            index = _int(tokens, 1, line_no, "year index")
            start = _date(_text(tokens, 2, line_no, "start date"), line_no, "start date")
            end = _date(_text(tokens, 3, line_no, "end date"), line_no, "end date")
            if end < start:
                raise SieError(line_no, "the fiscal year ends before it starts")
            result.years[index] = (start, end)
        elif label == "#KONTO":
            result.accounts[_int(tokens, 1, line_no, "account")] = _text(
                tokens, 2, line_no, "account name", required=False
            )
        elif label in {"#DIM", "#UNDERDIM"}:
            result.dimensions[_int(tokens, 1, line_no, "dimension")] = _text(
                tokens, 2, line_no, "dimension name", required=False
            )
        elif label == "#OBJEKT":
            dimension = _int(tokens, 1, line_no, "dimension")
            code = _text(tokens, 2, line_no, "object id")
            result.objects[(dimension, code)] = _text(
                tokens, 3, line_no, "object name", required=False
            )
        elif label == "#VER":
            if sie_type is None:
                raise SieError(line_no, "#VER before #SIETYP 4")
            open_ver = SieVerification(
                line=line_no,
                series=_text(tokens, 1, line_no, "series", required=False),
                number=_text(tokens, 2, line_no, "number", required=False),
                date=_date(_text(tokens, 3, line_no, "date"), line_no, "date"),
                text=_text(tokens, 4, line_no, "text", required=False),
            )
            expecting_block = True
        elif label == "#TRANS":
            if open_ver is None:
                raise SieError(line_no, "#TRANS outside a #VER block")
            account = _int(tokens, 1, line_no, "account")
            objects = _object_list(tokens, 2, line_no)
            amount = _amount(_text(tokens, 3, line_no, "amount"), line_no)
            open_ver.transactions.append(SieTransaction(line_no, account, objects, amount))
        elif label in {"#RTRANS", "#BTRANS"} and open_ver is None:
            raise SieError(line_no, f"{label} outside a #VER block")
        # other labels (#GEN, #PROGRAM, #KSUMMA, #IB, #UB, #RES, #PSALDO …) are not outcome
    if open_ver is not None:
        raise SieError(open_ver.line, "#VER block is not closed with }")
    if sie_type is None:
        raise SieError(1, "not an SIE 4 file: #SIETYP 4 is missing")
    if 0 not in result.years and result.verifications:
        raise SieError(1, "#RAR 0 (the current fiscal year) is missing")
    return result


def _close(verification: SieVerification, line_no: int) -> None:
    if not verification.transactions:
        raise SieError(verification.line, "#VER without #TRANS")
    balance = sum((t.amount for t in verification.transactions), Decimal(0))
    if balance != 0:
        raise SieError(verification.line, f"verification does not balance (off by {balance})")
