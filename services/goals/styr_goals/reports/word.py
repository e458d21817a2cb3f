"""The committee document as DOCX (python-docx), for a secretary to edit in Word.

Word's own structure throughout, so the file stays accessible after editing: the built-in
Title and Heading 1–3 styles (Word's navigation pane and its accessibility checker read them),
tables whose first row is a header row repeated on every page, alt text on every chart, the
document language Swedish and the title in the file's properties. The charts are the PDF's
SVGs rasterised by Typst (no image library, no system fonts), at print resolution.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence

import typst
from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from styr_goals.reports.document import (
    Assessment,
    Chart,
    GoalSection,
    MeasureBlock,
    ReportDocument,
    SummaryRow,
)
from styr_goals.reports.formatting import Marker, Tone

LANGUAGE = "sv-SE"
TONES = {
    Tone.GOOD: RGBColor(0x1E, 0x6B, 0x30),
    Tone.BAD: RGBColor(0xA1, 0x24, 0x1B),
    Tone.WARN: RGBColor(0x7A, 0x5C, 0x00),
    Tone.NEUTRAL: RGBColor(0x50, 0x50, 0x50),
}
GREY = RGBColor(0x50, 0x50, 0x50)
PPI = 200.0

# Each chart on a page of its own size; Typst returns one PNG per page.
_RASTER = b"""
#set page(width: auto, height: auto, margin: 2pt, fill: white)
#let charts = json(bytes(sys.inputs.charts))
#for (index, svg) in charts.enumerate() {
  if index > 0 { pagebreak() }
  image(bytes(svg), format: "svg")
}
"""


def rasterise(charts: Sequence[Chart]) -> list[bytes]:
    """PNG images of the charts, in order, at print resolution."""
    if not charts:
        return []
    compiler = typst.Compiler(
        _RASTER,
        ignore_system_fonts=True,
        sys_inputs={"charts": json.dumps([chart.svg for chart in charts])},
    )
    pages = compiler.compile(format="png", ppi=PPI)
    return [pages] if isinstance(pages, bytes) else list(pages or [])


# --- Word structure --------------------------------------------------------------------


def _set_language(doc: DocxDocument) -> None:
    """Swedish as the language of every style (spelling and screen readers use it)."""
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    assert defaults is not None
    run_defaults = defaults.find(qn("w:rPrDefault"))
    if run_defaults is None:
        run_defaults = OxmlElement("w:rPrDefault")
        defaults.insert(0, run_defaults)
    properties = run_defaults.find(qn("w:rPr"))
    if properties is None:
        properties = OxmlElement("w:rPr")
        run_defaults.append(properties)
    lang = properties.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        properties.append(lang)
    lang.set(qn("w:val"), LANGUAGE)
    lang.set(qn("w:eastAsia"), LANGUAGE)
    lang.set(qn("w:bidi"), "ar-SA")


def _header_row(table: Table) -> None:
    """Marks the first row as the table's header, repeated at the top of every page."""
    row = table.rows[0]._tr
    properties = row.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)
    no_split = OxmlElement("w:cantSplit")
    properties.append(no_split)
    for cell in table.rows[0].cells:
        _shade(cell, "EEEEEE")
        for paragraph in cell.paragraphs:
            for run in paragraph.runs:
                run.bold = True


def _shade(cell: _Cell, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _new_row(table: Table) -> list[_Cell]:
    return list(table.add_row().cells)  # type: ignore[no-untyped-call]


def _page_break(doc: DocxDocument) -> None:
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _table(doc: DocxDocument, header: Sequence[str], rows: Sequence[Sequence[str]]) -> Table:
    table: Table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
    for values in rows:
        cells = _new_row(table)
        for cell, text in zip(cells, values, strict=True):
            cell.text = text
    _header_row(table)
    return table


def _marker(paragraph: Paragraph, marker: Marker | None) -> None:
    if marker is None:
        paragraph.add_run("–")
        return
    run = paragraph.add_run(marker.text)
    run.font.color.rgb = TONES[marker.tone]


def _labelled(doc: DocxDocument, label: str, text: str) -> Paragraph:
    paragraph = doc.add_paragraph()
    paragraph.add_run(f"{label}: ").bold = True
    paragraph.add_run(text)
    return paragraph


def _page_numbers(doc: DocxDocument) -> None:
    paragraph = doc.sections[0].footer.paragraphs[0]
    paragraph.alignment = 1  # centre
    paragraph.add_run("Sida ")
    for instruction, placeholder in (("PAGE", "1"), ("NUMPAGES", "1")):
        field = OxmlElement("w:fldSimple")
        field.set(qn("w:instr"), instruction)
        run = OxmlElement("w:r")
        text = OxmlElement("w:t")
        text.text = placeholder
        run.append(text)
        field.append(run)
        paragraph._p.append(field)
        if instruction == "PAGE":
            paragraph._p.append(paragraph.add_run(" av ")._r)


# --- the document ----------------------------------------------------------------------


def _cover(doc: DocxDocument, document: ReportDocument) -> None:
    top = doc.add_paragraph()
    top.add_run(document.municipality).bold = True
    top.add_run(f" · {document.committee}")
    doc.add_heading(f"{document.kind} {document.year}", level=0)
    doc.add_paragraph(f"Måluppfyllelse och uppföljning av {document.goal_word}", style="Subtitle")
    facts = [
        ("Kommun", document.municipality),
        ("Nämnd", document.committee),
        ("Plan", document.plan),
        ("Period", f"{document.period} (till och med {document.period_end})"),
    ]
    if document.values_of:
        facts.append(("Värden för", document.values_of))
    facts.append(("Upprättad", document.created))
    for label, text in facts:
        _labelled(doc, label, text)
    headline = doc.add_paragraph()
    headline.paragraph_format.space_before = Pt(18)
    run = headline.add_run(document.headline)
    run.bold = True
    run.font.size = Pt(16)
    level = doc.add_paragraph()
    level.add_run(document.result_level).font.size = Pt(13)


def _summary(doc: DocxDocument, document: ReportDocument) -> None:
    doc.add_heading("Sammanfattning", level=1)
    paragraph = doc.add_paragraph(f"{document.headline}: ")
    paragraph.add_run(document.result_level).bold = True

    def cells(row: SummaryRow) -> list[str]:
        return [row.area, row.goals, row.fulfilled, row.share, row.level]

    table = _table(
        doc,
        ["Kommunmål", f"Antal {document.goal_word}", "Uppfyllda", "Andel", "Resultatnivå"],
        [cells(row) for row in document.summary] + [cells(document.total)],
    )
    for cell in table.rows[-1].cells:
        for run in cell.paragraphs[0].runs:
            run.bold = True
    doc.add_heading("Resultatnivåer", level=2)
    doc.add_paragraph(document.scale_text)
    _table(doc, [f"Andel uppfyllda {document.goal_word}", "Resultatnivå"], document.scale)
    if document.reported_before:
        doc.add_heading("Rapporterat för året", level=2)
        for text in document.reported_before:
            doc.add_paragraph(text, style="List Bullet")
    doc.add_heading("Aktiviteter", level=2)
    _table(
        doc,
        ["Status", "Antal", "Andel"],
        [*document.activities, ("Totalt", document.activity_total, "")],
    )
    doc.add_heading("Teckenförklaring", level=2)
    doc.add_paragraph("Status och trend visas alltid med symbol och ord; färgen är bara ett stöd.")
    legend = _table(doc, ["Symbol", "Betydelse"], [("", text) for _, text in document.legend])
    for row, (marker, _) in zip(legend.rows[1:], document.legend, strict=True):
        _marker(row.cells[0].paragraphs[0], marker)
    if document.not_reported:
        doc.add_heading("Följs inte upp i perioden", level=2)
        for text in document.not_reported:
            doc.add_paragraph(text, style="List Bullet")


def _assessment(doc: DocxDocument, assessment: Assessment) -> None:
    doc.add_heading(assessment.heading, level=3)
    paragraph = doc.add_paragraph()
    paragraph.add_run("Nås målet? ").bold = True
    _marker(paragraph, assessment.answer)
    if assessment.colour is not None:
        paragraph.add_run("   Färg: ").bold = True
        _marker(paragraph, assessment.colour)
    for label, text in assessment.texts:
        _labelled(doc, label, text)


def _measures(
    doc: DocxDocument, measures: list[MeasureBlock], year: int, images: dict[int, bytes]
) -> None:
    doc.add_heading("Mått och resultat", level=3)
    header = ["Mått", "Ingångsvärde", f"Målvärde {year}", f"Utfall {year}", "Status", "Trend"]
    table = _table(doc, header, [])
    for measure in measures:
        segmented = len(measure.rows) > 1
        if segmented:
            cells = _new_row(table)
            merged = cells[0].merge(cells[-1])
            merged.text = f"{measure.name} ({measure.unit})"
            merged.paragraphs[0].runs[0].bold = True
        for row in measure.rows:
            cells = _new_row(table)
            cells[0].text = f"  {row.label}" if segmented else f"{measure.name} ({measure.unit})"
            cells[1].text = row.baseline
            cells[2].text = row.target
            outcome = row.outcome
            if row.outcome_period and row.outcome_period != str(year):
                outcome += f" ({row.outcome_period})"
            cells[3].text = outcome
            if row.by_gender:
                cells[3].add_paragraph(row.by_gender)
            _marker(cells[4].paragraphs[0], row.status)
            _marker(cells[5].paragraphs[0], row.trend)
            if row.note:
                cells[5].add_paragraph(row.note)
    for measure in measures:
        if measure.chart is None:
            continue
        picture = doc.add_paragraph()
        picture.paragraph_format.keep_with_next = True
        shape = picture.add_run().add_picture(
            io.BytesIO(images[id(measure.chart)]), width=Pt(measure.chart.width)
        )
        properties = shape._inline.docPr
        properties.set("descr", measure.chart.alt)
        properties.set("title", f"Diagram: {measure.name}")
        doc.add_paragraph(
            f"{measure.name.rstrip('.')}, utfall och målvärde per år", style="Caption"
        )


def _goal(doc: DocxDocument, goal: GoalSection, year: int, images: dict[int, bytes]) -> None:
    doc.add_heading(f"{goal.code} {goal.title}", level=2)
    for line in goal.context:
        paragraph = doc.add_paragraph()
        run = paragraph.add_run(line)
        run.font.size = Pt(9.5)
        run.font.color.rgb = GREY
    if goal.fulfilled is not None:
        paragraph = doc.add_paragraph()
        paragraph.add_run(f"{goal.level_label}: ").bold = True
        _marker(paragraph, goal.fulfilled)
    for assessment in (goal.assessment, goal.forecast):
        if assessment is not None:
            _assessment(doc, assessment)
    if goal.measures:
        _measures(doc, goal.measures, year, images)
    doc.add_heading("Aktiviteter", level=3)
    doc.add_paragraph(goal.activity_summary)
    if goal.activities:
        _table(
            doc,
            ["Aktivitet", "Ansvarig", "Klart senast", "Status", "Klart"],
            [(a.title, a.responsible, a.due, a.status, a.progress) for a in goal.activities],
        )


def render(document: ReportDocument) -> bytes:
    charts = [
        measure.chart
        for area in document.areas
        for goal in area.goals
        for measure in goal.measures
        if measure.chart is not None
    ]
    images = {id(chart): png for chart, png in zip(charts, rasterise(charts), strict=True)}
    doc = Document()
    _set_language(doc)
    properties = doc.core_properties
    properties.title = document.title
    properties.subject = f"{document.headline}: {document.result_level}"
    properties.author = document.committee
    properties.language = LANGUAGE
    properties.keywords = f"måluppfyllelse, {document.kind}, {document.committee}"
    section = doc.sections[0]
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2.3))
    _page_numbers(doc)
    _cover(doc, document)
    _page_break(doc)
    _summary(doc, document)
    for area in document.areas:
        _page_break(doc)
        doc.add_heading(f"{area.level_label} {area.code}: {area.title}", level=1)
        doc.add_paragraph(area.fulfilment)
        for goal in area.goals:
            _goal(doc, goal, document.year, images)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
