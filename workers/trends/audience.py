"""Who hears about a spike, and which coordinators of a forum get trend messages. Pure.

A forum or working group hears about a spike in a category it subscribes to when the spike's
area and the forum's areas overlap (one contains the other; no areas = all of Mali): a forum
of one commune hears about its cercle rising, a region's working group about any of its
cercles. When both a cercle and its region rise, a forum that hears about the cercle is not
told about the region too: the cercle is the more useful news and one rise is one message.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from workers.routing import place_in_area
from workers.trends.spikes import Spike

TOLD_KINDS = ("forum", "working_group")     # the triage desk sees trends on the staff page instead


@dataclass(frozen=True)
class Audience:
    forum_id: str
    kind: str
    language: str
    categories: frozenset[str]
    areas: tuple[str, ...]


def overlaps(area: str, forum_areas: Sequence[str]) -> bool:
    return not forum_areas or any(place_in_area(area, a) or place_in_area(a, area) for a in forum_areas)


def hears(audience: Audience, spike: Spike) -> bool:
    return (audience.kind in TOLD_KINDS and spike.category in audience.categories
            and overlaps(spike.area, audience.areas))


def plan_warnings(spikes: Sequence[Spike], audiences: Iterable[Audience]) -> dict[str, list[Spike]]:
    """forum id -> the spikes it is told about (most specific area only)."""
    plan = {}
    for audience in audiences:
        heard = [spike for spike in spikes if hears(audience, spike)]
        heard = [spike for spike in heard if not _covered_by_a_cercle(spike, heard)]
        if heard:
            plan[audience.forum_id] = heard
    return plan


def _covered_by_a_cercle(spike: Spike, heard: list[Spike]) -> bool:
    return any(other.category == spike.category and other.area != spike.area
               and place_in_area(other.area, spike.area) for other in heard)


def recipients(coordinators: Sequence) -> list:
    """Primary coordinators; the backups only when a forum has no primary left."""
    primaries = [c for c in coordinators if not c.backup]
    return primaries or list(coordinators)
