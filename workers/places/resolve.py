"""Decide which place each mention means.

A name often has several candidates that are really one place: seen at several levels ("Kayes":
region, cercle, commune and town), or listed twice (a Bamako quartier and the OCHA settlement
of that name in the same commune). Those form one *chain* and need no choice. Different chains
("Madina": 49 villages) are narrowed by the evidence, strongest first:
1. the area the writer placed the name in: "cercle de Y", "Y region", "X (Y)", "X, Y";
2. region and cercle towns: "Bougouni" is the town, whoever writes it and whatever else the
   message names;
3. the reporter's last known area (hint): people report what happens around them, so a
   village of their own cercle beats a namesake elsewhere, even a famous one;
4. notable localities (notable_places.yaml): what a bare name in a report nearly always means;
5. the other places named in the same message;
6. tier: Bamako quartier > commune seat > village.
What is still open is returned as ambiguous, with its candidates, for the triage desk.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

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
    def is_town(self) -> bool:
        """A region or cercle, or its chief town (not a notable village)."""
        return any(m.tier == TIER_MAJOR and not m.notable for m in self.members)

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


@lru_cache(maxsize=65536)  # the same names come back message after message
def build_chains(candidates: tuple[NamedPlace, ...]) -> tuple[Chain, ...]:
    """Group candidates so that each group is one place and the units that contain it."""
    groups: list[list[NamedPlace]] = []
    for named in sorted(candidates, key=lambda n: (-n.place.depth, n.tier)):
        home = next((g for g in groups if _same_place(g[0].place, named.place)), None)
        if home is None:
            groups.append([named])
        else:
            home.append(named)
    return tuple(Chain(tuple(group)) for group in groups)


def _same_place(head: Place, other: Place) -> bool:
    # Two localities of one name in one commune are, for every purpose here, one place: the
    # quartier and the OCHA settlement of Bamako, or a commune seat and the hamlet beside it.
    return head.within(other.pcode) or (
        head.depth == other.depth == 4 and head.commune_pcode is not None
        and head.commune_pcode == other.commune_pcode)


def resolve(mentions: list[Mention], hint_pcode: str | None) -> PlaceResult:
    state = _Resolution(mentions, [list(build_chains(m.candidates)) for m in mentions])
    state.narrow_all(list)  # names with a single chain need no choice
    if state.settled() and not any(m.gap is not None or m.level_hint for m in mentions):
        return state.result()  # the common case: one name, with one place
    state.place_in_areas()
    state.narrow_all(_prefer_towns)
    if hint_pcode:
        hint = _hint_codes(hint_pcode)
        state.narrow_all(lambda c: _by_context(c, hint))
    state.narrow_all(_prefer_major)
    for _ in range(2):  # a place resolved by context can in turn resolve another
        context = _context_codes(state.chosen.values())
        if not state.narrow_all(lambda c: _by_context(c, context)):
            break
    state.narrow_all(_by_tier)
    return state.result()


@dataclass
class _Resolution:
    mentions: list[Mention]
    chains: list[list[Chain]]  # per mention, the chains still possible
    chosen: dict[int, Place] = field(default_factory=dict)
    rejected: set[int] = field(default_factory=set)  # none of its places lies where it was put

    def settled(self) -> bool:
        return len(self.chosen) + len(self.rejected) == len(self.mentions)

    def narrow_all(self, narrow: Callable[[list[Chain]], list[Chain]]) -> bool:
        """Narrow each open mention's chains; True if any mention got down to one."""
        progressed = False
        for i in range(len(self.mentions)):
            if i not in self.chosen and i not in self.rejected:
                progressed |= self._narrow(i, narrow)
        return progressed

    def _narrow(self, i: int, narrow: Callable[[list[Chain]], list[Chain]]) -> bool:
        self.chains[i] = narrow(self.chains[i])
        if len(self.chains[i]) == 1:
            self.chosen[i] = self.chains[i][0].at_level(self.mentions[i].level_hint)
        return i in self.chosen

    def place_in_areas(self) -> None:
        """Step 1: narrow names by the areas the writer placed them in, and name those areas
        at the level meant ("Boni (Douentza, Mopti)": the cercle Douentza, the region Mopti).
        A name put in an area where none of its places lies is not guessed ("Kori-Kori,
        cercle de Koro" when the only Kori-Kori known is in Bandiagara)."""
        for area, link in _area_links(self.mentions, self.chains).items():
            level = self.mentions[area].level_hint
            self.chains[area] = _area_chains(self.chains[area], level)
            if len(self.chains[area]) != 1:
                continue
            area_chain = self.chains[area][0]
            codes = _context_codes([area_chain.at_level(level)])
            for i in link.narrows:
                if i in link.holds and not any(_lies_in(c, area_chain) for c in self.chains[i]):
                    self.rejected.add(i)
                    self.chosen.pop(i, None)
                elif i not in self.chosen and i not in self.rejected:
                    self._narrow(i, lambda c: _by_context(c, codes))
            inner = self.chosen.get(link.narrows[0]) if not level else None
            self.chosen[area] = (area_chain.area_around(inner) if inner and not level
                                 else area_chain.at_level(level))

    def result(self) -> PlaceResult:
        chosen = self.chosen
        order = sorted(chosen, key=lambda i: (-chosen[i].depth, i))
        places = tuple(dict.fromkeys(chosen[i] for i in order))
        ambiguous = tuple((m.written, tuple(c.head for c in self.chains[i][:_MAX_CANDIDATES]))
                          for i, m in enumerate(self.mentions) if i not in chosen)
        return PlaceResult(places, ambiguous)


@dataclass(frozen=True)
class _AreaLink:
    narrows: tuple[int, ...]  # the mentions this area narrows
    holds: tuple[int, ...]    # of those, the ones the writer surely put inside it ("X (Y)")


# Words that may stand between a name and the area it is put in: "X, dans le cercle de Y",
# "X in the commune of Y", "X (Y)", "X Y".
_APPOSITION_FILLERS = frozenset("dans le la l les in the of de du d en".split())
_LEVEL_WORDS = frozenset(
    "commune cercle region district circle municipality rurale urbaine".split())


def _area_links(mentions: list[Mention], chains: list[list[Chain]]) -> dict[int, _AreaLink]:
    """{mention naming an area: what it narrows}. A level cue ("cercle de Y", "Y region")
    narrows every other name of the message; an area in apposition narrows the names just
    before it ("X, commune de Y, cercle de Z": Z narrows Y and X), and holds them when the
    writer said so explicitly (a parenthesis or a level word, not a bare comma)."""
    apposed_to: dict[int, tuple[tuple[int, ...], bool]] = {}  # j: (names before, explicit)
    for j in range(1, len(mentions)):
        before, explicit_before = apposed_to.get(j - 1, ((), False))
        kind = _apposition(mentions[j], chains[j - 1], bool(before))
        if kind:
            apposed_to[j] = ((j - 1, *before), kind == _EXPLICIT or explicit_before)
    links: dict[int, _AreaLink] = {}
    for j, mention in enumerate(mentions):
        placed, explicit = apposed_to.get(j, ((), False))
        if not any(c.is_area for c in chains[j]):
            placed = ()
        narrows = (tuple(i for i in range(len(mentions)) if i != j)
                   if mention.level_hint in _AREA_LEVELS else placed)
        if narrows:
            links[j] = _AreaLink(narrows, placed if explicit else ())
    return links


_LOOSE, _EXPLICIT = 1, 2


def _apposition(mention: Mention, before: list[Chain], continues: bool) -> int:
    """0, _LOOSE or _EXPLICIT: how surely this name gives the area of the name before it."""
    gap = set(mention.gap) if mention.gap is not None else None
    if gap is None or not gap <= _APPOSITION_FILLERS | _LEVEL_WORDS:
        return 0
    if not set(mention.joint) <= {",", "("}:
        return 0  # "Boni-Hombori", "Mopti/Sévaré": two places, not one inside the other
    if "(" in mention.joint or gap & _LEVEL_WORDS or mention.level_hint:
        return _EXPLICIT
    if mention.joint == "," and continues:  # "X, Y, Z" after "X, Y"
        return _LOOSE
    # "X, Y" is also how lists are written ("Koro, Bankass et Bandiagara"): after a region or
    # cercle town it is a list, whose items must not pick hamlets inside each other.
    return 0 if any(chain.is_region_or_cercle for chain in before) else _LOOSE


def _lies_in(chain: Chain, area: Chain) -> bool:
    """Loosely: in the same cercle as one of the area's units (a region: the same region), so
    that 'Boni (Hombori)' holds although Boni is in the next commune."""
    place = chain.head
    return any(place.within(m.place.pcode if m.place.depth == 1 else m.place.cercle_pcode or "")
               for m in area.members if m.place.depth <= _AREA_DEPTH)


def _area_chains(chains: list[Chain], level: str | None) -> list[Chain]:
    """The chains of a name used as an area: of the level cued, or at least areas at all."""
    if level:
        fitting = [c for c in chains if any(m.place.level == level for m in c.members)]
    else:
        fitting = [c for c in chains if c.is_area]
    return _prefer_major(fitting or chains)


def _prefer_towns(chains: list[Chain]) -> list[Chain]:
    # Someone writing "Bougouni" means the cercle town, not a hamlet of that name elsewhere.
    towns = [chain for chain in chains if chain.is_town]
    return towns if towns else chains


def _prefer_major(chains: list[Chain]) -> list[Chain]:
    # Towns and notable localities: someone writing "Farabougou" means the besieged one of
    # Niono, not one of the nine villages of that name elsewhere.
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
