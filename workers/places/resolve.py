"""Decide which place each mention means.

A name often has several candidates that are really one place: seen at several levels ("Kayes":
region, cercle, commune and town), or listed twice (a Bamako quartier and the OCHA settlement
of that name in the same commune). Those form one *chain* and need no choice. Different chains
("Madina": 49 villages) are narrowed by the evidence, strongest first:
1. the area the writer placed the name in: "cercle de Y", "Y region", "X (Y)", "X, Y";
2. prominence: region and cercle towns and the notable localities of notable_places.yaml,
   which is what a bare name in a report nearly always means;
3. the other places named in the same message;
4. the reporter's last known area (hint);
5. tier: Bamako quartier > commune seat > village.
What is still open is returned as ambiguous, with its candidates, for the triage desk.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .gazetteer import TIER_MAJOR, NamedPlace
from .model import Place, PlaceResult
from .recogniser import Mention

_MAX_CANDIDATES = 25  # enough for a person to pick from; "Madina" alone has 49
_AREA_DEPTH = 3  # region, cercle, commune: the units a place is said to lie in
_AREA_LEVELS = {"region", "district", "cercle", "commune"}


@dataclass(frozen=True)
class Chain:
    members: tuple[NamedPlace, ...]  # deepest first; among equals the most prominent first

    @property
    def head(self) -> Place:
        return self.members[0].place

    @property
    def tier(self) -> int:
        return min(member.tier for member in self.members)

    @property
    def is_area(self) -> bool:
        return any(member.place.depth <= _AREA_DEPTH for member in self.members)

    @property
    def is_region_or_cercle(self) -> bool:
        return any(member.place.depth <= 2 for member in self.members)

    def at_level(self, level: str | None) -> Place:
        for member in self.members:
            if member.place.level == level:
                return member.place
        return self.head

    def area_around(self, place: Place) -> Place:
        """The narrowest unit of this chain containing `place`: the Douentza of "Boni
        (Douentza)" is the cercle, Boni lying in another commune."""
        return next((m.place for m in self.members
                     if m.place.depth <= _AREA_DEPTH and place.within(m.place.pcode)), self.head)


def build_chains(candidates: tuple[NamedPlace, ...]) -> list[Chain]:
    """Group candidates so that each group is one place and the units that contain it."""
    groups: list[list[NamedPlace]] = []
    for named in sorted(candidates, key=lambda n: (-n.place.depth, n.tier)):
        home = next((g for g in groups if _same_place(g[0].place, named.place)), None)
        if home is None:
            groups.append([named])
        else:
            home.append(named)
    return [Chain(tuple(group)) for group in groups]


def _same_place(head: Place, other: Place) -> bool:
    # Two localities of one name in one commune are, for every purpose here, one place: the
    # quartier and the OCHA settlement of Bamako, or a commune seat and the hamlet beside it.
    return head.within(other.pcode) or (
        head.depth == other.depth == 4 and head.commune_pcode is not None
        and head.commune_pcode == other.commune_pcode)


def resolve(mentions: list[Mention], hint_pcode: str | None) -> PlaceResult:
    chains = [build_chains(m.candidates) for m in mentions]
    chosen: dict[int, Place] = {}
    _narrow_all(mentions, chains, chosen, list)  # names with a single chain need no choice
    _place_in_areas(mentions, chains, chosen)
    _narrow_all(mentions, chains, chosen, _prefer_major)
    for _ in range(2):  # a place resolved by context can in turn resolve another
        context = _context_codes(chosen.values())
        if not _narrow_all(mentions, chains, chosen, lambda c: _by_context(c, context)):
            break
    if hint_pcode:
        hint = _hint_codes(hint_pcode)
        _narrow_all(mentions, chains, chosen, lambda c: _by_context(c, hint))
    _narrow_all(mentions, chains, chosen, _by_tier)
    return _result(mentions, chains, chosen)


def _narrow_all(mentions, chains, chosen, narrow: Callable[[list[Chain]], list[Chain]]) -> bool:
    """Narrow each unresolved mention's chains; True if any mention got down to one."""
    progressed = False
    for i, mention in enumerate(mentions):
        if i in chosen:
            continue
        chains[i] = narrow(chains[i])
        if len(chains[i]) == 1:
            chosen[i] = chains[i][0].at_level(mention.level_hint)
            progressed = True
    return progressed


def _place_in_areas(mentions: list[Mention], chains: list[list[Chain]], chosen) -> None:
    """Step 1: narrow names by the areas the writer placed them in, and name those areas at
    the level meant ("Boni (Douentza, Mopti)": the cercle of Douentza, the region of Mopti)."""
    for area, placed in _area_links(mentions, chains).items():
        chains[area] = _area_chains(chains[area], mentions[area].level_hint)
        if len(chains[area]) != 1:
            continue
        area_chain = chains[area][0]
        codes = _context_codes([area_chain.at_level(mentions[area].level_hint)])
        for i in placed:
            if i not in chosen:
                chains[i] = _by_context(chains[i], codes)
                if len(chains[i]) == 1:
                    chosen[i] = chains[i][0].at_level(mentions[i].level_hint)
        inner = chosen.get(placed[0]) if placed else None
        chosen[area] = (area_chain.at_level(mentions[area].level_hint)
                        if mentions[area].level_hint or inner is None
                        else area_chain.area_around(inner))


def _area_links(mentions: list[Mention], chains: list[list[Chain]]) -> dict[int, tuple[int, ...]]:
    """{mention naming an area: the mentions it places}. A level cue ("cercle de Y",
    "Y region") places every other name of the message; an area in apposition places the name
    just before it and what that one places ("X (Y, Z)": Z places Y and X)."""
    links: dict[int, tuple[int, ...]] = {}
    apposed: set[int] = set()
    for j, mention in enumerate(mentions):
        if mention.level_hint in _AREA_LEVELS:
            links[j] = tuple(i for i in range(len(mentions)) if i != j)
        elif j and _in_apposition(mention, chains[j], chains[j - 1], j - 1 in apposed):
            links[j] = (j - 1, *links.get(j - 1, ()))
            apposed.add(j)
    return links


def _in_apposition(mention: Mention, chains: list[Chain], before: list[Chain],
                   continues: bool) -> bool:
    if mention.joint is None or not any(chain.is_area for chain in chains):
        return False
    if mention.joint == "(" or (mention.joint == "," and continues):  # "X (Y, Z)", "X, Y, Z"
        return True
    # "X, Y" is also how lists are written ("Koro, Bankass et Bandiagara"): after a region or
    # cercle town it is a list, whose items must not pick hamlets inside each other.
    return mention.joint in ("", ",") and not any(c.is_region_or_cercle for c in before)


def _area_chains(chains: list[Chain], level: str | None) -> list[Chain]:
    """The chains of a name used as an area: of the level cued, or at least areas at all."""
    if level:
        fitting = [c for c in chains if any(m.place.level == level for m in c.members)]
    else:
        fitting = [c for c in chains if c.is_area]
    return _prefer_major(fitting or chains)


def _prefer_major(chains: list[Chain]) -> list[Chain]:
    # Someone writing "Bougouni" means the cercle town, not a hamlet of that name elsewhere;
    # someone writing "Farabougou" means the besieged one of Niono.
    major = [chain for chain in chains if chain.tier == TIER_MAJOR]
    return major if major else chains


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
