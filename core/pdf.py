"""What every printed document shares: the embedded CJK font, the styles, tables, hash cells and paged footers."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Table, TableStyle

logger = logging.getLogger(__name__)

# Debian's fonts-wqy-microhei: a TrueType collection, proportional face at index 0, monospaced face at index 1.
DEFAULT_FONT_FILES: tuple[Path, ...] = (Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),)
# Used only when no font file is found: text stays extractable, but glyphs then come from the viewer's fonts.
CID_FALLBACK_FONT = "STSong-Light"

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
BODY_WIDTH = PAGE_WIDTH - 2 * MARGIN
GRID = colors.HexColor("#9aa5b1")
HEAD_FILL = colors.HexColor("#e8edf2")
FAIL = colors.HexColor("#b42318")

Styles = dict[str, ParagraphStyle]
DrawFooter = Callable[[Canvas, int, int], None]  # the canvas, the page number, the page count


@dataclass(frozen=True)
class Fonts:
    text: str
    mono: str


def resolve_fonts(font_path: str | Path | None) -> Fonts:
    """The given font file, else the first of DEFAULT_FONT_FILES that exists, else the non-embedded CID font
    (with a warning)."""
    if font_path is not None:
        return _register_truetype(Path(font_path))
    for candidate in DEFAULT_FONT_FILES:
        if candidate.is_file():
            return _register_truetype(candidate)
    logger.warning("no CJK font file found in %s; falling back to the non-embedded %s",
                   [str(p) for p in DEFAULT_FONT_FILES], CID_FALLBACK_FONT)
    return _register_cid()


@lru_cache(maxsize=8)
def _register_truetype(path: Path) -> Fonts:
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
    return Fonts(text=text, mono=mono)


@lru_cache(maxsize=1)
def _register_cid() -> Fonts:
    pdfmetrics.registerFont(UnicodeCIDFont(CID_FALLBACK_FONT))
    return Fonts(text=CID_FALLBACK_FONT, mono="Courier")


def styles(fonts: Fonts) -> Styles:
    # reportlab's default wrapping breaks between Chinese characters and keeps English words whole.
    body = ParagraphStyle("body", fontName=fonts.text, fontSize=9, leading=12.5)
    return {
        "title": ParagraphStyle("title", parent=body, fontSize=20, leading=26, alignment=TA_CENTER),
        "subtitle": ParagraphStyle("subtitle", parent=body, fontSize=10, leading=14, alignment=TA_CENTER,
                                   textColor=colors.HexColor("#52606d"), spaceAfter=8),
        "heading": ParagraphStyle("heading", parent=body, fontSize=12, leading=16, spaceBefore=10, spaceAfter=4),
        "body": body,
        "label": ParagraphStyle("label", parent=body, textColor=colors.HexColor("#323f4b")),
        "fail": ParagraphStyle("fail", parent=body, textColor=FAIL),
        "flag": ParagraphStyle("flag", parent=body, textColor=FAIL, leftIndent=6),
        "mono": ParagraphStyle("mono", parent=body, fontName=fonts.mono, fontSize=7.5, leading=10),
    }


def para(text: str, style: ParagraphStyle) -> Paragraph:
    """Text printed literally (markup escaped), line breaks kept."""
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def hash_cell(digest: str, style: ParagraphStyle) -> Paragraph:
    """A SHA-256 in two lines of 32 hex digits, so it never overflows and reads the same everywhere."""
    digest = digest.lower()
    return Paragraph(f"{digest[:32]}<br/>{digest[32:]}", style)


def grid(header: Sequence[str], rows: list[list[Flowable]], widths: Sequence[float], st: Styles) -> Table:
    """A bordered table whose header row repeats on every page it flows onto."""
    if not rows:
        rows = [[para("无 None", st["body"])] + [para("", st["body"])] * (len(header) - 1)]
    table = Table([[para(h, st["label"]) for h in header], *rows], colWidths=list(widths), repeatRows=1,
                  splitInRow=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), st["body"].fontName, 9),  # else the table sets Helvetica, never embedded
        ("GRID", (0, 0), (-1, -1), 0.5, GRID),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_FILL),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    return table


def fields(rows: Sequence[tuple[str, str]], st: Styles, *, label_width: float = 48 * mm) -> Table:
    """A two-column table of labels and values, the labels shaded."""
    cells = [[para(label, st["label"]), para(value, st["body"])] for label, value in rows]
    table = Table(cells, colWidths=[label_width, BODY_WIDTH - label_width], splitInRow=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), st["body"].fontName, 9),
        ("GRID", (0, 0), (-1, -1), 0.5, GRID),
        ("BACKGROUND", (0, 0), (0, -1), HEAD_FILL),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return table


class FooterCanvas(Canvas):  # type: ignore[misc]  # reportlab ships no types: Canvas is Any
    """Holds every page until the end so each footer can say 'page i of n'."""

    def __init__(self, *args: Any, draw_footer: DrawFooter, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._draw_footer = draw_footer
        self._held_pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # reportlab's name
        self._held_pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._held_pages)
        for number, state in enumerate(self._held_pages, start=1):
            self.__dict__.update(state)
            self._draw_footer(self, number, total)
            super().showPage()
        super().save()


def hash_footer(fonts: Fonts, *, hash_label: str, digest: str, left: str) -> DrawFooter:
    """The footer every document shares: a rule, a labelled hash in monospace, a line of text, page x of y."""
    def draw(canvas: Canvas, page: int, total: int) -> None:
        canvas.saveState()
        canvas.setStrokeColor(GRID)
        canvas.line(MARGIN, 17 * mm, PAGE_WIDTH - MARGIN, 17 * mm)
        canvas.setFont(fonts.text, 7.5)
        canvas.drawString(MARGIN, 13 * mm, hash_label)
        canvas.drawString(MARGIN, 9 * mm, left)
        canvas.drawRightString(PAGE_WIDTH - MARGIN, 9 * mm, f"第 {page} / {total} 页  Page {page} of {total}")
        canvas.setFont(fonts.mono, 7)
        canvas.drawString(MARGIN + pdfmetrics.stringWidth(hash_label, fonts.text, 7.5), 13 * mm, digest)
        canvas.restoreState()

    return draw


def build(story: list[Flowable], fonts: Fonts, *, title: str, subject: str, draw_footer: DrawFooter) -> bytes:
    """An A4 PDF of ``story``; ``invariant`` keeps dates and ids out of the file, so the same story always
    gives the same bytes."""
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=22 * mm,
        title=title, subject=subject, author="Ecoinspect", creator="Ecoinspect", lang="zh-CN", invariant=True,
        initialFontName=fonts.text,
    )
    doc.build(story, canvasmaker=lambda *args, **kwargs: FooterCanvas(*args, draw_footer=draw_footer, **kwargs))
    return buffer.getvalue()


def document_hash(pdf: bytes) -> str:
    """The SHA-256 of a rendered document, in hex: what the ETag and the archive quote."""
    return hashlib.sha256(pdf).hexdigest()
