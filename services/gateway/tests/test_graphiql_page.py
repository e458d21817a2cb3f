"""GraphiQL comes from the gateway itself (no CDN) under a strict CSP; the browser test
(test_browser.py) renders it and runs a query."""

from __future__ import annotations

import re

import httpx

from styr_shared.docs import CONTENT_SECURITY_POLICY


async def test_graphiql_page_loads_only_the_gateways_assets(gateway: str) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        page = await client.get(gateway, headers={"Accept": "text/html"})
        assert page.status_code == 200
        assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "<script>" not in page.text  # every script is a file of the gateway's
        urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert any(url.endswith("graphiql.min.js") for url in urls)
        base = gateway.removesuffix("/graphql")
        for url in urls:
            assert url.startswith("/assets/"), url
            assert (await client.get(f"{base}{url}")).status_code == 200, url
