"""Render the on-site inspection record (现场检查记录) as a PDF from plain data, with embedded Chinese fonts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer

from core.pdf import (
    BODY_WIDTH,
    DrawFooter,
    Fonts,
    Styles,
    build,
    fields,
    grid,
    hash_cell,
    hash_footer,
    para,
    resolve_fonts,
    styles,
)

_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_ROLE_LABELS = {"inspector": "检查人员 Inspector", "party": "当事人 Party", "witness": "见证人 Witness"}


def _require_aware(name: str, value: datetime | None) -> None:
    if value is not None and value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


@dataclass(frozen=True)
class GeoPoint:
    """Where the inspection took place, as reported by the device."""

    lat: float
    lon: float
    accuracy_m: float | None = None


@dataclass(frozen=True)
class Inspector:
    name: str
    certificate_no: str


@dataclass(frozen=True)
class ChecklistAnswer:
    item: str
    answer: str
    passed: bool | None = None
    legal_reference: str = ""


@dataclass(frozen=True)
class Finding:
    violation_type: str
    severity: str
    description: str
    legal_basis: str = ""


@dataclass(frozen=True)
class EvidenceItem:
    kind: str
    file_name: str
    sha256: str
    captured_at: datetime
    uploaded: bool

    def __post_init__(self) -> None:
        if not _SHA256.fullmatch(self.sha256):
            raise ValueError(f"sha256 of {self.file_name!r} is not 64 hex digits")
        _require_aware("captured_at", self.captured_at)


@dataclass(frozen=True)
class Signature:
    role: str
    name: str
    signed_at: datetime | None = None
    refused: bool = False
    refusal_reason: str = ""

    def __post_init__(self) -> None:
        _require_aware("signed_at", self.signed_at)


@dataclass(frozen=True)
class OnsiteRecord:
    """Everything printed on the record; pure data, no database."""

    task_id: str
    enterprise_name: str
    credit_code: str
    address: str
    jurisdiction_name: str
    matter: str
    started_at: datetime
    submitted_at: datetime
    place: GeoPoint | None
    chain_head: str
    inspectors: tuple[Inspector, ...] = ()
    checklist_title: str = ""
    checklist_version: str = ""
    answers: tuple[ChecklistAnswer, ...] = ()
    findings: tuple[Finding, ...] = ()
    evidence: tuple[EvidenceItem, ...] = ()
    signatures: tuple[Signature, ...] = ()
    flags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _require_aware("started_at", self.started_at)
        _require_aware("submitted_at", self.submitted_at)


def _when(value: datetime | None) -> str:
    return "—" if value is None else value.isoformat(sep=" ", timespec="minutes")


def _place(place: GeoPoint | None) -> str:
    if place is None:
        return "无定位 No location"
    accuracy = "精度未知 accuracy unknown" if place.accuracy_m is None else f"±{place.accuracy_m:.0f} m"
    return f"{place.lat:.6f}, {place.lon:.6f} ({accuracy})"


def _header(record: OnsiteRecord, st: Styles) -> list[Flowable]:
    period = f"{_when(record.started_at)} 至 to {_when(record.submitted_at)}"
    rows = [
        ("检查对象 Enterprise", record.enterprise_name),
        ("统一社会信用代码 Credit code", record.credit_code),
        ("地址 Address", record.address),
        ("辖区 Jurisdiction", record.jurisdiction_name),
        ("检查事项 Matter", record.matter),
        ("任务编号 Task", record.task_id),
        ("检查时间 Time", period),
        ("检查地点 Place", _place(record.place)),
    ]
    story: list[Flowable] = [para("现场检查记录", st["title"]), para("On-site Inspection Record", st["subtitle"]),
                             fields(rows, st)]
    if record.flags:
        story.append(para("系统提示 Flags", st["heading"]))
        story.extend(para(f"! {flag}", st["flag"]) for flag in record.flags)
    return story


def _inspectors(record: OnsiteRecord, st: Styles) -> list[Flowable]:
    rows = [[para(str(i), st["body"]), para(person.name, st["body"]), para(person.certificate_no, st["mono"])]
            for i, person in enumerate(record.inspectors, start=1)]
    widths = [8 * mm, 70 * mm, BODY_WIDTH - 78 * mm]
    return [para("检查人员 Inspectors", st["heading"]),
            grid(["#", "姓名 Name", "执法证号 Certificate No."], rows, widths, st)]


def _verdict(passed: bool | None, st: Styles) -> Paragraph:
    if passed is None:
        return para("不适用 N/A", st["body"])
    return para("符合 Pass", st["body"]) if passed else para("不符合 Fail", st["fail"])


def _checklist(record: OnsiteRecord, st: Styles) -> list[Flowable]:
    title = record.checklist_title
    if record.checklist_version:
        title = f"{title} (版本 version {record.checklist_version})".strip()
    rows = [[para(str(i), st["body"]), para(a.item, st["body"]), para(a.answer, st["body"]), _verdict(a.passed, st),
             para(a.legal_reference, st["body"])] for i, a in enumerate(record.answers, start=1)]
    widths = [8 * mm, 68 * mm, 32 * mm, 22 * mm, BODY_WIDTH - 130 * mm]
    header = ["#", "检查项目 Item", "检查结果 Answer", "判定 Result", "依据 Legal reference"]
    story: list[Flowable] = [para("检查表 Checklist", st["heading"])]
    if title:
        story.append(para(title, st["body"]))
        story.append(Spacer(0, 3))
    story.append(grid(header, rows, widths, st))
    return story


def _findings(record: OnsiteRecord, st: Styles) -> list[Flowable]:
    rows = [[para(str(i), st["body"]), para(f.violation_type, st["body"]), para(f.severity, st["body"]),
             para(f.description, st["body"]), para(f.legal_basis, st["body"])]
            for i, f in enumerate(record.findings, start=1)]
    widths = [8 * mm, 30 * mm, 22 * mm, 70 * mm, BODY_WIDTH - 130 * mm]
    header = ["#", "违法类型 Type", "严重程度 Severity", "问题描述 Description", "法律依据 Legal basis"]
    return [para("发现的问题 Findings", st["heading"]), grid(header, rows, widths, st)]


def _evidence(record: OnsiteRecord, st: Styles) -> list[Flowable]:
    rows = [[para(str(i), st["body"]), para(e.kind, st["body"]), para(e.file_name, st["body"]),
             hash_cell(e.sha256, st["mono"]), para(_when(e.captured_at), st["body"]),
             para("已上传 Yes" if e.uploaded else "未上传 Pending", st["body"] if e.uploaded else st["fail"])]
            for i, e in enumerate(record.evidence, start=1)]
    widths = [8 * mm, 16 * mm, 34 * mm, 56 * mm, 32 * mm, BODY_WIDTH - 146 * mm]
    header = ["#", "类型 Kind", "文件 File", "SHA-256", "采集时间 Captured", "上传 Uploaded"]
    return [para("证据 Evidence", st["heading"]), grid(header, rows, widths, st)]


def _signature_status(signature: Signature) -> str:
    if signature.refused:
        return f"拒绝签字: {signature.refusal_reason or '未说明理由 no reason given'}"
    if signature.signed_at is not None:
        return f"已签字 Signed {_when(signature.signed_at)}"
    return "未签字 Not signed"


def _signatures(record: OnsiteRecord, st: Styles) -> list[Flowable]:
    rows = [[para(_ROLE_LABELS.get(s.role, s.role), st["body"]), para(s.name, st["body"]),
             para(_signature_status(s), st["fail"] if s.refused else st["body"])] for s in record.signatures]
    widths = [36 * mm, 50 * mm, BODY_WIDTH - 86 * mm]
    table = grid(["角色 Role", "姓名 Name", "签字 Signature"], rows, widths, st)
    return [KeepTogether([para("签字 Signatures", st["heading"]), table])]


def _footer(fonts: Fonts, task_id: str, chain_head: str) -> DrawFooter:
    return hash_footer(fonts, hash_label="链头哈希 Chain head: ", digest=chain_head, left=f"任务 Task: {task_id}")


def render_onsite_record(record: OnsiteRecord, *, font_path: str | Path | None = None) -> bytes:
    """Render the record as PDF bytes; the same record always gives the same bytes.

    font_path: a TrueType font or collection (proportional face first, monospaced second) to embed.
    By default the first of core.pdf.DEFAULT_FONT_FILES that exists; if none does, the PDF falls back to the
    non-embedded CID font STSong-Light and a warning is logged.
    """
    fonts = resolve_fonts(font_path)
    st = styles(fonts)
    story = [*_header(record, st), *_inspectors(record, st), *_checklist(record, st), *_findings(record, st),
             *_evidence(record, st), *_signatures(record, st)]
    return build(story, fonts, title=f"现场检查记录 {record.enterprise_name}", subject="On-site inspection record",
                 draw_footer=_footer(fonts, record.task_id, record.chain_head))
