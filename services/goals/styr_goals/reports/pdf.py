"""The committee document as a tagged PDF/UA-1 file, typeset by Typst.

The layout is ``templates/report.typ``; the document goes in as JSON (``sys.inputs.data``)
and is only ever inserted as text. Typst checks PDF/UA-1 as it writes (a title, a language,
alt text on every figure, table headers) and fails rather than write a file that breaks it.
Only Typst's embedded fonts are used, so every machine writes the same file.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from functools import cache
from importlib import resources

import typst

from styr_goals.reports.document import ReportDocument

log = logging.getLogger(__name__)


@cache
def template() -> bytes:
    return resources.files("styr_goals.reports").joinpath("templates", "report.typ").read_bytes()


def render(document: ReportDocument) -> bytes:
    data = json.dumps(asdict(document), ensure_ascii=False)
    compiler = typst.Compiler(template(), ignore_system_fonts=True, sys_inputs={"data": data})
    pdf, warnings = compiler.compile_with_warnings(format="pdf", pdf_standards=["ua-1"])
    for warning in warnings:
        log.warning("typst: %s", warning.message)
    assert isinstance(pdf, bytes)
    return pdf
