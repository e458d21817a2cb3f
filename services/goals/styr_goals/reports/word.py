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
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
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

# A cell holds a text, a marker (symbol and word, coloured), or several paragraphs of them.
Content = str | Marker | None | tuple[str | Marker | None, ...]
STYLES = ("Title", "Subtitle", "Heading 1", "Heading 2", "Heading 3", "List Bullet", "Caption",
          "Table Grid")  # fmt: skip


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


def _marker(paragraph: Paragraph, marker: Marker | None) -> None:
    if marker is None:
        paragraph.add_run("–")
        return
    run = paragraph.add_run(marker.text)
    run.font.color.rgb = TONES[marker.tone]


def _fill(paragraph: Paragraph, content: str | Marker | None, bold: bool = False) -> None:
    if isinstance(content, Marker):
        _marker(paragraph, content)
    elif content:
        paragraph.add_run(content).bold = bold or None


def _shade(cell: _Cell, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


class _Writer:
    """python-docx with the style ids looked up once: a lookup by style name scans every
    style of the document, which made a report with many tables take seconds."""

    def __init__(self, doc: DocxDocument) -> None:
        self.doc = doc
        self.ids = {name: doc.styles[name].style_id for name in STYLES}

    def paragraph(self, text: str = "", style: str | None = None) -> Paragraph:
        paragraph = self.doc.add_paragraph(text)
        if style is not None:
            paragraph._p.style = self.ids[style]
        return paragraph

    def heading(self, text: str, level: int) -> Paragraph:
        return self.paragraph(text, "Title" if level == 0 else f"Heading {level}")

    def labelled(self, label: str, text: str) -> Paragraph:
        paragraph = self.paragraph()
        paragraph.add_run(f"{label}: ").bold = True
        paragraph.add_run(text)
        return paragraph

    def table(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[Content]],
        *,
        bold_last: bool = False,
        spans: Sequence[int] = (),
    ) -> Table:
        """A table whose first row is its header, repeated at the top of every page;
        the rows listed in ``spans`` are one cell across the table (a group's name)."""
        table: Table = self.doc.add_table(rows=len(rows) + 1, cols=len(header))
        table._tbl.tblPr.style = self.ids["Table Grid"]
        for index, (tr, values) in enumerate(zip(table._tbl.tr_lst, [header, *rows], strict=True)):
            bold = index == 0 or (bold_last and index == len(rows)) or index in spans
            for tc, content in zip(tr.tc_lst, values, strict=True):
                cell = _Cell(tc, table)
                parts = content if isinstance(content, tuple) else (content,)
                _fill(cell.paragraphs[0], parts[0], bold)
                for part in parts[1:]:
                    _fill(cell.add_paragraph(), part, bold)
                if index == 0:
                    _shade(cell, "EEEEEE")
            if index in spans:
                _Cell(tr.tc_lst[0], table).merge(_Cell(tr.tc_lst[-1], table))
        properties = table._tbl.tr_lst[0].get_or_add_trPr()
        for tag in ("w:tblHeader", "w:cantSplit"):
            element = OxmlElement(tag)
            element.set(qn("w:val"), "true")
            properties.append(element)
        return table

    def page_break(self) -> None:
        self.paragraph().add_run().add_break(WD_BREAK.PAGE)

    def page_numbers(self) -> None:
        paragraph = self.doc.sections[0].footer.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.add_run("Sida ")
        for instruction in ("PAGE", "NUMPAGES"):
            field = OxmlElement("w:fldSimple")
            field.set(qn("w:instr"), instruction)
            run = OxmlElement("w:r")
            text = OxmlElement("w:t")
            text.text = "1"
            run.append(text)
            field.append(run)
            paragraph._p.append(field)
            if instruction == "PAGE":
                paragraph._p.append(paragraph.add_run(" av ")._r)


# --- the document ----------------------------------------------------------------------


def _cover(out: _Writer, document: ReportDocument) -> None:
    top = out.paragraph()
    top.add_run(document.municipality).bold = True
    top.add_run(f" · {document.committee}")
    out.heading(f"{document.kind} {document.year}", 0)
    out.paragraph(f"Måluppfyllelse och uppföljning av {document.goal_word}", "Subtitle")
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
        out.labelled(label, text)
    headline = out.paragraph()
    headline.paragraph_format.space_before = Pt(18)
    run = headline.add_run(document.headline)
    run.bold = True
    run.font.size = Pt(16)
    out.paragraph().add_run(document.result_level).font.size = Pt(13)


def _summary(out: _Writer, document: ReportDocument) -> None:
    out.heading("Sammanfattning", 1)
    out.paragraph(f"{document.headline}: ").add_run(document.result_level).bold = True

    def cells(row: SummaryRow) -> list[Content]:
        return [row.area, row.goals, row.fulfilled, row.share, row.level]

    out.table(
        ["Kommunmål", f"Antal {document.goal_word}", "Uppfyllda", "Andel", "Resultatnivå"],
        [cells(row) for row in document.summary] + [cells(document.total)],
        bold_last=True,
    )
    out.heading("Resultatnivåer", 2)
    out.paragraph(document.scale_text)
    out.table([f"Andel uppfyllda {document.goal_word}", "Resultatnivå"], document.scale)
    if document.reported_before:
        out.heading("Rapporterat för året", 2)
        for text in document.reported_before:
            out.paragraph(text, "List Bullet")
    out.heading("Aktiviteter", 2)
    out.table(
        ["Status", "Antal", "Andel"],
        [*document.activities, ("Totalt", document.activity_total, "")],
        bold_last=True,
    )
    out.heading("Teckenförklaring", 2)
    out.paragraph("Status och trend visas alltid med symbol och ord; färgen är bara ett stöd.")
    out.table(["Symbol", "Betydelse"], document.legend)
    if document.not_reported:
        out.heading("Följs inte upp i perioden", 2)
        for text in document.not_reported:
            out.paragraph(text, "List Bullet")


def _assessment(out: _Writer, assessment: Assessment) -> None:
    out.heading(assessment.heading, 3)
    paragraph = out.paragraph()
    paragraph.add_run("Nås målet? ").bold = True
    _marker(paragraph, assessment.answer)
    if assessment.colour is not None:
        paragraph.add_run("   Färg: ").bold = True
        _marker(paragraph, assessment.colour)
    for label, text in assessment.texts:
        out.labelled(label, text)


def _measures(
    out: _Writer, measures: list[MeasureBlock], year: int, images: dict[int, bytes]
) -> None:
    out.heading("Mått och resultat", 3)
    rows: list[list[Content]] = []
    spans: list[int] = []
    for measure in measures:
        segmented = len(measure.rows) > 1
        if segmented:
            rows.append([f"{measure.name} ({measure.unit})", "", "", "", "", ""])
            spans.append(len(rows))  # row numbers count the header as 0
        for row in measure.rows:
            outcome = row.outcome
            if row.outcome_period and row.outcome_period != str(year):
                outcome += f" ({row.outcome_period})"
            rows.append(
                [
                    f"  {row.label}" if segmented else f"{measure.name} ({measure.unit})",
                    row.baseline,
                    row.target,
                    (outcome, row.by_gender) if row.by_gender else outcome,
                    row.status,
                    (row.trend, row.note) if row.note else row.trend,
                ]
            )
    out.table(
        ["Mått", "Ingångsvärde", f"Målvärde {year}", f"Utfall {year}", "Status", "Trend"],
        rows,
        spans=spans,
    )
    for measure in measures:
        if measure.chart is None:
            continue
        picture = out.paragraph()
        picture.paragraph_format.keep_with_next = True
        shape = picture.add_run().add_picture(
            io.BytesIO(images[id(measure.chart)]), width=Pt(measure.chart.width)
        )
        properties = shape._inline.docPr
        properties.set("descr", measure.chart.alt)
        properties.set("title", f"Diagram: {measure.name}")
        out.paragraph(f"{measure.name.rstrip('.')}, utfall och målvärde per år", "Caption")


def _goal(out: _Writer, goal: GoalSection, year: int, images: dict[int, bytes]) -> None:
    out.heading(f"{goal.code} {goal.title}", 2)
    for line in goal.context:
        run = out.paragraph().add_run(line)
        run.font.size = Pt(9.5)
        run.font.color.rgb = GREY
    if goal.fulfilled is not None:
        paragraph = out.paragraph()
        paragraph.add_run("Måluppfyllelse: ").bold = True
        _marker(paragraph, goal.fulfilled)
    for assessment in (goal.assessment, goal.forecast):
        if assessment is not None:
            _assessment(out, assessment)
    if goal.measures:
        _measures(out, goal.measures, year, images)
    out.heading("Aktiviteter", 3)
    out.paragraph(goal.activity_summary)
    if goal.activities:
        out.table(
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
    out = _Writer(doc)
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
    out.page_numbers()
    _cover(out, document)
    out.page_break()
    _summary(out, document)
    for area in document.areas:
        out.page_break()
        out.heading(f"{area.level_label} {area.code}: {area.title}", 1)
        out.paragraph(area.fulfilment)
        for goal in area.goals:
            _goal(out, goal, document.year, images)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
