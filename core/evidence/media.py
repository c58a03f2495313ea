"""Evidence media checks: MIME sniffing from file signatures and per-kind limits (EXIF: ``exif.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from core.error_codes import ErrorCode
from core.errors import FieldError

# --------------------------------------------------------------------------------------------------
# Sniffing

SNIFF_BYTES = 64
"""Bytes of a file's start that `sniff_mime` looks at. Every signature is decided within the first 12 bytes
(ftyp box header and major brand, RIFF form type); the rest only serves the compatible brands of an ISO
media file whose major brand is generic or unknown."""

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

_PREFIXES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (PNG_SIGNATURE, "image/png"),
    (b"%PDF-", "application/pdf"),
    (b"#!AMR-WB\n", "audio/amr-wb"),
    (b"#!AMR\n", "audio/amr"),
    (b"ID3", "audio/mpeg"),
)

# RIFF container: "RIFF" <size:4> <form type:4>. RF64 is the >4 GiB variant of WAVE.
_RIFF_FORMS = {(b"RIFF", b"WEBP"): "image/webp", (b"RIFF", b"WAVE"): "audio/wav", (b"RF64", b"WAVE"): "audio/wav"}

# ISO base media file format: <box size:4> "ftyp" <major brand:4> <minor version:4> <compatible brands:4 each>.
_FTYP_BRANDS = {
    **dict.fromkeys((b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"), "image/heic"),
    **dict.fromkeys((b"avif", b"avis"), "image/avif"),
    **dict.fromkeys((b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso8", b"mp41", b"mp42",
                     b"avc1", b"M4V ", b"MSNV", b"dash"), "video/mp4"),
    b"qt  ": "video/quicktime",
    **dict.fromkeys((b"M4A ", b"M4B ", b"M4P "), "audio/mp4"),
    **dict.fromkeys((b"3gp4", b"3gp5", b"3gp6", b"3gg6"), "video/3gpp"),
}
# Generic HEIF brands: the image codec is named by a compatible brand.
_HEIF_GENERIC = (b"mif1", b"msf1")
# Old QuickTime files start with a top-level atom instead of ftyp.
_QUICKTIME_ATOMS = (b"moov", b"mdat", b"wide", b"pnot")


def sniff_mime(head: bytes) -> str | None:
    """The MIME type the file's first bytes show, or None when no known signature matches.

    Looks at no more than the first `SNIFF_BYTES` (64) bytes of ``head``.
    """
    head = head[:SNIFF_BYTES]
    for prefix, mime in _PREFIXES:
        if head.startswith(prefix):
            return mime
    return _sniff_riff(head) or _sniff_iso_media(head) or _sniff_mpeg_audio_frame(head)


def _sniff_riff(head: bytes) -> str | None:
    if len(head) < 12:
        return None
    return _RIFF_FORMS.get((head[:4], head[8:12]))


def _sniff_iso_media(head: bytes) -> str | None:
    if len(head) < 12:
        return None
    if head[4:8] in _QUICKTIME_ATOMS:
        return "video/quicktime"
    if head[4:8] != b"ftyp":
        return None
    box_size = int.from_bytes(head[:4], "big")
    if box_size < 16:
        return None
    major = head[8:12]
    compatible = [head[i:i + 4] for i in range(16, min(box_size, len(head)) - 3, 4)]
    if major in _HEIF_GENERIC:
        return "image/avif" if {b"avif", b"avis"} & set(compatible) else "image/heic"
    for brand in (major, *compatible):
        if brand in _FTYP_BRANDS:
            return _FTYP_BRANDS[brand]
    return None


def _sniff_mpeg_audio_frame(head: bytes) -> str | None:
    """MPEG-1/2/2.5 audio layer I-III frame header (an MP3 without an ID3 tag)."""
    if len(head) < 3 or head[0] != 0xFF:
        return None
    flags, rates = head[1], head[2]
    valid = (
        flags & 0xE0 == 0xE0  # 11 sync bits
        and flags & 0x18 != 0x08  # version 01 is reserved
        and flags & 0x06 != 0x00  # layer 00 is reserved (and is what AAC ADTS uses)
        and rates & 0xF0 != 0xF0  # bitrate index 1111 is invalid
        and rates & 0x0C != 0x0C  # sampling rate index 11 is reserved
    )
    return "audio/mpeg" if valid else None


# --------------------------------------------------------------------------------------------------
# Kinds, limits and the checks at registration and upload

MiB = 1024 * 1024
GiB = 1024 * MiB

UNKNOWN_KIND = ErrorCode.UNKNOWN_KIND
MIME_NOT_ALLOWED = ErrorCode.MIME_NOT_ALLOWED
FILE_TOO_LARGE = ErrorCode.FILE_TOO_LARGE
EMPTY_FILE = ErrorCode.EMPTY_FILE
MIME_MISMATCH = ErrorCode.MIME_MISMATCH


class EvidenceKind(StrEnum):
    PHOTO = "photo"
    VIDEO = "video"
    AUDIO = "audio"
    DOCUMENT = "document"


ACCEPTED_MIME: Mapping[EvidenceKind, frozenset[str]] = MappingProxyType({
    EvidenceKind.PHOTO: frozenset({"image/jpeg", "image/png", "image/heic", "image/webp"}),
    EvidenceKind.VIDEO: frozenset({"video/mp4", "video/quicktime"}),
    EvidenceKind.AUDIO: frozenset({"audio/mpeg", "audio/mp4", "audio/wav", "audio/amr", "audio/amr-wb"}),
    EvidenceKind.DOCUMENT: frozenset({"application/pdf"}),
})

# Names clients send for the same types; the value is the name used everywhere here.
_MIME_ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "image/heif": "image/heic",
    "audio/mp3": "audio/mpeg",
    "audio/x-wav": "audio/wav",
    "audio/wave": "audio/wav",
    "audio/vnd.wave": "audio/wav",
    "audio/x-m4a": "audio/mp4",
    "audio/m4a": "audio/mp4",
    "application/x-pdf": "application/pdf",
}

# (declared, sniffed) pairs that are the same file: audio-only recordings often carry a generic
# ISO brand (isom, mp42), which the first bytes cannot tell from a video.
_COMPATIBLE = frozenset({("audio/mp4", "video/mp4")})


@dataclass(frozen=True)
class EvidenceLimits:
    """Largest accepted file per kind, in bytes; override from configuration, e.g. EvidenceLimits(video=4 * GiB)."""

    photo: int = 25 * MiB
    video: int = 2 * GiB
    audio: int = 200 * MiB
    document: int = 50 * MiB

    def __post_init__(self) -> None:
        for kind in EvidenceKind:
            value = getattr(self, kind.value)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"the {kind.value} limit must be a positive number of bytes, got {value!r}")

    def max_bytes(self, kind: EvidenceKind) -> int:
        return int(getattr(self, kind.value))


DEFAULT_LIMITS = EvidenceLimits()


def normalize_mime(mime: str) -> str:
    """Lower-case type/subtype without parameters, with common aliases mapped to one name."""
    base = mime.split(";", 1)[0].strip().lower()
    return _MIME_ALIASES.get(base, base)


def check_declared(kind: str, declared_mime: str, size: int,
                   limits: EvidenceLimits = DEFAULT_LIMITS) -> list[FieldError]:
    """Problems with what a client declares when registering a file: kind, MIME type and size in bytes."""
    problems: list[FieldError] = []
    if size <= 0:
        problems.append(FieldError("size", f"size must be at least 1 byte, got {size}", EMPTY_FILE))
    try:
        evidence_kind = EvidenceKind(kind)
    except ValueError:
        known = ", ".join(k.value for k in EvidenceKind)
        problems.append(FieldError("kind", f"unknown evidence kind {kind!r}; expected one of {known}", UNKNOWN_KIND))
        return problems
    return problems + _mime_problems(evidence_kind, declared_mime) + _size_problems(evidence_kind, size, limits)


def _mime_problems(kind: EvidenceKind, declared_mime: str) -> list[FieldError]:
    if normalize_mime(declared_mime) in ACCEPTED_MIME[kind]:
        return []
    accepted = ", ".join(sorted(ACCEPTED_MIME[kind]))
    message = f"MIME type {declared_mime!r} is not accepted for {kind.value}; accepted: {accepted}"
    return [FieldError("mimeType", message, MIME_NOT_ALLOWED)]


def _size_problems(kind: EvidenceKind, size: int, limits: EvidenceLimits) -> list[FieldError]:
    limit = limits.max_bytes(kind)
    if size <= limit:
        return []
    message = f"{size} bytes is over the {kind.value} limit of {limit} bytes ({_human(limit)})"
    return [FieldError("size", message, FILE_TOO_LARGE)]


def _human(size: int) -> str:
    if size >= GiB and size % GiB == 0:
        return f"{size // GiB} GiB"
    if size >= MiB and size % MiB == 0:
        return f"{size // MiB} MiB"
    return f"{size} bytes"


def check_sniffed(declared_mime: str, head: bytes) -> FieldError | None:
    """At upload: a problem when the file's first bytes are not of the declared type (`SNIFF_BYTES` of them suffice)."""
    declared = normalize_mime(declared_mime)
    sniffed = sniff_mime(head)
    if sniffed == declared or (declared, sniffed) in _COMPATIBLE:
        return None
    found = f"look like {sniffed}" if sniffed else "match no known file type"
    return FieldError("content", f"declared {declared_mime!r} but the bytes {found}", MIME_MISMATCH)
