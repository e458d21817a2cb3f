"""The sum invariant of periodisation: whatever the amount, weights and months, the spread
adds up to the amount to the öre, stays within one unit of each month's exact share, and a
resolved line keeps what was entered."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from styr_budget.budgets.periodisation import (
    LINEAR_WEIGHTS,
    Entered,
    outcome_weights,
    resolve,
    spread,
)

ORE = Decimal("0.01")
amounts = st.one_of(
    st.integers(-(10**12), 10**12).map(Decimal),  # whole kronor
    st.integers(-(10**14), 10**14).map(lambda ore: Decimal(ore) / 100),  # öre
).map(lambda amount: amount.quantize(ORE))
weight = st.integers(0, 10**10).map(lambda scaled: Decimal(scaled) / 10**4)
weights = st.lists(st.one_of(st.just(Decimal(0)), weight), min_size=12, max_size=12)
month_sets = st.sets(st.integers(1, 12), min_size=1).map(sorted)


@given(amounts, weights, month_sets)
def test_spread_adds_up_exactly(amount: Decimal, key: list[Decimal], months: list[int]) -> None:
    result = spread(amount, key, months)
    assert len(result) == 12
    assert sum(result, Decimal(0)) == amount
    assert all(result[m - 1] == 0 for m in range(1, 13) if m not in months)
    assert all(value == value.quantize(ORE) for value in result)
    unit = Decimal(1) if amount == amount.to_integral_value() else ORE
    assert all(value % unit == 0 for value in result)
    total = sum((key[m - 1] for m in months), Decimal(0))
    for month in months:
        share = key[month - 1] / total if total else Decimal(1) / len(months)
        assert abs(result[month - 1] - amount * share) < unit
        assert result[month - 1] * amount >= 0  # never against the amount's sign


@given(amounts, st.integers(0, 12), st.integers(1, 12), weights, st.data())
def test_resolved_line_keeps_what_was_entered(
    amount: Decimal, fixed_count: int, from_month: int, key: list[Decimal], data: st.DataObject
) -> None:
    fixed = tuple(data.draw(st.lists(amounts, min_size=fixed_count, max_size=fixed_count)))
    if fixed_count == 12:
        amount = sum(fixed, Decimal(0))  # twelve months are the amount (checked on input)
    months = resolve(Entered(amount, fixed=fixed, from_month=from_month), key)
    assert sum(months, Decimal(0)) == amount
    assert tuple(months[:fixed_count]) == fixed
    start = max(fixed_count + 1, from_month)
    assert all(months[m - 1] == 0 for m in range(fixed_count + 1, start))


@given(amounts, amounts, st.integers(1, 11), weights)
def test_year_to_date_as_printed(
    amount: Decimal, ytd: Decimal, through: int, key: list[Decimal]
) -> None:
    months = resolve(Entered(amount, ytd_through=through, ytd_amount=ytd), key)
    assert sum(months[:through], Decimal(0)) == ytd
    assert sum(months, Decimal(0)) == amount


@given(st.lists(st.one_of(st.none(), amounts), min_size=12, max_size=12))
def test_outcome_profile(outcome: list[Decimal | None]) -> None:
    profile = outcome_weights(outcome)
    if profile is None:
        return
    assert all(value >= 0 for value in profile)
    assert any(profile)
    months = spread(Decimal(-1200), profile, range(1, 13))
    assert sum(months, Decimal(0)) == Decimal(-1200)


def test_linear_spread_of_whole_kronor_and_ore() -> None:
    assert spread(Decimal(100), LINEAR_WEIGHTS, range(1, 13)) == [Decimal(9)] * 4 + [Decimal(8)] * 8
    assert (
        spread(Decimal("-0.13"), LINEAR_WEIGHTS, range(1, 13))
        == [Decimal("-0.02")] + [Decimal("-0.01")] * 11
    )
    assert outcome_weights([Decimal(0)] * 12) is None
