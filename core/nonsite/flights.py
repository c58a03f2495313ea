"""Drone flights over sites: which sites a track and its images were inside, measured in local metres."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from core.error_codes import ErrorCode
from core.nonsite.flight_logs import INVALID_COORDINATES, TrackParse, TrackPoint, valid_position

IMAGE_WITHOUT_GPS = ErrorCode.IMAGE_WITHOUT_GPS
DEFAULT_RADIUS_M = 200.0
_WGS84_A = 6_378_137.0
_WGS84_E2 = 0.006_694_379_990_14


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
    code: ErrorCode
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
