"""Monthly budgets: spreading a budget line over the months of its year.

A stored line keeps what was entered (``amount``; the first ``fixed_months`` months as given;
or a year-to-date figure ``ytd_amount`` through ``ytd_through``; an explicit key name in
``periodisation``) and its resolved months ``m01``…``m12``, which always add up to ``amount``
exactly. Summaries sum the resolved months in SQL.

The resolved months depend on data that can change after the line was written: a named
key's weights, an account group's default key and, for ``previous_year_outcome``, last
year's outcome. :func:`respread` recomputes the months of the lines concerned in the same
transaction as such a change: the key and group services call it, and a session hook
(:func:`_watch_outcome`) calls it before any commit that rewrote the outcome rollup, so a
re-import of last year's outcome never leaves those lines stale.

Rounding: a spread is in whole kronor when the amount is whole kronor, else in öre, and
distributes the units by the largest remainder (ties to the earlier month), so the months add
up to the amount to the öre and each month is within one unit of its exact share.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, and_, bindparam, event, func, select, update
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import SQLModel, col

from styr_budget.budgets.models import BudgetEntry, BudgetVersion
from styr_budget.dimensions.models import AccountGroup, FiscalYear, PeriodisationKey
from styr_budget.outcomes.models import MONTH_COLUMNS, OutcomeYear

LINEAR = "linear"
PREVIOUS_YEAR_OUTCOME = "previous_year_outcome"
BUILTIN_KEYS = (LINEAR, PREVIOUS_YEAR_OUTCOME)
MONTHS = 12
KRONA = Decimal(1)
ORE = Decimal("0.01")
ZERO = Decimal("0.00")
WEIGHT_SCALE = 10**4  # weights have at most four decimals (keys) or two (outcome)
LINEAR_WEIGHTS = (Decimal(1),) * MONTHS
ENTRY_TABLE: Table = SQLModel.metadata.tables["budget_entry"]
OUTCOME_YEAR_TABLE: Table = SQLModel.metadata.tables["outcome_year"]


def spread(amount: Decimal, weights: Sequence[Decimal], months: Sequence[int]) -> list[Decimal]:
    """``amount`` over ``months`` (1-based) by ``weights`` (twelve, ≥ 0): twelve amounts, zero
    outside ``months``, adding up to ``amount`` exactly (largest remainder).

    Weights that are all zero over ``months`` spread evenly."""
    result = [ZERO] * MONTHS
    if not months:
        if amount:
            raise ValueError("no month to spread a non-zero amount over")
        return result
    unit = KRONA if amount == amount.to_integral_value() else ORE
    units = int(abs(amount) / unit)
    scaled = [int(weights[month - 1] * WEIGHT_SCALE) for month in months]
    if any(weight < 0 for weight in scaled):
        raise ValueError("weights must not be negative")
    total = sum(scaled)
    if total == 0:
        scaled, total = [1] * len(months), len(months)
    shares = [divmod(units * weight, total) for weight in scaled]
    left = units - sum(share for share, _ in shares)
    # the `left` months with the largest remainders get one more unit (earlier month first)
    order = sorted(range(len(months)), key=lambda index: (-shares[index][1], index))
    extra = set(order[:left])
    sign = -1 if amount < 0 else 1
    for index, month in enumerate(months):
        count = shares[index][0] + (1 if index in extra else 0)
        result[month - 1] = (sign * count * unit).quantize(ORE)
    return result


def outcome_weights(months: Sequence[Decimal | None] | None) -> tuple[Decimal, ...] | None:
    """A line's outcome profile of last year as weights: each month in the direction of the
    year's total (a cost as a positive weight), months against it counted as zero. None (→
    linear) when there is no outcome or nothing left of it."""
    if months is None or all(value is None for value in months):
        return None
    values = [Decimal(value or 0) for value in months]
    total = sum(values, ZERO)
    if total == 0:
        return None
    sign = 1 if total > 0 else -1
    weights = tuple(max(ZERO, sign * value).quantize(ORE) for value in values)
    return weights if any(weights) else None


@dataclass(frozen=True)
class Entered:
    """What a line was entered with (the parts of a stored line that are not derived)."""

    amount: Decimal
    fixed: tuple[Decimal, ...] = ()
    ytd_through: int | None = None
    ytd_amount: Decimal | None = None
    from_month: int = 1


def resolve(entered: Entered, weights: Sequence[Decimal]) -> list[Decimal]:
    """The twelve months of a line: the fixed months as entered; a year-to-date figure spread
    over its months by the key; the rest of the amount spread by the key over the months after
    those (and not before the version's ``from_month``)."""
    months = [ZERO] * MONTHS
    start = 1
    if entered.fixed:
        months[: len(entered.fixed)] = entered.fixed
        start = len(entered.fixed) + 1
    if entered.ytd_through is not None and entered.ytd_amount is not None:
        ytd = spread(entered.ytd_amount, weights, range(1, entered.ytd_through + 1))
        months = [a + b for a, b in zip(months, ytd, strict=True)]
        start = max(start, entered.ytd_through + 1)
    rest = entered.amount - sum(months, ZERO)
    region = range(max(start, entered.from_month), MONTHS + 1)
    if not region and rest:
        # months given for the whole year that do not add up: refused before storing
        raise ValueError(f"the months add up to {sum(months, ZERO)}, not {entered.amount}")
    tail = spread(rest, weights, region)
    return [a + b for a, b in zip(months, tail, strict=True)]


def key_weights(
    key: str, named: dict[str, tuple[Decimal, ...]], outcome: Sequence[Decimal | None] | None
) -> Sequence[Decimal]:
    """The weights of ``key``; ``named``: the named keys of the line's municipality."""
    if key == PREVIOUS_YEAR_OUTCOME:
        return outcome_weights(outcome) or LINEAR_WEIGHTS
    return named.get(key, LINEAR_WEIGHTS)


def effective_key() -> ColumnElement[Any]:
    """SQL: the key a stored line is spread by (its own, else its group's, else linear)."""
    return func.coalesce(col(BudgetEntry.periodisation), col(AccountGroup.periodisation), LINEAR)


def respread(
    session: Session, where: ColumnElement[bool] | None = None, *, closed_years: bool = False
) -> int:
    """Recompute the months of the stored lines matching ``where`` (open fiscal years only,
    unless ``closed_years``: a closed year's budget stays as it was when a key changes) and
    write those that changed; returns how many.

    Synchronous so that the commit hook can run it; async code calls it through
    ``await session.run_sync(respread, where)``."""
    entry_months = [col(getattr(BudgetEntry, name)) for name in MONTH_COLUMNS]
    outcome_months = [col(getattr(OutcomeYear, name)) for name in MONTH_COLUMNS]
    statement = (
        select(
            col(BudgetEntry.id),
            col(BudgetEntry.municipality_id),
            col(BudgetEntry.amount),
            col(BudgetEntry.fixed_months),
            col(BudgetEntry.ytd_through),
            col(BudgetEntry.ytd_amount),
            col(BudgetVersion.from_month),
            effective_key(),
            col(OutcomeYear.id),
            *entry_months,
            *outcome_months,
        )
        .join(BudgetVersion, col(BudgetVersion.id) == col(BudgetEntry.version_id))
        # a line's group, year and keys are its municipality's (composite keys)
        .join(
            AccountGroup,
            and_(
                col(AccountGroup.municipality_id) == col(BudgetEntry.municipality_id),
                col(AccountGroup.key) == col(BudgetEntry.account_group_key),
            ),
        )
        .join(
            FiscalYear,
            and_(
                col(FiscalYear.municipality_id) == col(BudgetEntry.municipality_id),
                col(FiscalYear.year) == col(BudgetEntry.year),
            ),
        )
        .outerjoin(
            OutcomeYear,
            and_(
                col(OutcomeYear.municipality_id) == col(BudgetEntry.municipality_id),
                col(OutcomeYear.year) == col(BudgetEntry.year) - 1,
                col(OutcomeYear.org_unit_id) == col(BudgetEntry.org_unit_id),
                col(OutcomeYear.activity_code) == col(BudgetEntry.activity_code),
                col(OutcomeYear.account_group_key) == col(BudgetEntry.account_group_key),
                effective_key() == PREVIOUS_YEAR_OUTCOME,
            ),
        )
    )
    if not closed_years:
        statement = statement.where(col(FiscalYear.closed).is_(False))
    if where is not None:
        statement = statement.where(where)
    named: dict[str, dict[str, tuple[Decimal, ...]]] = {}
    for stored_key in session.execute(select(PeriodisationKey)).scalars():
        named.setdefault(stored_key.municipality_id, {})[stored_key.key] = tuple(
            Decimal(weight) for weight in stored_key.weights
        )
    # the rollup has one row per year × unit × activity × group; sum in case of doubles
    profiles: dict[int, list[Decimal]] = {}
    stored: dict[int, tuple[Entered, str, str, list[Decimal]]] = {}
    for row in session.execute(statement).all():
        entry_id, municipality_id, amount, fixed, ytd_through, ytd_amount = row[:6]
        from_month, key, outcome_id = row[6:9]
        current = [Decimal(value) for value in row[9:21]]
        if outcome_id is not None:
            outcome = [Decimal(value) for value in row[21:33]]
            previous = profiles.get(entry_id)
            profiles[entry_id] = (
                outcome
                if previous is None
                else [a + b for a, b in zip(previous, outcome, strict=True)]
            )
        entered = Entered(
            amount=Decimal(amount),
            fixed=tuple(current[:fixed]),
            ytd_through=ytd_through,
            ytd_amount=None if ytd_amount is None else Decimal(ytd_amount),
            from_month=from_month,
        )
        stored[entry_id] = (entered, municipality_id, key, current)
    changes = []
    for entry_id, (entered, municipality_id, key, current) in stored.items():
        weights = key_weights(key, named.get(municipality_id, {}), profiles.get(entry_id))
        months = resolve(entered, weights)
        if months != current:
            changes.append({"entry_id": entry_id, **dict(zip(MONTH_COLUMNS, months, strict=True))})
    if changes:
        session.execute(
            update(ENTRY_TABLE)
            .where(ENTRY_TABLE.c.id == bindparam("entry_id"))
            .values({name: bindparam(name) for name in MONTH_COLUMNS}),
            changes,
        )
    return len(changes)


def lines_using_key(key: str, municipality_id: str | None = None) -> ColumnElement[bool]:
    """Lines spread by ``key``: of one municipality (a named key is a municipality's), or of
    every municipality (the built-in keys)."""
    if municipality_id is None:
        return effective_key() == key
    return and_(col(BudgetEntry.municipality_id) == municipality_id, effective_key() == key)


def lines_defaulting_in_group(municipality_id: str, group_key: str) -> ColumnElement[bool]:
    return and_(
        col(BudgetEntry.municipality_id) == municipality_id,
        col(BudgetEntry.account_group_key) == group_key,
        col(BudgetEntry.periodisation).is_(None),
    )


# The outcome rollup is rewritten by the outcome imports (and the demo loader) with bulk
# statements; lines spread by last year's outcome are brought up to date before such a
# transaction commits, in that transaction.
_OUTCOME_CHANGED = "styr_budget.outcome_year_changed"


@event.listens_for(Session, "do_orm_execute")
def _watch_outcome(state: ORMExecuteState) -> None:
    table = getattr(state.statement, "table", None)
    if (state.is_insert or state.is_update or state.is_delete) and (
        getattr(table, "name", None) == OUTCOME_YEAR_TABLE.name
    ):
        state.session.info[_OUTCOME_CHANGED] = True


@event.listens_for(Session, "before_flush")
def _watch_outcome_objects(session: Session, _context: Any, _instances: Any) -> None:
    if any(
        isinstance(item, OutcomeYear) for item in (*session.new, *session.dirty, *session.deleted)
    ):
        session.info[_OUTCOME_CHANGED] = True


@event.listens_for(Session, "before_commit")
def _respread_outcome_lines(session: Session) -> None:
    session.flush()  # what the commit would flush, so that added rollup rows are seen
    if session.info.pop(_OUTCOME_CHANGED, False):
        respread(session, lines_using_key(PREVIOUS_YEAR_OUTCOME))


@event.listens_for(Session, "after_soft_rollback")
def _forget_outcome_change(session: Session, _previous: Any) -> None:
    session.info.pop(_OUTCOME_CHANGED, None)
