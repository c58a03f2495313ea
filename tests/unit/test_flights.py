"""Unit tests for drone-flight evidence: flight-log parsing, sites passed, images inside sites, and the map preview."""

from __future__ import annotations

import io
import math
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from PIL import Image

from core.nonsite import flight_map
from core.nonsite.flight_logs import (
    DUPLICATE_POINT,
    INVALID_ALTITUDE,
    INVALID_COORDINATES,
    INVALID_TIME,
    MALFORMED_GPX,
    MALFORMED_ROW,
    MISSING_COLUMNS,
    OUT_OF_ORDER,
    TrackPoint,
    parse_track,
)
from core.nonsite.flight_map import (
    END_COLOUR,
    IMAGE_INSIDE,
    IMAGE_OUTSIDE,
    PASSED_FILL,
    START_COLOUR,
    TRACK_COLOUR,
    filled_colour,
    render_preview,
)
from core.nonsite.flights import IMAGE_WITHOUT_GPS, FlightImage, Site, images_inside, sites_passed
from core.registry.models import GeoPoint, Polygon

LAT0, LON0 = 34.26, 108.94  # Xi'an
T0 = datetime(2024, 5, 6, 2, 0, tzinfo=UTC)
# Metres per degree from the usual series expansions (not the code's own formula).
M_PER_DEG_LAT = 111_132.92 - 559.82 * math.cos(2 * math.radians(LAT0)) + 1.175 * math.cos(4 * math.radians(LAT0))
M_PER_DEG_LON = 111_412.84 * math.cos(math.radians(LAT0)) - 93.5 * math.cos(3 * math.radians(LAT0))


def lat_lon(x: float, y: float) -> tuple[float, float]:
    """(lat, lon) of the point x metres east and y metres north of (LAT0, LON0)."""
    return LAT0 + y / M_PER_DEG_LAT, LON0 + x / M_PER_DEG_LON


def square(code: str, name: str, cx: float, cy: float, half: float) -> Site:
    corners = [(cx - half, cy - half), (cx + half, cy - half), (cx + half, cy + half), (cx - half, cy + half)]
    ring = [(lat_lon(x, y)[1], lat_lon(x, y)[0]) for x, y in [*corners, corners[0]]]
    return Site(code, name, boundary=Polygon(coordinates=[ring]).geojson())


def radius_site(code: str, name: str, x: float, y: float, radius_m: float = 200.0) -> Site:
    lat, lon = lat_lon(x, y)
    return Site.from_geojson(code, name, boundary=None, location=GeoPoint(lat=lat, lon=lon).geojson(),
                             radius_m=radius_m)


def track(*xy_seconds: tuple[float, float, float]) -> list[TrackPoint]:
    return [TrackPoint(T0 + timedelta(seconds=s), *lat_lon(x, y)) for x, y, s in xy_seconds]


def straight_east() -> list[TrackPoint]:
    """From 1 km west to 1 km east of the centre along y = 0, 100 m every 10 s (10 m/s)."""
    return track(*[(x, 0.0, (x + 1000) / 10) for x in range(-1000, 1001, 100)])


SITE_A = square("91610100MA6TXXXX1A", "甲化工厂", 0, 0, 150)  # the track crosses it
SITE_B = radius_site("91610100MA6TXXXX2B", "乙建材公司", 500, 150)  # 150 m off the track, radius 200
SITE_C = radius_site("91610100MA6TXXXX3C", "丙印染厂", 0, 400)  # 400 m off: missed


def codes(problems: object) -> list[str]:
    return [p.code for p in problems]  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------------------------------------
# Sites passed


def test_straight_track_passes_the_boundary_and_the_radius_but_misses_the_far_site() -> None:
    passes = {p.credit_code: p for p in sites_passed(straight_east(), [SITE_A, SITE_B, SITE_C])}

    assert set(passes) == {SITE_A.credit_code, SITE_B.credit_code}
    a, b = passes[SITE_A.credit_code], passes[SITE_B.credit_code]
    assert a.distance_inside_m == pytest.approx(300, abs=1)
    assert a.first_inside == pytest.approx(T0 + timedelta(seconds=85), abs=timedelta(milliseconds=200))
    assert a.last_inside == pytest.approx(T0 + timedelta(seconds=115), abs=timedelta(milliseconds=200))
    assert (a.closest_m, a.by_radius) == (0, False)
    chord = 2 * math.sqrt(200**2 - 150**2)
    assert b.distance_inside_m == pytest.approx(chord, abs=1)
    assert b.closest_m == pytest.approx(150, abs=1)
    assert b.by_radius
    assert b.first_inside == pytest.approx(T0 + timedelta(seconds=150 - chord / 20), abs=timedelta(milliseconds=300))


def test_results_come_in_the_order_the_track_entered_them() -> None:
    passes = sites_passed(straight_east(), [SITE_B, SITE_A])

    assert [p.credit_code for p in passes] == [SITE_A.credit_code, SITE_B.credit_code]


def test_a_buffer_widens_every_area() -> None:
    passes = sites_passed(straight_east(), [SITE_C], buffer_m=250)

    assert [p.credit_code for p in passes] == [SITE_C.credit_code]
    assert passes[0].closest_m == pytest.approx(400, abs=1)
    with pytest.raises(ValueError, match="buffer_m"):
        sites_passed(straight_east(), [SITE_C], buffer_m=-1)


def test_a_loop_through_a_site_times_the_first_entry_and_the_last_exit() -> None:
    # West to east through A, 100 m north outside it, then back west through A along y = 100.
    loop = track((-500, 0, 0), (500, 0, 100), (500, 100, 110), (-500, 100, 210))

    (a,) = sites_passed(loop, [SITE_A])

    assert a.first_inside == pytest.approx(T0 + timedelta(seconds=35), abs=timedelta(milliseconds=200))
    assert a.last_inside == pytest.approx(T0 + timedelta(seconds=175), abs=timedelta(milliseconds=200))
    assert a.distance_inside_m == pytest.approx(300 + 300, abs=2)  # the turn north at x = 500 is outside


def test_hovering_inside_counts_the_whole_hover() -> None:
    hover = track((-500, 0, 0), (0, 0, 50), (0, 0, 350), (0, 0, 400))

    (a,) = sites_passed(hover, [SITE_A])

    assert a.last_inside == T0 + timedelta(seconds=400)
    assert a.distance_inside_m == pytest.approx(150, abs=1)


def test_a_single_point_and_an_empty_track() -> None:
    assert [p.credit_code for p in sites_passed(track((10, 10, 0)), [SITE_A, SITE_C])] == [SITE_A.credit_code]
    assert sites_passed([], [SITE_A]) == []


def test_a_site_needs_a_polygonal_boundary_or_a_location() -> None:
    with pytest.raises(ValueError, match="needs a boundary"):
        Site("X", "x")
    with pytest.raises(ValueError, match="Polygon or MultiPolygon"):
        Site("X", "x", boundary={"type": "Point", "coordinates": [LON0, LAT0]})
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    assert Site("X", "x", boundary=bowtie).shape.area == pytest.approx(0.5)


# ---------------------------------------------------------------------------------------------------------------
# Images


def test_images_inside_outside_and_without_gps() -> None:
    images = [
        FlightImage("in-a", *lat_lon(20, -30), T0),
        ("in-b", *lat_lon(500, 100), T0),  # plain tuples work too
        FlightImage("outside", *lat_lon(-800, -300)),
        FlightImage("no-gps", None, None, T0),
        FlightImage("bad-gps", 0.0, 0.0),
    ]

    result = images_inside(images, [SITE_A, SITE_B, SITE_C])

    assert result.links == {"in-a": [SITE_A.credit_code], "in-b": [SITE_B.credit_code], "outside": []}
    assert [(p.evidence_id, p.code) for p in result.problems] == [
        ("no-gps", IMAGE_WITHOUT_GPS), ("bad-gps", INVALID_COORDINATES)]


def test_an_image_in_overlapping_sites_links_to_both() -> None:
    inner = radius_site("91610100MA6TXXXX4D", "丁", 0, 0, radius_m=50)

    result = images_inside([FlightImage("both", LAT0, LON0)], [SITE_A, inner])

    assert sorted(result.links["both"]) == sorted([SITE_A.credit_code, inner.credit_code])


# ---------------------------------------------------------------------------------------------------------------
# GPX


def gpx(namespace: str, body: str, prefix: str = "") -> bytes:
    p = f"{prefix}:" if prefix else ""
    xmlns = f' xmlns{":" + prefix if prefix else ""}="{namespace}"' if namespace else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<{p}gpx version="1.1" creator="test"{xmlns}'
            f' xmlns:ext="urn:example:ext">\n{body.replace("<", "<" + p).replace("<" + p + "/", "</" + p)}\n'
            f"</{p}gpx>\n").encode()


TRK = """<trk><trkseg>
<trkpt lat="34.26" lon="108.94"><ele>450.5</ele><time>2024-05-06T02:00:00Z</time></trkpt>
<trkpt lat="34.261" lon="108.941"><time>2024-05-06T10:00:10+08:00</time></trkpt>
</trkseg></trk>"""


@pytest.mark.parametrize(("namespace", "prefix"), [
    ("http://www.topografix.com/GPX/1/1", ""),
    ("http://www.topografix.com/GPX/1/0", ""),
    ("http://www.topografix.com/GPX/1/1", "gpx"),
    ("", ""),
])
def test_gpx_1_0_and_1_1_with_and_without_a_prefix(namespace: str, prefix: str) -> None:
    parsed = parse_track(gpx(namespace, TRK, prefix), fmt="gpx")

    assert parsed.problems == ()
    assert parsed.points == (TrackPoint(T0, 34.26, 108.94, 450.5),
                             TrackPoint(T0 + timedelta(seconds=10), 34.261, 108.941, None))


def test_gpx_times_without_an_offset_are_utc() -> None:
    body = '<trk><trkseg><trkpt lat="34.26" lon="108.94"><time> 2024-05-06T02:00:00 </time></trkpt></trkseg></trk>'

    parsed = parse_track(gpx("http://www.topografix.com/GPX/1/1", body), fmt="gpx")

    assert parsed.points == (TrackPoint(T0, 34.26, 108.94),)

def test_gpx_extensions_in_other_namespaces_are_ignored() -> None:
    body = """<trk><trkseg><trkpt lat="34.26" lon="108.94"><time>2024-05-06T02:00:00Z</time>
    <extensions><ext:time>garbage</ext:time><ext:trkpt lat="1" lon="1"/></extensions></trkpt></trkseg></trk>
    <wpt lat="30" lon="100"><time>2024-05-06T01:00:00Z</time></wpt>"""

    parsed = parse_track(gpx("http://www.topografix.com/GPX/1/1", body), fmt="gpx")

    assert parsed.points == (TrackPoint(T0, 34.26, 108.94),)
    assert parsed.problems == ()


def test_gpx_bad_points_are_problems_and_the_good_ones_are_kept() -> None:
    body = """<trk><trkseg>
<trkpt lat="34.26" lon="108.94"><time>2024-05-06T02:00:00Z</time></trkpt>
<trkpt lat="north" lon="108.94"><time>2024-05-06T02:00:01Z</time></trkpt>
<trkpt lat="34.26"><time>2024-05-06T02:00:02Z</time></trkpt>
<trkpt lat="34.26" lon="108.94"><time>yesterday</time></trkpt>
<trkpt lat="34.26" lon="108.94"></trkpt>
<trkpt lat="34.27" lon="108.94"><time>2024-05-06T02:00:05Z</time></trkpt>
</trkseg></trk>"""

    parsed = parse_track(gpx("http://www.topografix.com/GPX/1/1", body), fmt="gpx")

    assert [p.time for p in parsed.points] == [T0, T0 + timedelta(seconds=5)]
    assert [(p.row, p.code) for p in parsed.problems] == [
        (5, INVALID_COORDINATES), (6, INVALID_COORDINATES), (7, INVALID_TIME), (8, INVALID_TIME)]


def test_truncated_gpx_keeps_the_points_before_the_break() -> None:
    whole = gpx("http://www.topografix.com/GPX/1/1", TRK)
    cut = whole[: whole.index(b"</trkpt>", whole.index(b"34.261"))]

    parsed = parse_track(cut, fmt="gpx")

    assert [p.lat for p in parsed.points] == [34.26]
    assert codes(parsed.problems) == [MALFORMED_GPX]


@pytest.mark.parametrize("data", [b"", b"\x00\xff garbage", b"<gpx><trk></gpx>", b"not xml at all",
                                  b'<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"/>'])
def test_malformed_gpx_is_one_problem_and_never_an_exception(data: bytes) -> None:
    parsed = parse_track(data, fmt="gpx")

    assert parsed.points == ()
    assert codes(parsed.problems) == [MALFORMED_GPX]


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE gpx [<!ENTITY a0 "lol">""" + b"".join(
    f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">'.encode() for i in range(1, 10)) + b"""]>
<gpx xmlns="http://www.topografix.com/GPX/1/1"><trk><name>&a9;</name><trkseg>
<trkpt lat="34.26" lon="108.94"><time>2024-05-06T02:00:00Z</time></trkpt></trkseg></trk></gpx>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE gpx [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<gpx xmlns="http://www.topografix.com/GPX/1/1"><trk><name>&secret;</name></trk></gpx>"""


@pytest.mark.parametrize("data", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion-laughs", "external-entity"])
def test_entity_declarations_are_refused(data: bytes) -> None:
    started = time.process_time()

    parsed = parse_track(data, fmt="gpx")

    assert parsed.points == ()
    assert codes(parsed.problems) == [MALFORMED_GPX]
    assert "refused" in parsed.problems[0].message
    assert time.process_time() - started < 5  # a generous bound: expanded, the bomb would be 10⁹ "lol"s


# ---------------------------------------------------------------------------------------------------------------
# CSV


def test_csv_bad_rows_are_problems_and_good_rows_are_used() -> None:
    data = "\n".join([
        "time,lat,lon,alt",
        "2024-05-06T02:00:00Z,34.26,108.94,450",  # 2
        "2024-05-06T02:00:01Z,abc,108.94,450",  # 3 not a number
        "2024-05-06T02:00:02Z,95,108.94,450",  # 4 out of range
        "yesterday,34.26,108.94,450",  # 5
        "2024-05-06 02:00:04,34.26,108.94,450",  # 6 no offset
        "2024-05-06T02:00:05Z,34.26",  # 7 too few fields
        "",  # 8 blank lines are skipped
        "2024-05-06T02:00:06Z,34.27,108.95,high",  # 9 kept without altitude
        "2024-05-06T10:00:07+08:00,34.28,108.96,",  # 10 no altitude, another zone
        "1714960808,34.29,108.97,460",  # 11 epoch seconds
        "2024-05-06T02:00:09Z,34.26,108.94,450,extra",  # 12 too many fields
        "2024-05-06T02:00:00Z,0,0,0",  # 13 no fix
    ]).encode()

    parsed = parse_track(data, fmt="csv")

    assert [(p.time - T0).seconds for p in parsed.points] == [0, 6, 7, 8]
    assert [p.alt for p in parsed.points] == [450.0, None, None, 460.0]
    assert [(p.row, p.code, p.kept) for p in parsed.problems] == [
        (3, INVALID_COORDINATES, False), (4, INVALID_COORDINATES, False), (5, INVALID_TIME, False),
        (6, INVALID_TIME, False), (7, MALFORMED_ROW, False), (9, INVALID_ALTITUDE, True),
        (12, MALFORMED_ROW, False), (13, INVALID_COORDINATES, False)]


def test_csv_naive_times_take_the_zone_the_caller_names() -> None:
    data = b"time,lat,lon\n2024-05-06 10:00:00,34.26,108.94\n"

    parsed = parse_track(data, fmt="csv", naive_tz=timezone(timedelta(hours=8)))

    assert parsed.points == (TrackPoint(T0, 34.26, 108.94),)


def test_csv_out_of_order_points_are_kept_sorted_and_duplicates_dropped() -> None:
    data = "\n".join([
        "Time,Lat,Lon",  # header names are case-insensitive; alt is optional
        "2024-05-06T02:00:00Z,34.260,108.94",
        "2024-05-06T02:00:20Z,34.262,108.94",
        "2024-05-06T02:00:10Z,34.261,108.94",  # 4 out of order
        "2024-05-06T02:00:20Z,34.262,108.94",  # 5 same instant again
        "2024-05-06T02:00:30Z,34.263,108.94",
    ]).encode()

    parsed = parse_track(data, fmt="csv")

    assert [p.lat for p in parsed.points] == [34.260, 34.261, 34.262, 34.263]
    assert [(p.row, p.code, p.kept) for p in parsed.problems] == [(4, OUT_OF_ORDER, True), (5, DUPLICATE_POINT, False)]


def test_csv_needs_a_header_naming_time_lat_and_lon() -> None:
    parsed = parse_track(b"2024-05-06T02:00:00Z,34.26,108.94\n", fmt="csv")

    assert parsed.points == ()
    assert [(p.row, p.code) for p in parsed.problems] == [(1, MISSING_COLUMNS)]
    assert codes(parse_track(b"", fmt="csv").problems) == [MISSING_COLUMNS]


def test_csv_with_a_byte_order_mark_and_crlf() -> None:
    parsed = parse_track(b"\xef\xbb\xbftime,lat,lon\r\n2024-05-06T02:00:00Z,34.26,108.94\r\n", fmt="csv")

    assert parsed.points == (TrackPoint(T0, 34.26, 108.94),)


# ---------------------------------------------------------------------------------------------------------------
# Map preview


def png(data: bytes) -> Image.Image:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    picture = Image.open(io.BytesIO(data))
    picture.load()
    return picture.convert("RGB")


def test_preview_draws_the_track_over_the_filled_boundary() -> None:
    # Track ±1000 m east-west and site A ±150 m: centred, 584/2000 px per metre (28 px padding a side).
    picture = png(render_preview(straight_east(), [SITE_A], [], width=640, height=480))
    centre_x, centre_y, per_m = 320, 240, (640 - 56) / 2000

    assert picture.size == (640, 480)
    for metres in (-800, -500, -300, 300, 500, 800):  # clear of the label at the centre and of the end markers
        assert picture.getpixel((round(centre_x + metres * per_m), centre_y)) == TRACK_COLOUR
    for metres in (-100, 100):
        assert picture.getpixel((centre_x, round(centre_y - metres * per_m))) == filled_colour(PASSED_FILL)
    assert picture.getpixel((centre_x, round(centre_y - 300 * per_m))) == flight_map.BACKGROUND


def test_preview_shows_images_markers_and_the_radius_sites() -> None:
    images = [FlightImage("in", *lat_lon(20, -60)), FlightImage("out", *lat_lon(-800, -150)),
              FlightImage("none", None, None)]

    picture = png(render_preview(straight_east(), [SITE_A, SITE_B, SITE_C], images))
    colours = {colour for _, colour in picture.getcolors(maxcolors=1 << 20)}

    assert picture.size == (800, 600)
    assert {TRACK_COLOUR, START_COLOUR, END_COLOUR, IMAGE_INSIDE, IMAGE_OUTSIDE, filled_colour(PASSED_FILL)} <= colours
    assert filled_colour(flight_map.OTHER_FILL) in colours  # C is in view but was not passed


def test_preview_without_the_cjk_font_still_renders(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(flight_map, "CJK_FONT", flight_map.CJK_FONT.with_name("missing.ttc"))

    picture = png(render_preview(straight_east(), [SITE_A, SITE_B], [], width=400, height=300))

    assert picture.size == (400, 300)


def test_preview_of_nothing_and_of_photos_only() -> None:
    assert png(render_preview([], [], [])).size == (800, 600)
    picture = png(render_preview([], [SITE_A], [FlightImage("in", LAT0, LON0)], width=300, height=200))
    assert picture.size == (300, 200)
    assert IMAGE_INSIDE in {colour for _, colour in picture.getcolors(maxcolors=1 << 20)}
    with pytest.raises(ValueError, match="preview size"):
        render_preview([], [], [], width=10)

