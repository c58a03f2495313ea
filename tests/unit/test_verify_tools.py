"""The reference verifier (tools/verify_draw.py, stdlib only) and `ecoinspect verify-draw` agree.

Both accept the test-vector document (in any task order) and both refuse each tampered copy: a π, a
weight, an exclusion, a pool member, a committed input, a drawn object, a team, a replacement.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from draw_vectors import PATH, ROOT

from scheduler.verification import verify

TOOL = ROOT / "tools" / "verify_draw.py"
DOCUMENT: dict[str, Any] = json.loads(PATH.read_text(encoding="utf-8"))["document"]


def reference(document: dict[str, Any], tmp_path: Path) -> bool:
    """Runs the reference verifier as anyone would: a separate interpreter on a file (no project imports)."""
    path = tmp_path / "draw.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    done = subprocess.run([sys.executable, "-I", str(TOOL), str(path)], capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    return done.returncode == 0


def service(document: dict[str, Any]) -> bool:
    try:
        return all(check.ok for check in verify(document))
    except (KeyError, ValueError, TypeError, IndexError):
        return False


def test_the_tool_stays_small_and_uses_the_standard_library_only() -> None:
    text = TOOL.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 300
    imports = {line.split()[1].split(".")[0] for line in text.splitlines() if line.startswith(("import ", "from "))}
    assert imports <= {"hashlib", "json", "math", "re", "sys", "decimal", "fractions"}, imports


def test_both_accept_the_vectors_in_any_order(tmp_path: Path) -> None:
    shuffled = copy.deepcopy(DOCUMENT)
    shuffled["teams"] = dict(reversed(list(shuffled["teams"].items())))
    shuffled["redraws"].reverse()
    shuffled["public"]["objects"].reverse()
    for document in (DOCUMENT, shuffled):
        assert service(document) and reference(document, tmp_path)


def _set_row(column: str, value: Any, row: int = 0) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        population = doc["commitment"]["population"]
        population["rows"][row][population["columns"].index(column)] = value
    return edit


def _rehash(edit: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    """Tamper and publish a matching commitment hash: only the re-computation can catch it."""
    from scheduler import protocol

    def both(doc: dict[str, Any]) -> None:
        edit(doc)
        doc["commitment_hash"] = doc["public"]["plan"]["commitment"] = protocol.commitment_hash(doc["commitment"])
    return both


TAMPERING: dict[str, Callable[[dict[str, Any]], None]] = {
    "pi": _set_row("pi", "11/61"),
    "pi rehashed": _rehash(_set_row("pi", "11/61")),
    "weight rehashed": _rehash(_set_row("weight", "9.000000", 6)),
    "flag rehashed": _rehash(_set_row("visited", False)),
    "exclusion removed": lambda d: d["commitment"]["exclusions"]["rows"].pop(),
    "exclusion reason rehashed": _rehash(lambda d: d["commitment"]["exclusions"]["rows"][0].__setitem__(1, "whim")),
    "pool member": lambda d: d["commitment"]["inspectors"][0].__setitem__("open_load", 0),
    "pool member rehashed": _rehash(lambda d: d["commitment"]["inspectors"][1].__setitem__("on_post", False)),
    "quota rehashed": _rehash(lambda d: d["commitment"]["strata"]["key"].__setitem__("quota", 4)),
    "team size": lambda d: d["commitment"]["inspection"].__setitem__("team_size", 3),
    "announced pattern": lambda d: d["commitment"]["announcement"].__setitem__("pattern", ".*"),
    "public value": lambda d: d.__setitem__("public_value", "31415"),
    "public value, same format": lambda d: d.__setitem__("public_value", "3 1 4 1 6"),
    "secret": lambda d: d.__setitem__("secret", "ff" * 32),
    "drawn object": lambda d: d["drawn"]["general"].__setitem__(0, "91610100TEST00006X"),
    "team": lambda d: d["teams"].__setitem__("91610100TEST00003X", ["XA-004", "XA-002"]),
    "unstaffed": lambda d: d["unstaffed"].__setitem__("91610100TEST00003X", "RECUSALS"),
    "replacement object": lambda d: d["redraws"][0].__setitem__("replacement", "91610100TEST00005X"),
    "replacement team": lambda d: d["redraws"][1].__setitem__("team", ["XA-004", "XA-002"]),
    "replacement value": lambda d: d["redraws"][0].__setitem__("public_value", "2 7 1 8 3"),
    "replacement dropped": lambda d: d["redraws"].pop(0),
    "replacement hidden from the objects": lambda d: d["public"]["objects"].pop(),
}


@pytest.mark.parametrize("name", sorted(TAMPERING))
def test_both_refuse_a_tampered_copy(name: str, tmp_path: Path) -> None:
    document = copy.deepcopy(DOCUMENT)
    TAMPERING[name](document)
    assert not service(document), name
    assert not reference(document, tmp_path), name
