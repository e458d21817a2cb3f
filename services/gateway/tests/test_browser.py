"""The browser pages work offline: GraphiQL on the gateway and Swagger UI and ReDoc on a
service render in a real headless Chromium (Debian's), and every request the pages make
stays on 127.0.0.1 (no CDN, no fonts from elsewhere), under the pages' strict CSP.

Marked ``browser``: it needs ``/usr/bin/chromium`` (``apt-get install chromium``; ``.ci/run``
installs it). Without it the test is skipped locally and fails in CI (``CI=true``).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Response, sync_playwright

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("STYR_TEST_CHROMIUM", "/usr/bin/chromium")
# The flags this machine (and CI) needs: no sandbox as root, no GPU, and no background traffic
# of the browser's own (updates, sync, field trials) that would blur what the page requests.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 30_000
LOCAL_SCHEMES = ("blob", "data")


class Browser:
    """One headless Chromium with a fresh profile, recording every request and every console
    error of every page."""

    def __init__(self, context: BrowserContext) -> None:
        self.context = context
        self.requests: list[str] = []
        self.errors: list[str] = []
        context.on("request", lambda request: self.requests.append(request.url))
        context.on("response", self._check_status)
        context.set_default_timeout(TIMEOUT_MS)

    def _check_status(self, response: Response) -> None:
        if response.status >= 400:
            self.errors.append(f"{response.url}: {response.status}")

    def open(self, url: str) -> Page:
        page = self.context.new_page()
        page.on("pageerror", lambda error: self.errors.append(f"{url}: {error}"))

        def console(message: ConsoleMessage) -> None:
            if message.type == "error":
                self.errors.append(f"{url}: {message.text}")

        page.on("console", console)
        page.goto(url)
        return page

    def assert_stayed_local(self) -> None:
        assert self.requests, "the pages made no request at all"
        remote = [
            url
            for url in self.requests
            if urlsplit(url).scheme not in LOCAL_SCHEMES and urlsplit(url).hostname != "127.0.0.1"
        ]
        assert remote == [], f"requests left the host: {remote}"
        assert self.errors == [], self.errors


@pytest.fixture
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists() and shutil.which(CHROMIUM) is None:
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing; .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=FLAGS, headless=True
        )
        try:
            yield Browser(context)
        finally:
            context.close()


def test_graphiql_renders_and_runs_a_query_offline(
    browser: Browser, gateway: str, reader: dict[str, str]
) -> None:
    # The headers a person types in GraphiQL's headers tab, which it keeps in local storage.
    browser.context.add_init_script(
        f"localStorage.setItem('graphiql:headers', {json.dumps(json.dumps(reader))});"
    )
    query = '{ orgUnit(id: "oxelosund-von") { name code } }'
    page = browser.open(f"{gateway}?q={quote(query)}")

    editor = page.locator(".graphiql-query-editor .CodeMirror")
    editor.wait_for()
    assert "oxelosund-von" in editor.inner_text()
    page.locator(".graphiql-execute-button").click()
    response = page.locator(".graphiql-response .CodeMirror")
    response.get_by_text("Vård- och omsorgsnämnden").wait_for()
    assert '"errors"' not in response.inner_text()
    browser.assert_stayed_local()


def test_swagger_ui_and_redoc_render_offline(browser: Browser, goals: Any) -> None:
    docs = browser.open(f"{goals.url}/docs")
    docs.locator(".opblock").first.wait_for()
    assert "Styr" in docs.locator(".information-container .title").inner_text()
    assert docs.locator(".opblock").count() > 20

    redoc = browser.open(f"{goals.url}/redoc")
    redoc.locator("h1").first.wait_for()
    redoc.locator("[role=menuitem]").first.wait_for()
    # ReDoc's fonts came from the service, not from a font host.
    redoc.wait_for_load_state("networkidle")
    fonts = [url for url in browser.requests if url.endswith(".woff2")]
    assert any("/montserrat-" in url for url in fonts), fonts
    assert any("/roboto-" in url for url in fonts), fonts
    browser.assert_stayed_local()
