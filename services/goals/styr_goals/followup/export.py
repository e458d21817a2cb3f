"""The follow-up report as CSV and as an .xlsx workbook.

One row per measure series, or one per goal without measures, then the roll-up: a row per
goal area and one for the total (``Radtyp`` says which; their goal counts, share and result
level in the last columns). The workbook has the same rows on the sheet "Uppföljning" and
the roll-up alone on "Måluppfyllelse".

CSV dialects: ``excel_sv`` (the default) is what Excel opens as it is in a Swedish locale:
UTF-8 with a byte order mark, ``;`` between fields and a decimal comma (``89,77``).
``machine`` is for programs: UTF-8 without a byte order mark, ``,`` and a decimal point.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from decimal import Decimal
from enum import StrEnum

from openpyxl import Workbook  # type: ignore[import-untyped]

from styr_goals.followup.schemas import Completion, FollowUpReport, Fulfilment, GoalFollowUp
from styr_goals.measures.schemas import TargetRead
from styr_goals.spreadsheet import cell_safe

HEADER = [
    "Målområde",
    "Nivå",
    "Kod",
    "Mål",
    "Uppföljningstagg",
    "Rapporteras",
    "Bedömning",
    "Bedömningstyp",
    "Uppfyllt",
    "Mått",
    "Segment",
    "Ingångsvärde",
    "Målvärde",
    "Utfall",
    "Period",
    "Status",
    "Trend",
    "Aktiviteter",
    "Målvärdestyp",
    "Delmål",
    "Senast tillgängliga",
    "Radtyp",
    "Antal mål",
    "Uppfyllda",
    "Andel (%)",
    "Resultatnivå",
]
BASIS = {"stated": "Fastställt", "interim": "Delmål (interpolerat)", "direction": "Riktning"}


class CsvDialect(StrEnum):
    EXCEL_SV = "excel_sv"
    MACHINE = "machine"


Cell = str | int | float | None


def _number(value: Decimal | None) -> Cell:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _target(target: TargetRead | None) -> str | None:
    if target is None:
        return None
    if target.direction is not None:
        words = {"increase": "Öka", "decrease": "Minska", "maintain": "Behålla"}
        return target.qualifier or words[target.direction]
    parts = [f"{target.op} {_number(target.value)}" if target.value is not None else target.op]
    parts += [text for text in (target.qualifier, target.benchmark) if text]
    return " ".join(parts)


def _activities(completion: Completion) -> str:
    return ", ".join(f"{s.label} {s.text}" for s in completion.by_status if s.count)


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("Ja" if value else "Nej")


def _rows(goal: GoalFollowUp, area: str) -> Iterator[list[Cell]]:
    judged = goal.assessment
    common: list[Cell] = [
        area,
        goal.level_label,
        goal.code,
        goal.title,
        goal.follow_up_tag,
        _yes_no(goal.reported),
        judged.answer.value if judged else None,
        judged.kind.value if judged else None,
        _yes_no(goal.fulfilled),
    ]
    activities = _activities(goal.activities)
    series_rows = [(m, s) for m in goal.measures for s in m.series]
    goal_row: list[Cell] = ["Mål", None, None, None, None]
    if not series_rows:
        yield [*common, *[None] * 8, activities, None, None, None, *goal_row]
    for measure, series in series_rows:
        baseline = series.baseline
        yield [
            *common,
            measure.display_name or measure.name,
            series.segment,
            "Nytt värde" if baseline.is_new else _number(baseline.value),
            _target(series.target),
            _number(series.value) if series.value is not None else series.text,
            series.period,
            series.status.value,
            series.trend.value if series.trend else None,
            activities,
            BASIS.get(series.target_basis.value) if series.target_basis else None,
            _number(series.interim_target),
            _yes_no(series.latest_available) if series.value is not None else None,
            *goal_row,
        ]
    for child in goal.children:
        yield from _rows(child, area)


def _rollup_row(kind: str, area: str, fulfilment: Fulfilment, activities: Completion) -> list[Cell]:
    return [
        area,
        "Måluppfyllelse",
        *[None] * 15,
        _activities(activities),
        None,
        None,
        None,
        kind,
        fulfilment.goals,
        fulfilment.fulfilled,
        fulfilment.percent,
        fulfilment.result_level,
    ]


def rows(report: FollowUpReport) -> list[list[Cell]]:
    found = [row for goal in report.goals for row in _rows(goal, goal.title)]
    for area in report.rollup.areas:
        found.append(_rollup_row("Målområde", area.title, area.fulfilment, area.activities))
    total = report.rollup
    found.append(
        _rollup_row("Totalt", f"Totalt ({report.period_label})", total.total, total.activities)
    )
    return found


def _text(cell: Cell, dialect: CsvDialect) -> Cell:
    if dialect is CsvDialect.EXCEL_SV and isinstance(cell, float):
        return repr(cell).replace(".", ",")
    return cell


def to_csv(report: FollowUpReport, dialect: CsvDialect = CsvDialect.EXCEL_SV) -> bytes:
    buffer = io.StringIO()
    separator = ";" if dialect is CsvDialect.EXCEL_SV else ","
    writer = csv.writer(buffer, delimiter=separator, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows([_text(cell, dialect) for cell in row] for row in rows(report))
    return buffer.getvalue().encode("utf-8-sig" if dialect is CsvDialect.EXCEL_SV else "utf-8")


def to_xlsx(report: FollowUpReport) -> bytes:
    report = cell_safe(report)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Uppföljning"
    sheet.append(HEADER)
    for row in rows(report):
        sheet.append(row)
    rollup = workbook.create_sheet("Måluppfyllelse")
    rollup.append(
        ["Målområde", "Antal mål", "Uppfyllda", "Andel (%)", "Resultatnivå", "Aktiviteter"]
    )
    for area in report.rollup.areas:
        rollup.append(
            [
                area.title,
                area.fulfilment.goals,
                area.fulfilment.fulfilled,
                area.fulfilment.percent,
                area.fulfilment.result_level,
                _activities(area.activities),
            ]
        )
    total = report.rollup.total
    rollup.append(
        [
            f"Totalt ({report.period_label})",
            total.goals,
            total.fulfilled,
            total.percent,
            total.result_level,
            _activities(report.rollup.activities),
        ]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
