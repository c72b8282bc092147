"""Settings for spike detection and the digest schedule, read from settings.yaml (data, not code)."""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import yaml

from gateway.categories import CATEGORIES
from gateway.errors import ConfigError
from gateway.trends.disclosure import SMALLEST_SHOWN

SETTINGS_FILE = Path(__file__).resolve().parent / "settings.yaml"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class SpikeSettings:
    enabled: bool = True
    baseline_weeks: int = 8
    z: float = 3.0
    min_count: int = 5
    min_days: int = 2


@dataclass(frozen=True)
class Schedule:
    check_every_minutes: int = 60
    digest_weekday: int = 0          # Monday
    digest_hour_utc: int = 7


@dataclass(frozen=True)
class TrendSettings:
    schedule: Schedule
    spikes: dict[str, SpikeSettings]     # every category has an entry

    @property
    def longest_baseline(self) -> int:
        return max(s.baseline_weeks for s in self.spikes.values())


@lru_cache(maxsize=1)
def load_settings(path: Path = SETTINGS_FILE) -> TrendSettings:
    return parse_settings(yaml.safe_load(path.read_text(encoding="utf-8")) or {})


def parse_settings(data: dict) -> TrendSettings:
    spikes = data.get("spikes") or {}
    defaults = _spike_settings(SpikeSettings(), spikes.get("defaults") or {}, "defaults")
    overrides = spikes.get("categories") or {}
    unknown = set(overrides) - set(CATEGORIES)
    if unknown:
        raise ConfigError(f"trend settings: unknown categories {sorted(unknown)}")
    per_category = {c: _spike_settings(defaults, overrides.get(c) or {}, c) for c in CATEGORIES}
    return TrendSettings(_schedule(data.get("schedule") or {}), per_category)


def _spike_settings(base: SpikeSettings, values: dict, where: str) -> SpikeSettings:
    unknown = set(values) - set(SpikeSettings.__dataclass_fields__)
    if unknown:
        raise ConfigError(f"trend settings ({where}): unknown keys {sorted(unknown)}")
    settings = replace(base, **values)
    problems = [text for text, bad in (
        (f"min_count must be at least {SMALLEST_SHOWN}", settings.min_count < SMALLEST_SHOWN),
        ("baseline_weeks must be at least 2", settings.baseline_weeks < 2),
        ("z must be positive", settings.z <= 0),
        ("min_days must be 1 to 7", not 1 <= settings.min_days <= 7)) if bad]
    if problems:
        raise ConfigError(f"trend settings ({where}): " + "; ".join(problems))
    return settings


def _schedule(values: dict) -> Schedule:
    weekday = str(values.get("digest_weekday", "monday")).lower()
    if weekday not in WEEKDAYS:
        raise ConfigError(f"trend settings: digest_weekday must be one of {', '.join(WEEKDAYS)}")
    schedule = Schedule(int(values.get("check_every_minutes", 60)), WEEKDAYS.index(weekday),
                        int(values.get("digest_hour_utc", 7)))
    if schedule.check_every_minutes < 1 or not 0 <= schedule.digest_hour_utc <= 23:
        raise ConfigError("trend settings: check_every_minutes >= 1 and digest_hour_utc 0-23")
    return schedule
