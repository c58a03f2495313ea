"""Unit tests for the PDF rendering of the on-site inspection record."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
from datetime import datetime, timedelta, timezone

import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader
from pypdf.generic import ContentStream

from core import pdf as pdf_common
from core.fieldwork.record_pdf import (
    ChecklistAnswer,
    EvidenceItem,
    Finding,
    GeoPoint,
    Inspector,
    OnsiteRecord,
    Signature,
    render_onsite_record,
)

CST = timezone(timedelta(hours=8))
START = datetime(2025, 3, 14, 9, 30, tzinfo=CST)
ENTERPRISE = "西安市灞桥区清源化工有限公司"
DESCRIPTION = "废水总排口COD在线监测数据连续三日超标，现场未见应急处置记录。"
REFUSAL = "当事人认为采样点位置不当"
PHOTO_HASH = hashlib.sha256(b"photo-1").hexdigest()
VIDEO_HASH = hashlib.sha256(b"video-1").hexdigest()
CHAIN_HEAD = hashlib.sha256(b"chain").hexdigest()


def _record(answers: int = 3) -> OnsiteRecord:
    return OnsiteRecord(
        task_id="T-2025-000123",
        enterprise_name=ENTERPRISE,
        credit_code="91610111MA6TXXXX0X",
        address="陕西省西安市灞桥区纺织城东路88号",
        jurisdiction_name="西安市生态环境局灞桥分局",
        matter="水污染物排放情况检查",
        started_at=START,
        submitted_at=START + timedelta(hours=2, minutes=5),
        place=GeoPoint(lat=34.275012, lon=109.064321, accuracy_m=12.0),
        inspectors=(Inspector("张伟", "61010020180123"), Inspector("李娜", "61010020190456")),
        checklist_title="排污许可执行情况检查表",
        checklist_version="2024.2",
        answers=tuple(
            ChecklistAnswer(f"第{i}项：是否按排污许可证要求设置排放口标志牌", "是" if i % 2 else "否",
                            passed=bool(i % 2), legal_reference="《排污许可管理条例》第十九条")
            for i in range(1, answers + 1)
        ),
        findings=(Finding("超标排放", "严重", DESCRIPTION, "《水污染防治法》第八十三条"),),
        evidence=(
            EvidenceItem("照片", "IMG_0001.jpg", PHOTO_HASH, START + timedelta(minutes=20), uploaded=True),
            EvidenceItem("视频", "VID_0002.mp4", VIDEO_HASH, START + timedelta(minutes=31), uploaded=False),
        ),
        signatures=(
            Signature("inspector", "张伟", signed_at=START + timedelta(hours=2)),
            Signature("party", "王强", refused=True, refusal_reason=REFUSAL),
        ),
        chain_head=CHAIN_HEAD,
        flags=("start 2.3 km from the enterprise",),
    )


def _pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return render_onsite_record(_record())


def test_output_is_a_pdf(pdf: bytes) -> None:
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")


def test_chinese_text_is_extractable(pdf: bytes) -> None:
    text = _flat("".join(_pages_text(pdf)))
    for expected in ("现场检查记录", ENTERPRISE, DESCRIPTION, "张伟", "61010020180123", "排污许可执行情况检查表"):
        assert _flat(expected) in text


def test_evidence_hashes_and_chain_head_are_printed(pdf: bytes) -> None:
    text = _flat("".join(_pages_text(pdf)))
    assert PHOTO_HASH in text and VIDEO_HASH in text
    assert CHAIN_HEAD in text


def test_refused_signature_shows_the_refusal(pdf: bytes) -> None:
    text = _flat("".join(_pages_text(pdf)))
    assert _flat(f"拒绝签字: {REFUSAL}") in text


def test_flags_and_place_are_printed(pdf: bytes) -> None:
    text = _flat("".join(_pages_text(pdf)))
    assert _flat("start 2.3 km from the enterprise") in text
    assert "34.275012,109.064321" in text


def test_every_font_is_embedded(pdf: bytes) -> None:
    """The record must read the same on a machine without Chinese fonts: all glyphs travel in the file."""
    reader = PdfReader(io.BytesIO(pdf))
    fonts = {}
    for page in reader.pages:
        used = {ops[0] for ops, op in ContentStream(page.get_contents(), reader).operations if op == b"Tf"}
        resources = page["/Resources"]["/Font"]
        fonts.update({str(resources[name]["/BaseFont"]): resources[name].get_object() for name in used})
    assert fonts
    for name, font in fonts.items():
        descriptor = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        file_keys = set(descriptor["/FontDescriptor"].get_object()) if "/FontDescriptor" in descriptor else set()
        assert file_keys & {"/FontFile", "/FontFile2", "/FontFile3"}, (
            f"{name} is not embedded: is Debian's fonts-wqy-microhei installed ({pdf_common.DEFAULT_FONT_FILES[0]})?")


def test_title_renders_as_ink(pdf: bytes) -> None:
    page = pdfium.PdfDocument(pdf)[0]
    image = page.render(scale=2).to_pil().convert("L")
    title_band = image.crop((0, 0, image.width, int(image.height * 0.09)))
    dark = sum(title_band.histogram()[:128])
    assert dark > 500


def test_long_checklist_flows_onto_more_pages() -> None:
    pages = _pages_text(render_onsite_record(_record(answers=80)))
    assert len(pages) > 1
    assert "第80项" not in _flat(pages[0]) and any("第80项" in _flat(page) for page in pages[1:])
    assert "检查项目" in pages[1]  # the table header repeats on the next page
    assert f"Page 1 of {len(pages)}" in pages[0]
    assert f"Page {len(pages)} of {len(pages)}" in pages[-1]


def test_a_cell_taller_than_a_page_splits_instead_of_failing() -> None:
    huge = "废水排放口标志牌缺失。" * 500
    record = dataclasses.replace(_record(), findings=(Finding("超标排放", "严重", huge, ""),))
    pages = _pages_text(render_onsite_record(record))
    assert len(pages) >= 3
    assert _flat("".join(pages)).count("标志牌缺失") >= 490  # a few straddle a page break


def test_same_record_gives_same_bytes(pdf: bytes) -> None:
    assert render_onsite_record(_record()) == pdf


def test_markup_in_text_is_printed_literally() -> None:
    record = dataclasses.replace(_record(), matter="检查 <b>pH</b> & COD")
    assert "检查<b>pH</b>&COD" in _flat("".join(_pages_text(render_onsite_record(record))))


def test_without_font_file_falls_back_to_cid_font(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf_common, "DEFAULT_FONT_FILES", ())
    pdf = render_onsite_record(_record())
    assert b"/STSong-Light" in pdf
    assert _flat(ENTERPRISE) in _flat("".join(_pages_text(pdf)))


def test_missing_explicit_font_file_is_an_error(tmp_path) -> None:
    with pytest.raises(FileNotFoundError):
        render_onsite_record(_record(), font_path=tmp_path / "absent.ttf")


def test_naive_times_and_bad_hashes_are_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        dataclasses.replace(_record(), started_at=datetime(2025, 3, 14, 9, 30))  # noqa: DTZ001
    with pytest.raises(ValueError, match="64 hex"):
        EvidenceItem("照片", "a.jpg", "abc", START, uploaded=True)
