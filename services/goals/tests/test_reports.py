"""The follow-up as a committee document (``format=pdf`` and ``format=docx``).

Read back the way a person or a screen reader would: the PDF's text (pypdf) and its tagging,
the DOCX's headings, tables, pictures and properties. The figures are checked against the JSON
report of the same request, formatted here independently of the service's own formatter. The
demo (Oxelösund VON) is loaded once per backend for this module, plus one small plan of our own
(``CUSTOM``) with what the demo lacks: values per gender, thousands, a measure that should
decrease, a red assessment, an activity with dates, and a title full of Typst markup.
"""

from __future__ import annotations

import asyncio
import io
import re
import time
from collections.abc import AsyncIterator, Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import docx
import pypdf
import pypdfium2  # type: ignore[import-untyped]
import pytest
from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph
from fastapi import FastAPI
from httpx import AsyncClient

from styr_goals.database import metadata
from styr_goals.demo.loader import DEMO_LOADER, load_demo
from styr_goals.demo.plans import PLAN_2024, PLAN_2025
from styr_goals.followup import service as followup
from styr_goals.followup.schemas import (
    ActivityCreate,
    Answer,
    AssessmentCreate,
    AssessmentKind,
    Colour,
)
from styr_goals.measures import service as measures
from styr_goals.measures.schemas import MeasureCreate, SeriesIn, TargetIn, UnitKind, ValueWrite
from styr_goals.measures.status import Direction, Trend
from styr_goals.plans import service as plans
from styr_goals.plans.schemas import GoalCreate, PlanCreate
from styr_goals.reports import charts
from styr_goals.reports import formatting as fmt
from styr_shared.testing import TokenFactory, api_client, truncate_all

CUSTOM = "report-test-plan"
MARKUP_TITLE = '#panic("boom") *fet* _kursiv_ $x^2$ <etikett> @ref `kod` \\ [länk](x) // slut'


async def _custom_plan(app: FastAPI) -> None:
    async with app.state.database.session() as session:
        await plans.create_plan(
            session,
            PlanCreate(
                id=CUSTOM, org_unit_id="oxelosund-von", name="Testplan 2025–2026",
                start_year=2025, end_year=2026,
            ),
            DEMO_LOADER,
        )  # fmt: skip
        await plans.create_goal(
            session,
            CUSTOM,
            GoalCreate(id="rt-km", code="TK1", level="kommunmal", title="Testområde"),
            DEMO_LOADER,
        )
        await plans.create_goal(
            session,
            CUSTOM,
            GoalCreate(
                id="rt-nm", code="TN1", level="namndmal", parent_id="rt-km", title=MARKUP_TITLE
            ),
            DEMO_LOADER,
        )
        measure = await measures.create_measure(
            session,
            MeasureCreate(
                id="rt-cost",
                code="RT-1",
                org_unit_id="oxelosund-von",
                name="Kostnad per brukare",
                unit_kind=UnitKind.COUNT,
                decimals=1,
                direction=Direction.DECREASE,
                gender_split=True,
                goal_ids=["rt-nm"],
                series=[SeriesIn(targets={2025: TargetIn(op="<=", value=Decimal(1200))})],
            ),
            DEMO_LOADER,
        )
        for period, gender, value in [
            ("2024", "T", "1300"),
            ("2025", "T", "1234.5"),
            ("2025", "K", "1100"),
            ("2025", "M", "1400.25"),
        ]:
            await measures.write_value(
                session,
                measure,
                ValueWrite(
                    org_unit_id="oxelosund-von", period=period, gender=gender, value=Decimal(value)
                ),
                DEMO_LOADER,
            )
        await session.commit()
        await followup.create_assessment(
            session,
            "rt-nm",
            AssessmentCreate(
                year=2025,
                period="helar",
                kind=AssessmentKind.FINAL,
                answer=Answer.NO,
                colour=Colour.RED,
                comment="Kostnaden sjönk men inte till målvärdet.",
                actions_planned="Ny bemanningsmodell från mars.",
            ),
            DEMO_LOADER,
        )
        await followup.create_activity(
            session,
            "rt-nm",
            ActivityCreate(
                org_unit_id="oxelosund-von",
                year=2025,
                title="Införa schemaläggning",
                responsible="Enhetschef hemtjänst",
                end_date=date(2025, 10, 31),
                status="pagaende",
                progress=40,
            ),
            DEMO_LOADER,
        )


@pytest.fixture(scope="module")
async def demo_client(app: FastAPI) -> AsyncIterator[AsyncClient]:
    await truncate_all(app.state.database, metadata)
    assert await load_demo(app.state.database)
    await _custom_plan(app)
    async with api_client(app) as client:
        yield client
    await truncate_all(app.state.database, metadata)


@pytest.fixture
def client(demo_client: AsyncClient) -> AsyncClient:
    return demo_client


@pytest.fixture
def reader(tokens: TokenFactory) -> dict[str, str]:
    return tokens.headers("reader", subject="politician")


async def _get(
    client: AsyncClient, headers: dict[str, str], plan: str = PLAN_2024, **params: Any
) -> Any:
    params = {"year": 2024, "period": "helar", **params}
    response = await client.get(f"/api/v1/plans/{plan}/follow-up", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response


def _walk(goals: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for goal in goals:
        yield goal
        yield from _walk(goal["children"])


def _clean(text: str) -> str:
    """Text as read: no-break spaces as spaces, runs of white space as one."""
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


def _swedish(value: float | int | None, unit_kind: str) -> str:
    """The outcome as the committee reads it, written out here independently of the service."""
    if value is None:
        return "–"
    if unit_kind in ("yes_no", "milestone"):
        return "Ja" if value else "Nej"
    number = f"{value:,}".replace(",", " ").replace(".", ",")
    return f"{number} %" if unit_kind == "percent" else number


def _pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return _clean(" ".join(page.extract_text() for page in reader.pages))


# --- formats and charts (no database) ------------------------------------------------------


def test_swedish_number_formats() -> None:
    nbsp = "\u00a0"
    assert fmt.number(Decimal("1234.5"), 1) == f"1{nbsp}234,5"
    assert fmt.number(1234567) == f"1{nbsp}234{nbsp}567"
    assert fmt.number(Decimal("2.345"), 2) == "2,35"  # half up
    assert fmt.number(Decimal("-1500.25"), 1) == f"\u22121{nbsp}500,3"
    assert fmt.percent(76) == f"76{nbsp}%"
    assert fmt.value(Decimal("89.77"), "percent", 2) == f"89,77{nbsp}%"
    assert fmt.value(Decimal("90.0000"), "percent", 2) == f"90{nbsp}%"  # stored, not shown
    assert fmt.value(Decimal(1), "yes_no", 0) == "Ja"
    assert fmt.value(Decimal(12), "days", 0) == f"12{nbsp}dagar"
    assert fmt.period("2024-Q3") == "kvartal 3 2024"
    assert fmt.period("2024-12-01") == "1 december 2024"
    assert fmt.long_date(date(2024, 12, 31)) == "31 december 2024"


def test_trend_arrow_shows_the_movement_and_the_word_whether_it_is_good() -> None:
    up_good = fmt.trend(Trend.IMPROVING, "increase")
    down_good = fmt.trend(Trend.IMPROVING, "decrease")
    up_bad = fmt.trend(Trend.WORSENING, "decrease")
    assert up_good is not None
    assert (up_good.symbol, up_good.word) == ("↑", "Förbättring")
    assert down_good is not None
    assert (down_good.symbol, down_good.word) == ("↓", "Förbättring")
    assert up_bad is not None
    assert (up_bad.symbol, up_bad.word) == ("↑", "Försämring")
    assert fmt.trend(None, "increase") is None


def test_chart_is_svg_with_a_text_alternative_of_every_figure() -> None:
    from xml.etree import ElementTree

    panels = [
        charts.Panel("SÄBO", [2023, 2024], {2023: Decimal(42), 2024: Decimal(49)},
                     {2024: (">=", Decimal(45))}),
        charts.Panel("Hemtjänst", [2023, 2024], {2024: Decimal(50)}, {2024: (">=", Decimal(60))}),
    ]  # fmt: skip
    chart = charts.chart("Svarsfrekvens", panels, "percent", 0)
    assert chart is not None
    root = ElementTree.fromstring(chart.svg)  # noqa: S314 (our own SVG)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = [_clean(t.text or "") for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert {"SÄBO", "Hemtjänst", "42 %", "49 %", "50 %", "2023", "2024"} <= set(texts)
    # Ticks stop at 100 % for a share.
    assert "110" not in texts
    assert _clean(chart.alt) == (
        "Linjediagram, Svarsfrekvens, 2023–2024. SÄBO: utfall 2023 42 %, 2024 49 %; målvärde "
        "2024 ≥ 45 %. Hemtjänst: utfall 2024 50 %; målvärde 2024 ≥ 60 %."
    )
    # Targets alone make no chart: the table says it all.
    assert charts.chart("x", [charts.Panel(None, [2025], {}, {2025: ("=", Decimal(1))})],
                        "count", 0) is None  # fmt: skip


# --- the PDF -----------------------------------------------------------------------------


async def test_pdf_has_the_summary_every_goal_and_every_outcome(
    client: AsyncClient, reader: dict[str, str]
) -> None:
    report = (await _get(client, reader)).json()
    response = await _get(client, reader, format="pdf")
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="uppfoljning-{PLAN_2024}-2024-helar.pdf"'
    )
    text = _pdf_text(response.content)
    assert "Verksamhetsberättelse 2024" in text
    assert "Oxelösunds kommun" in text
    assert "Vård- och omsorgsnämnden" in text
    assert "13 av 17 nämndmål uppfyllda (76 %)" in text
    assert "Mycket god måluppfyllelse" in text
    assert "Totalt 17 13 76 % Mycket god måluppfyllelse" in text
    assert "KM2 Trygg och säker uppväxt 2 1 50 % God måluppfyllelse" in text
    assert "70–100 % Mycket god måluppfyllelse" in text  # the scale, explained
    assert "Delår 2024: 94 %" in text  # what was reported before
    goals = list(_walk(report["goals"]))
    assert len(goals) == 40
    for goal in goals:
        assert _clean(goal["title"]) in text, goal["code"]
    # Each committee goal's section holds its assessment and its measures' outcomes.
    committee_goals = [g for g in goals if g["level"] == "namndmal"]
    starts = [text.index(f"{g['code']} {_clean(g['title'])}") for g in committee_goals]
    assert starts == sorted(starts)
    outcomes = 0
    for goal, start, end in zip(committee_goals, starts, [*starts[1:], len(text)], strict=True):
        section = text[start:end]
        assert ("✓ Uppfyllt" if goal["fulfilled"] else "✗ Ej uppfyllt") in section
        answer = {"Ja": "✓ Ja", "Delvis": "◐ Delvis", "Nej": "✗ Nej"}[goal["assessment"]["answer"]]
        assert f"Nås målet? {answer}" in section, goal["code"]
        assert _clean(goal["assessment"]["answer_text"]) in section, goal["code"]
        for measure in goal["measures"]:
            for series in measure["series"]:
                expected = _swedish(series["value"], measure["unit_kind"])
                assert expected in section, (goal["code"], measure["code"], expected)
                outcomes += series["value"] is not None
    assert outcomes >= 15  # the loop above checked something
    frisk = text[text.index("N24-16 ") : text.index("N24-17 ")]
    assert "≥ 90 % 89,77 % ✗ Ej uppfyllt" in frisk  # target, outcome, status as symbol + word
    segments = text[text.index("N24-05 ") : text.index("N24-06 ")]
    assert "Hemtjänst – ≥ 60 % 50 % ✗ Ej uppfyllt ↓ Försämring" in segments
    assert "LSS – ≥ 70 % 82 % ✓ Uppfyllt ↑ Förbättring" in segments


def _struct(node: Any) -> Iterator[Any]:
    node = node.get_object()
    if not isinstance(node, pypdf.generic.DictionaryObject):
        return
    if "/S" in node:
        yield node
    kids = node.get("/K")
    if kids is None:
        return
    for kid in kids if isinstance(kids, pypdf.generic.ArrayObject) else [kids]:
        yield from _struct(kid)


async def test_pdf_is_tagged_pdf_ua_in_swedish_with_a_title(
    client: AsyncClient, reader: dict[str, str]
) -> None:
    response = await _get(client, reader, format="pdf")
    pdf = pypdf.PdfReader(io.BytesIO(response.content))
    catalog: Any = pdf.trailer["/Root"]
    assert catalog["/MarkInfo"]["/Marked"] == True  # noqa: E712 (a pypdf BooleanObject)
    assert catalog["/Lang"] == "sv-SE"
    assert catalog["/ViewerPreferences"]["/DisplayDocTitle"] == True  # noqa: E712
    title = "Verksamhetsberättelse 2024 – måluppfyllelse, Vård- och omsorgsnämnden"
    assert pdf.metadata is not None
    assert pdf.metadata.title == title
    xmp = catalog["/Metadata"].get_object().get_data().decode()
    assert "<pdfuaid:part>1</pdfuaid:part>" in xmp
    assert "<rdf:li>sv-SE</rdf:li>" in xmp
    elements = list(_struct(catalog["/StructTreeRoot"]))
    kinds = [str(e["/S"]) for e in elements]
    # Headings in order of level: the areas, the goals, their parts; tables with header cells.
    assert kinds.count("/H1") == 1 + 6  # Sammanfattning and the six kommunmål
    assert kinds.count("/H2") >= 4 + 17
    assert "/H3" in kinds
    assert "/H4" not in kinds
    assert kinds.count("/Table") >= 3 + 17
    assert kinds.count("/TH") >= 5
    assert "/THead" in kinds
    figures = [e for e in elements if e["/S"] == "/Figure"]
    assert len(figures) >= 15
    for figure in figures:
        assert str(figure.get("/Alt", "")).startswith("Linjediagram, ")
    # Only Typst's embedded fonts, embedded in the file: nothing from the machine it ran on.
    fonts = set()
    for page in pdf.pages:
        resources: Any = page["/Resources"]
        for font in resources["/Font"].values():
            font = font.get_object()
            descriptor = (font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font
                          else font)["/FontDescriptor"].get_object()  # fmt: skip
            assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor)
            fonts.add(str(font["/BaseFont"]).split("+")[-1].split("-")[0])
    assert fonts <= {"LibertinusSerif", "DejaVuSansMono"}, fonts


async def test_pdf_renders_in_another_engine(client: AsyncClient, reader: dict[str, str]) -> None:
    response = await _get(client, reader, format="pdf")
    document = pypdfium2.PdfDocument(response.content)
    assert len(document) >= 10
    bitmap = document[0].render(scale=0.5, grayscale=True)
    pixels = bytes(bitmap.buffer)
    dark = sum(1 for value in pixels[::7] if value < 128)
    assert dark > 50  # text on the cover, not a blank page


async def test_interim_report_says_what_it_does_not_follow_up(
    client: AsyncClient, reader: dict[str, str]
) -> None:
    response = await _get(client, reader, plan=PLAN_2025, year=2025, period="delar", format="pdf")
    text = _pdf_text(response.content)
    assert "Delårsrapport 2025" in text
    assert "0 av 4 nämndmål uppfyllda (0 %)" in text
    following = text[text.index("Följs inte upp i perioden") :]
    assert "NM-02 Införa digitala lösningar" in following


async def test_what_was_typed_is_printed_never_typeset(
    client: AsyncClient, reader: dict[str, str]
) -> None:
    response = await _get(client, reader, plan=CUSTOM, year=2025, format="pdf")
    text = _pdf_text(response.content)
    assert _clean(MARKUP_TITLE) in text
    section = text[text.index("TN1 ") :]
    # A measure that should decrease: it went down, which is better, and still missed target.
    assert (
        "Kostnad per brukare (antal) – ≤ 1 200 1 234,5 Kvinnor 1 100, män 1 400,3 "
        "✗ Ej uppfyllt ↓ Förbättring"
    ) in section
    assert "Nås målet? ✗ Nej Färg: ● Röd" in section
    assert "Planerade åtgärder: Ny bemanningsmodell från mars." in section
    assert "Införa schemaläggning Enhetschef hemtjänst 31 oktober 2025 Pågående 40 %" in section


async def test_rendering_leaves_the_event_loop_free(
    client: AsyncClient, reader: dict[str, str]
) -> None:
    gaps: list[float] = []
    done = asyncio.Event()

    async def tick() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(0.002)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticker = asyncio.create_task(tick())
    started = time.perf_counter()
    await _get(client, reader, format="docx")
    took = time.perf_counter() - started
    done.set()
    await ticker
    # Had the render run on the loop, one gap would be about as long as the render.
    assert max(gaps) < took / 2, (max(gaps), took)


async def test_bad_input_is_a_problem_not_a_document(
    client: AsyncClient, reader: dict[str, str]
) -> None:
    url = f"/api/v1/plans/{PLAN_2024}/follow-up"
    bad = await client.get(
        url, params={"year": 2024, "period": "q9", "format": "pdf"}, headers=reader
    )
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    assert bad.json()["errors"][0]["field"] == "query.period"
    unknown = await client.get(
        url, params={"year": 2024, "period": "helar", "format": "odt"}, headers=reader
    )
    assert unknown.status_code == 422
    anonymous = await client.get(url, params={"year": 2024, "period": "helar", "format": "pdf"})
    assert anonymous.status_code == 401


# --- the DOCX ----------------------------------------------------------------------------


def _blocks(document: DocxDocument) -> Iterator[Paragraph | Table]:
    for child in document.element.body.iterchildren():
        if child.tag == qn("w:p"):
            yield Paragraph(child, document)
        elif child.tag == qn("w:tbl"):
            yield Table(child, document)


def _rows(table: Table) -> list[list[str]]:
    return [[_clean(cell.text) for cell in row.cells] for row in table.rows]


async def test_docx_has_headings_tables_and_every_outcome(
    client: AsyncClient, reader: dict[str, str]
) -> None:
    report = (await _get(client, reader)).json()
    response = await _get(client, reader, format="docx")
    assert response.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    document = docx.Document(io.BytesIO(response.content))
    properties = document.core_properties
    assert (
        properties.title == "Verksamhetsberättelse 2024 – måluppfyllelse, Vård- och omsorgsnämnden"
    )
    assert properties.language == "sv-SE"
    lang = document.styles.element.find(qn("w:docDefaults")).find(f".//{qn('w:lang')}")
    assert lang.get(qn("w:val")) == "sv-SE"

    headings: dict[str, list[str]] = {}
    tables: dict[str, list[list[list[str]]]] = {}  # the tables under each Heading 2
    current = ""
    for block in _blocks(document):
        if isinstance(block, Paragraph):
            style = block.style.name if block.style is not None else ""
            headings.setdefault(style, []).append(_clean(block.text))
            if style == "Heading 2":
                current = _clean(block.text)
        else:
            header = block.rows[0]._tr.trPr
            assert header is not None
            assert header.find(qn("w:tblHeader")) is not None  # repeated on every page
            tables.setdefault(current, []).append(_rows(block))
    assert headings["Title"] == ["Verksamhetsberättelse 2024"]
    assert headings["Heading 1"][0] == "Sammanfattning"
    assert [h.split(":")[0] for h in headings["Heading 1"][1:]] == [
        f"Kommunmål KM{n}" for n in range(1, 7)
    ]
    paragraphs = _clean(" ".join(p.text for p in document.paragraphs))
    assert "13 av 17 nämndmål uppfyllda (76 %)" in paragraphs
    summary = tables["Sammanfattning"] if "Sammanfattning" in tables else tables[""]
    assert summary[0][0] == ["Kommunmål", "Antal nämndmål", "Uppfyllda", "Andel", "Resultatnivå"]
    assert summary[0][-1] == ["Totalt", "17", "13", "76 %", "Mycket god måluppfyllelse"]
    for goal in _walk(report["goals"]):
        assert _clean(goal["title"]) in paragraphs, goal["code"]
    for goal in _walk(report["goals"]):
        if goal["level"] != "namndmal" or not goal["measures"]:
            continue
        heading = f"{goal['code']} {_clean(goal['title'])}"
        assert heading in headings["Heading 2"]
        rows = tables[heading][0]
        assert rows[0] == ["Mått", "Ingångsvärde", "Målvärde 2024", "Utfall 2024", "Status",
                           "Trend"]  # fmt: skip
        for measure in goal["measures"]:
            for series in measure["series"]:
                label = series["segment"] or _clean(measure["display_name"] or measure["name"])
                row = next(r for r in rows[1:] if r[0].startswith(label))
                expected = _swedish(series["value"], measure["unit_kind"])
                # A point-in-time value names its day: "200 (1 december 2024)".
                assert row[3] == expected or row[3].startswith(f"{expected} ("), row
                status = {"met": "✓ Uppfyllt", "not_met": "✗ Ej uppfyllt",
                          "no_value": "– Utfall saknas",
                          "no_target": "○ Målvärde saknas"}[series["status"]]  # fmt: skip
                assert row[4] == status, row
    pictures = document.inline_shapes
    assert len(pictures) >= 15
    for picture in pictures:
        assert picture._inline.docPr.get("descr").startswith("Linjediagram, ")
        assert picture.width > 0


async def test_docx_of_our_own_plan(client: AsyncClient, reader: dict[str, str]) -> None:
    response = await _get(client, reader, plan=CUSTOM, year=2025, format="docx")
    document = docx.Document(io.BytesIO(response.content))
    headings = [
        _clean(p.text)
        for p in document.paragraphs
        if p.style is not None and p.style.name == "Heading 2"
    ]
    assert f"TN1 {_clean(MARKUP_TITLE)}" in headings
    rows = [_rows(table) for table in document.tables]
    measure = next(r for r in rows if r[0][0] == "Mått")
    assert measure[1] == [
        "Kostnad per brukare (antal)",
        "–",
        "≤ 1 200",
        "1 234,5 Kvinnor 1 100, män 1 400,3",
        "✗ Ej uppfyllt",
        "↓ Förbättring",
    ]
    chart = document.inline_shapes[0]._inline.docPr.get("descr")
    assert chart == (
        "Linjediagram, Kostnad per brukare, 2024–2025. Utfall 2024 1\u00a0300, 2025 "
        "1\u00a0234,5; målvärde 2025 ≤ 1\u00a0200."
    )
