"""The container files (issue #16 item 13), checked without Docker: what they copy exists, the compose file parses."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import yaml

from core.pdf import DEFAULT_FONT_FILES

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
COMPOSE = ROOT / "deploy" / "compose.yaml"


def _yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_the_image_is_python_312_slim_and_runs_as_a_user() -> None:
    assert re.findall(r"^FROM (\S+)", DOCKERFILE, re.M) == ["python:3.12-slim", "python:3.12-slim"]
    users = re.findall(r"^USER (\S+)", DOCKERFILE, re.M)
    assert users == ["ecoinspect"] and "useradd" in DOCKERFILE
    assert "gcc" in DOCKERFILE  # durable_rules is built from source
    assert sys.version_info < (3, 13)  # and the project's own interpreter obeys the same bound


def test_every_copied_path_exists_and_the_package_data_is_inside() -> None:
    copied = [part for line in re.findall(r"^COPY (?!--from)(.+)$", DOCKERFILE, re.M) for part in line.split()[:-1]]
    assert copied and all((ROOT / path).exists() for path in copied), copied
    packages = {path.strip("./") for path in copied if (ROOT / path).is_dir()}
    assert packages == {"api", "core", "rules", "scheduler"}
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert not set(ignored) & {"api", "core", "rules", "scheduler", "pyproject.toml", "README.md"}


def test_the_font_the_pdfs_embed_is_installed() -> None:
    assert str(DEFAULT_FONT_FILES[0]) == "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
    assert "fonts-wqy-microhei" in DOCKERFILE


def test_compose_runs_the_app_on_a_three_member_replica_set() -> None:
    compose = _yaml(COMPOSE)
    services = compose["services"]
    members = [name for name, service in services.items() if "--replSet" in (service.get("command") or [])]
    assert members == ["mongo1", "mongo2", "mongo3"]
    init = services["mongo-init"]
    assert all(init["depends_on"][name]["condition"] == "service_healthy" for name in members)
    script = init["command"][-1]
    assert all(f'host: "{name}:27017"' in script for name in members) and "rs.initiate" in script
    for name in ("app", "scheduler"):
        environment = services[name]["environment"]
        uri = environment["MONGODB_URI"]
        assert uri.endswith("?replicaSet=rs0") and all(f"{name}:27017" in uri for name in members)
        assert environment["ECOINSPECT_MODE"] == "production"
        assert services[name]["depends_on"]["mongo-init"]["condition"] == "service_completed_successfully"
        assert services[name]["build"]["context"] == ".." and (COMPOSE.parent / ".." / "Dockerfile").exists()
    assert services["scheduler"]["command"] == ["ecoinspect", "scheduler", "run"]
