"""Spike detection: an area's last 7 days against its own baseline. Pure.

The measure is the number of distinct people who reported in a category and area in a
7-day window (one person repeating a report counts once). For each (category, area):

  expected = mean of the previous `baseline_weeks` windows, leaving out the highest one
             (a one-off burst weeks ago must not blind the area for two months)
  spread   = max(1, sqrt(expected), 1.4826 × MAD of the baseline)
             (Poisson noise for quiet areas, the observed spread for noisy or seasonal ones)
  spike    ⇔ observed ≥ min_count
             and observed > expected + z × spread
             and reports came on at least `min_days` different days of the 7

It is the EARS-C2 idea (a moving baseline, a z-score) made robust for small counts.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import mean, median
from typing import Iterable, Mapping

from gateway.trends.cells import Cell
from workers.trends.settings import SpikeSettings

MAD_TO_SD = 1.4826       # MAD × this estimates the standard deviation of normal data


@dataclass(frozen=True)
class History:
    current: int                  # distinct reporters in the last 7 days
    baseline: tuple[int, ...]     # the same for the previous 7-day windows, oldest first
    active_days: int              # days of the last 7 with at least one report


@dataclass(frozen=True)
class Baseline:
    expected: float
    spread: float


@dataclass(frozen=True)
class Spike:
    category: str
    area: str                     # region or cercle P-code
    observed: int
    expected: float
    threshold: float


def baseline(counts: Iterable[int]) -> Baseline:
    counts = list(counts)
    if not counts:
        return Baseline(0.0, 1.0)
    kept = sorted(counts)[:-1] if len(counts) > 2 else counts
    expected = mean(kept)
    centre = median(counts)
    mad = median(abs(c - centre) for c in counts) * MAD_TO_SD
    return Baseline(expected, max(1.0, math.sqrt(expected), mad))


def assess(category: str, area: str, history: History, settings: SpikeSettings) -> Spike | None:
    """The spike, if this history is one."""
    if not settings.enabled:
        return None
    base = baseline(history.baseline[-settings.baseline_weeks:])
    threshold = base.expected + settings.z * base.spread
    if (history.current >= settings.min_count and history.current > threshold
            and history.active_days >= settings.min_days):
        return Spike(category, area, history.current, round(base.expected, 2), round(threshold, 2))
    return None


def detect(histories: Mapping[tuple[str, str], History], settings: Mapping[str, SpikeSettings]) -> list[Spike]:
    spikes = (assess(category, area, history, settings[category])
              for (category, area), history in sorted(histories.items()) if category in settings)
    return [spike for spike in spikes if spike is not None]


def areas_of(cell: Cell) -> tuple[str, ...]:
    """The areas a cell counts towards: its region and its cercle."""
    return tuple(p for p in (cell.region_pcode, cell.cercle_pcode) if p)


def histories(window_cells: Iterable[Cell], day_cells: Iterable[Cell], windows: int) -> dict[tuple[str, str], History]:
    """Histories from bucketed counts: `windows` 7-day windows (the last is the current one)
    and the current window's 7 days.

    Reporters are counted distinct per place in the database; one person reporting from two
    communes of a cercle counts twice at cercle level, which errs towards warning.
    """
    counts: dict[tuple[str, str], list[int]] = {}
    for cell in window_cells:
        for area in areas_of(cell):
            counts.setdefault((cell.category, area), [0] * windows)[cell.bucket] += cell.reporters
    days: dict[tuple[str, str], set[int]] = {}
    for cell in day_cells:
        for area in areas_of(cell):
            days.setdefault((cell.category, area), set()).add(cell.bucket)
    return {key: History(series[-1], tuple(series[:-1]), len(days.get(key, ())))
            for key, series in counts.items()}
