"""Run an ASGI app on a real socket, for tests that must go over real HTTP."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from types import TracebackType
from typing import Self

import httpx
import uvicorn
from starlette.types import ASGIApp


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_up(
    url: str, attempts: int = 200, interval: float = 0.1, headers: dict[str, str] | None = None
) -> bool:
    """Poll ``url`` until it answers 200; False when it never did."""
    for _ in range(attempts):
        try:
            if httpx.get(url, headers=headers).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(interval)
    return False


def stop(process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Terminate ``process`` (SIGTERM, then SIGKILL after ``timeout`` seconds) and reap it."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class UvicornThread:
    """``with UvicornThread(app) as base_url: ...`` serves ``app`` on 127.0.0.1."""

    def __init__(self, app: ASGIApp | str, port: int | None = None) -> None:
        self.port = port or free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_config=None, lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("test server did not start")
            time.sleep(0.02)
        return self.base_url

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def __call__(self) -> Self:
        return self
