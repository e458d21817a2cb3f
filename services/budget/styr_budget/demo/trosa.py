"""Demo data of the second municipality, Trosa (``trosa``): its care committee (``trosa-von``).

**The figures are invented**, plausible for a municipality of about 14 000 inhabitants: a care
committee with a net budget of some 250 mkr (elderly care, LSS, the administration), about
two thirds of the size of Oxelösund's (which also runs individual and family care). They are
not Trosa's real budget or ledger. They show what a second tenant has of its own:

- fiscal years 2024 (closed) to 2026 with follow-ups in April, August and December (Oxelösund
  follows up in March, April, August and October);
- activity codes of its own, reusing two of Oxelösund's numbers with other names (55
  "Äldreomsorg", 56 "Stöd enligt LSS"), and account groups of its own, one reusing
  Oxelösund's key ``personalkostnader`` with another name and a holiday-pay periodisation
  key (``semester``) as its default;
- its chart-of-accounts and SIE object mappings (object 7000 is Trosa's committee here and
  Oxelösund's there);
- budgets 2024 and 2025 (adopted, each equal to its frame), personnel spread by the
  holiday-pay key, the rest linearly;
- outcome January–April 2025 per unit, activity and account group (source ``demo``), the
  April 2025 forecast per activity and unit, and one measure for the LSS deficit.

The org units are the goals demo's Trosa units (``styr_shared.testing.orgs.TROSA``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from styr_budget.amounts import MoneyUnit, parse_amount
from styr_budget.budgets.models import BudgetEntry, BudgetFrame, BudgetVersion
from styr_budget.budgets.periodisation import LINEAR_WEIGHTS, spread
from styr_budget.dimensions.models import (
    AccountGroup,
    AccountMapping,
    ActivityCode,
    FiscalYear,
    ObjectMapping,
    PeriodisationKey,
)
from styr_budget.forecasts.models import BalanceMeasure, Forecast
from styr_budget.outcomes.models import MONTH_COLUMNS, Outcome, OutcomeImport
from styr_budget.outcomes.service import rebuild_rollup
from styr_shared.types import utcnow

MUNICIPALITY = "trosa"
COMMITTEE = "trosa-von"
LOADER = "demo-loader"
FOLLOW_UP_MONTHS = [4, 8, 12]
FISCAL_YEARS = {2024: True, 2025: False, 2026: False}  # year: closed

ACTIVITY_CODES = {
    "10": "Nämndverksamhet",
    "50": "Förvaltningsgemensamt",
    "55": "Äldreomsorg",
    "56": "Stöd enligt LSS",
}
HOLIDAY_KEY = "semester"
# A holiday-pay profile: summer temps in June and August, a low July (weights, January first).
HOLIDAY_WEIGHTS = [
    "8.2",
    "8.2",
    "8.2",
    "8.2",
    "8.2",
    "9.1",
    "6.4",
    "9.1",
    "8.6",
    "8.6",
    "8.6",
    "8.6",
]
# key, name, kind, order, default periodisation key
ACCOUNT_GROUPS: list[tuple[str, str, str, int, str | None]] = [
    ("intakter", "Verksamhetens intäkter", "revenue", 10, None),
    ("kommunbidrag", "Kommunbidrag", "allocation", 20, None),
    ("personalkostnader", "Personal", "cost", 30, HOLIDAY_KEY),
    ("lokaler", "Lokaler och hyror", "cost", 40, None),
    ("ovriga_kostnader", "Övriga verksamhetskostnader", "cost", 50, None),
]
ACCOUNT_RANGES = [
    (3000, 3899, "intakter"),
    (3900, 3999, "kommunbidrag"),
    (4000, 4999, "ovriga_kostnader"),
    (5000, 5999, "personalkostnader"),
    (6000, 6099, "lokaler"),
    (6100, 8999, "ovriga_kostnader"),
]
RESPONSIBILITY_OBJECTS = {  # SIE dimension 1
    "7000": "trosa-von",
    "7100": "trosa-vof",
    "7310": "trosa-hemtjanst",
    "7320": "trosa-sabo",
}
ACTIVITY_DIMENSION = 20

Line = tuple[str, str, str]  # org unit, activity code, account group
# The adopted budgets in tkr (revenue +, cost −); each adds up to the frame's net.
BUDGETS: dict[int, tuple[str, dict[Line, str]]] = {
    2024: (
        "248 950",
        {
            ("trosa-von", "10", "personalkostnader"): "-650",
            ("trosa-von", "10", "ovriga_kostnader"): "-1 450",
            ("trosa-vof", "50", "personalkostnader"): "-14 200",
            ("trosa-vof", "50", "lokaler"): "-1 900",
            ("trosa-vof", "50", "ovriga_kostnader"): "-6 300",
            ("trosa-vof", "56", "intakter"): "2 100",
            ("trosa-vof", "56", "personalkostnader"): "-31 500",
            ("trosa-vof", "56", "ovriga_kostnader"): "-17 800",
            ("trosa-hemtjanst", "55", "intakter"): "9 600",
            ("trosa-hemtjanst", "55", "personalkostnader"): "-64 800",
            ("trosa-hemtjanst", "55", "lokaler"): "-2 400",
            ("trosa-hemtjanst", "55", "ovriga_kostnader"): "-7 900",
            ("trosa-sabo", "55", "intakter"): "22 850",
            ("trosa-sabo", "55", "personalkostnader"): "-98 600",
            ("trosa-sabo", "55", "lokaler"): "-21 300",
            ("trosa-sabo", "55", "ovriga_kostnader"): "-14 700",
        },
    ),
    2025: (
        "259 980",
        {
            ("trosa-von", "10", "personalkostnader"): "-680",
            ("trosa-von", "10", "ovriga_kostnader"): "-1 500",
            ("trosa-vof", "50", "personalkostnader"): "-14 900",
            ("trosa-vof", "50", "lokaler"): "-1 950",
            ("trosa-vof", "50", "ovriga_kostnader"): "-6 450",
            ("trosa-vof", "56", "intakter"): "2 200",
            ("trosa-vof", "56", "personalkostnader"): "-33 100",
            ("trosa-vof", "56", "ovriga_kostnader"): "-18 700",
            ("trosa-hemtjanst", "55", "intakter"): "9 950",
            ("trosa-hemtjanst", "55", "personalkostnader"): "-67 900",
            ("trosa-hemtjanst", "55", "lokaler"): "-2 450",
            ("trosa-hemtjanst", "55", "ovriga_kostnader"): "-8 200",
            ("trosa-sabo", "55", "intakter"): "23 700",
            ("trosa-sabo", "55", "personalkostnader"): "-102 800",
            ("trosa-sabo", "55", "lokaler"): "-21 900",
            ("trosa-sabo", "55", "ovriga_kostnader"): "-15 300",
        },
    ),
}
OUTCOME_YEAR, OUTCOME_MONTHS = 2025, range(1, 5)
# Outcome against the budgeted months: home care's staff and LSS purchases over budget.
OUTCOME_FACTORS: dict[Line, str] = {
    ("trosa-hemtjanst", "55", "personalkostnader"): "1.035",
    ("trosa-vof", "56", "ovriga_kostnader"): "1.12",
    ("trosa-sabo", "55", "intakter"): "0.97",
}
FORECAST_MONTH = 4
FORECASTS_2025: dict[tuple[str, str], str] = {  # (unit, activity) → year-end forecast, tkr
    ("trosa-von", "10"): "-2 180",
    ("trosa-vof", "50"): "-23 000",
    ("trosa-vof", "56"): "-52 100",
    ("trosa-hemtjanst", "55"): "-70 400",
    ("trosa-sabo", "55"): "-116 300",
}


def tkr(value: str) -> Decimal:
    return parse_amount(value, MoneyUnit.TKR)


def _weights(group: str) -> list[Decimal]:
    key = next(default for name, _, _, _, default in ACCOUNT_GROUPS if name == group)
    if key == HOLIDAY_KEY:
        return [Decimal(weight) for weight in HOLIDAY_WEIGHTS]
    return list(LINEAR_WEIGHTS)


def _months(amount: Decimal, group: str) -> list[Decimal]:
    """The line's months as the service spreads them (its group's default key)."""
    return spread(amount, _weights(group), range(1, 13))


async def load(session: AsyncSession) -> None:
    """Add Trosa's demo data to the caller's transaction."""
    m = MUNICIPALITY
    for year, closed in FISCAL_YEARS.items():
        session.add(
            FiscalYear(
                municipality_id=m, year=year, follow_up_months=FOLLOW_UP_MONTHS, closed=closed
            )
        )
    session.add_all(
        ActivityCode(municipality_id=m, code=code, name=name)
        for code, name in ACTIVITY_CODES.items()
    )
    session.add(
        PeriodisationKey(
            municipality_id=m, key=HOLIDAY_KEY, name="Semesterlöneprofil", weights=HOLIDAY_WEIGHTS
        )
    )
    session.add_all(
        AccountGroup(
            municipality_id=m,
            key=key,
            name=name,
            kind=kind,
            sort_order=order,
            periodisation=default,
        )
        for key, name, kind, order, default in ACCOUNT_GROUPS
    )
    await session.flush()
    session.add_all(
        AccountMapping(municipality_id=m, account_from=start, account_to=end, account_group_key=g)
        for start, end, g in ACCOUNT_RANGES
    )
    session.add_all(
        ObjectMapping(municipality_id=m, dimension=1, object_code=code, org_unit_id=unit)
        for code, unit in RESPONSIBILITY_OBJECTS.items()
    )
    session.add_all(
        ObjectMapping(
            municipality_id=m, dimension=ACTIVITY_DIMENSION, object_code=code, activity_code=code
        )
        for code in ACTIVITY_CODES
    )
    for year, (frame_text, lines) in BUDGETS.items():
        await _budget(session, year, frame_text, lines)
    await _outcome(session)
    _forecasts(session)
    await rebuild_rollup(session, m, {OUTCOME_YEAR})


async def _budget(
    session: AsyncSession, year: int, frame_text: str, lines: dict[Line, str]
) -> None:
    net = -tkr(frame_text)
    amounts = {line: tkr(text) for line, text in lines.items()}
    total = sum(amounts.values(), Decimal(0))
    if total != net:
        raise ValueError(f"Trosa demo budget {year}: lines {total} != frame {net}")
    session.add(
        BudgetFrame(
            municipality_id=MUNICIPALITY,
            committee_id=COMMITTEE,
            year=year,
            net_amount=net,
            original_net_amount=net,
            created_by=LOADER,
        )
    )
    now = utcnow()
    version = BudgetVersion(
        committee_id=COMMITTEE,
        year=year,
        number=1,
        kind="original",
        label=f"Internbudget {year}",
        status="adopted",
        frame_net_amount=net,
        created_by=LOADER,
        adopted_by=LOADER,
        adopted_at=now,
    )
    session.add(version)
    await session.flush()
    assert version.id is not None
    for (unit, code, group), amount in amounts.items():
        months: dict[str, Any] = dict(zip(MONTH_COLUMNS, _months(amount, group), strict=True))
        session.add(
            BudgetEntry(
                version_id=version.id,
                municipality_id=MUNICIPALITY,
                year=year,
                org_unit_id=unit,
                activity_code=code,
                account_group_key=group,
                amount=amount,
                **months,
            )
        )


async def _outcome(session: AsyncSession) -> None:
    """January–April 2025: each budgeted month times the line's factor, in whole kronor."""
    _, lines = BUDGETS[OUTCOME_YEAR]
    rows: list[Outcome] = []
    record = OutcomeImport(
        municipality_id=MUNICIPALITY,
        source="demo",
        format="demo",
        filename="Huvudbok januari–april 2025 (påhittade demosiffror)",
        sha256="-",
        periods=[f"{OUTCOME_YEAR}-{month:02d}" for month in OUTCOME_MONTHS],
        transactions=0,
        rows=0,
        replaced_rows=0,
        created_by=LOADER,
    )
    session.add(record)
    await session.flush()
    assert record.id is not None
    for line, text in lines.items():
        unit, code, group = line
        budgeted = _months(tkr(text), group)
        factor = Decimal(OUTCOME_FACTORS.get(line, "1"))
        for month in OUTCOME_MONTHS:
            amount = (budgeted[month - 1] * factor).quantize(Decimal(1))
            rows.append(
                Outcome(
                    import_id=record.id,
                    municipality_id=MUNICIPALITY,
                    source="demo",
                    year=OUTCOME_YEAR,
                    month=month,
                    org_unit_id=unit,
                    activity_code=code,
                    account_group_key=group,
                    amount=amount,
                )
            )
    record.transactions = record.rows = len(rows)
    session.add_all(rows)
    await session.flush()


def _forecasts(session: AsyncSession) -> None:
    for (unit, code), text in FORECASTS_2025.items():
        session.add(
            Forecast(
                municipality_id=MUNICIPALITY,
                year=OUTCOME_YEAR,
                month=FORECAST_MONTH,
                org_unit_id=unit,
                activity_code=code,
                account_group_key=None,
                amount=tkr(text),
                comment="Årsprognos per april (påhittade demosiffror)",
                created_by=LOADER,
            )
        )
    session.add(
        BalanceMeasure(
            municipality_id=MUNICIPALITY,
            committee_id=COMMITTEE,
            year=OUTCOME_YEAR,
            month=FORECAST_MONTH,
            activity_code="56",
            description="Översyn av köpta platser och egen regi inom LSS",
            amount=tkr("1 500"),
            responsible="Verksamhetschef LSS",
            status="decided",
            created_by=LOADER,
        )
    )
