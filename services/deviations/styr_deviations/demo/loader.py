"""Demo data for the deviations service: synthetic cases consistent with Oxelösund's published
figures (``data/oxelosund-deviations-feedback.json``, from VON's patient safety reports), and
a small invented set for a second municipality, Trosa (:mod:`styr_deviations.demo.trosa`).
Each municipality gets its case settings (Oxelösund the values migration 0004 gives it).

No real persons: no names, no personnummer, generic descriptions. What is published is
reproduced exactly — HSL deviations per year (891 / 1 735 / 2 729), the split by housing type
for 2022 and 2023, the 2023 category bar values, Lex Maria reports to IVO (2 in 2023, 0 in
2024) and the 15 "Säg vad du tycker" entries of 2024 with their dates and answer times.
What is not published is made up deterministically (fixed seed): days and times, the 2024
housing split (2023's shares), categories of 2022 and 2024 (2023's shares), risk scores and
closing times. The 2023 category labels were lost in the source; the two large bars are
assigned to fall (630) and läkemedel (580), the rest in list order.

Rows are bulk inserted (executemany), so loading ~5 400 cases takes about a second.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, insert, literal
from sqlmodel import SQLModel, select

from styr_deviations.cases import calendar
from styr_deviations.cases.models import Case, CaseHistory, ReferenceCounter
from styr_deviations.casesettings.models import CaseSettingsRow
from styr_deviations.casesettings.schemas import NATIONAL_DEFAULTS, CaseSettings
from styr_deviations.categories.models import MunicipalCategory
from styr_deviations.config import (
    DEFAULT_DEADLINES,
    DEFAULT_RISK_MATRIX,
    LOCAL_TIME,
    CaseKind,
    CategoryGroup,
    categories_for,
)
from styr_deviations.demo import trosa
from styr_shared.db import Database
from styr_shared.types import utcnow

SEED = 20_240_101
LOADER = "demo-loader"
MUNICIPALITY = "oxelosund"
SETTINGS: dict[str, CaseSettings] = {
    # as migration 0004 gives the municipality that existed before it
    MUNICIPALITY: NATIONAL_DEFAULTS.model_copy(
        update={"reference_format": "VON.{year}.{n}", "intake_unit_id": "oxelosund-vof"}
    ),
    trosa.MUNICIPALITY: trosa.SETTINGS,
}
CASES = SQLModel.metadata.tables[Case.__tablename__]
UNIT_BY_HOUSING = {"sarskilt_boende": "oxelosund-sabo", "ordinart_boende": "oxelosund-hemtjanst"}
FEEDBACK_CATEGORY = {
    "hemtjänst": "hemtjanst",
    "särskilt boende": "sarskilt_boende",
    "korttidsboende": "korttidsboende",
    "demensvård": "demensvard",
    "fakturering": "fakturering",
    "trafiksäkerhet": "trafiksakerhet",
    "in- och utskrivning": "in_och_utskrivning",
}
FEEDBACK_UNIT = {"hemtjanst": "oxelosund-hemtjanst", "sarskilt_boende": "oxelosund-sabo"}
# The 2023 bars in source order → our 2023 code list (see the module docstring).
CATEGORY_2023_ORDER = [
    "medicinteknisk_produkt",
    "informationsoverforing",
    "fall",
    "hot_och_vald",
    "dokumentation",
    "vard_behandling_provtagning",
    "lakemedel",
    "bemotande",
    "vardrelaterad_infektion",
    "insats_ej_utford",
    "ovrigt",
]


def fixture() -> dict[str, Any]:
    raw = resources.files("styr_deviations.demo").joinpath(
        "data/oxelosund-deviations-feedback.json"
    )
    document: dict[str, Any] = json.loads(raw.read_text(encoding="utf-8"))
    return document


def _blank() -> dict[str, Any]:
    # The calendar facts are left out: their column defaults compute them from the row's dates.
    skip = {"id", *calendar.FACTS}
    return {column.name: None for column in CASES.columns if column.name not in skip}


def _at(day: date, rng: random.Random | None = None, hour: int = 12) -> datetime:
    moment = time(rng.randint(6, 21), rng.randint(0, 59)) if rng else time(hour)
    return datetime.combine(day, moment, tzinfo=LOCAL_TIME).astimezone(UTC)


def _housing_split(doc: dict[str, Any], year: int, total: int) -> tuple[int, int]:
    rows = {r["year"]: r for r in doc["deviations_per_housing_type"]["rows"]}
    if year in rows and rows[year]["totalt"] == total:
        return rows[year]["sarskilt_boende"], rows[year]["ordinart_boende"]
    shares = rows[2023]
    sabo = round(total * shares["sarskilt_boende"] / shares["totalt"])
    return sabo, total - sabo


def _categories(doc: dict[str, Any], year: int, total: int, rng: random.Random) -> list[str]:
    values = doc["deviations_by_category_2023"]["values_in_source_order"]
    if year == 2023 and sum(values) == total:
        codes = [c for c, n in zip(CATEGORY_2023_ORDER, values, strict=True) for _ in range(n)]
    else:
        valid = {c.code for c in categories_for(year, CategoryGroup.DEVIATION)}
        weights = [n if c in valid else 0 for c, n in zip(CATEGORY_2023_ORDER, values, strict=True)]
        codes = rng.choices(CATEGORY_2023_ORDER, weights=weights, k=total)
    rng.shuffle(codes)
    return codes


def _deviations(doc: dict[str, Any], rng: random.Random) -> list[dict[str, Any]]:
    matrix = DEFAULT_RISK_MATRIX
    lex_maria = {r["year"]: r["reported_to_ivo"] for r in doc["lex_maria"]}
    rows: list[dict[str, Any]] = []
    for entry in doc["deviations_per_year"]:
        year, total = entry["year"], entry["total"]
        sabo, ordinart = _housing_split(doc, year, total)
        housing = ["sarskilt_boende"] * sabo + ["ordinart_boende"] * ordinart
        categories = _categories(doc, year, total, rng)
        days = (date(year, 12, 31) - date(year, 1, 1)).days
        year_rows = []
        for index in range(total):
            day = date(year, 1, 1) + timedelta(days=rng.randint(0, days))
            reported = _at(day, rng)
            event = max(
                reported - timedelta(hours=rng.randint(0, 30)), _at(date(year, 1, 1), hour=0)
            )
            probability = rng.choices([1, 2, 3, 4], weights=[50, 30, 15, 5])[0]
            consequence = rng.choices([1, 2, 3, 4], weights=[55, 30, 12, 3])[0]
            level = matrix.level_for(probability, consequence)
            routed = level.route_to_mas or consequence >= (matrix.mas_min_consequence or 99)
            row = _blank() | {
                "municipality_id": MUNICIPALITY,
                "kind": CaseKind.DEVIATION.value,
                "law_area": "HSL",
                "regime": "standard",
                "category": categories[index],
                "housing_type": housing[index],
                "org_unit_id": UNIT_BY_HOUSING[housing[index]],
                "event_time": event,
                "reported_at": reported,
                "channel": "staff_report" if year >= 2023 else "letter",
                "reporter_type": "staff",
                "reported_by": LOADER,
                "description": f"Syntetiskt demoärende: avvikelse ({categories[index]}).",
                "state": "closed",
                "assigned_to": "enhetschef-demo",
                "mas_routed": routed,
                "mas_took_over": False,
                "risk_probability": probability,
                "risk_consequence": consequence,
                "risk_score": probability * consequence,
                "risk_level": level.key,
                "due_date": day,
                "deadline_milestone": "received",
                "received_at": reported,
                "acknowledged_at": reported,
                "closed_at": reported + timedelta(days=rng.randint(1, 45)),
            }
            year_rows.append(row)
        # Lex Maria: the published number of IVO reports, plus assessments not reported.
        severe = [r for r in year_rows if r["risk_consequence"] >= 3]
        picked = rng.sample(severe, lex_maria.get(year, 0) + 3)
        for n, row in enumerate(picked):
            reported = n < lex_maria.get(year, 0)
            decided = local(row["reported_at"]) + timedelta(days=7)
            row |= {
                "regime": "lex_maria",
                "mas_routed": True,
                "lm_mas_assessment": "Syntetisk demobedömning av MAS.",
                "lm_event_analysis": "Händelseanalys genomförd (demo)." if reported else None,
                "lm_report_to_ivo": reported,
                "lm_decision_date": decided,
                "lm_ivo_report_date": decided + timedelta(days=2) if reported else None,
                "lm_ivo_case_number": f"DEMO-{year}-{n + 1}" if reported else None,
            }
        if year == 2024:
            # The newest cases are still open.
            for row in sorted(year_rows, key=lambda r: r["reported_at"])[-25:]:
                row |= {"state": "investigating", "closed_at": None}
        rows.extend(year_rows)
    return rows


def local(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TIME).date()


def _feedback(doc: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for entry in doc["feedback_log_2024"]["entries"]:
        kind = CaseKind.COMPLAINT if entry["kind"] == "klagomål" else CaseKind.FEEDBACK
        category = FEEDBACK_CATEGORY[entry["category"]]
        arrival = date.fromisoformat(entry["arrival_date"])
        answered = entry["answer_date"]
        ack = entry["acknowledgement"]["date"]
        anonymous = entry["anonymous"]
        rule = DEFAULT_DEADLINES[kind.value]
        summary = entry["summary_sv"] or "Sammanfattningen rör en enskild och visas inte."
        rows.append(
            _blank()
            | {
                "municipality_id": MUNICIPALITY,
                "kind": kind.value,
                "category": category,
                "feedback_type": "criticism" if kind is CaseKind.FEEDBACK else None,
                "org_unit_id": FEEDBACK_UNIT.get(category, "oxelosund-ao"),
                "reported_at": _at(arrival),
                "channel": "web_form",
                "reporter_type": "anonymous" if anonymous else "citizen",
                "description": summary,
                "state": "closed" if answered else "received",
                "mas_routed": False,
                "mas_took_over": False,
                "regime": "standard",
                "due_date": None if anonymous else rule.due(arrival),
                "deadline_milestone": None if anonymous else rule.milestone.value,
                "received_at": _at(arrival),
                "acknowledged_at": _at(date.fromisoformat(ack)) if ack else None,
                "answered_at": _at(date.fromisoformat(answered)) if answered else None,
                "answer_summary": entry["action_sv"] if answered else None,
                "closed_at": _at(date.fromisoformat(answered)) if answered else None,
                "receipt_id": f"demo-{entry['n']}",
            }
        )
    return rows


def build() -> tuple[list[dict[str, Any]], dict[tuple[str, str], int]]:
    """Every demo case row (with reference numbers; Oxelösund's first, then Trosa's) and the
    final counter per (municipality, series)."""
    doc = fixture()
    rng = random.Random(SEED)  # noqa: S311 (reproducible demo data, not security)
    oxelosund = sorted(_deviations(doc, rng) + _feedback(doc), key=lambda r: r["reported_at"])
    rows = oxelosund + sorted(trosa.rows(_blank()), key=lambda r: r["reported_at"])
    counters: dict[tuple[str, str], int] = {}
    now = utcnow()
    for row in rows:
        fmt = SETTINGS[row["municipality_id"]].reference
        year = local(row["reported_at"]).year
        key = (row["municipality_id"], fmt.series(year))
        counters[key] = counters.get(key, 0) + 1
        row |= {
            "series": key[1],
            "serial": counters[key],
            "reference_number": fmt.render(year, counters[key]),
            "created_at": now,
            "updated_at": now,
        }
    return rows, counters


async def load_demo(database: Database) -> bool:
    """Load the demo data into an empty database; returns False when it was not empty."""
    async with database.session() as session:
        if (await session.exec(select(func.count()).select_from(Case))).one():
            return False
    rows, counters = build()
    async with database.engine.begin() as connection:
        await connection.execute(insert(Case), rows)
        await connection.execute(
            insert(ReferenceCounter),
            [
                {"municipality_id": m, "series": s, "last_value": n}
                for (m, s), n in counters.items()
            ],
        )
        # Settings a municipality has already (e.g. from migration 0004) are kept.
        now = utcnow()
        settings_table = SQLModel.metadata.tables[CaseSettingsRow.__tablename__]
        stored = set(
            (await connection.execute(sa.select(settings_table.c.municipality_id))).scalars()
        )
        documents = [
            {
                "municipality_id": municipality,
                "document": settings.model_dump(mode="json"),
                "updated_at": now,
                "updated_by": LOADER,
            }
            for municipality, settings in SETTINGS.items()
            if municipality not in stored
        ]
        if documents:
            await connection.execute(insert(CaseSettingsRow), documents)
        categories = SQLModel.metadata.tables[MunicipalCategory.__tablename__]
        present = set(
            (
                await connection.execute(
                    sa.select(categories.c.code).where(
                        categories.c.municipality_id == trosa.MUNICIPALITY
                    )
                )
            ).scalars()
        )
        own = [
            row | {"municipality_id": trosa.MUNICIPALITY, "updated_at": now, "updated_by": LOADER}
            for row in trosa.CATEGORIES
            if row["code"] not in present
        ]
        if own:
            await connection.execute(insert(MunicipalCategory), own)
        # One "created" history row per case, straight from the inserted rows.
        history = SQLModel.metadata.tables[CaseHistory.__tablename__]
        cases = CASES
        await connection.execute(
            insert(history).from_select(
                ["case_id", "at", "actor", "event", "reason"],
                sa.select(
                    cases.c.id,
                    cases.c.reported_at,
                    literal(LOADER),
                    literal("created"),
                    literal("Syntetiska demodata"),
                ),
            )
        )
    return True
