"""Every package of core has the same rooms (issue #12): models.py, repository.py, service.py, or a stated reason."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ROOMS = ("models.py", "repository.py", "service.py")
# The packages that lack a room, and which; docs/architecture.md ("Rooms") says why for each. A new package
# gets the three rooms, or an entry here and its reason there.
DIFFERENT: dict[str, set[str]] = {
    "counters": {"models.py", "service.py"},  # storage primitive: sequence ranges for other repositories
    "leases": {"models.py", "service.py"},  # storage primitive: the periodic jobs' leases and run records
    "reference": {"models.py", "repository.py", "service.py"},  # static tables shipped as package data
    "evidence": {"service.py"},  # the service is upload.py (EvidenceUploadService)
    "fieldwork": {"service.py"},  # one service per use-case group: sync, checklists, oversight, record
    "nonsite": {"service.py"},  # one service per record kind: meters, power_alerts, complaints, leads, drone, …
}


def _missing_rooms() -> dict[str, set[str]]:
    return {package.name: missing for package in sorted((ROOT / "core").iterdir())
            if (package / "__init__.py").is_file()
            and (missing := {room for room in ROOMS if not (package / room).is_file()})}


def test_every_core_package_has_the_rooms_or_a_stated_reason() -> None:
    assert _missing_rooms() == DIFFERENT


def test_the_architecture_page_names_every_different_package() -> None:
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    rooms = page[page.index("### Rooms"):]
    assert [name for name in DIFFERENT if f"`{name}/`" not in rooms] == []
