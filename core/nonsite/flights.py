"""Drone flights: flight logs (GPX, CSV) with coded row problems; the sites a track and its images were inside."""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any, Literal, NamedTuple
from xml.sax import SAXParseException
from xml.sax.handler import ContentHandler
from xml.sax.xmlreader import AttributesNSImpl, Locator

import numpy as np
import shapely
from defusedxml import DefusedXmlException
from defusedxml.expatreader import DefusedExpatParser
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

MALFORMED_GPX = "MALFORMED_GPX"
MALFORMED_ROW = "MALFORMED_ROW"
MISSING_COLUMNS = "MISSING_COLUMNS"
INVALID_COORDINATES = "INVALID_COORDINATES"
INVALID_TIME = "INVALID_TIME"
INVALID_ALTITUDE = "INVALID_ALTITUDE"
OUT_OF_ORDER = "OUT_OF_ORDER"
DUPLICATE_POINT = "DUPLICATE_POINT"
IMAGE_WITHOUT_GPS = "IMAGE_WITHOUT_GPS"

GPX_NAMESPACES = frozenset({None, "", "http://www.topografix.com/GPX/1/0", "http://www.topografix.com/GPX/1/1"})
DEFAULT_RADIUS_M = 200.0
_CSV_ALIASES = {"time": ("time", "timestamp", "datetime"), "lat": ("lat", "latitude"),
                "lon": ("lon", "lng", "longitude"), "alt": ("alt", "altitude", "ele", "elevation")}
_EPOCH = re.compile(r"^\d{9,13}(\.\d+)?$")
_WGS84_A = 6_378_137.0
_WGS84_E2 = 0.006_694_379_990_14


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
    code: str
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

    def setDocumentLocator(self, locator: Locator) -> None:  # the SAX API's names
        self.locator = locator

    def startElementNS(self, name: tuple[str | None, str], qname: str | None,  # the SAX API's names
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

    def endElementNS(self, name: tuple[str | None, str], qname: str | None) -> None:  # the SAX API's names
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


@dataclass(frozen=True)
class LocalFrame:
    """Metres east/north of (lat0, lon0): equirectangular on WGS84's radii of curvature at lat0.

    Within 25 km of the centre distances are off by under 0.3 % at Shaanxi's latitudes (the error grows as
    tan(lat)·Δlat), well inside drone GPS error; each site is measured in a frame centred on itself.
    """

    lat0: float
    lon0: float

    @property
    def _scale(self) -> tuple[float, float]:
        sin = math.sin(math.radians(self.lat0))
        w = math.sqrt(1 - _WGS84_E2 * sin * sin)
        east = math.radians(1) * _WGS84_A / w * math.cos(math.radians(self.lat0))
        return east, math.radians(1) * _WGS84_A * (1 - _WGS84_E2) / w**3

    def xy(self, lats: Any, lons: Any) -> np.ndarray:
        """N × 2 metres (east, north) for arrays of latitudes and longitudes."""
        east, north = self._scale
        lats, lons = np.asarray(lats, float), np.asarray(lons, float)
        return np.column_stack([(lons - self.lon0) * east, (lats - self.lat0) * north])

    def project(self, geometry: BaseGeometry) -> BaseGeometry:
        """A lon/lat geometry (GeoJSON order) in this frame."""
        return shapely.transform(geometry, lambda lonlat: self.xy(lonlat[:, 1], lonlat[:, 0]))


@dataclass(frozen=True)
class Site:
    """An enterprise site: its boundary, or else a radius around its location."""

    credit_code: str
    name: str
    boundary: Mapping[str, Any] | None = None  # GeoJSON Polygon or MultiPolygon, [lon, lat] positions
    location: tuple[float, float] | None = None  # (lat, lon)
    radius_m: float = DEFAULT_RADIUS_M  # used only without a boundary
    shape: BaseGeometry = field(init=False, repr=False, compare=False)  # lon/lat boundary, or the location point

    def __post_init__(self) -> None:
        if self.boundary is not None:
            geometry = _polygonal(self.boundary, self.credit_code)
        elif self.location is not None and valid_position(*self.location):
            geometry = shapely.Point(self.location[1], self.location[0])
        else:
            raise ValueError(f"site {self.credit_code} needs a boundary or a valid (lat, lon) location")
        if not self.radius_m > 0:
            raise ValueError(f"site {self.credit_code}: radius_m must be positive, got {self.radius_m}")
        object.__setattr__(self, "shape", geometry)

    @classmethod
    def from_geojson(cls, credit_code: str, name: str, *, boundary: Mapping[str, Any] | None,
                     location: Mapping[str, Any] | None, radius_m: float = DEFAULT_RADIUS_M) -> Site:
        """From the registry's GeoJSON (``Enterprise.boundary.geojson()``, ``location.geojson()``)."""
        lat_lon = None if location is None else (float(location["coordinates"][1]), float(location["coordinates"][0]))
        return cls(credit_code, name, boundary, lat_lon, radius_m)

    def frame(self) -> LocalFrame:
        point = self.shape.centroid
        return LocalFrame(point.y, point.x)

    def area(self, frame: LocalFrame, *, buffer_m: float = 0.0) -> BaseGeometry:
        """The ground that counts as the site, in ``frame`` metres: boundary or location + radius, grown by buffer."""
        if self.boundary is None:
            return frame.project(self.shape).buffer(self.radius_m + buffer_m, quad_segs=16)
        projected = frame.project(self.shape)
        return projected.buffer(buffer_m) if buffer_m > 0 else projected

    def reach_deg(self, buffer_m: float) -> tuple[float, float, float, float]:
        """Lon/lat bounds of everything ``area`` can cover, for a cheap first test."""
        margin = buffer_m + (self.radius_m if self.boundary is None else 0.0) + 1.0
        min_lon, min_lat, max_lon, max_lat = self.shape.bounds
        dlat = margin / 110_000  # a degree of latitude is ≥ 110.5 km
        dlon = dlat / max(math.cos(math.radians(max(abs(min_lat), abs(max_lat)))), 0.01)
        return min_lon - dlon, min_lat - dlat, max_lon + dlon, max_lat + dlat


def _polygonal(geojson: Mapping[str, Any], credit_code: str) -> BaseGeometry:
    if geojson.get("type") not in ("Polygon", "MultiPolygon"):
        raise ValueError(f"site {credit_code}: boundary must be a GeoJSON Polygon or MultiPolygon")
    try:
        geometry = shape(dict(geojson))
    except (ValueError, TypeError, KeyError, IndexError, shapely.errors.GEOSException) as exc:
        raise ValueError(f"site {credit_code}: unreadable boundary ({exc})") from exc
    if not geometry.is_valid:  # e.g. a self-crossing ring drawn by hand: keep its polygonal parts
        parts = shapely.get_parts(shapely.make_valid(geometry))
        geometry = shapely.multipolygons(parts[shapely.get_type_id(parts) == 3])
    if geometry.is_empty:
        raise ValueError(f"site {credit_code}: boundary is empty")
    return geometry


@dataclass(frozen=True)
class SitePass:
    credit_code: str
    name: str
    first_inside: datetime  # UTC, interpolated where the track crosses into the area
    last_inside: datetime
    distance_inside_m: float  # flown inside the area (horizontal)
    closest_m: float  # from the track to the boundary (0 when crossed) or to the location
    by_radius: bool  # no boundary known: the area is a radius around the location


def sites_passed(track: TrackParse | Sequence[TrackPoint], sites: Iterable[Site], *,
                 buffer_m: float = 0.0) -> list[SitePass]:
    """The sites whose area (boundary or location radius, grown by ``buffer_m``) the track entered, by first entry."""
    points = track.points if isinstance(track, TrackParse) else tuple(track)
    if buffer_m < 0:
        raise ValueError(f"buffer_m must not be negative, got {buffer_m}")
    if not points:
        return []
    lats, lons = np.array([p.lat for p in points]), np.array([p.lon for p in points])
    seconds = np.array([p.time.timestamp() for p in points])
    passes = []
    for site in sites:
        if not _overlaps(site.reach_deg(buffer_m), lons, lats):
            continue
        frame = site.frame()
        xy = frame.xy(lats, lons)
        span = _inside_span(xy, seconds, site.area(frame, buffer_m=buffer_m))
        if span is None:
            continue
        first, last, distance = span
        path = shapely.linestrings(xy) if len(xy) > 1 else shapely.points(xy[0])
        passes.append(SitePass(site.credit_code, site.name, datetime.fromtimestamp(first, UTC),
                               datetime.fromtimestamp(last, UTC), distance,
                               float(shapely.distance(path, frame.project(site.shape))), site.boundary is None))
    return sorted(passes, key=lambda p: (p.first_inside, p.credit_code))


def _overlaps(bounds: tuple[float, float, float, float], lons: np.ndarray, lats: np.ndarray) -> bool:
    min_lon, min_lat, max_lon, max_lat = bounds
    return bool(lons.min() <= max_lon and lons.max() >= min_lon and lats.min() <= max_lat and lats.max() >= min_lat)


def _inside_span(xy: np.ndarray, seconds: np.ndarray, area: BaseGeometry) -> tuple[float, float, float] | None:
    """(first second inside, last second inside, metres inside), segment by segment so that loops are timed right."""
    shapely.prepare(area)
    if len(xy) == 1:
        return (seconds[0], seconds[0], 0.0) if area.intersects(shapely.Point(xy[0])) else None
    starts, ends = xy[:-1], xy[1:]
    segments = np.asarray(shapely.linestrings(np.stack([starts, ends], axis=1)))
    hits = np.flatnonzero(shapely.intersects(segments, area))  # a hover (zero-length) segment counts as its point
    if not len(hits):
        return None
    pieces = shapely.intersection(segments[hits], area)
    first_from, _ = _fractions(starts[hits[0]], ends[hits[0]], pieces[0])
    _, last_to = _fractions(starts[hits[-1]], ends[hits[-1]], pieces[-1])
    first = seconds[hits[0]] + first_from * (seconds[hits[0] + 1] - seconds[hits[0]])
    last = seconds[hits[-1]] + last_to * (seconds[hits[-1] + 1] - seconds[hits[-1]])
    return float(first), float(last), float(shapely.length(pieces).sum())


def _fractions(start: np.ndarray, end: np.ndarray, piece: BaseGeometry) -> tuple[float, float]:
    """How far along the segment (0..1) the part inside begins and ends."""
    direction = end - start
    squared = float(direction @ direction)
    coords = shapely.get_coordinates(piece)
    if squared == 0 or not len(coords):
        return 0.0, 1.0
    along = np.clip((coords - start) @ direction / squared, 0.0, 1.0)
    return float(along.min()), float(along.max())


class FlightImage(NamedTuple):
    evidence_id: str
    lat: float | None  # from EXIF GPS (core.evidence.exif.read_exif); None when the photo has none
    lon: float | None
    taken_at: datetime | None = None


@dataclass(frozen=True)
class ImageProblem:
    evidence_id: str
    code: str
    message: str


@dataclass(frozen=True)
class ImageLinks:
    """``links``: every image with a position, to the sites it was taken inside ([] when outside all of them)."""

    links: dict[str, list[str]]
    problems: tuple[ImageProblem, ...]  # images kept as evidence of the flight but linked to no site


def images_inside(images: Iterable[FlightImage | tuple[str, float | None, float | None, datetime | None]],
                  sites: Iterable[Site], *, buffer_m: float = 0.0) -> ImageLinks:
    """Which sites' areas (as in `sites_passed`) each image was taken inside, by its EXIF GPS position."""
    located: list[FlightImage] = []
    problems: list[ImageProblem] = []
    for image in map(FlightImage._make, images):
        if image.lat is None or image.lon is None:
            problems.append(ImageProblem(image.evidence_id, IMAGE_WITHOUT_GPS, "no GPS position in its EXIF; "
                                         "kept with the flight, linked to no site"))
        elif not valid_position(image.lat, image.lon):
            problems.append(ImageProblem(image.evidence_id, INVALID_COORDINATES,
                                         f"EXIF GPS {image.lat}, {image.lon} is not a position; linked to no site"))
        else:
            located.append(image)
    links: dict[str, list[str]] = {image.evidence_id: [] for image in located}
    if not located:
        return ImageLinks(links, tuple(problems))
    lats, lons = np.array([i.lat for i in located], float), np.array([i.lon for i in located], float)
    for site in sites:
        if not _overlaps(site.reach_deg(buffer_m), lons, lats):
            continue
        frame = site.frame()
        inside = shapely.intersects(shapely.points(frame.xy(lats, lons)), site.area(frame, buffer_m=buffer_m))
        for index in np.flatnonzero(inside):
            links[located[index].evidence_id].append(site.credit_code)
    return ImageLinks(links, tuple(problems))
