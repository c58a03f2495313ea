"""Unit tests for evidence media checks: signature sniffing, kind limits, and EXIF metadata from photos."""

from __future__ import annotations

import io
import os
import struct
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from PIL import ExifTags, Image
from PIL.TiffImagePlugin import IFDRational

from core.errors import FieldError
from core.evidence.exif import EXIF_GPS_MALFORMED, EXIF_MALFORMED, EXIF_SCAN_LIMIT, EXIF_TIME_MALFORMED, read_exif
from core.evidence.media import (
    ACCEPTED_MIME,
    DEFAULT_LIMITS,
    EMPTY_FILE,
    FILE_TOO_LARGE,
    MIME_MISMATCH,
    MIME_NOT_ALLOWED,
    SNIFF_BYTES,
    UNKNOWN_KIND,
    EvidenceKind,
    EvidenceLimits,
    GiB,
    MiB,
    check_declared,
    check_sniffed,
    normalize_mime,
    sniff_mime,
)

# --------------------------------------------------------------------------------------------------
# Hand-built headers


def _ftyp(major: bytes, *compatible: bytes) -> bytes:
    size = 16 + 4 * len(compatible)
    return size.to_bytes(4, "big") + b"ftyp" + major + b"\x00\x00\x02\x00" + b"".join(compatible)


def _riff(magic: bytes, form: bytes, rest: bytes) -> bytes:
    return magic + struct.pack("<I", 1000) + form + rest


HEADERS: list[tuple[str, bytes, str]] = [
    ("jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01", "image/jpeg"),
    ("jpeg-exif", b"\xff\xd8\xff\xe1\x01\x18Exif\x00\x00", "image/jpeg"),
    ("png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
    ("heic", _ftyp(b"heic", b"mif1", b"heic"), "image/heic"),
    ("heix", _ftyp(b"heix", b"mif1", b"heix"), "image/heic"),
    ("mif1-heic", _ftyp(b"mif1", b"mif1", b"heic"), "image/heic"),
    ("mif1-only", _ftyp(b"mif1", b"mif1", b"miaf"), "image/heic"),
    ("mif1-avif", _ftyp(b"mif1", b"mif1", b"avif"), "image/avif"),
    ("avif", _ftyp(b"avif", b"avif", b"mif1"), "image/avif"),
    ("webp", _riff(b"RIFF", b"WEBP", b"VP8 "), "image/webp"),
    ("mp4-isom", _ftyp(b"isom", b"isom", b"iso2", b"avc1", b"mp41"), "video/mp4"),
    ("mp4-mp41", _ftyp(b"mp41", b"mp41", b"isom"), "video/mp4"),
    ("mp4-mp42", _ftyp(b"mp42", b"mp42", b"isom"), "video/mp4"),
    ("mp4-avc1", _ftyp(b"avc1", b"avc1", b"isom"), "video/mp4"),
    ("mp4-iso5", _ftyp(b"iso5", b"iso5", b"dash"), "video/mp4"),
    ("mp4-by-compatible", _ftyp(b"XAVC", b"XAVC", b"mp42", b"iso2"), "video/mp4"),
    ("3gp", _ftyp(b"3gp4", b"isom", b"3gp4"), "video/3gpp"),
    ("quicktime", _ftyp(b"qt  ", b"qt  "), "video/quicktime"),
    ("quicktime-no-ftyp", b"\x00\x00\x00\x08wide\x00\x10\x00\x00mdat", "video/quicktime"),
    ("m4a", _ftyp(b"M4A ", b"M4A ", b"mp42", b"isom"), "audio/mp4"),
    ("mp3-id3", b"ID3\x04\x00\x00\x00\x00\x00\x23TIT2", "audio/mpeg"),
    ("mp3-mpeg1-layer3", b"\xff\xfb\x90\x64\x00\x00", "audio/mpeg"),
    ("mp3-mpeg2-layer3", b"\xff\xf3\x48\xc4\x00\x00", "audio/mpeg"),
    ("mp2-layer2", b"\xff\xfd\x80\x04\x00\x00", "audio/mpeg"),
    ("wav", _riff(b"RIFF", b"WAVE", b"fmt "), "audio/wav"),
    ("wav-rf64", _riff(b"RF64", b"WAVE", b"ds64"), "audio/wav"),
    ("amr", b"#!AMR\n\x3c\x91\x17\x16", "audio/amr"),
    ("amr-wb", b"#!AMR-WB\n\x04\x10", "audio/amr-wb"),
    ("pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "application/pdf"),
]

UNKNOWN_HEADERS: list[tuple[str, bytes]] = [
    ("empty", b""),
    ("jpeg-cut-short", b"\xff\xd8"),
    ("text", b"hello, this is plain text and nothing else"),
    ("gif", b"GIF89a\x01\x00\x01\x00"),
    ("zip", b"PK\x03\x04\x14\x00\x00\x00"),
    ("aac-adts", b"\xff\xf1\x50\x80\x02\x1f\xfc"),
    ("mpeg-bad-bitrate", b"\xff\xfb\xf0\x64"),
    ("mpeg-reserved-rate", b"\xff\xfb\x9c\x64"),
    ("mpeg-reserved-version", b"\xff\xeb\x90\x64"),
    ("avi", _riff(b"RIFF", b"AVI ", b"LIST")),
    ("riff-short", b"RIFF\x00\x00\x00\x00WE"),
    ("ftyp-unknown-brands", _ftyp(b"abcd", b"efgh")),
    ("ftyp-box-too-small", b"\x00\x00\x00\x08ftypisom"),
    ("pdf-not-at-start", b"\n%PDF-1.7"),
]


@pytest.mark.parametrize(("head", "expected"), [pytest.param(h, m, id=i) for i, h, m in HEADERS])
def test_sniff_recognises_each_signature(head: bytes, expected: str) -> None:
    assert sniff_mime(head) == expected
    assert sniff_mime(head + os.urandom(200)) == expected


@pytest.mark.parametrize("head", [pytest.param(h, id=i) for i, h in UNKNOWN_HEADERS])
def test_sniff_returns_none_for_unknown_bytes(head: bytes) -> None:
    assert sniff_mime(head) is None


def test_every_accepted_type_is_sniffable() -> None:
    sniffable = {mime for _, _, mime in HEADERS}
    for kind, accepted in ACCEPTED_MIME.items():
        assert accepted <= sniffable, kind


def test_sniff_looks_at_no_more_than_64_bytes() -> None:
    assert SNIFF_BYTES == 64
    # Unknown major brand: the type comes from a compatible brand, which must end within the first 64 bytes.
    inside = _ftyp(b"abcd", *[b"xxxx"] * 11, b"mp42")
    beyond = _ftyp(b"abcd", *[b"xxxx"] * 12, b"mp42")
    assert len(inside) == 64
    assert sniff_mime(inside) == "video/mp4"
    assert sniff_mime(beyond) is None


# --------------------------------------------------------------------------------------------------
# Declared kind, MIME type and size


@pytest.mark.parametrize(("given", "expected"), [
    ("image/jpeg", "image/jpeg"),
    ("IMAGE/JPEG", "image/jpeg"),
    ("image/jpg", "image/jpeg"),
    ("image/heif", "image/heic"),
    ("audio/x-wav", "audio/wav"),
    ("audio/mp3", "audio/mpeg"),
    ("audio/x-m4a", "audio/mp4"),
    ("video/mp4; codecs=\"avc1.42E01E\"", "video/mp4"),
    (" application/pdf ", "application/pdf"),
])
def test_normalize_mime(given: str, expected: str) -> None:
    assert normalize_mime(given) == expected


def test_default_limits() -> None:
    assert DEFAULT_LIMITS.max_bytes(EvidenceKind.PHOTO) == 25 * MiB
    assert DEFAULT_LIMITS.max_bytes(EvidenceKind.VIDEO) == 2 * GiB
    assert DEFAULT_LIMITS.max_bytes(EvidenceKind.AUDIO) == 200 * MiB
    assert DEFAULT_LIMITS.max_bytes(EvidenceKind.DOCUMENT) == 50 * MiB


@pytest.mark.parametrize(("kind", "mime"), [
    ("photo", "image/jpeg"), ("photo", "image/png"), ("photo", "image/heic"), ("photo", "image/webp"),
    ("photo", "image/jpg"),
    ("video", "video/mp4"), ("video", "video/quicktime"),
    ("audio", "audio/mpeg"), ("audio", "audio/mp4"), ("audio", "audio/wav"), ("audio", "audio/amr"),
    ("document", "application/pdf"),
])
def test_declared_accepted(kind: str, mime: str) -> None:
    assert check_declared(kind, mime, 1024) == []


@pytest.mark.parametrize(("kind", "mime", "size", "expected"), [
    ("sketch", "image/png", 10, [("kind", UNKNOWN_KIND)]),
    ("Photo", "image/png", 10, [("kind", UNKNOWN_KIND)]),
    ("photo", "video/mp4", 10, [("mimeType", MIME_NOT_ALLOWED)]),
    ("document", "image/jpeg", 10, [("mimeType", MIME_NOT_ALLOWED)]),
    ("audio", "audio/aac", 10, [("mimeType", MIME_NOT_ALLOWED)]),
    ("photo", "image/jpeg", 25 * MiB + 1, [("size", FILE_TOO_LARGE)]),
    ("video", "video/mp4", 2 * GiB + 1, [("size", FILE_TOO_LARGE)]),
    ("audio", "audio/mpeg", 200 * MiB + 1, [("size", FILE_TOO_LARGE)]),
    ("document", "application/pdf", 50 * MiB + 1, [("size", FILE_TOO_LARGE)]),
    ("photo", "image/jpeg", 0, [("size", EMPTY_FILE)]),
    ("photo", "image/jpeg", -5, [("size", EMPTY_FILE)]),
    ("photo", "video/mp4", 30 * MiB, [("mimeType", MIME_NOT_ALLOWED), ("size", FILE_TOO_LARGE)]),
    ("sketch", "image/png", 0, [("size", EMPTY_FILE), ("kind", UNKNOWN_KIND)]),
])
def test_declared_problems(kind: str, mime: str, size: int, expected: list[tuple[str, str]]) -> None:
    problems = check_declared(kind, mime, size)
    assert all(isinstance(p, FieldError) for p in problems)
    assert [(p.field, p.code) for p in problems] == expected


@pytest.mark.parametrize("kind", list(EvidenceKind))
def test_size_at_the_limit_is_accepted(kind: EvidenceKind) -> None:
    limit = DEFAULT_LIMITS.max_bytes(kind)
    mime = sorted(ACCEPTED_MIME[kind])[0]
    assert check_declared(kind, mime, limit) == []
    assert [p.code for p in check_declared(kind, mime, limit + 1)] == [FILE_TOO_LARGE]


def test_messages_name_the_values() -> None:
    (too_large,) = check_declared("photo", "image/jpeg", 26 * MiB)
    assert str(26 * MiB) in too_large.message and "photo" in too_large.message and "25 MiB" in too_large.message
    (not_allowed,) = check_declared("document", "image/png", 10)
    assert "image/png" in not_allowed.message and "document" in not_allowed.message
    assert "application/pdf" in not_allowed.message
    (unknown,) = check_declared("sketch", "image/png", 10)
    assert "sketch" in unknown.message


def test_limits_come_from_configuration() -> None:
    limits = EvidenceLimits(photo=1000, video=4 * GiB)
    assert check_declared("photo", "image/jpeg", 1000, limits) == []
    assert [p.code for p in check_declared("photo", "image/jpeg", 1001, limits)] == [FILE_TOO_LARGE]
    assert check_declared("video", "video/mp4", 3 * GiB, limits) == []
    assert [p.code for p in check_declared("video", "video/mp4", 3 * GiB)] == [FILE_TOO_LARGE]
    assert replace(DEFAULT_LIMITS, audio=5).max_bytes(EvidenceKind.AUDIO) == 5


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "25"])
def test_limits_must_be_positive_integers(bad: Any) -> None:
    with pytest.raises(ValueError, match="photo limit"):
        EvidenceLimits(photo=bad)


# --------------------------------------------------------------------------------------------------
# Sniffed bytes against the declared type


@pytest.mark.parametrize(("head", "mime"), [pytest.param(h, m, id=i) for i, h, m in HEADERS])
def test_sniffed_matches_declared(head: bytes, mime: str) -> None:
    assert check_sniffed(mime, head) is None


@pytest.mark.parametrize(("declared", "head"), [
    ("image/jpg", HEADERS[0][1]),
    ("audio/x-wav", _riff(b"RIFF", b"WAVE", b"fmt ")),
    ("image/heif", _ftyp(b"mif1", b"mif1", b"heic")),
    # Audio recorders often write a generic ISO brand.
    ("audio/mp4", _ftyp(b"isom", b"isom", b"mp42")),
    ("audio/mp4", _ftyp(b"mp42", b"mp42", b"isom")),
])
def test_sniffed_accepts_aliases_and_generic_mp4_audio(declared: str, head: bytes) -> None:
    assert check_sniffed(declared, head) is None


@pytest.mark.parametrize(("declared", "head", "shown"), [
    ("image/jpeg", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
    ("image/png", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "image/jpeg"),
    ("video/mp4", _ftyp(b"qt  ", b"qt  "), "video/quicktime"),
    ("video/mp4", _ftyp(b"M4A ", b"M4A ", b"isom"), "audio/mp4"),
    ("application/pdf", b"MZ\x90\x00\x03\x00\x00\x00", "no known file type"),
    ("image/jpeg", b"", "no known file type"),
    ("audio/amr", b"#!AMR-WB\n", "audio/amr-wb"),
])
def test_sniffed_mismatch(declared: str, head: bytes, shown: str) -> None:
    problem = check_sniffed(declared, head)
    assert problem is not None
    assert problem.code == MIME_MISMATCH
    assert declared in problem.message and shown in problem.message


# --------------------------------------------------------------------------------------------------
# EXIF

TZ_PLUS_8 = timezone(timedelta(hours=8))
_R = IFDRational


def _exif(*, tags: dict[int, Any] | None = None, details: dict[int, Any] | None = None,
          gps: dict[int, Any] | None = None) -> Image.Exif:
    exif = Image.Exif()
    for tag, value in {ExifTags.Base.Make: "Canon ", ExifTags.Base.Model: "EOS R6\x00", **(tags or {})}.items():
        exif[tag] = value
    if details:
        exif.get_ifd(ExifTags.IFD.Exif).update(details)
    if gps:
        exif.get_ifd(ExifTags.IFD.GPSInfo).update(gps)
    return exif


def _gps(**overrides: Any) -> dict[int, Any]:
    """A fix south and west (Buenos Aires area), 12.5 m below sea level, at 23:59:02.5 UTC."""
    gps: dict[int, Any] = {
        ExifTags.GPS.GPSLatitudeRef: "S",
        ExifTags.GPS.GPSLatitude: (_R(34), _R(36), _R(1234, 100)),
        ExifTags.GPS.GPSLongitudeRef: "W",
        ExifTags.GPS.GPSLongitude: (_R(58), _R(22), _R(3030, 100)),
        ExifTags.GPS.GPSAltitudeRef: b"\x01",
        ExifTags.GPS.GPSAltitude: _R(125, 10),
        ExifTags.GPS.GPSDateStamp: "2024:05:05",
        ExifTags.GPS.GPSTimeStamp: (_R(23), _R(59), _R(5, 2)),
    }
    for name, value in overrides.items():
        tag = getattr(ExifTags.GPS, name)
        if value is None:
            gps.pop(tag, None)
        else:
            gps[tag] = value
    return gps


TAKEN = {ExifTags.Base.DateTimeOriginal: "2024:05:06 07:08:09", ExifTags.Base.OffsetTimeOriginal: "+08:00"}
LAT = -(34 + 36 / 60 + 12.34 / 3600)
LON = -(58 + 22 / 60 + 30.30 / 3600)


def _jpeg(exif: Image.Exif | None = None, *, size: tuple[int, int] = (8, 8), noise: bool = False) -> bytes:
    image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)) if noise else Image.new("RGB", size)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95, **({"exif": exif} if exif is not None else {}))
    return out.getvalue()


def _read(data: bytes) -> Any:
    return read_exif(io.BytesIO(data))


def _app1_span(data: bytes) -> tuple[int, int]:
    """Start of the Exif APP1 marker and the end of its segment."""
    start = data.index(b"\xff\xe1")
    (length,) = struct.unpack(">H", data[start + 2:start + 4])
    return start, start + 2 + length


class _Counting:
    """A forward-only stream that counts what is read from it."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)
        self.consumed = 0

    def read(self, size: int = -1, /) -> bytes:
        chunk = self._data.read(min(size, 7) if size > 0 else size)  # short reads, like a network stream
        self.consumed += len(chunk)
        return chunk


def test_full_metadata() -> None:
    meta = _read(_jpeg(_exif(details=TAKEN, gps=_gps())))
    assert meta.issues == ()
    assert meta.taken_at == datetime(2024, 5, 6, 7, 8, 9, tzinfo=TZ_PLUS_8)
    assert meta.taken_at.utcoffset() == timedelta(hours=8)
    assert meta.taken_at_local == "2024-05-06T07:08:09"
    assert meta.latitude == pytest.approx(LAT, abs=1e-9)
    assert meta.longitude == pytest.approx(LON, abs=1e-9)
    assert meta.has_gps is True
    assert meta.altitude_m == pytest.approx(-12.5)
    assert meta.gps_time == datetime(2024, 5, 5, 23, 59, 2, 500000, tzinfo=UTC)
    assert meta.make == "Canon"
    assert meta.model == "EOS R6"


@pytest.mark.parametrize(("lat_ref", "lon_ref", "lat_sign", "lon_sign"), [
    ("N", "E", 1, 1), ("S", "W", -1, -1), ("N", "W", 1, -1), ("S", "E", -1, 1), ("s", "w", -1, -1),
])
def test_coordinate_signs_follow_the_references(lat_ref: str, lon_ref: str, lat_sign: int, lon_sign: int) -> None:
    meta = _read(_jpeg(_exif(gps=_gps(GPSLatitudeRef=lat_ref, GPSLongitudeRef=lon_ref))))
    assert meta.latitude == pytest.approx(lat_sign * abs(LAT), abs=1e-9)
    assert meta.longitude == pytest.approx(lon_sign * abs(LON), abs=1e-9)


@pytest.mark.parametrize(("ref", "expected"), [(b"\x00", 12.5), (b"\x01", -12.5), (None, 12.5)])
def test_altitude_reference(ref: bytes | None, expected: float) -> None:
    meta = _read(_jpeg(_exif(gps=_gps(GPSAltitudeRef=ref))))
    assert meta.altitude_m == pytest.approx(expected)


def test_unreadable_altitude() -> None:
    meta = _read(_jpeg(_exif(gps=_gps(GPSAltitudeRef=b"\x05"))))
    assert meta.altitude_m is None
    assert meta.issues == (EXIF_GPS_MALFORMED,)
    assert meta.has_gps is True


@pytest.mark.parametrize(("offset", "expected"), [
    ("+08:00", timedelta(hours=8)), ("-03:30", timedelta(hours=-3, minutes=-30)), ("+00:00", timedelta(0)),
])
def test_capture_time_with_offset(offset: str, expected: timedelta) -> None:
    details = {**TAKEN, ExifTags.Base.OffsetTimeOriginal: offset}
    meta = _read(_jpeg(_exif(details=details)))
    assert meta.taken_at is not None and meta.taken_at.utcoffset() == expected
    assert meta.taken_at.replace(tzinfo=None).isoformat() == "2024-05-06T07:08:09"


def test_capture_time_without_offset_is_not_given_a_zone() -> None:
    meta = _read(_jpeg(_exif(details={ExifTags.Base.DateTimeOriginal: "2024:05:06 07:08:09"})))
    assert meta.taken_at is None
    assert meta.taken_at_local == "2024-05-06T07:08:09"
    assert meta.issues == ()


@pytest.mark.parametrize(("details", "local", "issues"), [
    ({ExifTags.Base.DateTimeOriginal: "0000:00:00 00:00:00"}, None, (EXIF_TIME_MALFORMED,)),
    ({ExifTags.Base.DateTimeOriginal: "2024:13:06 07:08:09"}, None, (EXIF_TIME_MALFORMED,)),
    ({ExifTags.Base.DateTimeOriginal: "yesterday"}, None, (EXIF_TIME_MALFORMED,)),
    ({ExifTags.Base.DateTimeOriginal: "    :  :     :  :  "}, None, ()),
    ({**TAKEN, ExifTags.Base.OffsetTimeOriginal: "+25:00"}, "2024-05-06T07:08:09", (EXIF_TIME_MALFORMED,)),
    ({**TAKEN, ExifTags.Base.OffsetTimeOriginal: "CST"}, "2024-05-06T07:08:09", (EXIF_TIME_MALFORMED,)),
])
def test_unreadable_capture_time(details: dict[int, str], local: str | None, issues: tuple[str, ...]) -> None:
    meta = _read(_jpeg(_exif(details=details, gps=_gps())))
    assert meta.taken_at is None
    assert meta.taken_at_local == local
    assert meta.issues == issues
    assert meta.has_gps is True  # the rest is still read


def test_photo_without_gps() -> None:
    meta = _read(_jpeg(_exif(details=TAKEN)))
    assert meta.has_gps is False
    assert (meta.latitude, meta.longitude, meta.altitude_m, meta.gps_time) == (None, None, None, None)
    assert meta.issues == ()
    assert meta.make == "Canon"


@pytest.mark.parametrize("overrides", [
    {"GPSLatitudeRef": "X"},
    {"GPSLatitudeRef": None},
    {"GPSLongitudeRef": "N"},
    {"GPSLatitude": (_R(1, 0), _R(0), _R(0))},  # zero denominator
    {"GPSLatitude": (_R(91), _R(0), _R(0))},
    {"GPSLongitude": (_R(180), _R(30), _R(0))},
    {"GPSLongitude": None},
    {"GPSLatitudeRef": "X", "GPSAltitudeRef": b"\x05"},  # two bad values, one issue
])
def test_unreadable_position(overrides: dict[str, Any]) -> None:
    meta = _read(_jpeg(_exif(details=TAKEN, gps=_gps(**overrides))))
    assert (meta.latitude, meta.longitude, meta.has_gps) == (None, None, False)
    assert meta.issues == (EXIF_GPS_MALFORMED,)
    assert meta.taken_at == datetime(2024, 5, 6, 7, 8, 9, tzinfo=TZ_PLUS_8)


@pytest.mark.parametrize(("overrides", "issues"), [
    ({"GPSDateStamp": None}, ()),
    ({"GPSTimeStamp": None}, ()),
    ({"GPSTimeStamp": (_R(24), _R(0), _R(0))}, (EXIF_GPS_MALFORMED,)),
    ({"GPSDateStamp": "2024:02:30"}, (EXIF_GPS_MALFORMED,)),
])
def test_gps_time_absent_or_unreadable(overrides: dict[str, Any], issues: tuple[str, ...]) -> None:
    meta = _read(_jpeg(_exif(gps=_gps(**overrides))))
    assert meta.gps_time is None
    assert meta.issues == issues
    assert meta.has_gps is True


def test_no_exif_gives_none() -> None:
    assert _read(_jpeg()) is None
    assert _read(b"%PDF-1.7\n") is None
    assert _read(b"") is None


def test_truncated_inside_exif_is_malformed() -> None:
    data = _jpeg(_exif(details=TAKEN, gps=_gps()))
    start, end = _app1_span(data)
    for cut in (start + 3, start + 20, end - 1):
        meta = _read(data[:cut])
        assert meta is not None and meta.issues == (EXIF_MALFORMED,), cut
        assert meta.taken_at is None and meta.has_gps is False


def test_truncated_after_exif_still_gives_metadata() -> None:
    data = _jpeg(_exif(details=TAKEN, gps=_gps()))
    _, end = _app1_span(data)
    meta = _read(data[:end + 10])
    assert meta.issues == ()
    assert meta.latitude == pytest.approx(LAT, abs=1e-9)


def test_fill_bytes_before_a_marker_are_skipped() -> None:
    data = _jpeg(_exif(details=TAKEN))
    meta = _read(data[:2] + b"\xff\xff" + data[2:])
    assert meta is not None and meta.issues == () and meta.taken_at_local == "2024-05-06T07:08:09"


def test_markers_without_a_length_are_skipped() -> None:
    data = _jpeg(_exif(details=TAKEN))
    meta = _read(data[:2] + b"\xff\xd0\xff\x01" + data[2:])  # RST0 and TEM carry no length
    assert meta is not None and meta.issues == () and meta.taken_at_local == "2024-05-06T07:08:09"


def _tiff_ifd0(*pointers: int) -> bytes:
    """A big-endian TIFF block whose IFD0 holds Make "Abc" and the given sub-IFD pointer tags, all aimed past the end."""
    entries = [struct.pack(">HHI4s", ExifTags.Base.Make, 2, 4, b"Abc\x00")]
    entries += [struct.pack(">HHII", tag, 4, 1, 0x7000) for tag in pointers]
    return b"MM\x00*" + struct.pack(">IH", 8, len(entries)) + b"".join(entries) + struct.pack(">I", 0)


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
@pytest.mark.parametrize(("pointer", "issue"), [
    (ExifTags.IFD.Exif, EXIF_MALFORMED), (ExifTags.IFD.GPSInfo, EXIF_GPS_MALFORMED),
])
def test_sub_directory_pointing_past_the_end(pointer: int, issue: str) -> None:
    meta = _read(_jpeg_with_app1(b"Exif\x00\x00" + _tiff_ifd0(pointer)))
    assert meta is not None
    assert meta.make == "Abc"
    assert meta.issues == (issue,)


def _jpeg_with_app1(body: bytes) -> bytes:
    return b"\xff\xd8\xff\xe1" + struct.pack(">H", len(body) + 2) + body + b"\xff\xda\x00\x02"


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
@pytest.mark.parametrize("data", [
    pytest.param(_jpeg_with_app1(b"Exif\x00\x00not a tiff header"), id="bad-tiff-header"),
    pytest.param(_jpeg_with_app1(b"Exif\x00\x00MM\x00*\x00\x00\x10\x00"), id="ifd-offset-past-end"),
    pytest.param(_jpeg_with_app1(b"Exif\x00\x00II*\x00\x08\x00\x00\x00\x05\x00"), id="ifd-cut-short"),
    pytest.param(_jpeg_with_app1(b"Exif\x00\x00"), id="empty"),
    pytest.param(b"\xff\xd8\x00\x00\x00\x00\x00\x00", id="no-marker-after-soi"),
    pytest.param(b"\xff\xd8\xff\xe0\x00\x01", id="segment-length-below-2"),
])
def test_malformed_exif_does_not_raise(data: bytes) -> None:
    meta = _read(data)
    assert meta is not None
    assert meta.issues == (EXIF_MALFORMED,)


def test_reads_only_the_header_segments_of_a_big_file() -> None:
    data = _jpeg(_exif(details=TAKEN, gps=_gps()), size=(400, 400), noise=True)
    _, end = _app1_span(data)
    stream = _Counting(data)
    meta = read_exif(stream)
    assert meta is not None and meta.has_gps
    assert stream.consumed == end
    assert len(data) > 100 * end


def test_pixel_count_does_not_matter() -> None:
    # 16320 x 12240 (a 200 MP phone sensor): over Pillow's decompression-bomb limit for Image.open.
    data = bytearray(_jpeg(_exif(details=TAKEN)))
    _, end = _app1_span(bytes(data))
    sof = data.index(b"\xff\xc0", end)
    struct.pack_into(">HH", data, sof + 5, 12240, 16320)
    meta = _read(bytes(data))
    assert meta is not None and meta.taken_at_local == "2024-05-06T07:08:09"


def test_gives_up_at_the_scan_limit() -> None:
    padding = b"\xff\xe2\xff\xfe" + b"\x00" * 0xFFFC  # APP2 segments of 64 KiB each, before the EXIF
    data = _jpeg(_exif(details=TAKEN))
    stream = _Counting(data[:2] + padding * 5 + data[2:])
    assert read_exif(stream) is None
    assert stream.consumed == EXIF_SCAN_LIMIT
    assert _read(data[:2] + padding * 3 + data[2:]) is not None


def test_png_exif_chunk() -> None:
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "PNG", exif=_exif(details=TAKEN, gps=_gps()))
    meta = _read(out.getvalue())
    assert meta is not None
    assert meta.taken_at == datetime(2024, 5, 6, 7, 8, 9, tzinfo=TZ_PLUS_8)
    assert meta.latitude == pytest.approx(LAT, abs=1e-9)


def test_png_without_exif_gives_none() -> None:
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "PNG")
    assert _read(out.getvalue()) is None
