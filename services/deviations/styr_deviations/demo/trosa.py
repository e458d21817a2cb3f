"""Demo cases of a second municipality, Trosa (``trosa``, about 14 000 inhabitants), so that
lists and statistics show two tenants.

Everything here is invented: no published figures were used and no real persons appear.
The counts are a small, plausible sample for the demo, not a year's real volume (a
municipality of Trosa's size registers hundreds of deviations a year): 54 cases of 2024 on
Trosa's care units (``trosa-sabo``, ``trosa-hemtjanst``, ``trosa-vof``) — 40 deviations
(26 HSL, 14 SoL), 6 complaints and 8 feedback entries. Trosa numbers its cases in its own
series, ``SN 2024/1`` onwards, has a category of its own (``nattillsyn``, night supervision
in home care) and calls the national ``insats_ej_utford`` "Missad insats".
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from styr_deviations.casesettings.schemas import NATIONAL_DEFAULTS, CaseSettings
from styr_deviations.config import DEFAULT_RISK_MATRIX, LOCAL_TIME, CaseKind

MUNICIPALITY = "trosa"
SEED = 20_240_488  # Trosa's Kolada id is 0488
YEAR = 2024
SETTINGS: CaseSettings = NATIONAL_DEFAULTS.model_copy(
    update={"reference_format": "SN {year}/{n}", "intake_unit_id": "trosa-vof"}
)
CATEGORIES: list[dict[str, Any]] = [
    {
        "code": "nattillsyn",
        "label": "Nattillsyn",
        "category_group": "deviation",
        "valid_from_year": YEAR,
        "valid_to_year": None,
    },
    {
        "code": "insats_ej_utford",
        "label": "Missad insats",
        "category_group": None,
        "valid_from_year": None,
        "valid_to_year": None,
    },
]
# (category, law area, unit, count): 40 deviations
DEVIATIONS = [
    ("fall", "HSL", "trosa-sabo", 8),
    ("fall", "HSL", "trosa-hemtjanst", 3),
    ("lakemedel", "HSL", "trosa-sabo", 6),
    ("lakemedel", "HSL", "trosa-hemtjanst", 3),
    ("dokumentation", "HSL", "trosa-sabo", 3),
    ("informationsoverforing", "HSL", "trosa-hemtjanst", 3),
    ("nattillsyn", "SoL", "trosa-hemtjanst", 6),
    ("insats_ej_utford", "SoL", "trosa-hemtjanst", 5),
    ("hot_och_vald", "SoL", "trosa-sabo", 1),
    ("ovrigt", "SoL", "trosa-sabo", 2),
]
# (kind, category, unit, count): 14 complaints and feedback
FEEDBACK = [
    ("complaint", "hemtjanst", "trosa-hemtjanst", 3),
    ("complaint", "bemotande_synpunkt", "trosa-sabo", 2),
    ("complaint", "ovrigt_synpunkt", "trosa-vof", 1),
    ("feedback", "hemtjanst", "trosa-hemtjanst", 4),
    ("feedback", "sarskilt_boende", "trosa-sabo", 3),
    ("feedback", "ovrigt_synpunkt", "trosa-vof", 1),
]
HOUSING = {"trosa-sabo": "sarskilt_boende", "trosa-hemtjanst": "ordinart_boende"}


def _moment(rng: random.Random) -> datetime:
    day = date(YEAR, 1, 1) + timedelta(days=rng.randint(0, 364))
    moment = time(rng.randint(6, 21), rng.randint(0, 59))
    return datetime.combine(day, moment, tzinfo=LOCAL_TIME).astimezone(UTC)


def rows(blank: dict[str, Any]) -> list[dict[str, Any]]:
    """Trosa's case rows (without reference numbers), on the columns of ``blank``."""
    rng = random.Random(SEED)  # noqa: S311 (reproducible demo data, not security)
    matrix = DEFAULT_RISK_MATRIX
    result: list[dict[str, Any]] = []
    for category, law_area, unit, count in DEVIATIONS:
        for _ in range(count):
            reported = _moment(rng)
            probability = rng.choices([1, 2, 3, 4], weights=[50, 30, 15, 5])[0]
            consequence = rng.choices([1, 2, 3, 4], weights=[55, 30, 12, 3])[0]
            level = matrix.level_for(probability, consequence)
            routed = law_area == "HSL" and (
                level.route_to_mas or consequence >= (matrix.mas_min_consequence or 99)
            )
            result.append(
                blank
                | {
                    "municipality_id": MUNICIPALITY,
                    "kind": CaseKind.DEVIATION.value,
                    "law_area": law_area,
                    "regime": "standard",
                    "category": category,
                    "housing_type": HOUSING.get(unit),
                    "org_unit_id": unit,
                    "event_time": reported - timedelta(hours=rng.randint(0, 12)),
                    "reported_at": reported,
                    "channel": "staff_report",
                    "reporter_type": "staff",
                    "reported_by": "demo-loader",
                    "description": f"Syntetiskt demoärende (Trosa): avvikelse ({category}).",
                    "state": "closed",
                    "assigned_to": "enhetschef-trosa-demo",
                    "mas_routed": routed,
                    "mas_took_over": False,
                    "risk_probability": probability,
                    "risk_consequence": consequence,
                    "risk_score": probability * consequence,
                    "risk_level": level.key,
                    "due_date": reported.astimezone(LOCAL_TIME).date(),
                    "deadline_milestone": "received",
                    "received_at": reported,
                    "acknowledged_at": reported,
                    "closed_at": reported + timedelta(days=rng.randint(1, 40)),
                }
            )
    for kind, category, unit, count in FEEDBACK:
        rule = SETTINGS.deadlines[CaseKind(kind)]
        for _ in range(count):
            reported = _moment(rng)
            answered = reported + timedelta(days=rng.randint(3, 30))
            result.append(
                blank
                | {
                    "municipality_id": MUNICIPALITY,
                    "kind": kind,
                    "category": category,
                    "feedback_type": "criticism" if kind == "feedback" else None,
                    "org_unit_id": unit,
                    "reported_at": reported,
                    "channel": "web_form",
                    "reporter_type": "citizen",
                    "description": "Syntetisk demosynpunkt (Trosa).",
                    "state": "closed",
                    "regime": "standard",
                    "mas_routed": False,
                    "mas_took_over": False,
                    "due_date": rule.due(reported.astimezone(LOCAL_TIME).date()),
                    "deadline_milestone": rule.milestone.value,
                    "received_at": reported,
                    "acknowledged_at": reported,
                    "answered_at": answered,
                    "answer_summary": "Tack för din synpunkt; vi har sett över rutinen.",
                    "closed_at": answered,
                }
            )
    # The newest cases are still open.
    for row in sorted(result, key=lambda r: r["reported_at"])[-4:]:
        row |= {"state": "investigating", "closed_at": None}
        if row["answered_at"] is not None:
            row |= {"state": "received", "answered_at": None, "answer_summary": None}
    return result
