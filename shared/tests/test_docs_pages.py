"""``/docs`` and ``/redoc`` come from the service itself: every script, stylesheet, font and
image they load is served by the service, under a strict Content-Security-Policy, with no
inline script. (services/gateway/tests/test_browser.py renders them in a real browser.)"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from httpx import AsyncClient

from styr_shared.docs import CONTENT_SECURITY_POLICY

URL_IN_CSS = re.compile(r"url\(\s*['\"]?([^'\")]+)")


class Resources(HTMLParser):
    """The URLs a page loads (script src, link href) and the inline scripts it has."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script":
            if attributes.get("src"):
                self.urls.append(attributes["src"] or "")
            else:
                self.inline_scripts += 1
        if tag == "link" and attributes.get("href"):
            self.urls.append(attributes["href"] or "")


def directives(policy: str) -> dict[str, list[str]]:
    return {
        name: values
        for name, *values in (part.split() for part in policy.split(";") if part.strip())
    }


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_docs_pages_load_only_their_own_assets(probe: AsyncClient, path: str) -> None:
    page = await probe.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    policy = directives(page.headers["content-security-policy"])
    assert policy["script-src"] == ["'self'"]  # no inline, no eval, no other host
    assert policy["default-src"] == ["'none'"]
    assert all("http" not in value for values in policy.values() for value in values)

    resources = Resources()
    resources.feed(page.text)
    assert resources.inline_scripts == 0
    assert resources.urls
    stylesheets: list[str] = []
    for url in resources.urls:
        assert url.startswith("/assets/"), url
        asset = await probe.get(url)
        assert asset.status_code == 200, url
        if url.endswith(".css"):
            stylesheets.append(url)
            # Every font or image a stylesheet names is inlined or served here too.
            for reference in URL_IN_CSS.findall(asset.text):
                if reference.startswith("data:"):
                    continue
                assert not reference.startswith(("http:", "https:", "//")), reference
                base = url.rsplit("/", 1)[0]
                resolved = await probe.get(f"{base}/{reference}")
                assert resolved.status_code == 200, reference
    assert stylesheets


async def test_redoc_page_declares_its_fonts(probe: AsyncClient) -> None:
    fonts = await probe.get("/assets/styr/fonts.css")
    families = set(re.findall(r'font-family: "([^"]+)"', fonts.text))
    assert families == {"Montserrat", "Roboto"}
    assert "googleapis" not in (await probe.get("/redoc")).text


async def test_served_assets_name_no_cdn(probe: AsyncClient) -> None:
    for url in [
        "/assets/vendor/redoc/redoc.standalone.js",
        "/assets/vendor/swagger-ui/swagger-ui-bundle.js",
        "/assets/styr/swagger-init.js",
    ]:
        text = (await probe.get(url)).text
        for host in ("cdn.redoc.ly", "cdn.jsdelivr.net", "unpkg.com", "fonts.googleapis.com"):
            assert host not in text, (url, host)
