"""The internal control report as CSV and as an .xlsx workbook.

CSV: one row per control (``Radtyp`` "Kontroll", highest risk first), then one row per risk
value with its number of risks (``Radtyp`` "Riskvärde"), in the follow-up's dialects
(Swedish Excel by default, ``machine`` on request). The workbook has the controls, the
distribution of risk values, the 4 × 4 matrix and the summary on sheets of their own.
"""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook  # type: ignore[import-untyped]

from styr_goals.followup.export import CsvDialect
from styr_goals.internal_control.schemas import (
    ControlPlanReport,
    ControlRow,
    ControlTotals,
    Outcome,
)
from styr_goals.spreadsheet import cell_safe

HEADER = [
    "Radtyp",
    "Process",
    "Risk",
    "Riskvärde",
    "Ekonomisk",
    "Kontrollmoment",
    "Frekvens",
    "Ansvarig",
    "När",
    "Resultat",
    "Kommentar",
    "Åtgärder",
    "Ansvarig för åtgärd",
    "Klart senast",
    "Antal risker",
]
OUTCOMES = {Outcome.NO_REMARK: "Utan anmärkning", Outcome.REMARK: "Anmärkning"}

Cell = str | int | None


def _control(row: ControlRow) -> list[Cell]:
    return [
        "Kontroll",
        row.process,
        row.risk,
        row.risk_value,
        "Ja" if row.financial else "Nej",
        row.method,
        row.frequency,
        row.responsible,
        row.timing,
        OUTCOMES[row.outcome] if row.outcome else "Ej rapporterad",
        row.comment,
        row.actions,
        row.action_responsible,
        row.action_due.isoformat() if row.action_due else None,
        None,
    ]


def rows(report: ControlPlanReport) -> list[list[Cell]]:
    found = [_control(row) for row in report.controls]
    for item in report.distribution:
        found.append(["Riskvärde", *[None] * 2, item.risk_value, *[None] * 10, item.count])
    return found


def to_csv(report: ControlPlanReport, dialect: CsvDialect = CsvDialect.EXCEL_SV) -> bytes:
    buffer = io.StringIO()
    separator = ";" if dialect is CsvDialect.EXCEL_SV else ","
    writer = csv.writer(buffer, delimiter=separator, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows(report))
    return buffer.getvalue().encode("utf-8-sig" if dialect is CsvDialect.EXCEL_SV else "utf-8")


def _totals(label: str, totals: ControlTotals) -> list[Cell]:
    return [label, totals.controls, totals.no_remark, totals.remark, totals.not_reported]


def to_xlsx(report: ControlPlanReport) -> bytes:
    report = cell_safe(report)
    workbook = Workbook()
    summary = workbook.active
    assert summary is not None
    summary.title = "Sammanfattning"
    plan = report.plan
    summary.append(["Internkontrollplan", plan.name])
    summary.append(["Nämnd", report.org_unit_name])
    summary.append(["År", plan.year])
    summary.append(["Beslut", plan.decision])
    summary.append(["Processer", report.processes])
    summary.append(["Risker", report.risks])
    summary.append([f"Risker med riskvärde ≥ {plan.risk_threshold}", report.risks_needing_control])
    summary.append(["Sammanfattning", plan.summary])
    summary.append([])
    summary.append(["Kontroller", "Antal", "Utan anmärkning", "Anmärkning", "Ej rapporterade"])
    summary.append(_totals("Alla kontroller", report.totals))
    summary.append(_totals("Ekonomiska kontroller", report.financial))
    controls = workbook.create_sheet("Kontroller")
    controls.append(HEADER[1:-1])
    for row in report.controls:
        controls.append(_control(row)[1:-1])
    distribution = workbook.create_sheet("Riskvärden")
    distribution.append(["Riskvärde", "Antal risker"])
    for item in report.distribution:
        distribution.append([item.risk_value, item.count])
    matrix = workbook.create_sheet("Riskmatris")
    matrix.append(["Sannolikhet \\ Konsekvens", 1, 2, 3, 4])
    counts = {(cell.probability, cell.consequence): cell.count for cell in report.matrix}
    for probability in (4, 3, 2, 1):
        matrix.append([probability, *[counts[(probability, c)] for c in (1, 2, 3, 4)]])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
