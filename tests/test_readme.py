"""The README's commands work as written on a fresh clone.

The static test reads every shell block and every inline command of README.md: nothing calls a
bare ``uv`` (``make`` installs it under ``.tools/``, not on the PATH), every ``make`` target
exists, every program run through ``.tools/bin/uv run`` is installed. The walkthrough (slow)
clones the repository, runs ``make install`` and ``make run`` there, and runs the README's
"try it", dashboard and token commands against it as a shell would, with the README's ports
moved to free ones. Not run: ``make test`` (this suite), PostgreSQL's ``createdb`` (the
suites' own fixtures cover it), Docker and Kubernetes (validated offline by
tests/test_deployment.py).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCK = re.compile(r"^ *```sh\n(.*?)^ *```", re.S | re.M)
INLINE = re.compile(r"`([^`\n]+)`")
PROGRAMS = ("make ", ".tools/", "../../.tools/", "uv ", "curl ", "TOKEN=", "createdb ")
SERVICES = {"gateway": 8000, "goals": 8001, "budget": 8002, "deviations": 8003}


def commands() -> list[str]:
    """Every command line of the README: shell blocks (continuations joined) and inline
    code that starts with a program."""
    lines: list[str] = []
    for block in BLOCK.findall(README):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split("  #")[0].strip()
            if line and not line.startswith("#"):
                lines.append(line)
    lines += [code for code in INLINE.findall(README) if code.startswith(PROGRAMS)]
    return lines


def make_targets() -> set[str]:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z][a-z-]*):", makefile, re.M))


BARE_UV = re.compile(r"(?:^|[\s;(|&])uv\s")
MAKE = re.compile(r"(?:^|[\s;(|&])make((?:\s+[^\s;)|&]+)*)")
UV_RUN = re.compile(r"\.tools/bin/uv run((?:\s+--\S+)*)\s+(\S+)")


def test_readme_commands_name_tools_a_fresh_clone_has() -> None:
    lines = commands()
    assert len(lines) > 15
    targets = make_targets()
    installed = {path.name for path in (ROOT / ".venv" / "bin").iterdir()}
    for line in lines:
        assert not BARE_UV.search(line), f"`uv` is not on the PATH after `make`: {line}"
        for match in MAKE.finditer(line):
            named = [
                word
                for word in match.group(1).split()
                if not word.startswith("-") and "=" not in word
            ]
            assert set(named) <= targets, f"no such make target in: {line}"
        for match in UV_RUN.finditer(line):
            assert match.group(2) in installed, f"{match.group(2)} is not in .venv: {line}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def shell(command: str, cwd: Path, ports: dict[str, int]) -> str:
    for name, port in ports.items():
        command = command.replace(f"127.0.0.1:{SERVICES[name]}", f"127.0.0.1:{port}")
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", command],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def section(title: str) -> str:
    """The shell blocks under a README heading, as one script."""
    start = README.index(title)
    end = README.find("\n## ", start + len(title))
    return "\n".join(BLOCK.findall(README[start:end]))


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, int]]]:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    from styr_shared.testing import TEST_BACKENDS

    if "sqlite" not in TEST_BACKENDS:
        pytest.skip("the walkthrough runs with the SQLite run (make run uses SQLite)")
    workdir = tmp_path_factory.mktemp("fresh-clone") / "styr"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(workdir)], check=True)
    ports = {name: free_port() for name in SERVICES}
    env = os.environ | {
        "STYR_GOALS_PORT": str(ports["goals"]),
        "STYR_BUDGET_PORT": str(ports["budget"]),
        "STYR_DEVIATIONS_PORT": str(ports["deviations"]),
        "STYR_GATEWAY_PORT": str(ports["gateway"]),
        "STYR_BUDGET_GOALS_URL": f"http://127.0.0.1:{ports['goals']}",
        "STYR_DEVIATIONS_GOALS_URL": f"http://127.0.0.1:{ports['goals']}",
        "STYR_GATEWAY_GOALS_URL": f"http://127.0.0.1:{ports['goals']}",
        "STYR_GATEWAY_BUDGET_URL": f"http://127.0.0.1:{ports['budget']}",
        "STYR_GATEWAY_DEVIATIONS_URL": f"http://127.0.0.1:{ports['deviations']}",
    }
    env = {k: v for k, v in env.items() if not k.startswith(("VIRTUAL_ENV", "UV_PROJECT"))}
    log = (workdir.parent / "make-run.log").open("wb")
    # `make run` as the README says (it installs, migrates and loads the demo data first).
    run = subprocess.Popen(
        ["make", "run"], cwd=workdir, env=env, stdout=log, stderr=log, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            assert run.poll() is None, (workdir.parent / "make-run.log").read_text()[-3000:]
            try:
                if httpx.get(f"http://127.0.0.1:{ports['gateway']}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(1)
        else:
            pytest.fail("make run did not come up")
        yield workdir, ports
    finally:
        os.killpg(run.pid, signal.SIGTERM)
        run.wait(timeout=60)
        log.close()


@pytest.mark.slow
def test_readme_walkthrough_on_a_fresh_clone(clone: tuple[Path, dict[str, int]]) -> None:
    workdir, ports = clone
    try_it = section("Try it:")
    out = shell(try_it, workdir, ports).strip()
    # The two curls print one JSON document each, without a newline between them.
    units, end = json.JSONDecoder().raw_decode(out)
    assert units["items"]
    assert json.loads(out[end:]) == {"data": {"__typename": "Query"}}

    dashboard = json.loads(shell(section("## One query for a committee dashboard"), workdir, ports))
    assert "errors" not in dashboard, dashboard
    assert dashboard["data"]["orgUnit"]["name"]

    for line in section("- **Development**").splitlines()[:4]:
        if line.strip().startswith("make token"):
            token = shell(line.split("#")[0], workdir, ports).strip()
            assert token.count(".") == 2, line
    inline = [".tools/bin/uv run --frozen styr-token --help", "make migrate"]
    for command in inline:
        assert f"`{command}`" in README
        shell(command, workdir, ports)
