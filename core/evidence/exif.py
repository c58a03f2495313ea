"""Photo metadata from EXIF (capture time, GPS), read from the header segments without decoding the image."""

from __future__ import annotations

import math
import re
import struct
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any, Protocol

from PIL import ExifTags, Image

from core.evidence.media import PNG_SIGNATURE

EXIF_SCAN_LIMIT = 256 * 1024
"""`read_exif` reads at most this many bytes; EXIF sits in the header segments, before any image data."""

EXIF_MALFORMED = "EXIF_MALFORMED"
EXIF_TIME_MALFORMED = "EXIF_TIME_MALFORMED"
EXIF_GPS_MALFORMED = "EXIF_GPS_MALFORMED"


class ByteSource(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True)
class PhotoMetadata:
    """What a photo's EXIF says. Unreadable values are None and name their problem in ``issues``.

    taken_at: capture time (DateTimeOriginal) when the camera also recorded its UTC offset (OffsetTimeOriginal).
    taken_at_local: the same wall-clock time as ISO text without a zone ("2024-05-06T07:08:09"), whenever present.
    gps_time: GPSDateStamp + GPSTimeStamp, which are UTC.
    has_gps: latitude and longitude are both known.
    """

    taken_at: datetime | None = None
    taken_at_local: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    altitude_m: float | None = None
    gps_time: datetime | None = None
    make: str | None = None
    model: str | None = None
    has_gps: bool = False
    issues: tuple[str, ...] = ()


class _Malformed(Exception):
    """The container is broken before or inside its EXIF block."""


class _ScanLimit(Exception):
    """`EXIF_SCAN_LIMIT` bytes were read without reaching the EXIF block or the image data."""


def read_exif(stream: ByteSource) -> PhotoMetadata | None:
    """EXIF metadata of a JPEG or PNG read from the stream's current position; None when it has none.

    Reads only the header segments (at most `EXIF_SCAN_LIMIT` bytes) and never decodes pixels, so the
    pixel count does not matter; only ``read`` is used, so the stream need not be seekable. A broken
    container or EXIF block gives a result whose ``issues`` hold EXIF_MALFORMED; errors of the stream
    itself (OSError) propagate.
    """
    reader = _Reader(stream, EXIF_SCAN_LIMIT)
    try:
        payload = _locate_exif(reader)
    except _Malformed:
        return PhotoMetadata(issues=(EXIF_MALFORMED,))
    except _ScanLimit:
        return None
    return None if payload is None else _parse_exif(payload)


class _Reader:
    def __init__(self, stream: ByteSource, budget: int) -> None:
        self._stream = stream
        self._budget = budget

    def read(self, size: int) -> bytes:
        """Up to ``size`` bytes; fewer only at the end of the stream or of the budget."""
        chunks: list[bytes] = []
        wanted = min(size, self._budget)
        while wanted > 0:
            chunk = self._stream.read(wanted)
            if not chunk:
                break
            chunks.append(chunk)
            wanted -= len(chunk)
            self._budget -= len(chunk)
        return b"".join(chunks)

    def exactly(self, size: int) -> bytes:
        data = self.read(size)
        if len(data) == size:
            return data
        if self._budget == 0:
            raise _ScanLimit
        raise _Malformed(f"the file ends {size - len(data)} bytes short")



def _locate_exif(reader: _Reader) -> bytes | None:
    start = reader.read(2)
    if start == b"\xff\xd8":
        return _jpeg_exif(reader)
    if start == PNG_SIGNATURE[:2] and reader.read(6) == PNG_SIGNATURE[2:]:
        return _png_exif(reader)
    return None


_JPEG_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # TEM, RST0-7: markers without a length
_JPEG_SOS, _JPEG_EOI, _JPEG_APP1 = 0xDA, 0xD9, 0xE1


def _jpeg_exif(reader: _Reader) -> bytes | None:
    """Walks the marker segments after SOI up to the first scan; returns the APP1 "Exif" payload."""
    while True:
        if reader.exactly(1) != b"\xff":
            raise _Malformed("expected a JPEG marker")
        marker = reader.exactly(1)[0]
        while marker == 0xFF:  # fill bytes
            marker = reader.exactly(1)[0]
        if marker in _JPEG_STANDALONE:
            continue
        if marker in (_JPEG_SOS, _JPEG_EOI):
            return None
        (length,) = struct.unpack(">H", reader.exactly(2))
        if length < 2:
            raise _Malformed(f"JPEG segment length {length}")
        body = reader.exactly(length - 2)
        if marker == _JPEG_APP1 and body.startswith(b"Exif\x00\x00"):
            return body


def _png_exif(reader: _Reader) -> bytes | None:
    """Walks the chunks up to the first image data; returns the eXIf chunk's data (a TIFF block)."""
    while True:
        length, kind = struct.unpack(">I4s", reader.exactly(8))
        if length > 0x7FFFFFFF:
            raise _Malformed(f"PNG chunk length {length}")
        if kind in (b"IDAT", b"IEND"):
            return None
        data = reader.exactly(length)
        if kind == b"eXIf":
            return data
        reader.exactly(4)  # CRC


def _parse_exif(payload: bytes) -> PhotoMetadata:
    exif = Image.Exif()
    try:
        exif.load(payload)
        primary = dict(exif)
        details = exif.get_ifd(ExifTags.IFD.Exif)
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    except (SyntaxError, ValueError, TypeError, KeyError, IndexError, struct.error, OSError):
        return PhotoMetadata(issues=(EXIF_MALFORMED,))
    if not primary:
        # Pillow warns ("Corrupt EXIF data") and keeps what it could read; a camera never writes an empty IFD0.
        return PhotoMetadata(issues=(EXIF_MALFORMED,))
    issues: list[str] = []
    if ExifTags.IFD.Exif in primary and not details:
        issues.append(EXIF_MALFORMED)
    if ExifTags.IFD.GPSInfo in primary and not gps:
        issues.append(EXIF_GPS_MALFORMED)
    taken_at, taken_at_local = _capture_time(details, issues)
    latitude, longitude = _position(gps, issues)
    return PhotoMetadata(
        taken_at=taken_at,
        taken_at_local=taken_at_local,
        latitude=latitude,
        longitude=longitude,
        altitude_m=_altitude(gps, issues),
        gps_time=_gps_time(gps, issues),
        make=_text(primary.get(ExifTags.Base.Make)),
        model=_text(primary.get(ExifTags.Base.Model)),
        has_gps=latitude is not None and longitude is not None,
        issues=tuple(dict.fromkeys(issues)),
    )


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    value = value.replace("\x00", " ").strip()
    return value or None


_DATE_TIME = re.compile(r"(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_OFFSET = re.compile(r"([+-])(\d{2}):(\d{2})")


def _capture_time(details: dict[int, Any], issues: list[str]) -> tuple[datetime | None, str | None]:
    raw = _text(details.get(ExifTags.Base.DateTimeOriginal))
    if raw is None or not raw.strip(" :"):  # the standard's "unknown" is blanks and colons
        return None, None
    try:
        day, clock = _wall_clock(raw)
    except ValueError:
        issues.append(EXIF_TIME_MALFORMED)
        return None, None
    local = f"{day.isoformat()}T{clock.isoformat()}"
    raw_offset = _text(details.get(ExifTags.Base.OffsetTimeOriginal))
    if raw_offset is None or not raw_offset.strip(" :"):
        return None, local
    try:
        zone = _utc_offset(raw_offset)
    except ValueError:
        issues.append(EXIF_TIME_MALFORMED)
        return None, local
    return datetime.combine(day, clock, tzinfo=zone), local


def _wall_clock(raw: str) -> tuple[date, time]:
    match = _DATE_TIME.fullmatch(raw)
    if match is None:
        raise ValueError(f"not an EXIF date-time: {raw!r}")
    year, month, day, hour, minute, second = (int(part) for part in match.groups())
    return date(year, month, day), time(hour, minute, second)


def _utc_offset(raw: str) -> timezone:
    match = _OFFSET.fullmatch(raw)
    if match is None:
        raise ValueError(f"not an EXIF offset: {raw!r}")
    sign = -1 if match[1] == "-" else 1
    return timezone(sign * timedelta(hours=int(match[2]), minutes=int(match[3])))  # ValueError past ±24 h


def _position(gps: dict[int, Any], issues: list[str]) -> tuple[float | None, float | None]:
    if ExifTags.GPS.GPSLatitude not in gps and ExifTags.GPS.GPSLongitude not in gps:
        return None, None
    try:
        latitude = _coordinate(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), "NS", 90)
        longitude = _coordinate(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef), "EW", 180)
    except (ValueError, TypeError, ZeroDivisionError, OverflowError):
        issues.append(EXIF_GPS_MALFORMED)
        return None, None
    return latitude, longitude


def _coordinate(parts: Any, ref: Any, hemispheres: str, limit: float) -> float:
    """Decimal degrees from (degrees, minutes, seconds) and a hemisphere letter: hemispheres[1] is negative."""
    if not isinstance(parts, tuple) or not 1 <= len(parts) <= 3:
        raise ValueError(f"expected 1-3 rationals, got {parts!r}")
    degrees, minutes, seconds = (*(float(part) for part in parts), 0.0, 0.0)[:3]
    value = degrees + minutes / 60 + seconds / 3600
    if not math.isfinite(value) or min(degrees, minutes, seconds) < 0 or value > limit:
        raise ValueError(f"coordinate out of range: {parts!r}")
    letter = (_text(ref) or "").upper()
    if len(letter) != 1 or letter not in hemispheres:
        raise ValueError(f"reference {ref!r} is not one of {hemispheres}")
    return -value if letter == hemispheres[1] else value


def _altitude(gps: dict[int, Any], issues: list[str]) -> float | None:
    raw = gps.get(ExifTags.GPS.GPSAltitude)
    if raw is None:
        return None
    ref = gps.get(ExifTags.GPS.GPSAltitudeRef, 0)
    below = ref[0] if isinstance(ref, bytes) and ref else ref  # BYTE: 0 above sea level, 1 below
    try:
        metres = float(raw)
    except (ValueError, TypeError):
        metres = math.nan
    if not math.isfinite(metres) or below not in (0, 1):
        issues.append(EXIF_GPS_MALFORMED)
        return None
    return -metres if below == 1 else metres


def _gps_time(gps: dict[int, Any], issues: list[str]) -> datetime | None:
    raw_date = _text(gps.get(ExifTags.GPS.GPSDateStamp))
    parts = gps.get(ExifTags.GPS.GPSTimeStamp)
    if raw_date is None or parts is None:
        return None
    try:
        return _utc_time(raw_date, parts)
    except (ValueError, TypeError, OverflowError):
        issues.append(EXIF_GPS_MALFORMED)
        return None


def _utc_time(raw_date: str, parts: Any) -> datetime:
    match = re.fullmatch(r"(\d{4})[:-](\d{2})[:-](\d{2})", raw_date)
    if match is None or not isinstance(parts, tuple) or len(parts) != 3:
        raise ValueError(f"not a GPS date and time: {raw_date!r} {parts!r}")
    hours, minutes, seconds = (float(part) for part in parts)
    if not (0 <= hours < 24 and 0 <= minutes < 60 and 0 <= seconds < 61):  # also rejects NaN
        raise ValueError(f"not a GPS time: {parts!r}")
    midnight = datetime(int(match[1]), int(match[2]), int(match[3]), tzinfo=UTC)
    return midnight + timedelta(hours=hours, minutes=minutes, seconds=seconds)
