"""Plain value types returned by the place recogniser."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

# Most specific first: output order and "which level wins" both use this rank.
LEVEL_DEPTH = {"region": 1, "district": 1, "cercle": 2, "commune": 3, "quartier": 4, "settlement": 4}


@dataclass(frozen=True)
class Place:
    """One gazetteer entry. Ancestor fields include the place itself when it is of that level
    (a cercle's cercle_pcode is its own pcode), so region/cercle lookups never special-case."""
    name: str
    level: str  # "region" | "district" | "cercle" | "commune" | "quartier" | "settlement"
    pcode: str
    region_pcode: str | None
    cercle_pcode: str | None
    commune_pcode: str | None

    @property
    def depth(self) -> int:
        return LEVEL_DEPTH[self.level]

    @cached_property  # asked for again and again while resolving "Madina" (49 villages)
    def lineage(self) -> tuple[str, ...]:
        """P-codes of this place and the units containing it, widest first."""
        codes = (self.region_pcode, self.cercle_pcode, self.commune_pcode, self.pcode)
        return tuple(dict.fromkeys(code for code in codes if code))

    def within(self, pcode: str) -> bool:
        return pcode in self.lineage


@dataclass(frozen=True)
class PlaceResult:
    places: tuple[Place, ...]  # resolved, most specific first
    ambiguous: tuple[tuple[str, tuple[Place, ...]], ...]  # (name as written, candidates)
