"""Server-rendered SVG for the trends page: a choropleth of Mali and small bar charts.

No JavaScript and no map tiles: the page works over a slow link and shows nothing to a third
party. Boundaries are projected equirectangularly, with longitudes shrunk by cos(mid-latitude)
(Mali spans 10°N–25°N, so the distortion stays small) — good enough for a choropleth.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from typing import Sequence

from gateway.trends.areas import Ring, Shape

# Class breaks (lower bounds) and a sequential palette (ColorBrewer YlOrRd, 7 classes; 0 is grey).
BREAKS = (1, 3, 6, 11, 21, 41)
PALETTE = ("#efefec", "#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026")


def colour(count: int) -> str:
    return PALETTE[sum(count >= lower for lower in BREAKS)]


def legend_classes() -> list[tuple[str, str]]:
    """(label, colour) for each class: 0, 1–2, 3–5, …, 41+."""
    labels = ["0"] + [f"{low}–{high - 1}" if high - 1 > low else str(low)
                      for low, high in zip(BREAKS, BREAKS[1:])] + [f"{BREAKS[-1]}+"]
    return list(zip(labels, PALETTE))


@dataclass(frozen=True)
class Projection:
    west: float
    north: float
    scale: float          # pixels per degree of latitude
    shrink: float         # cos(mid-latitude): pixels per degree of longitude = scale * shrink
    width: float
    height: float
    margin: float

    @classmethod
    def fit(cls, shapes: Sequence[Shape], width: float, margin: float = 6) -> "Projection":
        points = [point for shape in shapes for ring in shape.rings for point in ring]
        west, east = min(p[0] for p in points), max(p[0] for p in points)
        south, north = min(p[1] for p in points), max(p[1] for p in points)
        shrink = math.cos(math.radians((north + south) / 2))
        scale = (width - 2 * margin) / ((east - west) * shrink)
        return cls(west, north, scale, shrink, width, (north - south) * scale + 2 * margin, margin)

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        return (self.margin + (lon - self.west) * self.shrink * self.scale,
                self.margin + (self.north - lat) * self.scale)


def path_data(rings: Sequence[Ring], project: Projection) -> str:
    parts = []
    for ring in rings:
        xy = [project(lon, lat) for lon, lat in ring]
        parts.append("M" + " ".join(f"{x:.1f},{y:.1f}" for x, y in xy) + "Z")
    return "".join(parts)


def centroid(ring: Ring) -> tuple[float, float]:
    """Area centroid of a polygon ring (shoelace); the mean of its points if it is degenerate."""
    area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1]):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if abs(area) < 1e-12:
        return sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring)
    return cx / (3 * area), cy / (3 * area)


def choropleth(shapes: Sequence[Shape], counts: dict[str, int], names: dict[str, str], *,
               title: str, width: float = 440, labels: bool = False,
               outline: Sequence[Shape] = ()) -> str:
    """An SVG map: each shape filled by its count, a tooltip (<title>) with name and count."""
    project = Projection.fit(shapes, width)
    body = [_area_path(shape, counts.get(shape.pcode, 0), names.get(shape.pcode, shape.pcode), project)
            for shape in shapes]
    body += [f'<path class="outline" d="{path_data(shape.rings, project)}"/>' for shape in outline]
    if labels:
        body += [_label(shape, counts.get(shape.pcode, 0), names.get(shape.pcode, shape.pcode), project)
                 for shape in shapes]
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {project.width:.0f} {project.height:.0f}" '
            f'width="{project.width:.0f}" height="{project.height:.0f}" role="img" class="map">'
            f'<title>{escape(title)}</title>{"".join(body)}</svg>')


def _area_path(shape: Shape, count: int, name: str, project: Projection) -> str:
    return (f'<path class="area" fill="{colour(count)}" fill-rule="evenodd" data-pcode="{escape(shape.pcode)}" '
            f'd="{path_data(shape.rings, project)}"><title>{escape(name)}: {count}</title></path>')


def _label(shape: Shape, count: int, name: str, project: Projection) -> str:
    largest = max(shape.rings, key=len)
    x, y = project(*centroid(largest))
    return (f'<text x="{x:.0f}" y="{y:.0f}" text-anchor="middle" class="label">{escape(name)}'
            f'<tspan x="{x:.0f}" dy="1.1em" class="count">{count}</tspan></text>')


def bar_chart(values: Sequence[int], *, title: str, first_label: str, last_label: str,
              partial_last: bool = True, width: int = 260, height: int = 74) -> str:
    """Weekly bars, oldest first; the current (partial) week drawn lighter."""
    top, bottom, left = 12, 14, 4
    plot_h = height - top - bottom
    peak = max(max(values, default=0), 1)
    step = (width - 2 * left) / max(len(values), 1)
    bars = []
    for index, value in enumerate(values):
        h = plot_h * value / peak
        cls = "bar partial" if partial_last and index == len(values) - 1 else "bar"
        bars.append(f'<rect class="{cls}" x="{left + index * step + 1:.1f}" y="{top + plot_h - h:.1f}" '
                    f'width="{max(step - 2, 1):.1f}" height="{max(h, 0.5):.1f}"><title>{value}</title></rect>')
    axis = (f'<line class="axis" x1="{left}" x2="{width - left}" y1="{top + plot_h}" y2="{top + plot_h}"/>'
            f'<text class="tick" x="{left}" y="{height - 2}">{escape(first_label)}</text>'
            f'<text class="tick" x="{width - left}" y="{height - 2}" text-anchor="end">{escape(last_label)}</text>'
            f'<text class="tick" x="{left}" y="9">max {peak if any(values) else 0}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
            f'height="{height}" role="img" class="chart"><title>{escape(title)}</title>{"".join(bars)}{axis}</svg>')
