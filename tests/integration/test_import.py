"""Enterprise and inspector imports against the real wire-protocol server."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from conftest import enterprise_row

from core.db import Database
from core.registry.importing import import_enterprises, import_inspectors
from core.registry.repository import ENTERPRISE_HISTORY, ENTERPRISES
from core.registry.rows import ENTERPRISE_COLUMNS


def write_csv(path: Path, rows: list[dict[str, str]], *, bom: bool = False) -> Path:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=ENTERPRISE_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
    return path


async def test_valid_rows_are_inserted_and_bad_rows_reported(database: Database, tmp_path: Path) -> None:
    rows = [
        enterprise_row("91610100MA0000001"),
        enterprise_row("91610100MA0000002", credit_tier="red", credit_rated_on="2025-06-01"),
        {**enterprise_row("91610100MA0000003"), "credit_code": "91610100MA00000039"},  # bad check char
        enterprise_row("91610100MA0000004", jurisdiction="999999"),
        enterprise_row("91610100MA0000005", lon="200"),
        enterprise_row("91610100MA0000001"),  # repeated in the file
    ]
    report = await import_enterprises(database, write_csv(tmp_path / "e.csv", rows, bom=True), actor="t")
    assert (report.rows, report.inserted, report.failed) == (6, 2, 4)
    codes = {(e.row, e.code) for e in report.errors}
    assert codes == {(3, "INVALID_CREDIT_CODE"), (4, "UNKNOWN_JURISDICTION"), (5, "OUT_OF_RANGE"),
                     (6, "DUPLICATE_IN_FILE")}
    stored = await database[ENTERPRISES].count_documents({})
    assert stored == 2


async def test_reimporting_the_same_file_changes_nothing(database: Database, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "e.csv", [enterprise_row(f"91610100MA{i:07d}") for i in range(1, 40)])
    first = await import_enterprises(database, path, actor="t")
    before = await database[ENTERPRISES].find({}, {"_id": 0}).sort("seq", 1).to_list()
    second = await import_enterprises(database, path, actor="t")
    after = await database[ENTERPRISES].find({}, {"_id": 0}).sort("seq", 1).to_list()
    assert first.inserted == 39 and second.inserted == 0 and second.unchanged == 39
    assert [{k: v for k, v in d.items() if k != "import_id"} for d in before] == \
        [{k: v for k, v in d.items() if k != "import_id"} for d in after]
    assert await database[ENTERPRISE_HISTORY].count_documents({}) == 0


async def test_changed_row_updates_version_and_history(database: Database, tmp_path: Path) -> None:
    await import_enterprises(database, write_csv(tmp_path / "a.csv", [enterprise_row("91610100MA0000011")]),
                             actor="t")
    changed = enterprise_row("91610100MA0000011", credit_tier="yellow", key_discharger="true")
    report = await import_enterprises(database, write_csv(tmp_path / "b.csv", [changed]), actor="alice")
    assert report.updated == 1
    doc = await database[ENTERPRISES].find_one({"credit_code": changed["credit_code"]})
    assert doc["version"] == 2 and doc["credit"]["tier"] == "yellow" and doc["key_discharger"] is True
    history = await database[ENTERPRISE_HISTORY].find({"credit_code": changed["credit_code"]}).to_list()
    assert len(history) == 1
    assert history[0]["actor"] == "alice" and history[0]["version"] == 2
    assert set(history[0]["changes"]) == {"credit", "key_discharger"}


async def test_json_and_json_lines_sources(database: Database, tmp_path: Path) -> None:
    array = tmp_path / "e.json"
    array.write_text(json.dumps([enterprise_row("91610100MA0000021"), {"credit_code": "x"}, "not an object"]))
    report = await import_enterprises(database, array, actor="t")
    assert (report.inserted, report.failed) == (1, 2)
    lines = tmp_path / "e.jsonl"
    lines.write_text(json.dumps(enterprise_row("91610100MA0000022")) + "\n{broken\n")
    report = await import_enterprises(database, lines, actor="t")
    assert (report.inserted, report.failed) == (1, 1)
    assert report.errors[0].code == "MALFORMED_ROW"


async def test_scope_predicate_rejects_rows_outside_jurisdiction(database: Database, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "e.csv", [enterprise_row("91610100MA0000031"),
                                          enterprise_row("91610300MA0000032", jurisdiction="610300")])
    report = await import_enterprises(database, path, actor="t", allowed=lambda j: j == "610100")
    assert report.inserted == 1
    assert [(e.row, e.code) for e in report.errors] == [(2, "OUT_OF_SCOPE")]


async def test_repeats_beyond_one_batch_are_caught(database: Database, tmp_path: Path) -> None:
    rows = [enterprise_row(f"91610100MA{i:07d}") for i in range(1, 1201)]
    rows.append(enterprise_row("91610100MA0000005", name="second copy"))
    report = await import_enterprises(database, write_csv(tmp_path / "e.csv", rows), actor="t")
    assert report.inserted == 1200
    assert [(e.row, e.code) for e in report.errors] == [(1201, "DUPLICATE_IN_FILE")]
    doc = await database[ENTERPRISES].find_one({"credit_code": rows[4]["credit_code"]})
    assert doc["name"] != "second copy"


async def test_inspector_import(database: Database, tmp_path: Path) -> None:
    path = tmp_path / "i.csv"
    path.write_text(
        "staff_id,name,certificate_number,certificate_expires,on_post,jurisdictions,conflicts\n"
        "SX-1,张三,C-1,2030-01-01,true,610100,\n"
        "SX-2,李四,C-2,2030-01-01,true,610100;610300,91350100M000100Y43\n"
        "SX-3,王五,C-3,not-a-date,true,610100,\n"
        "SX-1,张三,C-1,2030-01-01,true,610100,\n", encoding="utf-8")
    report = await import_inspectors(database, path)
    assert (report.inserted, report.failed) == (2, 2)
    assert {e.code for e in report.errors} == {"INVALID_DATE", "DUPLICATE_IN_FILE"}
    again = await import_inspectors(database, path)
    assert again.inserted == 0 and again.updated == 0 and again.unchanged == 2


async def test_a_partial_row_changes_only_the_fields_it_names(database: Database, tmp_path: Path) -> None:
    """A JSON upsert of a partial row wiped address, location and online monitoring: a field left out is
    unchanged, an explicit null clears it, and the report says which fields changed."""
    full = enterprise_row("91610100MA0000031", address="西安市雁塔区科技路1号", online_monitoring="true",
                          key_discharger="true")
    assert (await import_enterprises(database, write_csv(tmp_path / "e.csv", [full]), actor="t")).inserted == 1
    code = full["credit_code"]
    partial = tmp_path / "p.json"
    partial.write_text(json.dumps([{"credit_code": code, "name": "改名企业"}]), encoding="utf-8")
    report = await import_enterprises(database, partial, actor="t")
    assert (report.updated, report.failed, report.changed_fields) == (1, 0, {"name": 1})
    doc = await database[ENTERPRISES].find_one({"credit_code": code})
    assert doc["name"] == "改名企业" and doc["address"] == "西安市雁塔区科技路1号"
    assert doc["online_monitoring"] is True and doc["key_discharger"] is True and doc["location"] is not None
    cleared = tmp_path / "c.json"
    cleared.write_text(json.dumps([{"credit_code": code, "address": None, "online_monitoring": False}]),
                       encoding="utf-8")
    report = await import_enterprises(database, cleared, actor="t")
    assert report.changed_fields == {"address": 1, "online_monitoring": 1}
    doc = await database[ENTERPRISES].find_one({"credit_code": code})
    assert doc["address"] == "" and doc["online_monitoring"] is False and doc["name"] == "改名企业"
    history = await database[ENTERPRISE_HISTORY].find({"credit_code": code}).sort("version", 1).to_list()
    assert [sorted(h["changes"]) for h in history] == [["name"], ["address", "online_monitoring"]]
    # A partial row for an enterprise not in the registry is refused: a new one needs every required field.
    unknown = tmp_path / "u.json"
    unknown.write_text(json.dumps([{"credit_code": "91610100MA00000400", "name": "新企业"}]), encoding="utf-8")
    report = await import_enterprises(database, unknown, actor="t")
    assert report.failed == 1 and {e.field for e in report.errors} >= {"jurisdiction"}
