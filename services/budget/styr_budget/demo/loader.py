"""Demo data for the budget service: Oxelösund's care committee (VON), from the committee
papers (``data/oxelosund-von-budget.json``, a copy of the shared fixture).

What is loaded, in the stored convention (kronor, revenue +, cost −):
- code lists: fiscal years 2023–2027 (follow-ups March, April, August, October), the
  activity codes of the papers, account groups, a demo chart-of-accounts mapping and SIE
  object mappings for the demo units;
- budgets: 2023 (revenue/cost per activity, as printed in VP 2024), 2024 as adopted
  (M&B 2024, revenue/cost per activity, frame "348,937 tkr") plus the revision to the budget
  printed a year later (net per activity, frame 356 976 tkr), 2025 (net per activity, frame
  "370,697 tkr");
- forecasts: October 2023 (revenue/cost per activity) and October 2024 (net per activity);
- outcome 2023 and 2024 per account group from the annual report (mkr, committee level, no
  monthly split in the source: booked in December);
- investments 2025–2027 per object;
- the 2024 result per section (SO +5,6, ÄO −2,0 mkr) with the larger deviations per
  verksamhet as the annual report explains them (the ÄO list is partial, as printed).

The papers give activity codes, not units; each code is placed on the demo org unit that runs
it (``ACTIVITY_UNITS``, inferred). Rows are written directly (the org replica may still be
empty when the demo loads), but every budget version is checked against its frame here.

Beside Oxelösund the demo has a second, smaller municipality with invented figures, Trosa
(:mod:`styr_budget.demo.trosa`), so every list and summary shows two tenants. Each is loaded
when it has no settings yet (a demo database from before Trosa gets Trosa on the next load).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_budget.amounts import MoneyUnit, parse_amount
from styr_budget.budgets.models import BudgetEntry, BudgetFrame, BudgetVersion
from styr_budget.budgets.periodisation import LINEAR_WEIGHTS, spread
from styr_budget.demo import trosa
from styr_budget.dimensions.models import (
    AccountGroup,
    AccountMapping,
    ActivityCode,
    FiscalYear,
    ObjectMapping,
)
from styr_budget.forecasts.models import Forecast
from styr_budget.investments.models import InvestmentObject, InvestmentYear
from styr_budget.outcomes.models import MONTH_COLUMNS, Outcome, OutcomeImport
from styr_budget.outcomes.service import rebuild_rollup
from styr_budget.results.models import ResultExplanation, ResultReport
from styr_shared.db import Database
from styr_shared.types import utcnow

DATA = Path(__file__).parent / "data" / "oxelosund-von-budget.json"
MUNICIPALITY = "oxelosund"
COMMITTEE = "oxelosund-von"
LOADER = "demo-loader"
SECTION_UNITS = {"SO": "oxelosund-so", "ÄO": "oxelosund-ao"}

# Activity code → the demo org unit whose budget it is (inferred: the papers budget per code).
ACTIVITY_UNITS = {
    "11": "oxelosund-von",  # Nämndverksamhet: the committee itself
    "27": "oxelosund-so",  # Miljö- och hälsoskydd (permits handled by social services)
    "50": "oxelosund-vof",  # Gemensam administration: the administration
    "54": "oxelosund-ifo",  # Individ och familjeomsorg
    "55": "oxelosund-ao",  # Vård och omsorg, SoL och HSL: elderly care section
    "56": "oxelosund-lss",  # Insatser enl LSS
    "57": "oxelosund-so",  # Färdtjänst/Riksfärdtjänst
    "58": "oxelosund-ao",  # Förebyggande verksamhet (reported under ÄO in 2024)
    "62": "oxelosund-so",  # Integration
    "63": "oxelosund-so",  # Arbetsmarknadsåtgärder
}

# key, name, kind, order. "intakter"/"kostnader"/"netto" hold budgets the papers print only
# as revenue, cost or net per activity code.
ACCOUNT_GROUPS = [
    ("avgiftsintakter", "Avgiftsintäkter", "revenue", 10),
    ("bidragsintakter", "Bidragsintäkter", "revenue", 20),
    ("ovriga_intakter", "Övriga intäkter", "revenue", 30),
    ("intakter", "Intäkter (ej fördelade på kontogrupp)", "revenue", 40),
    ("anslagsintakter", "Anslagsintäkter", "allocation", 50),
    ("personalkostnader", "Personalkostnader", "cost", 60),
    ("lokalkostnader", "Lokalkostnader", "cost", 70),
    ("kop_av_verksamhet", "Kostnader för köp av verksamhet", "cost", 80),
    ("ovriga_kostnader", "Övriga kostnader", "cost", 90),
    ("kostnader", "Kostnader (ej fördelade på kontogrupp)", "cost", 100),
    ("netto", "Nettobudget (ej fördelad på kontogrupp)", "net", 110),
]

# A demo chart of accounts (Kommun-Bas-like); a municipality configures its own.
ACCOUNT_RANGES = [
    (3000, 3099, "ovriga_intakter"),
    (3100, 3199, "avgiftsintakter"),
    (3200, 3299, "ovriga_intakter"),
    (3300, 3399, "bidragsintakter"),
    (3400, 3899, "ovriga_intakter"),
    (3900, 3999, "anslagsintakter"),
    (4000, 4499, "ovriga_kostnader"),
    (4500, 4599, "kop_av_verksamhet"),
    (4600, 4999, "ovriga_kostnader"),
    (5000, 5999, "personalkostnader"),
    (6000, 6199, "lokalkostnader"),
    (6200, 8999, "ovriga_kostnader"),
]

RESPONSIBILITY_DIMENSION = 1  # SIE: kostnadsställe / ansvar
ACTIVITY_DIMENSION = 20  # a free SIE dimension: verksamhet
RESPONSIBILITY_OBJECTS = {
    "7000": "oxelosund-von",
    "7010": "oxelosund-vof",
    "7100": "oxelosund-so",
    "7110": "oxelosund-ifo",
    "7120": "oxelosund-lss",
    "7200": "oxelosund-ao",
    "7210": "oxelosund-sabo",
    "7220": "oxelosund-hemtjanst",
    "7230": "oxelosund-hsl",
}


def load_fixture() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DATA.read_text(encoding="utf-8"))
    return data


def tkr(value: Any) -> Decimal:
    return parse_amount(str(value), MoneyUnit.TKR)


def mkr(value: Any) -> Decimal:
    return parse_amount(str(value), MoneyUnit.MKR)


class _Budget:
    """Collects one year's versions and checks each against its frame before writing."""

    def __init__(self, year: int, frame_text: str) -> None:
        self.year = year
        self.frame_net = -parse_amount(frame_text, MoneyUnit.TKR)
        self.original_net = self.frame_net
        self.versions: list[
            tuple[str, str, str | None, Decimal, dict[tuple[str, str], Decimal]]
        ] = []

    def version(
        self,
        kind: str,
        label: str,
        lines: dict[tuple[str, str], Decimal],
        reason: str | None = None,
        frame_text: str | None = None,
    ) -> None:
        if frame_text is not None:
            self.frame_net = -parse_amount(frame_text, MoneyUnit.TKR)
        self.versions.append((kind, label, reason, self.frame_net, lines))
        total = sum((sum(v[4].values(), Decimal(0)) for v in self.versions), Decimal(0))
        if total != self.frame_net:
            raise ValueError(f"demo budget {self.year} {label}: {total} != frame {self.frame_net}")

    def rows(self) -> list[Any]:
        now = utcnow()
        frame = BudgetFrame(
            municipality_id=MUNICIPALITY,
            committee_id=COMMITTEE,
            year=self.year,
            net_amount=self.frame_net,
            original_net_amount=self.original_net,
            created_by=LOADER,
        )
        rows: list[Any] = [frame]
        for number, (kind, label, reason, frame_net, lines) in enumerate(self.versions, 1):
            version = BudgetVersion(
                committee_id=COMMITTEE,
                year=self.year,
                number=number,
                kind=kind,
                label=label,
                reason=reason,
                status="adopted",
                frame_net_amount=frame_net,
                created_by=LOADER,
                adopted_by=LOADER,
                adopted_at=now,
            )
            rows.append((version, lines))
        return rows


def _budgets(data: dict[str, Any]) -> list[_Budget]:
    ib24 = data["internal_budget_2024"]
    ib25 = data["internal_budget_2025"]

    def split(field: str) -> dict[tuple[str, str], Decimal]:
        lines: dict[tuple[str, str], Decimal] = {}
        for line in ib24["lines"]:
            for part, group in (("revenue", "intakter"), ("cost", "kostnader")):
                amount = tkr(line[part][field])
                if amount:
                    lines[(line["code"], group)] = amount
        return lines

    # 2023: the frame is not printed; it is the net budget 2023 of the VP 2024 table.
    b2023 = _Budget(2023, str(-ib24["totals"]["net"]["budget_2023"]))
    b2023.version("original", "Budget 2023 (enligt VP 2024–2026)", split("budget_2023"))

    b2024 = _Budget(2024, ib24["frame"]["raw"])
    b2024.version("original", "M&B 2024", split("budget_2024"))
    mb_net = {line["code"]: tkr(line["net"]["budget_2024"]) for line in ib24["lines"]}
    changes = {
        (line["code"], "netto"): tkr(line["budget_2024"]) - mb_net[line["code"]]
        for line in ib25["lines"]
        if tkr(line["budget_2024"]) != mb_net[line["code"]]
    }
    b2024.version(
        "revision",
        "Reviderad budget 2024",
        changes,
        reason="Budget 2024 reviderad under året (kolumnen Budget 2024 i Internbudget 2025).",
        frame_text=str(-ib25["total"]["budget_2024"]),
    )

    b2025 = _Budget(2025, ib25["frame"]["raw"])
    b2025.version(
        "original",
        "Internbudget 2025",
        {(line["code"], "netto"): tkr(line["budget_2025"]) for line in ib25["lines"]},
    )
    return [b2023, b2024, b2025]


async def _has_settings(session: AsyncSession, municipality_id: str) -> bool:
    statement = (
        select(func.count())
        .select_from(ActivityCode)
        .where(col(ActivityCode.municipality_id) == municipality_id)
    )
    return bool((await session.exec(statement)).one())


async def load_demo(database: Database) -> bool:
    """Load the demo data of each demo municipality (Oxelösund, then Trosa) that has no
    settings yet; returns False when both had (nothing was loaded)."""
    async with database.session() as session:
        loaded = False
        if not await _has_settings(session, MUNICIPALITY):
            await _load_oxelosund(session)
            loaded = True
        if not await _has_settings(session, trosa.MUNICIPALITY):
            await trosa.load(session)
            loaded = True
        await session.commit()
    return loaded


async def _load_oxelosund(session: AsyncSession) -> None:
    data = load_fixture()
    m = MUNICIPALITY
    for year in range(2023, 2028):
        session.add(FiscalYear(municipality_id=m, year=year, follow_up_months=[3, 4, 8, 10]))
    names = {line["code"]: line["name"] for line in data["internal_budget_2025"]["lines"]}
    session.add_all(
        ActivityCode(municipality_id=m, code=code, name=name) for code, name in names.items()
    )
    session.add_all(
        AccountGroup(municipality_id=m, key=key, name=name, kind=kind, sort_order=order)
        for key, name, kind, order in ACCOUNT_GROUPS
    )
    await session.flush()
    session.add_all(
        AccountMapping(
            municipality_id=m, account_from=start, account_to=end, account_group_key=group
        )
        for start, end, group in ACCOUNT_RANGES
    )
    session.add_all(
        ObjectMapping(
            municipality_id=m,
            dimension=RESPONSIBILITY_DIMENSION,
            object_code=code,
            org_unit_id=unit,
        )
        for code, unit in RESPONSIBILITY_OBJECTS.items()
    )
    session.add_all(
        ObjectMapping(
            municipality_id=m,
            dimension=ACTIVITY_DIMENSION,
            object_code=code,
            activity_code=code,
        )
        for code in names
    )

    for budget in _budgets(data):
        for item in budget.rows():
            if isinstance(item, BudgetFrame):
                session.add(item)
                continue
            version, lines = item
            session.add(version)
            await session.flush()
            session.add_all(
                BudgetEntry(
                    version_id=version.id,
                    municipality_id=m,
                    year=budget.year,
                    org_unit_id=ACTIVITY_UNITS[code],
                    activity_code=code,
                    account_group_key=group,
                    amount=amount,
                    # the papers print no monthly budget: spread linearly
                    **_linear_months(amount),
                )
                for (code, group), amount in lines.items()
            )

    for line in data["internal_budget_2024"]["lines"]:
        for part, group in (("revenue", "intakter"), ("cost", "kostnader")):
            amount = tkr(line[part]["forecast_2023_oct"])
            if amount:
                session.add(_forecast(2023, line["code"], group, amount))
    for line in data["internal_budget_2025"]["lines"]:
        session.add(_forecast(2024, line["code"], None, tkr(line["forecast_2024_oct"])))

    await _outcome(session, data["outcome_2024_by_account_group"])
    await session.flush()
    await rebuild_rollup(session, m, {2023, 2024})
    _investments(session, data["investment_budget_2025_2027"])
    await _results(session, data["outcome_2024_by_section"])


def _linear_months(amount: Decimal) -> dict[str, Any]:
    months = spread(amount, LINEAR_WEIGHTS, range(1, 13))
    return dict(zip(MONTH_COLUMNS, months, strict=True))


def _forecast(year: int, code: str, group: str | None, amount: Decimal) -> Forecast:
    return Forecast(
        municipality_id=MUNICIPALITY,
        year=year,
        month=10,
        org_unit_id=ACTIVITY_UNITS[code],
        activity_code=code,
        account_group_key=group,
        amount=amount,
        comment="Årsprognos per oktober (verksamhetsplanen)",
        created_by=LOADER,
    )


async def _outcome(session: Any, table: dict[str, Any]) -> None:
    # Magnitudes in the annual report; revenue and allocation keep their sign, costs turn
    # negative. No monthly split is printed, so each year is booked in December.
    kinds = {key: kind for key, _, kind, _ in ACCOUNT_GROUPS}
    for year, field in ((2023, "outcome_2023"), (2024, "outcome_2024")):
        record = OutcomeImport(
            municipality_id=MUNICIPALITY,
            source="demo",
            format="demo",
            filename="Årsredovisning 2024 (nämndens driftredovisning)",
            sha256="-",
            periods=[f"{year}-12"],
            transactions=len(table["rows"]),
            rows=len(table["rows"]),
            replaced_rows=0,
            created_by=LOADER,
        )
        session.add(record)
        await session.flush()
        assert record.id is not None
        for row in table["rows"]:
            sign = -1 if kinds[row["key"]] == "cost" else 1
            session.add(
                Outcome(
                    import_id=record.id,
                    municipality_id=MUNICIPALITY,
                    source="demo",
                    year=year,
                    month=12,
                    org_unit_id=COMMITTEE,
                    activity_code=None,
                    account_group_key=row["key"],
                    amount=sign * mkr(row[field]),
                )
            )


def _investments(session: Any, table: dict[str, Any]) -> None:
    for item in table["objects"]:
        session.add(
            InvestmentObject(
                id=item["id"],
                name=item["name"],
                category=item["category"],
                org_unit_id=SECTION_UNITS[item["section"]],
            )
        )
        for year, amount in item["amounts"].items():
            if amount is not None:
                session.add(
                    InvestmentYear(object_id=item["id"], year=int(year), budget=tkr(amount))
                )


# Verksamhet labels of the annual report → activity codes (inferred from the names).
RESULT_ACTIVITIES = {
    "Äldreomsorg, ordinärt boende": "55",
    "Äldreomsorg, särskilt boende": "55",
    "Äldreomsorg, ordinärt boende/SO/": "55",
    "Övrig omsorg SoL/HSL": "55",
    "Insatser enligt LSS/ÄO/": "56",
    "Insatser enligt LSS": "56",
    "Förebyggande verksamhet": "58",
    "Gemensam administration": "50",
    "Integration": "62",
}


async def _results(session: Any, table: dict[str, Any]) -> None:
    for section in table["sections"]:
        report = ResultReport(
            org_unit_id=SECTION_UNITS[section["code"]],
            year=2024,
            month=12,
            result=mkr(section["result"]),
            comment=f"Årsredovisning 2024: resultat {section['name']}",
            created_by=LOADER,
        )
        session.add(report)
        await session.flush()
        assert report.id is not None
        rows = [r for r in table["larger_deviations"] if r["section"] == section["code"]]
        for position, row in enumerate(rows):
            code = RESULT_ACTIVITIES.get(row["verksamhet"])
            if row.get("parent_verksamhetsomrade") == "Individ och familjeomsorg":
                code = "54"
            session.add(
                ResultExplanation(
                    report_id=report.id,
                    municipality_id=MUNICIPALITY,
                    position=position,
                    label=row["verksamhet"],
                    activity_code=code,
                    amount=mkr(row["deviation"]),
                    cause=row["cause_sv"],
                )
            )
