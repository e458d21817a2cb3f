"""Ledger rows to monthly outcome sums, without the database (runs in a worker thread).

:class:`Rules` holds what the import needs from the database (account and object mappings,
the default org unit, the options); :func:`map_sie` and :func:`map_csv` read a file as a stream
and sum it per year × month × org unit × activity × account group. Every row the rules cannot
place is collected (with a count and its first lines) instead of stopping at the first, so one
answer names everything a controller has to map.

Ledger amounts are debit-positive (a cost is a debit), so outcome = −amount in the stored result
convention. Only result accounts count: BAS classes 3–8 (the first digit of the account).
"""

from __future__ import annotations

import bisect
import csv
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import BinaryIO

from styr_budget.amounts import AmountError, MoneyUnit, parse_amount
from styr_budget.outcomes import sie

Key = tuple[int, int, str, str | None, str]  # year, month, unit, activity, group
RESULT_CLASSES = range(3, 9)
FIRST_LINES = 5


def is_result_account(account: int) -> bool:
    """A BAS result account: classes 3–8, the account's first digit."""
    return account > 0 and int(str(account)[0]) in RESULT_CLASSES


# Bounds for hostile files (a million distinct objects): what is listed and cached.
MAX_PROBLEM_KINDS = 1000
MAX_CACHED_PLACEMENTS = 100_000
MAX_MONTHS = 120  # a ledger export holds a year or two; ten years is a broken file
MAX_SUM = Decimal(10) ** 16  # Numeric(18, 2)


@dataclass(frozen=True)
class ObjectTarget:
    org_unit_id: str | None
    activity_code: str | None


@dataclass
class Rules:
    account_ranges: list[tuple[int, int, str]]  # from, to, group; sorted, not overlapping
    objects: dict[tuple[int, str], ObjectTarget]
    default_unit: str | None = None
    skip_unmapped_accounts: bool = False
    period: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        self.account_ranges.sort()
        self._starts = [start for start, _, _ in self.account_ranges]

    def group_for(self, account: int) -> str | None:
        position = bisect.bisect_right(self._starts, account) - 1
        if position >= 0:
            start, end, group = self.account_ranges[position]
            if start <= account <= end:
                return group
        return None


@dataclass
class Problem:
    """Rows of one kind the rules cannot place (one unmapped object, one account …)."""

    kind: str
    message: str
    count: int = 0
    lines: list[int] = field(default_factory=list)

    def add(self, line: int) -> None:
        self.count += 1
        if len(self.lines) < FIRST_LINES:
            self.lines.append(line)


@dataclass
class Mapped:
    sums: dict[Key, Decimal]
    transactions: int
    rows_defaulted: int = 0
    accounts_skipped: int = 0
    vouchers_skipped: int = 0
    warnings: list[str] = field(default_factory=list)
    program: str | None = None
    problems: list[Problem] = field(default_factory=list)
    first_lines: dict[Key, int] = field(default_factory=dict)  # where each sum's first row is


@dataclass(frozen=True)
class Placement:
    group: str | None = None
    unit: str | None = None
    activity: str | None = None
    defaulted: bool = False
    problems: tuple[tuple[object, ...], ...] = ()
    skip: bool = False


class Placer:
    """Sums ledger rows into outcome keys and collects the rows it cannot place."""

    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self.sums: dict[Key, Decimal] = defaultdict(Decimal)
        self.problems: dict[tuple[object, ...], Problem] = {}
        self.rows_defaulted = 0
        self.skipped_accounts: set[int] = set()
        self.skipped_other: set[str] = set()
        self._cache: dict[tuple[int, tuple[tuple[int, str], ...]], Placement] = {}
        self.first_lines: dict[Key, int] = {}  # where each sum's first row is

    def add(
        self,
        line: int,
        year: int,
        month: int,
        account: int,
        objects: list[tuple[int, str]],
        amount: Decimal,
    ) -> None:
        """Book one result-account row (ledger sign) on its month."""
        rules = self.rules
        if rules.period is not None and (year, month) != rules.period:
            self._problem(("period",), "rows dated outside the expected period", line)
            return
        placement = self.place(line, account, objects)
        if placement.skip or placement.problems:
            return
        assert placement.group is not None
        assert placement.unit is not None
        key = (year, month, placement.unit, placement.activity, placement.group)
        self.sums[key] -= amount
        self.first_lines.setdefault(key, line)
        if placement.defaulted:
            self.rows_defaulted += 1

    def place(self, line: int, account: int, objects: list[tuple[int, str]]) -> Placement:
        """Where a row of ``account`` with ``objects`` belongs; a row that cannot be placed
        is recorded as a problem of its kind (with ``line``)."""
        cache_key = (account, tuple(objects))
        placement = self._cache.get(cache_key)
        if placement is None:
            placement = self._place(account, objects)
            if len(self._cache) < MAX_CACHED_PLACEMENTS:
                self._cache[cache_key] = placement
        for problem in placement.problems:
            self._problem(problem, self._message(problem), line)
        return placement

    def not_an_account(self, line: int, raw: str) -> None:
        """A row whose account is no number: it may be a result account, so it is refused
        like an unmapped account (or skipped and counted with ``unmapped_accounts=skip``)."""
        if self.rules.skip_unmapped_accounts:
            self.skipped_other.add(raw)
            return
        self._problem(("account", raw), f"account {raw!r} is not an account number", line)

    def _place(self, account: int, objects: list[tuple[int, str]]) -> Placement:
        rules = self.rules
        group = rules.group_for(account)
        if group is None:
            if rules.skip_unmapped_accounts:
                self.skipped_accounts.add(account)
                return Placement(skip=True)
            return Placement(problems=(("account", account),))
        units: set[str] = set()
        activities: set[str] = set()
        unmapped: list[tuple[object, ...]] = []
        for dimension, code in objects:
            target = rules.objects.get((dimension, code))
            if target is None:
                unmapped.append(("object", dimension, code))
                continue
            if target.org_unit_id is not None:
                units.add(target.org_unit_id)
            if target.activity_code is not None:
                activities.add(target.activity_code)
        problems: list[tuple[object, ...]] = []
        if len(units) > 1:
            problems.append(("units", account, tuple(sorted(units))))
        if len(activities) > 1:
            problems.append(("activities", account, tuple(sorted(activities))))
        if problems:
            return Placement(problems=tuple(problems))
        activity = next(iter(activities), None)
        if units:
            return Placement(group=group, unit=next(iter(units)), activity=activity)
        if rules.default_unit is not None:
            return Placement(
                group=group, unit=rules.default_unit, activity=activity, defaulted=True
            )
        if unmapped:
            return Placement(problems=tuple(unmapped))
        return Placement(problems=(("no-unit", account),))

    @staticmethod
    def _message(problem: tuple[object, ...]) -> str:
        kind = problem[0]
        if kind == "account":
            return f"account {problem[1]} has no account group mapping"
        if kind == "object":
            return f"object {problem[2]!r} of dimension {problem[1]} is not mapped"
        if kind == "units":
            return f"account {problem[1]}: objects name two org units {problem[2]}"
        if kind == "activities":
            return f"account {problem[1]}: objects name two activity codes {problem[2]}"
        return f"account {problem[1]} has rows without an object naming an org unit"

    def _problem(self, key: tuple[object, ...], message: str, line: int) -> None:
        problem = self.problems.get(key)
        if problem is None and len(self.problems) >= MAX_PROBLEM_KINDS:
            key, message = ("more",), "rows of further kinds, not listed one by one"
            problem = self.problems.get(key)
        if problem is None:
            kind = {"no-unit": "no_org_unit", "units": "conflict", "activities": "conflict"}
            problem = self.problems[key] = Problem(
                kind=kind.get(str(key[0]), f"unmapped_{key[0]}"), message=message
            )
        problem.add(line)

    def result(self, transactions: int) -> Mapped:
        months = {(year, month) for year, month, *_ in self.sums}
        if len(months) > MAX_MONTHS:
            first, last = min(months), max(months)
            self._problem(
                ("months",),
                f"rows span {len(months)} months ({first[0]}-{first[1]:02d} to "
                f"{last[0]}-{last[1]:02d}); one import takes at most {MAX_MONTHS}",
                1,
            )
        for key, amount in self.sums.items():
            if abs(amount) >= MAX_SUM:
                self._problem(("overflow",), f"the sum of {key} is too large", 1)
        problems = sorted(self.problems.values(), key=lambda p: p.lines[0])
        return Mapped(
            sums=dict(self.sums),
            transactions=transactions,
            rows_defaulted=self.rows_defaulted,
            accounts_skipped=len(self.skipped_accounts) + len(self.skipped_other),
            problems=problems,
            first_lines=dict(self.first_lines),
        )


def map_sie(stream: BinaryIO, rules: Rules) -> Mapped:
    """Read an SIE 2, 3 or 4 file from ``stream`` and sum its outcome (raises
    :class:`sie.SieError` for a broken record the outcome needs)."""
    reader = sie.SieReader(stream)
    placer = Placer(rules)
    transactions = 0
    balances: list[sie.SiePeriodAmount] = []
    for record in reader.records():
        if isinstance(record, sie.SieTransaction):
            transactions += 1
            if record.raw_account is not None:
                placer.not_an_account(record.line, record.raw_account)
            elif record.account_class in RESULT_CLASSES:
                day = record.date
                placer.add(
                    record.line, day.year, day.month, record.account, record.objects, record.amount
                )
        elif (
            isinstance(record, sie.SiePeriodAmount)
            and record.kind == "PSALDO"
            and record.year_index == 0
            and record.account_class in RESULT_CLASSES
        ):
            balances.append(record)
    file = reader.file
    sie_type = file.sie_type
    if sie_type is None:
        if not transactions and not balances:
            raise sie.SieError(1, "not an SIE file: no #SIETYP and no verifications")
        sie_type = 4 if transactions else 2
        file.warn(1, f"no #SIETYP; read as type {sie_type}")
    if sie_type in (2, 3):
        transactions = place_balances(placer, balances, rules, file)
    elif not transactions:
        raise sie.SieError(1, "the file has no verifications with #TRANS rows")
    if sie_type in (2, 3) and not transactions:
        raise sie.SieError(1, "the file has no #PSALDO rows of the current year (#PSALDO 0)")
    mapped = placer.result(transactions)
    mapped.vouchers_skipped = file.empty_vouchers
    mapped.program = file.program
    if file.empty_vouchers:
        file.warn(1, f"{file.empty_vouchers} vouchers without #TRANS rows skipped")
    _check_years(file, mapped)
    mapped.warnings = list(file.warnings)
    if file.warning_count > len(file.warnings):
        mapped.warnings.append(f"… and {file.warning_count - len(file.warnings)} more warnings")
    return mapped


def _check_years(file: sie.SieFile, mapped: Mapped) -> None:
    if not file.years:
        return
    outside = sorted(
        {
            (year, month)
            for year, month, *_ in mapped.sums
            if not any(
                (start.year, start.month) <= (year, month) <= (end.year, end.month)
                for start, end in file.years.values()
            )
        }
    )
    if outside:
        months = ", ".join(f"{y:04d}-{m:02d}" for y, m in outside[:12])
        file.warn(1, f"rows dated outside the file's #RAR fiscal years: {months}")


def place_balances(
    placer: Placer, balances: list[sie.SiePeriodAmount], rules: Rules, file: sie.SieFile
) -> int:
    """Period balances (SIE 2/3), for a result account the month's movement. Programs write
    type 3 in one of two ways: as the standard says, the row without objects is the account's
    total and the rows with objects split it (each dimension anew: BL Administration, Edison,
    Mamut); or the rows partition the account like vouchers, the row without objects holding
    only what has none (Avendo, which then leaves out that row where all has objects). A month
    and account with object rows but no row without objects tells the second way apart."""
    by_key: dict[tuple[int, int, int], list[sie.SiePeriodAmount]] = defaultdict(list)
    for row in balances:
        by_key[(row.year, row.month, row.account)].append(row)
    partition = any(all(row.objects for row in rows) for rows in by_key.values())
    if partition:
        file.warn(1, "#PSALDO rows read as parts of the account (no row is its total)")
        for row in balances:
            placer.add(row.line, row.year, row.month, row.account, row.objects, row.amount)
        return len(balances)
    # The rows of the first dimension that names org units split the total by unit; the rest
    # of the total is booked like a row without objects.
    unit_dimensions = sorted(
        {dimension for (dimension, _), target in rules.objects.items() if target.org_unit_id}
    )
    count = 0
    for (year, month, account), rows in by_key.items():
        totals = [row for row in rows if not row.objects]
        single = [row for row in rows if len(row.objects) == 1]
        present = {row.objects[0][0] for row in single}
        split_dimension = next((d for d in unit_dimensions if d in present), None)
        split = [row for row in single if row.objects[0][0] == split_dimension]
        total = sum((row.amount for row in totals), Decimal(0))
        for row in split:
            count += 1
            placer.add(row.line, year, month, account, row.objects, row.amount)
            total -= row.amount
        if total or not split:
            count += 1
            placer.add(totals[0].line, year, month, account, [], total)
    return count


CSV_COLUMNS = ("period", "org_unit_id", "activity_code", "account_group", "amount")


class CsvError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


def map_csv(stream: BinaryIO, groups: set[str], activities: set[str], unit: MoneyUnit) -> Mapped:
    """Read ``period;org_unit_id;activity_code;account_group;amount`` rows (UTF-8, stored
    result sign) from ``stream``; raises :class:`CsvError` at the first broken row."""
    lines = _csv_lines(stream)
    first = next(lines, "")
    if not first.strip():
        raise CsvError(1, "empty file")
    delimiter = ";" if ";" in first else ","
    header = [name.strip().lower() for name in next(csv.reader([first], delimiter=delimiter))]
    missing = [name for name in CSV_COLUMNS if name not in header]
    if missing:
        raise CsvError(1, f"missing columns: {', '.join(missing)}")
    index = {name: header.index(name) for name in CSV_COLUMNS}
    sums: dict[Key, Decimal] = defaultdict(Decimal)
    first_lines: dict[Key, int] = {}
    count = 0
    for line, physical in enumerate(lines, start=2):
        try:
            row = next(csv.reader([physical], delimiter=delimiter), [])
        except csv.Error as exc:
            raise CsvError(line, f"CSV: {exc}") from exc
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(header):
            raise CsvError(line, f"expected {len(header)} fields, found {len(row)}")
        cells = {name: row[position].strip() for name, position in index.items()}
        year, month = _period(cells["period"], line)
        activity = cells["activity_code"] or None
        if activity is not None and activity not in activities:
            raise CsvError(line, f"unknown activity code {activity[:40]!r}")
        if cells["account_group"] not in groups:
            raise CsvError(line, f"unknown account group {cells['account_group'][:40]!r}")
        try:
            amount = parse_amount(cells["amount"], unit)
        except AmountError as exc:
            raise CsvError(line, f"amount: {exc}") from exc
        if abs(amount) >= sie.MAX_AMOUNT:
            raise CsvError(line, "amount: too large")
        if not cells["org_unit_id"]:
            raise CsvError(line, "org_unit_id is empty")
        if len(cells["org_unit_id"]) > 64:
            raise CsvError(line, "org_unit_id is longer than 64 characters")
        key = (year, month, cells["org_unit_id"], activity, cells["account_group"])
        sums[key] += amount
        first_lines.setdefault(key, line)
        count += 1
    if not count:
        raise CsvError(1, "the file has no rows")
    return Mapped(sums=dict(sums), transactions=count, first_lines=first_lines)


def _csv_lines(stream: BinaryIO) -> Iterator[str]:
    """The file's lines, decoded one by one (one physical line per row: the format has no
    quoted line breaks, so line numbers hold)."""
    line = 0
    while raw := stream.readline(sie.MAX_LINE_BYTES + 1):
        line += 1
        if len(raw) > sie.MAX_LINE_BYTES and not raw.endswith(b"\n"):
            raise CsvError(line, f"line longer than {sie.MAX_LINE_BYTES} bytes")
        if b"\x00" in raw:
            raise CsvError(line, "NUL byte: not CSV text")
        try:
            yield raw.decode("utf-8-sig" if line == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise CsvError(line, "not UTF-8 text") from exc


def _period(value: str, line: int) -> tuple[int, int]:
    parts = value.split("-")
    if len(parts) != 2 or not all(part.isascii() and part.isdigit() for part in parts):
        raise CsvError(line, f"period must be YYYY-MM, found {value[:40]!r}")
    year, month = int(parts[0]), int(parts[1])
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        raise CsvError(line, f"no such period {value!r}")
    return year, month
