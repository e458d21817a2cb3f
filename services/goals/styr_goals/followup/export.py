"""The follow-up report as CSV and as an .xlsx workbook.

CSV: UTF-8 with a byte order mark and ``;`` as separator, which is what Excel expects in a
Swedish locale. One row per measure series, or one per goal without measures. The workbook
has the same rows on the sheet "Uppföljning" and the roll-up on "Måluppfyllelse".
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from decimal import Decimal

from openpyxl import Workbook  # type: ignore[import-untyped]

from styr_goals.followup.schemas import Completion, FollowUpReport, GoalFollowUp
from styr_goals.measures.schemas import TargetRead

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
]

Cell = str | int | float | None


def _number(value: Decimal | None) -> Cell:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _target(target: TargetRead | None) -> str | None:
    if target is None:
        return None
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
    if not series_rows:
        yield [*common, None, None, None, None, None, None, None, None, activities]
    for measure, series in series_rows:
        baseline = series.baseline
        yield [
            *common,
            measure.display_name or measure.name,
            series.segment,
            "Nytt värde" if baseline.is_new else _number(baseline.value),
            _target(series.target),
            _number(series.value),
            series.period,
            series.status.value,
            series.trend.value if series.trend else None,
            activities,
        ]
    for child in goal.children:
        yield from _rows(child, area)


def rows(report: FollowUpReport) -> list[list[Cell]]:
    return [row for goal in report.goals for row in _rows(goal, goal.title)]


def to_csv(report: FollowUpReport) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows(report))
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(report: FollowUpReport) -> bytes:
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
