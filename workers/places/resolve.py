"""Decide which place each mention means.

A name often has several candidates that are really one place seen at several levels ("Kayes":
region, cercle, commune and town): those form one *chain* and need no choice. Different chains
("Madina": 49 villages) are narrowed, in order, by: region/cercle prominence, the other places
named in the same message, the reporter's last known area (hint), then commune over village.
What is still open is returned as ambiguous, with its candidates, for the triage desk.
"""
from __future__ import annotations

from dataclasses import dataclass

from .gazetteer import TIER_MAJOR, NamedPlace
from .model import Place, PlaceResult
from .recogniser import Mention

_MAX_CANDIDATES = 25  # enough for a person to pick from; "Madina" alone has 49


@dataclass(frozen=True)
class Chain:
    members: tuple[NamedPlace, ...]  # deepest first

    @property
    def head(self) -> Place:
        return self.members[0].place

    @property
    def tier(self) -> int:
        return min(member.tier for member in self.members)

    def at_level(self, level: str | None) -> Place:
        for member in self.members:
            if member.place.level == level:
                return member.place
        return self.head


def build_chains(candidates: tuple[NamedPlace, ...]) -> list[Chain]:
    """Group candidates so that each group is one place and the units that contain it."""
    groups: list[list[NamedPlace]] = []
    for named in sorted(candidates, key=lambda n: -n.place.depth):
        home = next((g for g in groups if g[0].place.within(named.place.pcode)), None)
        if home is None:
            groups.append([named])
        else:
            home.append(named)
    return [Chain(tuple(group)) for group in groups]


def resolve(mentions: list[Mention], hint_pcode: str | None) -> PlaceResult:
    chains = [_prefer_major(build_chains(m.candidates)) for m in mentions]
    chosen: dict[int, Place] = {}
    _settle_unique(mentions, chains, chosen)
    for _ in range(2):  # a place resolved by context can in turn resolve another
        context = _context_codes(chosen.values())
        if not _narrow_all(mentions, chains, chosen, context):
            break
    if hint_pcode:
        _narrow_all(mentions, chains, chosen, _hint_codes(hint_pcode))
    _narrow_all(mentions, chains, chosen, None)
    return _result(mentions, chains, chosen)


def _prefer_major(chains: list[Chain]) -> list[Chain]:
    # Someone writing "Bougouni" means the cercle town, not a hamlet of that name elsewhere.
    major = [chain for chain in chains if chain.tier == TIER_MAJOR]
    return major if major else chains


def _settle_unique(mentions, chains, chosen) -> None:
    for i, mention in enumerate(mentions):
        if len(chains[i]) == 1:
            chosen[i] = chains[i][0].at_level(mention.level_hint)


def _narrow_all(mentions, chains, chosen, context: dict[str, int] | None) -> bool:
    """Narrow each unresolved mention; context None means 'by tier'. True if any resolved."""
    progressed = False
    for i, mention in enumerate(mentions):
        if i in chosen:
            continue
        narrowed = _by_tier(chains[i]) if context is None else _by_context(chains[i], context)
        chains[i] = narrowed
        if len(narrowed) == 1:
            chosen[i] = narrowed[0].at_level(mention.level_hint)
            progressed = True
    return progressed


def _by_context(chains: list[Chain], context: dict[str, int]) -> list[Chain]:
    """Keep the chains lying deepest inside an area named elsewhere (commune > cercle > region)."""
    def closeness(chain: Chain) -> int:
        return max((context.get(code, 0) for code in chain.head.lineage), default=0)
    best = max(closeness(chain) for chain in chains)
    return [chain for chain in chains if closeness(chain) == best] if best else chains


def _by_tier(chains: list[Chain]) -> list[Chain]:
    best = min(chain.tier for chain in chains)
    return [chain for chain in chains if chain.tier == best]


def _context_codes(places) -> dict[str, int]:
    """Each area containing an already resolved place, weighted by how narrow it is."""
    codes: dict[str, int] = {}
    for place in places:
        for code in place.lineage:
            codes[code] = max(codes.get(code, 0), len(code))
    return codes


def _hint_codes(hint_pcode: str) -> dict[str, int]:
    # A commune hint ML010101 also vouches for its cercle ML0101 and region ML01.
    return {hint_pcode[:length]: length for length in (4, 6, 8, 11) if len(hint_pcode) >= length}


def _result(mentions, chains, chosen) -> PlaceResult:
    order = sorted(chosen, key=lambda i: (-chosen[i].depth, i))
    places = tuple(dict.fromkeys(chosen[i] for i in order))
    ambiguous = tuple((m.written, tuple(c.head for c in chains[i][:_MAX_CANDIDATES]))
                      for i, m in enumerate(mentions) if i not in chosen)
    return PlaceResult(places, ambiguous)
