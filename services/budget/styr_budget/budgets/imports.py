"""Monthly budget imports: rows of (period, org unit, activity, account or group, amount)
become the lines of a new budget version, with their months.

Any source feeds :func:`import_monthly_rows` a list of :class:`MonthlyBudgetRow`: the CSV
upload here, and SIE ``#PBUDGET`` rows (``#PBUDGET year period account {objects} amount``:
period → ``year``/``month``, the account as ``account``, the objects through the object
mappings to ``org_unit_id``/``activity_code``, and ``amount`` negated into the result sign).

Rows of the same line and month add up (several ledger accounts of one group). A line is
- **a monthly budget**: only month rows; its amount is their sum, months without a row are 0;
- **a year-to-date budget as printed** (e.g. a report printing January–November): month rows
  plus one annual row (period ``YYYY``, the line's annual amount). The months up to the last
  month in the import are fixed as given (absent = 0); the rest of the annual amount is spread
  over the remaining months by the line's key.

Every rejected row is reported with its line and field; the good lines are imported as a
draft. Adoption is all or nothing: with ``adopt`` and any rejected row nothing is written.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import BinaryIO

from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_budget.amounts import AmountError, MoneyUnit, parse_amount
from styr_budget.budgets import service
from styr_budget.budgets.models import BudgetVersion
from styr_budget.budgets.periodisation import MONTHS
from styr_budget.budgets.schemas import RejectedRow, VersionCreate, VersionKind
from styr_budget.common import known_units, require_unit, subtree, units_closed_in
from styr_budget.dimensions import service as dimensions
from styr_budget.dimensions.models import AccountMapping
from styr_budget.outcomes import sie
from styr_budget.outcomes.mapping import Placer, Rules, is_result_account, place_balances
from styr_shared.auth import Principal
from styr_shared.errors import FieldError, InvalidFieldError, ProblemError


@dataclass(frozen=True)
class MonthlyBudgetRow:
    """One budget amount of a line: a month's, or (``month`` None) the line's annual amount.

    ``line`` is where it came from (for the error report); ``amount`` is kronor in the result
    sign (revenue +, cost −); the group is ``account_group`` or a ledger ``account`` mapped by
    the account mappings. ``problem`` = (field, message) marks a row the reader could not
    read: it is rejected, and its line with it."""

    line: int
    year: int
    month: int | None
    org_unit_id: str
    activity_code: str
    amount: Decimal
    account_group: str | None = None
    account: int | None = None
    problem: tuple[str, str] | None = None


@dataclass
class MonthlyImport:
    version: BudgetVersion
    rows: int
    lines: int
    rejected: list[RejectedRow]


LineKey = tuple[str, str, str]  # org unit, activity, account group


class MonthlyImportRejectedError(ProblemError):
    status, slug = 422, "import-rejected"

    def __init__(self, detail: str, rejected: Sequence[RejectedRow]) -> None:
        super().__init__(
            detail,
            errors=[
                FieldError(
                    field=f"body.line.{row.line}" + (f".{row.field}" if row.field else ""),
                    message=row.message,
                    type="invalid",
                )
                for row in rejected
            ],
        )


async def import_monthly_rows(
    session: AsyncSession,
    committee_id: str,
    year: int,
    rows: Sequence[MonthlyBudgetRow],
    *,
    kind: VersionKind,
    label: str,
    actor: Principal,
    reason: str | None = None,
    frame_amount: Decimal | None = None,
    from_month: int | None = None,
    adopt: bool = False,
    as_printed: bool = False,
    rejected: Sequence[RejectedRow] = (),
) -> MonthlyImport:
    """Check ``rows``, then add a budget version of the good lines (commits). A line with a
    rejected row is left out whole (every row of it reported), so no line comes in short.
    ``rejected``: rows the caller could not even attribute to a line (e.g. too few fields).

    ``as_printed`` (a reallocation): the rows are a report's periodised budget for the months
    up to the last one in the rows, for lines already adopted; the version changes those
    lines' months to the printed ones and keeps their amounts."""
    refused = list(rejected)
    good, tainted = await _check_rows(session, committee_id, year, rows, refused)
    last_month = max((row.month for row, _ in good if row.month is not None), default=0)
    lines = _lines(good, tainted, refused, last_month)
    if as_printed:
        if kind is not VersionKind.REALLOCATION:
            raise InvalidFieldError("query.as_printed", "a periodisation is a reallocation")
        lines = await _as_printed(session, committee_id, year, lines, last_month, refused)
        # the printed months are kept; the rest moves in the months after them
        from_month = min(last_month + 1, MONTHS)
    refused.sort(key=lambda row: row.line)
    if adopt and refused:
        raise MonthlyImportRejectedError(
            f"{len(refused)} row(s) rejected; nothing adopted or written.", refused
        )
    if not lines:
        raise MonthlyImportRejectedError("No budget line left to import.", refused)
    try:
        data = VersionCreate.model_validate(
            {
                "kind": kind,
                "label": label,
                "reason": reason,
                "frame_amount": frame_amount,
                "from_month": from_month,
                "adopt": adopt,
                "lines": [line.write() for line in lines],
            }
        )
    except ValidationError as exc:
        raise ProblemError(
            f"Invalid import: {exc.errors()[0]['msg']}", status=422, slug="validation-error"
        ) from exc
    version = await service.create_version(session, committee_id, year, data, actor)
    used = sum(len(line.rows) for line in lines)
    return MonthlyImport(version=version, rows=used, lines=len(lines), rejected=refused)


async def _check_rows(
    session: AsyncSession,
    committee_id: str,
    year: int,
    rows: Sequence[MonthlyBudgetRow],
    refused: list[RejectedRow],
) -> tuple[list[tuple[MonthlyBudgetRow, str]], set[LineKey]]:
    # the committee's municipality's codes and mappings (its units are all of it)
    committee = await require_unit(session, committee_id, "path.committee_id")
    municipality_id = committee.municipality_id
    groups = await dimensions.groups_by_key(session, municipality_id)
    activities = await dimensions.activity_codes(session, municipality_id)
    mappings = list(await dimensions.list_account_mappings(session, municipality_id))
    # units first: a miss pulls the org feed, and a unit new to the replica is under the
    # committee once that is done
    known = await known_units(session, {row.org_unit_id for row in rows})
    in_committee = set(await subtree(session, committee_id))
    closed = await units_closed_in(session, known, year)
    good: list[tuple[MonthlyBudgetRow, str]] = []
    tainted: set[LineKey] = set()
    for row in rows:

        def reject(column: str, message: str, row: MonthlyBudgetRow = row) -> None:
            refused.append(RejectedRow(line=row.line, field=column, message=message))
            group = _group(row, mappings)
            if group is not None:
                tainted.add((row.org_unit_id, row.activity_code, group))

        if row.problem is not None:
            reject(*row.problem)
        elif row.year != year or (row.month is not None and not 1 <= row.month <= MONTHS):
            reject("period", f"not a period of {year}")
        elif row.org_unit_id not in known:
            reject("org_unit_id", f"unknown org unit {row.org_unit_id!r}")
        elif row.org_unit_id in closed:
            reject("org_unit_id", f"the unit is not valid in {year}")
        elif row.org_unit_id not in in_committee:
            reject("org_unit_id", f"not under {committee_id}")
        elif row.activity_code not in activities:
            reject("activity_code", f"unknown activity code {row.activity_code!r}")
        else:
            group = _group(row, mappings)
            if group is None:
                if row.account is not None:
                    reject("account", f"account {row.account} has no account group mapping")
                else:
                    reject("account_group", "give an account group or a ledger account")
            elif group not in groups:
                reject("account_group", f"unknown account group {group!r}")
            elif groups[group].kind == "allocation":
                reject("account_group", "the allocation is the frame, not a budget line")
            else:
                good.append((row, group))
    return good, tainted


def _group(row: MonthlyBudgetRow, mappings: list[AccountMapping]) -> str | None:
    if row.account_group:
        return row.account_group
    if row.account is None or not is_result_account(row.account):
        return None
    for mapping in mappings:
        if mapping.account_from <= row.account <= mapping.account_to:
            return mapping.account_group_key
    return None


@dataclass
class _Line:
    key: LineKey
    amount: Decimal
    months: list[Decimal] | None  # the first len(months) months as given
    rows: list[MonthlyBudgetRow]
    periodisation: str | None = None
    annual: bool = False  # the amount came from an annual row

    def write(self) -> dict[str, object]:
        """As ``LineWrite`` input (kronor)."""
        unit, activity, group = self.key
        entered: dict[str, object] = {} if self.months is None else {"months": self.months}
        if self.periodisation is not None:
            entered["periodisation"] = self.periodisation
        return {
            "org_unit_id": unit,
            "activity_code": activity,
            "account_group": group,
            "amount": self.amount,
            **entered,
        }


def _refuse(line: _Line, refused: list[RejectedRow], column: str, message: str) -> None:
    refused.extend(RejectedRow(line=row.line, field=column, message=message) for row in line.rows)


def _lines(
    good: list[tuple[MonthlyBudgetRow, str]],
    tainted: set[LineKey],
    refused: list[RejectedRow],
    last_month: int,
) -> list[_Line]:
    """The lines the good rows make (a line with a rejected row is left out)."""
    months: dict[LineKey, list[Decimal]] = defaultdict(lambda: [Decimal("0.00")] * MONTHS)
    annual: dict[LineKey, MonthlyBudgetRow] = {}
    rows_of: dict[LineKey, list[MonthlyBudgetRow]] = defaultdict(list)
    for row, group in good:
        key = (row.org_unit_id, row.activity_code, group)
        if key in tainted:
            refused.append(
                RejectedRow(line=row.line, field="", message="another row of its line is rejected")
            )
            continue
        if row.month is None:
            if key in annual:
                refused.append(
                    RejectedRow(
                        line=row.line,
                        field="period",
                        message=f"a second annual amount for the line (first: line "
                        f"{annual[key].line})",
                    )
                )
                continue
            annual[key] = row
        else:
            months[key][row.month - 1] += row.amount
        rows_of[key].append(row)
    lines: list[_Line] = []
    for key in sorted(rows_of):
        given = months[key]
        total = sum(given, Decimal(0))
        if key not in annual:
            lines.append(_Line(key, total, given, rows_of[key]))
            continue
        line = _Line(key, annual[key].amount, given[:last_month] or None, rows_of[key])
        line.annual = True
        if last_month == MONTHS and total != line.amount:
            _refuse(
                line,
                refused,
                "amount",
                f"the line's twelve months add up to {total}, its annual amount is {line.amount}",
            )
            continue
        lines.append(line)
    return lines


async def _as_printed(
    session: AsyncSession,
    committee_id: str,
    year: int,
    lines: list[_Line],
    last_month: int,
    refused: list[RejectedRow],
) -> list[_Line]:
    """Changes that make the adopted lines' first ``last_month`` months what the file prints,
    keeping each line's amount: the difference comes out of the months after, by the line's
    key (a reallocation between months)."""
    adopted = await service.adopted_lines(session, committee_id, year, None)
    current = {
        (item.org_unit_id, item.activity_code, item.account_group): item for item in adopted.lines
    }
    keys = await service.line_keys(session, committee_id, year)
    changes: list[_Line] = []
    for line in lines:
        item = current.get(line.key)
        if line.annual or line.months is None:
            _refuse(line, refused, "period", "as printed: months only (the annual is adopted)")
        elif item is None:
            _refuse(line, refused, "", "no adopted budget line to periodise")
        elif last_month == MONTHS and sum(line.months[:MONTHS], Decimal(0)) != item.amount:
            _refuse(
                line,
                refused,
                "amount",
                f"the twelve printed months add up to {sum(line.months, Decimal(0))}, the "
                f"budget line is {item.amount}",
            )
        else:
            printed = line.months[:last_month]
            delta = [value - item.months[index] for index, value in enumerate(printed)]
            changes.append(_Line(line.key, Decimal("0.00"), delta, line.rows, keys.get(line.key)))
    return changes


CSV_COLUMNS = ("period", "org_unit_id", "activity_code", "amount")


def read_csv(data: bytes, unit: MoneyUnit) -> tuple[list[MonthlyBudgetRow], list[RejectedRow]]:
    """CSV rows ``period;org_unit_id;activity_code;account_group|account;amount``; the rows
    that cannot be read are returned as rejected (a broken header refuses the file)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise MonthlyImportRejectedError(
            "The file is not UTF-8 text.", [RejectedRow(line=line, field="", message="not UTF-8")]
        ) from exc
    first = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text), delimiter=";" if ";" in first else ",")
    header = [name.strip().lower() for name in next(reader, [])]
    missing = [name for name in CSV_COLUMNS if name not in header]
    if "account_group" not in header and "account" not in header:
        missing.append("account_group or account")
    if missing:
        raise MonthlyImportRejectedError(
            f"Missing columns: {', '.join(missing)}.",
            [RejectedRow(line=1, field="", message=f"missing columns: {', '.join(missing)}")],
        )
    index = {name: position for position, name in enumerate(header)}
    rows: list[MonthlyBudgetRow] = []
    refused: list[RejectedRow] = []
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) < len(header):
            refused.append(
                RejectedRow(
                    line=line,
                    field="",
                    message=f"expected {len(header)} fields, found {len(cells)}",
                )
            )
            continue
        value = {name: cells[position].strip() for name, position in index.items()}
        rows.append(_csv_row(line, value, unit))
    return rows, refused


def _csv_row(line: int, value: dict[str, str], unit: MoneyUnit) -> MonthlyBudgetRow:
    problem: tuple[str, str] | None = None
    parts = value["period"].split("-")
    year = month = None
    if all(part.isdigit() for part in parts) and [len(p) for p in parts] in ([4], [4, 2]):
        year = int(parts[0])
        month = int(parts[1]) if len(parts) == 2 else None
    else:
        problem = ("period", f"not YYYY-MM or YYYY: {value['period']!r}")
    amount = Decimal(0)
    try:
        amount = parse_amount(value["amount"], unit)
    except AmountError as exc:
        problem = problem or ("amount", str(exc))
    account: int | None = None
    if value.get("account"):
        if value["account"].isdigit():
            account = int(value["account"])
        else:
            problem = problem or ("account", f"not a ledger account: {value['account']!r}")
    return MonthlyBudgetRow(
        line=line,
        year=year or 0,
        month=month,
        org_unit_id=value["org_unit_id"],
        activity_code=value["activity_code"],
        amount=amount,
        account_group=value.get("account_group") or None,
        account=account,
        problem=problem,
    )


def read_sie(
    stream: BinaryIO, rules: Rules, year: int, default_activity: str | None
) -> tuple[list[MonthlyBudgetRow], list[RejectedRow]]:
    """The ``#PBUDGET`` rows of ``year`` on result accounts (BAS classes 3–8), placed through
    the account and object mappings as ledger outcome is (``rules``); amounts negated into the
    result sign; type 3 files' totals and object splits read as their #PSALDO are. Rows that
    cannot be placed are returned as rejected, one per kind of problem with its count and
    first lines (a file of a million rows lists a few kinds, not a million)."""
    try:
        parsed = sie.parse(stream)
    except sie.SieError as exc:
        raise MonthlyImportRejectedError(
            f"line {exc.line}: {exc.message}",
            [RejectedRow(line=exc.line, field="", message=exc.message)],
        ) from exc
    placer = Placer(rules)
    # The file's current year (#PBUDGET 0; real files also carry last year's budget as -1),
    # its months of the calendar year asked for. Type 3 files write budgets as balances: an
    # account's total and its split by objects.
    of_year = [
        r
        for r in parsed.budgets
        if r.year_index == 0 and r.year == year and is_result_account(r.account)
    ]
    place_balances(placer, of_year, rules, parsed)
    rows: list[MonthlyBudgetRow] = []
    refused: list[RejectedRow] = []
    without_activity: list[int] = []
    for key, amount in placer.sums.items():
        _, month, unit, activity, group = key
        line = placer.first_lines[key]
        if activity is None and default_activity is None:
            without_activity.append(line)
            continue
        rows.append(
            MonthlyBudgetRow(
                line=line,
                year=year,
                month=month,
                org_unit_id=unit,
                activity_code=activity or default_activity or "",
                amount=amount,
                account_group=group,
            )
        )
    for problem in placer.problems.values():
        refused.append(
            RejectedRow(
                line=problem.lines[0],
                field="objects"
                if "object" in problem.kind or "unit" in problem.kind
                else "account",
                message=f"{problem.message} ({problem.count} rows, lines "
                f"{', '.join(map(str, problem.lines))})",
            )
        )
    if without_activity:
        refused.append(
            RejectedRow(
                line=min(without_activity),
                field="objects",
                message="no object names an activity code: map one (object mappings) or pass "
                f"default_activity ({len(without_activity)} month sums, first lines "
                f"{', '.join(map(str, sorted(without_activity)[:5]))})",
            )
        )
    if not rows and not refused:
        raise MonthlyImportRejectedError(
            f"The file has no #PBUDGET rows of {year} on result accounts.",
            [RejectedRow(line=1, field="", message=f"no #PBUDGET rows of {year}")],
        )
    return rows, sorted(refused, key=lambda row: row.line)
