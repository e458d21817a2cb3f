"""Helpers for benchmarks that run services as their own processes over real HTTP."""

from __future__ import annotations

import socket
import subprocess
import time

import httpx


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, attempts: int = 200, interval: float = 0.1) -> bool:
    """Poll ``url`` until it answers 200; False when it never did."""
    for _ in range(attempts):
        try:
            if httpx.get(url).status_code == 200:
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
