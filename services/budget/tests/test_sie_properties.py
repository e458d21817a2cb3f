"""Invariants of the SIE reader over generated files: every result row lands on the month of its
own date, whatever the vouchers look like; any damage to a file ends in a located SieError or a
clean read, never another exception; #PBUDGET reaches the parser's output."""

from __future__ import annotations

import io
import re
import tracemalloc
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from styr_budget.outcomes import mapping, sie

DATA = Path(__file__).parent / "data" / "sie"


def rules() -> mapping.Rules:
    return mapping.Rules(account_ranges=[(3000, 8999, "g")], objects={}, default_unit="u")


rows = st.tuples(
    st.sampled_from([1930, 2440, 3010, 4010, 5010, 6110, 7010, 8410, 9100]),
    st.integers(min_value=-(10**9), max_value=10**9),  # öre
    st.one_of(st.none(), st.integers(min_value=-400, max_value=400)),  # transdate offset
    st.sampled_from(["{}", '{1 "7210"}', '{1 "A B" 6 "P/1"}', "{ }"]),
)
vouchers = st.lists(
    st.tuples(st.integers(min_value=0, max_value=364), st.lists(rows, min_size=0, max_size=6)),
    min_size=1,
    max_size=15,
)


def _kronor(ore: int) -> str:
    sign = "-" if ore < 0 else ""
    return f"{sign}{abs(ore) // 100}.{abs(ore) % 100:02d}"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(vouchers)
def test_every_result_row_lands_on_its_own_month(generated: list[tuple[int, list[Any]]]) -> None:
    lines = ["#FLAGGA 0", "#FORMAT PC8", "#SIETYP 4", '#PROGRAM "Gen" 1']
    expected: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    start = date(2025, 1, 1)
    for number, (offset, voucher_rows) in enumerate(generated, start=1):
        voucher_day = start + timedelta(days=offset)
        lines += [f'#VER A {number} {voucher_day:%Y%m%d} "v"', "{"]
        for account, ore, shift, objects in voucher_rows:
            row = f"#TRANS {account} {objects} {_kronor(ore)}"
            day = voucher_day
            if shift is not None:
                day = voucher_day + timedelta(days=shift)
                row += f' {day:%Y%m%d} "t"'
            lines.append(row)
            if 3000 <= account < 9000:
                expected[(day.year, day.month)] -= Decimal(ore) / 100
        lines.append("}")
    data = ("\r\n".join(lines) + "\r\n").encode("cp437")
    result_rows = sum(
        1 for _, voucher_rows in generated for account, *_ in voucher_rows if account < 9000
    )
    if not any(voucher_rows for _, voucher_rows in generated):
        return  # a file without rows is refused (tested elsewhere)

    mapped = mapping.map_sie(io.BytesIO(data), rules())

    got = {(y, m): amount for (y, m, *_), amount in mapped.sums.items() if amount}
    assert got == {key: value for key, value in expected.items() if value}
    assert mapped.transactions == sum(len(r) for _, r in generated)
    assert mapped.rows_defaulted == sum(
        1 for _, r in generated for account, *_ in r if 3000 <= account < 9000
    )
    assert result_rows >= mapped.rows_defaulted
    assert mapped.vouchers_skipped == sum(1 for _, r in generated if not r)


_MAMUT = (DATA / "mamut-enterprise-typ4.se").read_bytes()
SAMPLE = _MAMUT[: _MAMUT.index(b"#VER", _MAMUT.index(b"#VER") + 2000)]  # header, a few vouchers


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=len(SAMPLE)),
            st.integers(min_value=0, max_value=8),
            st.binary(min_size=0, max_size=6),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_damaged_files_fail_only_with_a_located_error(
    damage: list[tuple[int, int, bytes]],
) -> None:
    data = SAMPLE
    for position, cut, insert in damage:
        data = data[:position] + insert + data[position + cut :]
    failure: sie.SieError | None = None
    try:
        mapping.map_sie(io.BytesIO(data), rules())
    except sie.SieError as error:
        failure = error
    if failure is not None:
        assert failure.line >= 1
        assert failure.message


def test_period_budgets_are_in_the_parsers_output() -> None:
    data = (DATA / "avendo-typ2.se").read_bytes()
    parsed = sie.parse(data)
    assert len(parsed.budgets) == data.count(b"#PBUDGET")
    first = parsed.budgets[0]
    assert (first.kind, first.year_index, first.year, first.month) == ("PBUDGET", 0, 2011, 1)
    assert (first.account, first.objects, first.amount) == (3041, [], Decimal("-150000.00"))
    assert len(parsed.balances) == data.count(b"#PSALDO")


def test_the_fast_row_reader_agrees_with_the_general_one(monkeypatch: pytest.MonkeyPatch) -> None:
    # every #TRANS of the real exports, read by the one-match fast path and by the tokenizer
    files = sorted(DATA.glob("*typ4*"))
    fast = [sie.parse(path.read_bytes()).verifications for path in files]
    monkeypatch.setattr(sie, "_FAST_TRANS", re.compile(r"(?!)"))
    general = [sie.parse(path.read_bytes()).verifications for path in files]
    assert fast == general
    assert sum(len(v.transactions) for file in fast for v in file) > 5000


def test_thousands_of_unmapped_objects_are_listed_within_bounds() -> None:
    rows = [f'#TRANS 5010 {{1 "o{n}"}} 1.00' for n in range(3000)]
    data = "\r\n".join(["#SIETYP 4", "#VER A 1 20250101", "{", *rows, "}"]).encode()
    placeless = mapping.Rules(account_ranges=[(3000, 8999, "g")], objects={})
    mapped = mapping.map_sie(io.BytesIO(data), placeless)
    assert len(mapped.problems) == mapping.MAX_PROBLEM_KINDS + 1
    assert mapped.problems[-1].message == "rows of further kinds, not listed one by one"
    assert mapped.problems[-1].count == 3000 - mapping.MAX_PROBLEM_KINDS


def test_one_huge_voucher_is_read_in_little_memory() -> None:
    # a salary run booked as one voucher: its rows are summed as they come, not kept
    rows = 'A 5010 {1 "7210"} 100.00 20250131 "Lön"\n' * 100_000
    data = ("#SIETYP 4\n#VER L 1 20250131\n{\n" + rows.replace("A", "#TRANS") + "}\n").encode()
    tracemalloc.start()
    try:
        mapped = mapping.map_sie(io.BytesIO(data), rules())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert mapped.transactions == 100_000
    assert peak < 5_000_000, peak  # keeping the rows takes over 20 MB
    assert any("does not balance" in warning for warning in mapped.warnings)
