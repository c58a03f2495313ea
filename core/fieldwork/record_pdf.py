"""Render the on-site inspection record (现场检查记录) as a PDF from plain data, with embedded Chinese fonts."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

logger = logging.getLogger(__name__)

# Debian's fonts-wqy-microhei: a TrueType collection, proportional face at index 0, monospaced face at index 1.
DEFAULT_FONT_FILES: tuple[Path, ...] = (Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),)
# Used only when no font file is found: text stays extractable, but glyphs then come from the viewer's fonts.
CID_FALLBACK_FONT = "STSong-Light"

_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_PAGE_WIDTH, _PAGE_HEIGHT = A4
_MARGIN = 18 * mm
_BODY_WIDTH = _PAGE_WIDTH - 2 * _MARGIN
_GRID = colors.HexColor("#9aa5b1")
_HEAD_FILL = colors.HexColor("#e8edf2")
_FAIL = colors.HexColor("#b42318")
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


@dataclass(frozen=True)
class _Fonts:
    text: str
    mono: str


def _resolve_fonts(font_path: str | Path | None) -> _Fonts:
    if font_path is not None:
        return _register_truetype(Path(font_path))
    for candidate in DEFAULT_FONT_FILES:
        if candidate.is_file():
            return _register_truetype(candidate)
    logger.warning("no CJK font file found in %s; falling back to the non-embedded %s",
                   [str(p) for p in DEFAULT_FONT_FILES], CID_FALLBACK_FONT)
    return _register_cid()


@lru_cache(maxsize=8)
def _register_truetype(path: Path) -> _Fonts:
    if not path.is_file():
        raise FileNotFoundError(f"font file not found: {path}")
    tag = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:10]
    text, mono = f"EcoCJK-{tag}", f"EcoCJKMono-{tag}"
    pdfmetrics.registerFont(TTFont(text, str(path), subfontIndex=0))
    try:
        mono_font = TTFont(mono, str(path), subfontIndex=1)
    except TTFError:  # a collection with a single face
        mono_font = TTFont(mono, str(path), subfontIndex=0)
    pdfmetrics.registerFont(mono_font)
    return _Fonts(text=text, mono=mono)


@lru_cache(maxsize=1)
def _register_cid() -> _Fonts:
    pdfmetrics.registerFont(UnicodeCIDFont(CID_FALLBACK_FONT))
    return _Fonts(text=CID_FALLBACK_FONT, mono="Courier")


def _styles(fonts: _Fonts) -> dict[str, ParagraphStyle]:
    # reportlab's default wrapping breaks between Chinese characters and keeps English words whole.
    body = ParagraphStyle("body", fontName=fonts.text, fontSize=9, leading=12.5)
    return {
        "title": ParagraphStyle("title", parent=body, fontSize=20, leading=26, alignment=TA_CENTER),
        "subtitle": ParagraphStyle("subtitle", parent=body, fontSize=10, leading=14, alignment=TA_CENTER,
                                   textColor=colors.HexColor("#52606d"), spaceAfter=8),
        "heading": ParagraphStyle("heading", parent=body, fontSize=12, leading=16, spaceBefore=10, spaceAfter=4),
        "body": body,
        "label": ParagraphStyle("label", parent=body, textColor=colors.HexColor("#323f4b")),
        "fail": ParagraphStyle("fail", parent=body, textColor=_FAIL),
        "flag": ParagraphStyle("flag", parent=body, textColor=_FAIL, leftIndent=6),
        "mono": ParagraphStyle("mono", parent=body, fontName=fonts.mono, fontSize=7.5, leading=10),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _hash_cell(digest: str, style: ParagraphStyle) -> Paragraph:
    """A SHA-256 in two lines of 32 hex digits, so it never overflows and reads the same everywhere."""
    digest = digest.lower()
    return Paragraph(f"{digest[:32]}<br/>{digest[32:]}", style)


def _when(value: datetime | None) -> str:
    return "—" if value is None else value.isoformat(sep=" ", timespec="minutes")


def _place(place: GeoPoint | None) -> str:
    if place is None:
        return "无定位 No location"
    accuracy = "精度未知 accuracy unknown" if place.accuracy_m is None else f"±{place.accuracy_m:.0f} m"
    return f"{place.lat:.6f}, {place.lon:.6f} ({accuracy})"


def _grid(header: Sequence[str], rows: list[list[Flowable]], widths: Sequence[float],
          st: dict[str, ParagraphStyle]) -> Table:
    """A bordered table whose header row repeats on every page it flows onto."""
    if not rows:
        rows = [[_p("无 None", st["body"])] + [_p("", st["body"])] * (len(header) - 1)]
    table = Table([[_p(h, st["label"]) for h in header], *rows], colWidths=list(widths), repeatRows=1, splitInRow=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), st["body"].fontName, 9),  # else the table sets Helvetica, never embedded
        ("GRID", (0, 0), (-1, -1), 0.5, _GRID),
        ("BACKGROUND", (0, 0), (-1, 0), _HEAD_FILL),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    return table


def _header(record: OnsiteRecord, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    period = f"{_when(record.started_at)} 至 to {_when(record.submitted_at)}"
    fields = [
        ("检查对象 Enterprise", record.enterprise_name),
        ("统一社会信用代码 Credit code", record.credit_code),
        ("地址 Address", record.address),
        ("辖区 Jurisdiction", record.jurisdiction_name),
        ("检查事项 Matter", record.matter),
        ("任务编号 Task", record.task_id),
        ("检查时间 Time", period),
        ("检查地点 Place", _place(record.place)),
    ]
    rows = [[_p(label, st["label"]), _p(value, st["body"])] for label, value in fields]
    table = Table(rows, colWidths=[48 * mm, _BODY_WIDTH - 48 * mm], splitInRow=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), st["body"].fontName, 9),
        ("GRID", (0, 0), (-1, -1), 0.5, _GRID),
        ("BACKGROUND", (0, 0), (0, -1), _HEAD_FILL),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    story: list[Flowable] = [_p("现场检查记录", st["title"]), _p("On-site Inspection Record", st["subtitle"]), table]
    if record.flags:
        story.append(_p("系统提示 Flags", st["heading"]))
        story.extend(_p(f"! {flag}", st["flag"]) for flag in record.flags)
    return story


def _inspectors(record: OnsiteRecord, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    rows = [[_p(str(i), st["body"]), _p(person.name, st["body"]), _p(person.certificate_no, st["mono"])]
            for i, person in enumerate(record.inspectors, start=1)]
    widths = [8 * mm, 70 * mm, _BODY_WIDTH - 78 * mm]
    return [_p("检查人员 Inspectors", st["heading"]),
            _grid(["#", "姓名 Name", "执法证号 Certificate No."], rows, widths, st)]


def _verdict(passed: bool | None, st: dict[str, ParagraphStyle]) -> Paragraph:
    if passed is None:
        return _p("不适用 N/A", st["body"])
    return _p("符合 Pass", st["body"]) if passed else _p("不符合 Fail", st["fail"])


def _checklist(record: OnsiteRecord, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    title = record.checklist_title
    if record.checklist_version:
        title = f"{title} (版本 version {record.checklist_version})".strip()
    rows = [[_p(str(i), st["body"]), _p(a.item, st["body"]), _p(a.answer, st["body"]), _verdict(a.passed, st),
             _p(a.legal_reference, st["body"])] for i, a in enumerate(record.answers, start=1)]
    widths = [8 * mm, 68 * mm, 32 * mm, 22 * mm, _BODY_WIDTH - 130 * mm]
    header = ["#", "检查项目 Item", "检查结果 Answer", "判定 Result", "依据 Legal reference"]
    story: list[Flowable] = [_p("检查表 Checklist", st["heading"])]
    if title:
        story.append(_p(title, st["body"]))
        story.append(Spacer(0, 3))
    story.append(_grid(header, rows, widths, st))
    return story


def _findings(record: OnsiteRecord, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    rows = [[_p(str(i), st["body"]), _p(f.violation_type, st["body"]), _p(f.severity, st["body"]),
             _p(f.description, st["body"]), _p(f.legal_basis, st["body"])]
            for i, f in enumerate(record.findings, start=1)]
    widths = [8 * mm, 30 * mm, 22 * mm, 70 * mm, _BODY_WIDTH - 130 * mm]
    header = ["#", "违法类型 Type", "严重程度 Severity", "问题描述 Description", "法律依据 Legal basis"]
    return [_p("发现的问题 Findings", st["heading"]), _grid(header, rows, widths, st)]


def _evidence(record: OnsiteRecord, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    rows = [[_p(str(i), st["body"]), _p(e.kind, st["body"]), _p(e.file_name, st["body"]),
             _hash_cell(e.sha256, st["mono"]), _p(_when(e.captured_at), st["body"]),
             _p("已上传 Yes" if e.uploaded else "未上传 Pending", st["body"] if e.uploaded else st["fail"])]
            for i, e in enumerate(record.evidence, start=1)]
    widths = [8 * mm, 16 * mm, 34 * mm, 56 * mm, 32 * mm, _BODY_WIDTH - 146 * mm]
    header = ["#", "类型 Kind", "文件 File", "SHA-256", "采集时间 Captured", "上传 Uploaded"]
    return [_p("证据 Evidence", st["heading"]), _grid(header, rows, widths, st)]


def _signature_status(signature: Signature) -> str:
    if signature.refused:
        return f"拒绝签字: {signature.refusal_reason or '未说明理由 no reason given'}"
    if signature.signed_at is not None:
        return f"已签字 Signed {_when(signature.signed_at)}"
    return "未签字 Not signed"


def _signatures(record: OnsiteRecord, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    rows = [[_p(_ROLE_LABELS.get(s.role, s.role), st["body"]), _p(s.name, st["body"]),
             _p(_signature_status(s), st["fail"] if s.refused else st["body"])] for s in record.signatures]
    widths = [36 * mm, 50 * mm, _BODY_WIDTH - 86 * mm]
    table = _grid(["角色 Role", "姓名 Name", "签字 Signature"], rows, widths, st)
    return [KeepTogether([_p("签字 Signatures", st["heading"]), table])]


class _FooterCanvas(Canvas):  # type: ignore[misc]  # reportlab ships no types: Canvas is Any
    """Holds every page until the end so each footer can say 'page i of n'."""

    def __init__(self, *args: Any, footer: tuple[_Fonts, str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._footer = footer
        self._held_pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # reportlab's name
        self._held_pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._held_pages)
        for number, state in enumerate(self._held_pages, start=1):
            self.__dict__.update(state)
            self._draw_footer(number, total)
            super().showPage()
        super().save()

    def _draw_footer(self, number: int, total: int) -> None:
        fonts, task_id, chain_head = self._footer
        self.saveState()
        self.setStrokeColor(_GRID)
        self.line(_MARGIN, 17 * mm, _PAGE_WIDTH - _MARGIN, 17 * mm)
        self.setFont(fonts.text, 7.5)
        label = "链头哈希 Chain head: "
        self.drawString(_MARGIN, 13 * mm, label)
        self.drawString(_MARGIN, 9 * mm, f"任务 Task: {task_id}")
        self.drawRightString(_PAGE_WIDTH - _MARGIN, 9 * mm, f"第 {number} / {total} 页  Page {number} of {total}")
        self.setFont(fonts.mono, 7)
        self.drawString(_MARGIN + pdfmetrics.stringWidth(label, fonts.text, 7.5), 13 * mm, chain_head)
        self.restoreState()


def render_onsite_record(record: OnsiteRecord, *, font_path: str | Path | None = None) -> bytes:
    """Render the record as PDF bytes; the same record always gives the same bytes.

    font_path: a TrueType font or collection (proportional face first, monospaced second) to embed.
    By default the first of DEFAULT_FONT_FILES that exists; if none does, the PDF falls back to the
    non-embedded CID font STSong-Light and a warning is logged.
    """
    fonts = _resolve_fonts(font_path)
    st = _styles(fonts)
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=_MARGIN, rightMargin=_MARGIN, topMargin=_MARGIN, bottomMargin=22 * mm,
        title=f"现场检查记录 {record.enterprise_name}", subject="On-site inspection record",
        author="Ecoinspect", creator="Ecoinspect", lang="zh-CN", invariant=True, initialFontName=fonts.text,
    )
    story = [*_header(record, st), *_inspectors(record, st), *_checklist(record, st), *_findings(record, st),
             *_evidence(record, st), *_signatures(record, st)]
    footer = (fonts, record.task_id, record.chain_head)
    doc.build(story, canvasmaker=lambda *args, **kwargs: _FooterCanvas(*args, footer=footer, **kwargs))
    return buffer.getvalue()
