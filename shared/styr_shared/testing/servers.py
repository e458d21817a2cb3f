"""Run an ASGI app on a real socket, for tests that must go over real HTTP; run the services
as their own processes, as ``make run`` does (benchmarks, fuzzing)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import TracebackType
from typing import IO, Self

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


SERVICES = ("goals", "budget", "deviations")


class StackError(RuntimeError):
    """A service of the stack did not migrate, load or start."""


@contextmanager
def process(args: list[str], env: dict[str, str], log: IO[bytes]) -> Iterator[int]:
    """Run ``args`` with output to ``log``; yields the pid, stops the process on exit."""
    service = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        yield service.pid
    finally:
        stop(service)


def cli(service: str, command: str, env: dict[str, str], log: IO[bytes]) -> None:
    """``styr-<service> <command>``, as ``make demo`` runs it."""
    args = [sys.executable, "-m", f"styr_{service}.cli", command]
    if subprocess.run(args, env=env, stdout=log, stderr=subprocess.STDOUT).returncode:  # noqa: S603
        raise StackError(f"styr-{service} {command} failed (see its log)")


def start_services(
    stack: ExitStack,
    database_urls: dict[str, str],
    workdir: Path,
    logs: dict[str, Path],
    *,
    processes: Sequence[str] = (*SERVICES, "gateway"),
    extra_env: dict[str, dict[str, str]] | None = None,
) -> tuple[dict[str, str], dict[str, int]]:
    """Migrate, load the demo data into ``database_urls`` and start ``processes`` (goals first:
    budget and deviations replicate its org tree): their base URLs and pids."""
    ports = {name: free_port() for name in processes}
    base = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    # Several processes import the same packages: let them share bytecode in the work
    # directory, even where PYTHONDONTWRITEBYTECODE is set (compiling anew costs seconds each).
    common = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    common["PYTHONPYCACHEPREFIX"] = str(workdir / "pycache")
    envs: dict[str, dict[str, str]] = {}
    services = [name for name in processes if name in SERVICES]
    for name in processes:
        prefix = f"STYR_{name.upper()}_"
        env = common | {
            f"{prefix}HOST": "127.0.0.1",
            f"{prefix}PORT": str(ports[name]),
            f"{prefix}LOG_LEVEL": "WARNING",
        }
        if name in SERVICES:
            env[f"{prefix}DATABASE_URL"] = database_urls[name]
        if name in ("budget", "deviations") and "goals" in base:
            env[f"{prefix}GOALS_URL"] = base["goals"]
            env[f"{prefix}ORG_SYNC_SECONDS"] = "5"
        if name == "gateway":
            env |= {f"{prefix}{service.upper()}_URL": base[service] for service in services}
        envs[name] = env | (extra_env or {}).get(name, {})
        logs[name] = workdir / f"{name}.log"
    files = {name: stack.enter_context(path.open("ab")) for name, path in logs.items()}

    def prepare(service: str) -> None:
        cli(service, "migrate", envs[service], files[service])
        cli(service, "demo", envs[service], files[service])

    with ThreadPoolExecutor(max(1, len(services))) as pool:  # independent databases
        for future in [pool.submit(prepare, service) for service in services]:
            future.result()
    pids: dict[str, int] = {}
    for name in processes:  # goals first: the others read its org feed as soon as they start
        args = [sys.executable, "-m", f"styr_{name}.cli", "serve"]
        pids[name] = stack.enter_context(process(args, envs[name], files[name]))
        if name == "goals" and not wait_until_up(f"{base[name]}/readyz", attempts=300):
            raise StackError("the goals service did not become ready")
    for name in processes:
        if not wait_until_up(f"{base[name]}/readyz", attempts=300):
            raise StackError(f"the {name} service did not become ready")
    return base, pids
