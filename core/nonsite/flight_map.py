"""PNG preview of a drone flight: the track over site boundaries or radius circles, its images, and a scale bar."""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import numpy as np
import shapely
from PIL import Image, ImageDraw, ImageFont
from shapely.geometry.base import BaseGeometry

from core.nonsite.flight_logs import TrackParse, TrackPoint, valid_position
from core.nonsite.flights import FlightImage, LocalFrame, Site, images_inside, sites_passed

CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
BACKGROUND = (248, 248, 244)
TRACK_COLOUR = (29, 91, 214)
PASSED_FILL = (230, 110, 20)  # a site the track or an image was inside
OTHER_FILL = (130, 130, 130)  # a site in view that the flight did not touch
FILL_ALPHA = 0.35
IMAGE_INSIDE = (200, 20, 120)
IMAGE_OUTSIDE = (40, 40, 40)
START_COLOUR = (20, 160, 60)
END_COLOUR = (210, 30, 30)
PADDING_PX = 28
MIN_EXTENT_M = 200.0  # a hover or a single photo still gets a map of its surroundings
_Image = FlightImage | tuple[str, float | None, float | None, datetime | None]


def filled_colour(fill: tuple[int, int, int]) -> tuple[int, int, int]:
    """The colour a site fill gives over the empty background."""
    red, green, blue = (round(b + (f - b) * FILL_ALPHA) for f, b in zip(fill, BACKGROUND, strict=True))
    return red, green, blue


@dataclass(frozen=True)
class _View:
    """Frame metres → pixels: same scale on both axes, north up, content centred."""

    frame: LocalFrame
    bounds: tuple[float, float, float, float]  # metres shown: min x, min y, max x, max y
    scale: float  # pixels per metre
    height: int

    @classmethod
    def fit(cls, frame: LocalFrame, content: tuple[float, float, float, float], width: int, height: int) -> _View:
        min_x, min_y, max_x, max_y = content
        centre_x, centre_y = (min_x + max_x) / 2, (min_y + max_y) / 2
        span_x, span_y = max(max_x - min_x, MIN_EXTENT_M), max(max_y - min_y, MIN_EXTENT_M)
        scale = min((width - 2 * PADDING_PX) / span_x, (height - 2 * PADDING_PX) / span_y)
        half_x, half_y = width / 2 / scale, height / 2 / scale
        return cls(frame, (centre_x - half_x, centre_y - half_y, centre_x + half_x, centre_y + half_y), scale, height)

    def px(self, xy: np.ndarray) -> list[tuple[float, float]]:
        min_x, min_y = self.bounds[0], self.bounds[1]
        return [((x - min_x) * self.scale, self.height - (y - min_y) * self.scale) for x, y in np.asarray(xy)]


def render_preview(track: TrackParse | Sequence[TrackPoint], sites: Iterable[Site], images: Iterable[_Image], *,
                   width: int = 800, height: int = 600, buffer_m: float = 0.0) -> bytes:
    """The flight as a PNG: sites passed filled orange (others grey), the track in blue from its green start
    to its red end, images inside a site magenta and outside dark grey, site names, and a scale bar."""
    if not (100 <= width <= 4000 and 100 <= height <= 4000):
        raise ValueError(f"preview size must be 100–4000 px a side, got {width}×{height}")
    points = track.points if isinstance(track, TrackParse) else tuple(track)
    sites = list(sites)
    located = [i for i in map(FlightImage._make, images)
               if i.lat is not None and i.lon is not None and valid_position(i.lat, i.lon)]
    links = images_inside(located, sites, buffer_m=buffer_m).links
    touched = {p.credit_code for p in sites_passed(points, sites, buffer_m=buffer_m)}
    touched |= {code for codes in links.values() for code in codes}
    picture = Image.new("RGB", (width, height), BACKGROUND)
    frame = _centre(points, located, sites)
    if frame is None:
        _text(ImageDraw.Draw(picture), (width / 2, height / 2), "no positions to map", 16)
        return _png(picture)
    track_xy = frame.xy([p.lat for p in points], [p.lon for p in points])
    image_xy = frame.xy([i.lat for i in located], [i.lon for i in located])
    areas = {site.credit_code: site.area(frame, buffer_m=buffer_m) for site in sites}
    focus = [areas[code] for code in touched] or ([] if len(track_xy) or len(image_xy) else list(areas.values()))
    view = _View.fit(frame, _bounds(np.vstack([track_xy, image_xy]), focus), width, height)
    shown = [s for s in sites if areas[s.credit_code].intersects(shapely.box(*view.bounds))]
    for site in shown:
        _draw_area(picture, view, areas[site.credit_code], PASSED_FILL if site.credit_code in touched else OTHER_FILL)
    draw = ImageDraw.Draw(picture)
    _draw_track(draw, view.px(track_xy))
    for image, xy in zip(located, view.px(image_xy), strict=True):
        _dot(draw, xy, 4, IMAGE_INSIDE if links[image.evidence_id] else IMAGE_OUTSIDE)
    crowded = len(shown) > 15  # then only the sites the flight touched are named
    for site in (s for s in shown if s.credit_code in touched or not crowded):  # label above, off the track
        left, _, right, top = shapely.bounds(areas[site.credit_code])
        x, y = view.px(np.array([[(left + right) / 2, top]]))[0]
        _text(draw, (min(max(x, 40), width - 40), max(y - 10, 12)), site.name or site.credit_code, 14)
    _draw_scale_bar(draw, view, width)
    return _png(picture)


def _centre(points: Sequence[TrackPoint], images: Sequence[FlightImage], sites: Sequence[Site]) -> LocalFrame | None:
    lats = [p.lat for p in points] + [i.lat for i in images if i.lat is not None]
    lons = [p.lon for p in points] + [i.lon for i in images if i.lon is not None]
    if not lats:
        return sites[0].frame() if sites else None
    return LocalFrame((min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2)


def _bounds(xy: np.ndarray, areas: Sequence[BaseGeometry]) -> tuple[float, float, float, float]:
    boxes = [shapely.bounds(area) for area in areas]
    if len(xy):
        boxes.append(np.concatenate([xy.min(axis=0), xy.max(axis=0)]))
    stacked = np.array(boxes).reshape(-1, 4)
    return (float(stacked[:, 0].min()), float(stacked[:, 1].min()),
            float(stacked[:, 2].max()), float(stacked[:, 3].max()))


def _draw_area(picture: Image.Image, view: _View, area: BaseGeometry, fill: tuple[int, int, int]) -> None:
    """Fill semi-transparently through a mask (holes cut out), then outline every ring."""
    mask = Image.new("L", picture.size, 0)
    shade = ImageDraw.Draw(mask)
    rings = []
    for polygon in shapely.get_parts(area):
        if not isinstance(polygon, shapely.Polygon):
            continue
        outer = view.px(np.asarray(polygon.exterior.coords))
        shade.polygon(outer, fill=round(255 * FILL_ALPHA))
        holes = [view.px(np.asarray(ring.coords)) for ring in polygon.interiors]
        for hole in holes:
            shade.polygon(hole, fill=0)
        rings += [outer, *holes]
    picture.paste(fill, mask=mask)
    draw = ImageDraw.Draw(picture)
    outline = (round(fill[0] * 0.7), round(fill[1] * 0.7), round(fill[2] * 0.7))
    for ring in rings:
        draw.line(ring, fill=outline, width=2)


def _draw_track(draw: ImageDraw.ImageDraw, line: list[tuple[float, float]]) -> None:
    if not line:
        return
    if len(line) > 1:
        draw.line(line, fill=TRACK_COLOUR, width=3, joint="curve")
    x, y = line[-1]
    draw.rectangle((x - 6, y - 6, x + 6, y + 6), fill=END_COLOUR, outline="white", width=2)
    _dot(draw, line[0], 7, START_COLOUR)


def _dot(draw: ImageDraw.ImageDraw, xy: tuple[float, float], radius: float, fill: tuple[int, int, int]) -> None:
    x, y = xy
    draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=fill, outline="white", width=1)


def _draw_scale_bar(draw: ImageDraw.ImageDraw, view: _View, width: int) -> None:
    """A round length (1, 2 or 5 × 10ⁿ m) of at most a quarter of the width, bottom left."""
    target = width / 4 / view.scale
    magnitude = 10 ** math.floor(math.log10(target))
    metres = max(step * magnitude for step in (1, 2, 5) if step * magnitude <= target)
    length = metres * view.scale
    left, base = PADDING_PX / 2, view.height - PADDING_PX / 2
    draw.rectangle((left - 4, base - 24, left + length + 4, base + 4), fill="white")
    draw.rectangle((left, base - 4, left + length, base), fill="black")
    for x in (left, left + length):
        draw.line((x, base - 9, x, base), fill="black", width=2)
    label = f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"
    _text(draw, (left + length / 2, base - 15), label, 12)


def _text(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, size: int) -> None:
    draw.text(xy, text, fill="black", font=_font(str(CJK_FONT), size), anchor="mm", stroke_width=2, stroke_fill="white")


@lru_cache(maxsize=16)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(path, size)  # index 0 of the collection: WenQuanYi Micro Hei
    except OSError:
        return ImageFont.load_default(size)  # no CJK glyphs: Chinese names show as boxes


def _png(picture: Image.Image) -> bytes:
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()
