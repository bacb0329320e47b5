"""A small drawing of metropolitan France with the centre's point on it, drawn on the server.

The set-up page cannot show map tiles (its Content Security Policy allows no outside image or
script), and a coordinator only needs to see that the point typed is about right: in the Drôme, not
in the sea off Africa because the latitude and longitude were swapped. So: a coarse outline of the
mainland and Corsica, drawn from about sixty well-known coastal and border points, and a dot.
"""
import math
from dataclasses import dataclass
from typing import Optional

from ..core.identity import FRANCE, METROPOLITAN_FRANCE

# (longitude, latitude) in degrees, clockwise from Bray-Dunes on the North Sea. Coarse on purpose:
# some 10 km off here and there, which a dot of the locator's size hides anyway.
MAINLAND = (
    (2.55, 51.09), (3.1, 50.78), (4.17, 50.3), (4.85, 50.15), (4.8, 49.8), (5.8, 49.55), (6.37, 49.46),
    (7.6, 49.08), (8.23, 48.97), (7.8, 48.5), (7.55, 47.6), (7.0, 47.45), (6.5, 47.1), (6.1, 46.45),
    (6.8, 46.4), (7.0, 45.9), (6.65, 45.1), (7.0, 44.85), (6.9, 44.35), (7.5, 43.79), (7.0, 43.55),
    (6.65, 43.2), (5.9, 43.08), (5.05, 43.33), (4.4, 43.45), (3.95, 43.55), (3.05, 43.05),
    (3.17, 42.44), (2.55, 42.35), (1.72, 42.5), (0.7, 42.85), (-0.3, 42.8), (-1.45, 43.28),
    (-1.78, 43.37), (-1.45, 43.9), (-1.25, 44.6), (-1.18, 45.55), (-1.45, 46.2), (-2.15, 46.85),
    (-2.55, 47.3), (-3.2, 47.6), (-4.35, 47.8), (-4.75, 48.05), (-4.78, 48.5), (-4.1, 48.7),
    (-3.55, 48.8), (-2.7, 48.55), (-2.0, 48.65), (-1.55, 48.65), (-1.6, 49.2), (-1.95, 49.72),
    (-1.25, 49.7), (-1.1, 49.38), (-0.2, 49.3), (0.25, 49.45), (1.2, 49.95), (1.6, 50.35),
    (1.6, 50.9),
)
CORSICA = ((9.35, 43.0), (9.48, 42.65), (9.55, 42.1), (9.4, 41.6), (9.15, 41.38), (8.8, 41.55),
           (8.6, 41.9), (8.55, 42.35), (8.75, 42.6), (9.3, 42.7))

SCALE = 20  # drawing units per degree of latitude
# One degree of longitude is shorter than one of latitude: cos(46.5°) at the middle of France.
LONGITUDE_FACTOR = math.cos(math.radians(46.5))
WIDTH = round((METROPOLITAN_FRANCE.east - METROPOLITAN_FRANCE.west) * LONGITUDE_FACTOR * SCALE)
HEIGHT = round((METROPOLITAN_FRANCE.north - METROPOLITAN_FRANCE.south) * SCALE)


def project(longitude, latitude):
    """The drawing's (x, y) of a point: equirectangular, north up, in the metropolitan box."""
    x = (longitude - METROPOLITAN_FRANCE.west) * LONGITUDE_FACTOR * SCALE
    y = (METROPOLITAN_FRANCE.north - latitude) * SCALE
    return round(x, 1), round(y, 1)


def outline_path(points):
    x, y = project(*points[0])
    return f"M{x} {y} " + " ".join("L{} {}".format(*project(*point)) for point in points[1:]) + " Z"


@dataclass(frozen=True)
class Locator:
    """What the template draws: the outline, and the point if it falls in metropolitan France, or
    the name of the overseas part it falls in."""

    width: int
    height: int
    paths: tuple[str, ...]
    point: Optional[tuple[float, float]]
    elsewhere: str


def locator(latitude, longitude):
    """The drawing for this point, or None when there is no point or it is not in France."""
    if latitude is None or longitude is None:
        return None
    box = next((box for box in FRANCE if box.holds(latitude, longitude)), None)
    if box is None:
        return None
    paths = (outline_path(MAINLAND), outline_path(CORSICA))
    if box is METROPOLITAN_FRANCE:
        return Locator(WIDTH, HEIGHT, paths, project(longitude, latitude), "")
    return Locator(WIDTH, HEIGHT, paths, None, box.name)
