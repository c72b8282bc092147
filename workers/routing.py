"""Routing: which forums receive a report. Pure: plain values in, plain values out.

A forum subscribes to categories in areas (P-codes of regions, cercles or communes; an
empty list is all of Mali). P-codes of the 2015 scheme nest by prefix (ML01 ⊃ ML0104 ⊃
ML010401 ⊃ ML010401001), so "place lies in area" is a prefix test.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Subscription:
    forum_id: str
    categories: frozenset[str]
    areas: tuple[str, ...]


@dataclass(frozen=True)
class RoutingDecision:
    forum_ids: tuple[str, ...]
    triage: bool
    reason: str          # subscription | no_match | low_confidence


def place_in_area(pcode: str, area: str) -> bool:
    return pcode.startswith(area)


def matches(subscription: Subscription, category: str, place_pcodes: tuple[str, ...]) -> bool:
    if category not in subscription.categories:
        return False
    if not subscription.areas:
        return True
    return any(place_in_area(pcode, area) for pcode in place_pcodes for area in subscription.areas)


def route(subscriptions: list[Subscription], category: str, place_pcodes: tuple[str, ...],
          confident: bool) -> RoutingDecision:
    """Forums whose subscription matches; the triage desk when none does or we are unsure."""
    forum_ids = tuple(s.forum_id for s in subscriptions if matches(s, category, place_pcodes))
    if not confident:
        return RoutingDecision(forum_ids, triage=True, reason="low_confidence")
    if not forum_ids:
        return RoutingDecision((), triage=True, reason="no_match")
    return RoutingDecision(forum_ids, triage=False, reason="subscription")
