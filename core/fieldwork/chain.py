"""Tamper evidence: re-walk a task's log and check every link of its hash chain and every evidence file.

A changed, removed or inserted log entry breaks the chain from that point on; a changed evidence
file no longer hashes to the SHA-256 its registration (itself in the chain) declared.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from core.db import Database
from core.fieldwork.repository import FieldRepository
from core.fieldwork.state import GENESIS, chain_hash


@dataclass
class ChainReport:
    task_id: str
    entries: int = 0
    head: str = GENESIS
    problems: list[str] = field(default_factory=list)
    evidence_checked: int = 0

    @property
    def intact(self) -> bool:
        return not self.problems


async def verify_task(database: Database, task_id: str) -> ChainReport:
    repository = FieldRepository(database)
    report = ChainReport(task_id=task_id)
    previous = GENESIS
    registered: dict[str, str] = {}
    withdrawn: set[str] = set()
    async for entry in repository.log_of(task_id):
        report.entries += 1
        if entry.get("prev") != previous:
            report.problems.append(f"entry {entry['_id']} (seq {entry.get('seq')}) does not follow the one before")
        if chain_hash(previous, entry) != entry.get("hash"):
            report.problems.append(f"entry {entry['_id']} (seq {entry.get('seq')}) was altered")
        if entry["kind"] == "register_evidence":
            registered[entry["record_id"]] = str(entry["body"].get("sha256"))
        if entry["kind"] == "withdraw_evidence":  # withdrawn before its upload completed: no file to check
            withdrawn.add(str(entry["body"].get("evidence_id")))
        previous = str(entry.get("hash"))
    report.head = previous
    chain = await repository.chain(task_id)
    if report.entries and (chain is None or chain.get("head") != previous or chain.get("length") != report.entries):
        report.problems.append("the stored chain head does not match the log (entries removed or appended)")
    for evidence_id, declared in sorted(registered.items()):
        if evidence_id in withdrawn:
            continue
        report.problems += await _check_file(repository, evidence_id, declared)
        report.evidence_checked += 1
    return report


async def _check_file(repository: FieldRepository, evidence_id: str, declared: str) -> list[str]:
    evidence = await repository.evidence(evidence_id)
    if evidence is not None and evidence.get("status") == "withdrawn":
        return [f"evidence {evidence_id}: marked withdrawn, but no withdrawal is in the chain"]
    if evidence is None or evidence.get("status") != "complete":
        return []  # still uploading: nothing stored to check yet
    if evidence.get("sha256") != declared:
        return [f"evidence {evidence_id}: its registration was changed after it entered the chain"]
    digest = hashlib.sha256()
    async for data in repository.file_chunks(str(evidence.get("file_id"))):
        digest.update(data)
    if digest.hexdigest() != declared:
        return [f"evidence {evidence_id}: the stored file no longer hashes to {declared}"]
    return []
