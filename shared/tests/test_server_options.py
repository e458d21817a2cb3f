"""The options `serve` gives uvicorn, on a real socket."""

from __future__ import annotations

import threading
import time

import httpx
import uvicorn
from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from styr_shared.cli import server_options
from styr_shared.testing.servers import free_port

from .conftest import ProbeSettings


def test_a_huge_header_is_refused_by_the_server_before_the_app_runs(
    probe_app: FastAPI,
) -> None:
    """Uvicorn's httptools parser has no header limit (a 64 MiB header held the event loop
    for 9 s); the configured parser refuses it while it arrives, before the app is called."""
    called: list[str] = []

    async def recording(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            called.append(scope["path"])
        await probe_app(scope, receive, send)

    settings = ProbeSettings(database_url="sqlite+aiosqlite://", port=free_port())
    server = uvicorn.Server(uvicorn.Config(recording, log_config=None, **server_options(settings)))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.02)
        base = f"http://127.0.0.1:{settings.port}"
        assert httpx.get(f"{base}/healthz").status_code == 200
        huge = {"Authorization": "Bearer " + "A" * (4 << 20)}
        try:
            refused = httpx.get(f"{base}/api/v1/me", headers=huge, timeout=30).status_code
        except httpx.TransportError:
            refused = 0  # answered (400) and closed while the client was still sending
        assert refused in (0, 400, 431)
        assert called == ["/healthz"]
        assert httpx.get(f"{base}/healthz").status_code == 200
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_proxy_headers_are_believed_only_from_configured_proxies() -> None:
    settings = ProbeSettings(database_url="sqlite+aiosqlite://")
    assert server_options(settings)["proxy_headers"] is False
    behind = ProbeSettings(database_url="sqlite+aiosqlite://", forwarded_allow_ips=["10.0.0.0/8"])
    assert server_options(behind)["proxy_headers"] is True
    assert server_options(behind)["forwarded_allow_ips"] == ["10.0.0.0/8"]
