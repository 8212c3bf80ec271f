"""The flow map's basemap and its label placement.

The basemap is Natural Earth's 1:110m countries (public domain), shipped in the package as the
TopoJSON of world-atlas 2.0.2 (``data/countries-110m.json``, ~105 kB; see ``data/README.md``):
land is filled from the country polygons, and every shared arc is drawn once, which draws the
coastlines and the borders between countries. Nothing is fetched at run time.

Labels are placed greedily (most important first): each tries offsets around its point, nearest
first, and takes the first whose box overlaps no label or marker already placed, measured by
matplotlib's own renderer; a label with no free place takes the least-overlapping one and a
leader line. adjustText does the same iteratively but brings SciPy for a dozen labels.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.text import Annotation
from matplotlib.transforms import Bbox

_LAND = "#efebe4"
_SEA = "#dbe8f1"
_LINES = "#9c958a"


@dataclass(frozen=True, slots=True)
class World:
    arcs: tuple[np.ndarray, ...]  # each (n, 2): lon, lat
    rings: tuple[np.ndarray, ...]  # exterior and hole rings of every country polygon


def _ring(arcs: Sequence[np.ndarray], indices: Sequence[int]) -> np.ndarray:
    parts = []
    for i, index in enumerate(indices):
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        parts.append(arc if i == 0 else arc[1:])
    return np.concatenate(parts)


@functools.cache
def world() -> World:
    """Decode the shipped TopoJSON (quantized, delta-encoded arcs) once per process."""
    text = resources.files("routing.whatif").joinpath("data/countries-110m.json").read_text()
    topo = json.loads(text)
    scale = np.asarray(topo["transform"]["scale"], dtype=float)
    translate = np.asarray(topo["transform"]["translate"], dtype=float)
    arcs = tuple(
        np.cumsum(np.asarray(a, dtype=float), axis=0) * scale + translate for a in topo["arcs"]
    )
    rings: list[np.ndarray] = []
    for geometry in topo["objects"]["countries"]["geometries"]:
        polygons = {"Polygon": [geometry.get("arcs", [])], "MultiPolygon": geometry.get("arcs", [])}
        for polygon in polygons.get(geometry["type"], []):
            rings.extend(_ring(arcs, ring) for ring in polygon)
    return World(_wrapped(arcs), _wrapped(rings))


def _wrapped(shapes: Sequence[np.ndarray]) -> tuple[np.ndarray, ...]:
    """Shapes that cross the antimeridian (Russia, Fiji) unwrapped to run on past 180 degrees,
    plus a copy 360 degrees west, so none draws a line across the whole map."""
    out: list[np.ndarray] = []
    for shape in shapes:
        if np.abs(np.diff(shape[:, 0])).max(initial=0.0) <= 180:
            out.append(shape)
            continue
        lon = np.unwrap(shape[:, 0], period=360.0)
        lon = lon - 360.0 * np.floor((lon.min() + 180.0) / 360.0)
        unwrapped = np.column_stack([lon, shape[:, 1]])
        out.extend([unwrapped, unwrapped - [360.0, 0.0]])
    return tuple(out)


def draw(ax: Axes, box: tuple[float, float, float, float]) -> None:
    """Sea, land, coastlines and borders under everything else on ``ax`` (lon/lat axes), only
    the shapes that reach into ``box`` (lon0, lon1, lat0, lat1): the SVG stays small."""
    w = world()
    rings = [r for r in w.rings if _touches(r, box)]
    arcs = [a for a in w.arcs if _touches(a, box)]
    ax.set_facecolor(_SEA)
    # rasterized in the SVG (an embedded image at the figure's dpi): the outlines as vectors
    # would be most of the report's bytes and drawing time for a background
    land = PolyCollection(rings, facecolors=_LAND, edgecolors="none", zorder=0, rasterized=True)
    lines = LineCollection(arcs, colors=_LINES, linewidths=0.5, zorder=0.5, rasterized=True)
    ax.add_collection(land)
    ax.add_collection(lines)


def _touches(shape: np.ndarray, box: tuple[float, float, float, float]) -> bool:
    lo, hi = shape.min(axis=0), shape.max(axis=0)
    return bool(lo[0] <= box[1] and hi[0] >= box[0] and lo[1] <= box[3] and hi[1] >= box[2])


@dataclass(frozen=True, slots=True)
class Label:
    text: str
    x: float  # data coordinates of the point labelled
    y: float
    color: str = "#222"
    weight: str = "normal"
    size: float = 7.5


_OFFSETS: list[tuple[float, float]] = [
    (dx * r, dy * r)
    for r in (5, 11, 18)
    for dx, dy in ((1, 0.4), (1, -1.3), (-1, 0.4), (-1, -1.3), (0, 1), (0, -2.0), (1, 1), (-1, 1))
]


def place(ax: Axes, labels: Sequence[Label], markers: Sequence[tuple[float, float]]) -> None:
    """Annotate ``labels`` (most important first) where they overlap no other label, no marker
    and stay inside the axes; see the module docstring."""
    fig = ax.figure
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    frame = ax.get_window_extent(renderer)
    taken: list[Bbox] = []
    for x, y in markers:
        px, py = ax.transData.transform((x, y))
        taken.append(Bbox.from_extents(px - 4, py - 4, px + 4, py + 4))
    for label in labels:
        best: tuple[tuple[bool, float], float, float, Bbox] | None = None
        for dx, dy in _OFFSETS:
            probe = _annotate(ax, label, dx, dy, leader=False)
            box = probe.get_window_extent(renderer).expanded(1.06, 1.1)
            probe.remove()
            inside = frame.contains(box.x0, box.y0) and frame.contains(box.x1, box.y1)
            score = (not inside, sum(_area(box, t) for t in taken))
            if best is None or score < best[0]:
                best = (score, dx, dy, box)
            if score == (False, 0.0):
                break
        assert best is not None
        _, dx, dy, box = best
        _annotate(ax, label, dx, dy, leader=max(abs(dx), abs(dy)) > 8)
        taken.append(box)


def _annotate(ax: Axes, label: Label, dx: float, dy: float, *, leader: bool) -> Annotation:
    return ax.annotate(
        label.text,
        (label.x, label.y),
        xytext=(dx, dy),
        textcoords="offset points",
        ha="left" if dx > 0 else "right" if dx < 0 else "center",
        va="bottom" if dy > 0 else "top" if dy < 0 else "center",
        fontsize=label.size,
        color=label.color,
        fontweight=label.weight,
        zorder=5,
        # a pale box keeps a label readable over flow lines (a stroke halo would double the
        # glyphs' bytes in the SVG)
        bbox={
            "boxstyle": "square,pad=0.08",
            "facecolor": "white",
            "edgecolor": "none",
            "alpha": 0.7,
        },
        arrowprops={"arrowstyle": "-", "color": "#777", "linewidth": 0.5} if leader else None,
    )


def _area(a: Bbox, b: Bbox) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return w * h if w > 0 and h > 0 else 0.0
