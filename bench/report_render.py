"""The committee document of Oxelösund VON 2024 (Verksamhetsplan 2024–2026, helår) as PDF and DOCX.

Loads the demo into a fresh PostgreSQL database (as ``make demo`` does) and asks the goals
service, in process (its full ASGI stack, no socket), for ``format=pdf`` and ``format=docx``
of the follow-up, sequentially: a warm-up, then STYR_BENCH_REPORT_RUNS (default 10) requests of
each. Printed per format: the whole request (the follow-up computed from the database, the
document built, the render in its worker thread) as median and max, and, separately, the
render alone (the document laid out by Typst or python-docx, from an already built document),
with the file's size and page count, and the machine's load average (the render is CPU work:
other jobs on the machine slow it in proportion). Target: the whole request ≤ 2 s (max over
the runs); missing it fails the run (exit 1), as does a request that does not answer 200.

The database is the test server's (see styr_shared.testing.database);
STYR_BENCH_REPORT_BACKEND=sqlite measures on SQLite instead. Run alone:
``.tools/bin/uv run --frozen python -m bench.report_render``.
"""

from __future__ import annotations

import asyncio
import io
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pypdf

from styr_goals.app import create_app
from styr_goals.database import migrate
from styr_goals.demo.loader import load_demo
from styr_goals.demo.plans import PLAN_2024
from styr_goals.followup import service as followup
from styr_goals.reports import pdf, word
from styr_goals.reports import service as reports
from styr_goals.reports.document import ReportDocument
from styr_goals.settings import GoalsSettings
from styr_shared.testing import TokenFactory, api_client, create_test_database, drop_test_database
from styr_shared.testing.harness import running_service

RUNS = int(os.environ.get("STYR_BENCH_REPORT_RUNS", "10"))
BACKEND = os.environ.get("STYR_BENCH_REPORT_BACKEND", "postgresql")
TARGET_SECONDS = 2.0
PARAMS = {"year": "2024", "period": "helar"}


def _timed(render: Callable[[ReportDocument], bytes], document: ReportDocument) -> float:
    started = time.perf_counter()
    render(document)
    return time.perf_counter() - started


async def _bench(url: str) -> int:
    app = create_app(GoalsSettings(database_url=url))
    failures = 0
    async with running_service(app, migrate, url):
        assert await load_demo(app.state.database)
        headers = TokenFactory().headers("reader", subject="bench")
        async with app.state.database.session() as session:
            report = await followup.follow_up(session, PLAN_2024, 2024, "helar")
            document = await reports.build(session, report)
        async with api_client(app) as client:
            for name, render in (("pdf", pdf.render), ("docx", word.render)):
                request = {**PARAMS, "format": name}
                url_path = f"/api/v1/plans/{PLAN_2024}/follow-up"
                warm = await client.get(url_path, params=request, headers=headers)
                if warm.status_code != 200:
                    print(f"{name}: HTTP {warm.status_code} {warm.text[:200]}")
                    return 1
                whole = []
                for _ in range(RUNS):
                    started = time.perf_counter()
                    response = await client.get(url_path, params=request, headers=headers)
                    whole.append(time.perf_counter() - started)
                    failures += response.status_code != 200
                alone = [_timed(render, document) for _ in range(RUNS)]
                size = len(warm.content) / 1024
                pages = ""
                if name == "pdf":
                    pages = f", {len(pypdf.PdfReader(io.BytesIO(warm.content)).pages)} pages"
                verdict = "ok" if max(whole) <= TARGET_SECONDS else "MISSED"
                failures += verdict != "ok"
                print(
                    f"VON 2024 {name} ({size:.0f} KiB{pages}), {RUNS} runs on {BACKEND}: "
                    f"request median {statistics.median(whole):.2f} s, max {max(whole):.2f} s "
                    f"(target ≤ {TARGET_SECONDS:.0f} s: {verdict}); render alone median "
                    f"{statistics.median(alone):.2f} s, max {max(alone):.2f} s; load average "
                    f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
                )
    return 1 if failures else 0


async def _main() -> int:
    with tempfile.TemporaryDirectory() as directory:
        url = await create_test_database(BACKEND, Path(directory), label="bench_report")
        try:
            return await _bench(url)
        finally:
            await drop_test_database(url)


def main() -> int:
    return asyncio.run(_main())


if __name__ == "__main__":
    sys.exit(main())
