"""Recognise Mali place names in report text and resolve them to 2015 OCHA P-codes.

    >>> recognise_places("attaque pres de Boni ce matin").places[0].cercle_pcode
    'ML0506'
"""
from __future__ import annotations

import gc
from dataclasses import dataclass
from functools import lru_cache

from .gazetteer import load_named_places, load_stopwords
from .index import PlaceIndex
from .model import Place, PlaceResult
from .recogniser import find_mentions, phrase_markers
from .resolve import resolve

__all__ = ["Gazetteer", "Place", "PlaceResult", "default_gazetteer", "recognise_places"]


@dataclass(frozen=True)
class Gazetteer:
    index: PlaceIndex
    stop: frozenset[tuple[str, ...]]
    size: int  # number of named places indexed

    @classmethod
    def load(cls, include_settlements: bool = True) -> Gazetteer:
        named = load_named_places(include_settlements)
        stop = load_stopwords() | _classifier_vocabulary()
        gazetteer = cls(PlaceIndex.build(named), stop | phrase_markers(stop), len(named))
        # The index is ~100k long-lived objects; without this every full garbage collection
        # walks them all, which made recognition several times slower with settlements loaded.
        gc.freeze()
        return gazetteer

    def recognise(self, text: str, hint_pcode: str | None = None) -> PlaceResult:
        return resolve(find_mentions(text, self.index, self.stop), hint_pcode)


def _classifier_vocabulary() -> frozenset[tuple[str, ...]]:
    # Words the classifier knows ("attaque", "faga" = kill) are report words, not villages.
    from workers.classification.lexicon import single_words
    return frozenset((word,) for word in single_words())


@lru_cache(maxsize=1)
def default_gazetteer() -> Gazetteer:
    """All admin units and settlements, loaded once per process (about a second)."""
    return Gazetteer.load(include_settlements=True)


def recognise_places(text: str, hint_pcode: str | None = None) -> PlaceResult:
    """Places named in `text`, most specific first; hint_pcode = the reporter's last known area."""
    return default_gazetteer().recognise(text, hint_pcode)
