"""Drone flight logs (GPX, CSV): their track points in time order, every bad row a coded problem."""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any, Literal
from xml.sax import SAXParseException
from xml.sax.handler import ContentHandler
from xml.sax.xmlreader import AttributesNSImpl, Locator

from defusedxml import DefusedXmlException
from defusedxml.expatreader import DefusedExpatParser

from core.error_codes import ErrorCode

MALFORMED_GPX = ErrorCode.MALFORMED_GPX
MALFORMED_ROW = ErrorCode.MALFORMED_ROW
MISSING_COLUMNS = ErrorCode.MISSING_COLUMNS
INVALID_COORDINATES = ErrorCode.INVALID_COORDINATES
INVALID_TIME = ErrorCode.INVALID_TIME
INVALID_ALTITUDE = ErrorCode.INVALID_ALTITUDE
OUT_OF_ORDER = ErrorCode.OUT_OF_ORDER
DUPLICATE_POINT = ErrorCode.DUPLICATE_POINT

GPX_NAMESPACES = frozenset({None, "", "http://www.topografix.com/GPX/1/0", "http://www.topografix.com/GPX/1/1"})
_CSV_ALIASES = {"time": ("time", "timestamp", "datetime"), "lat": ("lat", "latitude"),
                "lon": ("lon", "lng", "longitude"), "alt": ("alt", "altitude", "ele", "elevation")}
_EPOCH = re.compile(r"^\d{9,13}(\.\d+)?$")


@dataclass(frozen=True)
class TrackPoint:
    time: datetime  # UTC
    lat: float
    lon: float
    alt: float | None = None  # metres, as logged (GPX <ele>, CSV alt)


@dataclass(frozen=True)
class TrackProblem:
    """One bad row (CSV line) or point (GPX line). ``kept``: the point is still in the track."""

    row: int
    code: ErrorCode
    message: str
    kept: bool = False


@dataclass(frozen=True)
class TrackParse:
    points: tuple[TrackPoint, ...]  # time order, one per instant
    problems: tuple[TrackProblem, ...]


def parse_track(data: bytes, *, fmt: Literal["gpx", "csv"], naive_tz: tzinfo | None = None) -> TrackParse:
    """The points of a flight log; every bad row is a problem and every good row is kept.

    GPX times without an offset are UTC (the GPX schema says so). CSV times must carry an offset or be
    Unix epoch seconds, unless ``naive_tz`` says which zone the device logged in.
    """
    if fmt == "gpx":
        found, problems = _gpx_points(data)
    elif fmt == "csv":
        found, problems = _csv_points(data, naive_tz)
    else:
        raise ValueError(f"unknown flight-log format {fmt!r}")
    points, order_problems = _in_time_order(found)
    return TrackParse(tuple(points), tuple(sorted(problems + order_problems, key=lambda p: p.row)))


def _make_point(row: int, time: str | None, lat: str | None, lon: str | None, alt: str | None,
                naive_tz: tzinfo | None) -> tuple[TrackPoint | None, list[TrackProblem]]:
    try:
        lat_value, lon_value = float(lat or "nan"), float(lon or "nan")
    except ValueError:
        return None, [TrackProblem(row, INVALID_COORDINATES, f"lat {lat!r} / lon {lon!r} are not numbers")]
    if not valid_position(lat_value, lon_value):
        return None, [TrackProblem(row, INVALID_COORDINATES, f"lat {lat!r} / lon {lon!r} is not a GPS position")]
    try:
        when = _utc_time((time or "").strip(), naive_tz)
    except ValueError as exc:
        return None, [TrackProblem(row, INVALID_TIME, f"time {time!r}: {exc}")]
    altitude, problems = None, []
    if alt is not None and alt.strip():
        try:
            altitude = float(alt)
        except ValueError:
            problems.append(TrackProblem(row, INVALID_ALTITUDE, f"alt {alt!r} is not a number; point kept", True))
        else:
            altitude = altitude if math.isfinite(altitude) else None
    return TrackPoint(when, lat_value, lon_value, altitude), problems


def valid_position(lat: float, lon: float) -> bool:
    """In range, finite, and not 0/0 (what receivers log before their first fix)."""
    in_range = -90 <= lat <= 90 and -180 <= lon <= 180  # False for NaN
    return in_range and (lat, lon) != (0.0, 0.0)


def _utc_time(text: str, naive_tz: tzinfo | None) -> datetime:
    if _EPOCH.match(text):
        seconds = float(text)
        return datetime.fromtimestamp(seconds / 1000 if seconds > 1e11 else seconds, UTC)  # >1e11: milliseconds
    if not text:
        raise ValueError("missing")
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        if naive_tz is None:
            raise ValueError("no UTC offset (give one, e.g. +08:00 or Z)")
        moment = moment.replace(tzinfo=naive_tz)
    return moment.astimezone(UTC)


def _in_time_order(found: list[tuple[int, TrackPoint]]) -> tuple[list[TrackPoint], list[TrackProblem]]:
    problems = [TrackProblem(row, OUT_OF_ORDER, f"{point.time.isoformat()} is before the previous point's "
                             f"{previous.time.isoformat()}; point kept, track sorted", True)
                for (_, previous), (row, point) in zip(found, found[1:], strict=False) if point.time < previous.time]
    points: list[TrackPoint] = []
    for row, point in sorted(found, key=lambda item: item[1].time):  # stable: the first logged of an instant wins
        if points and points[-1].time == point.time:
            same = (points[-1].lat, points[-1].lon) == (point.lat, point.lon)
            where = "at the same position" if same else "at a different position"
            problems.append(TrackProblem(row, DUPLICATE_POINT, f"a point for {point.time.isoformat()} was already "
                                         f"logged ({where}); point dropped"))
            continue
        points.append(point)
    return points, problems


def _csv_points(data: bytes, naive_tz: tzinfo | None) -> tuple[list[tuple[int, TrackPoint]], list[TrackProblem]]:
    # Only numbers and times are read, so undecodable bytes can only spoil a field that is rejected anyway.
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig", errors="replace"), newline=""))
    header = [name.strip().lower() for name in next(reader, [])]
    columns = {key: next((header.index(a) for a in aliases if a in header), None)
               for key, aliases in _CSV_ALIASES.items()}
    missing = [key for key in ("time", "lat", "lon") if columns[key] is None]
    if missing:
        return [], [TrackProblem(1, MISSING_COLUMNS, f"the header must name time, lat and lon; missing {missing}")]
    found: list[tuple[int, TrackPoint]] = []
    problems: list[TrackProblem] = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        line = reader.line_num
        if len(row) < len(header) or any(cell.strip() for cell in row[len(header):]):
            problems.append(TrackProblem(line, MALFORMED_ROW, f"expected {len(header)} fields, got {len(row)}"))
            continue
        cells = {key: None if index is None else row[index] for key, index in columns.items()}
        point, row_problems = _make_point(line, cells["time"], cells["lat"], cells["lon"], cells["alt"], naive_tz)
        problems += row_problems
        if point is not None:
            found.append((line, point))
    return found, problems


class _GpxHandler(ContentHandler):
    """Collects <trkpt> as the parser streams, so the points before a syntax error are kept."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[int, TrackPoint]] = []
        self.problems: list[TrackProblem] = []
        self.locator: Locator | None = None
        self._stack: list[str] = []  # local names; elements of other namespaces (extensions) as ""
        self._point: dict[str, Any] | None = None
        self._text: list[str] | None = None

    @property
    def line(self) -> int:
        return (self.locator.getLineNumber() or 0) if self.locator is not None else 0

    def setDocumentLocator(self, locator: Locator) -> None:
        self.locator = locator

    def startElementNS(self, name: tuple[str | None, str], qname: str | None,
                       attrs: AttributesNSImpl) -> None:
        uri, local = name
        if not self._stack and (local != "gpx" or uri not in GPX_NAMESPACES):
            raise _NotGpx(f"the root element is {local!r} in namespace {uri!r}, not a GPX <gpx>")
        local = local if uri in GPX_NAMESPACES else ""
        if local == "trkpt":
            self._point = {"row": self.line, "lat": attrs.get((None, "lat")), "lon": attrs.get((None, "lon"))}
        elif local in ("time", "ele") and self._stack[-1:] == ["trkpt"]:
            self._text = []
        self._stack.append(local)

    def characters(self, content: str) -> None:
        if self._text is not None:
            self._text.append(content)

    def endElementNS(self, name: tuple[str | None, str], qname: str | None) -> None:
        local = self._stack.pop()
        if self._point is not None and self._text is not None and local in ("time", "ele"):
            self._point[local] = "".join(self._text)
            self._text = None
        elif local == "trkpt" and self._point is not None:
            row, p = self._point["row"], self._point
            point, problems = _make_point(row, p.get("time"), p["lat"], p["lon"], p.get("ele"), UTC)
            self.problems += problems
            if point is not None:
                self.found.append((row, point))
            self._point = None


class _NotGpx(ValueError):
    pass


def _gpx_points(data: bytes) -> tuple[list[tuple[int, TrackPoint]], list[TrackProblem]]:
    handler = _GpxHandler()
    # Untrusted XML: entity declarations (billion laughs, quadratic blow-up) and external references (XXE)
    # are refused outright; GPX needs neither.
    parser = DefusedExpatParser(namespaceHandling=1, forbid_entities=True, forbid_external=True)
    parser.setContentHandler(handler)
    try:
        parser.parse(io.BytesIO(data))
    except SAXParseException as exc:
        message = f"not well-formed XML: {exc.getMessage()}; the {len(handler.found)} valid points before it are kept"
        handler.problems.append(TrackProblem(exc.getLineNumber() or 0, MALFORMED_GPX, message))
    except DefusedXmlException as exc:
        handler.problems.append(TrackProblem(handler.line, MALFORMED_GPX, f"refused: {type(exc).__name__} "
                                             "(GPX must not declare entities or reference external ones)"))
    except _NotGpx as exc:
        handler.problems.append(TrackProblem(handler.line, MALFORMED_GPX, str(exc)))
    return handler.found, handler.problems
