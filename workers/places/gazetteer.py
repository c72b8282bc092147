"""Load the Mali gazetteer (833 admin units), the OCHA settlements (18,769) and the operators'
extra variants into a flat list of named places.

Only the `pcode` column (OCHA COD-AB 2015) is read; `pcode_cod2020` numbers admin2 differently
and must never be mixed in.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import yaml

from workers.classification.text import fold_phrase

from .model import Place

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
ADMIN_FILE = DATA_DIR / "mali_gazetteer.csv"
SETTLEMENT_FILE = DATA_DIR / "mali_settlements_ocha.csv"
VARIANTS_FILE = DATA_DIR / "place_variants.yaml"
STOPWORDS_FILE = DATA_DIR / "place_stopwords.txt"

# Tier = how readily a bare name is believed to be a place. Region and cercle towns are what
# people name most; the 18,000 villages include many names that are also ordinary words.
TIER_MAJOR, TIER_LOCAL, TIER_VILLAGE = 0, 1, 2
_CAPITAL_TIER = {"National Capital": TIER_MAJOR, "Admin1 Capital": TIER_MAJOR,
                 "Admin2 Capital": TIER_MAJOR, "Admin3 Capital": TIER_LOCAL}
_LEVEL_TIER = {"region": TIER_MAJOR, "district": TIER_MAJOR, "cercle": TIER_MAJOR,
               "commune": TIER_LOCAL, "quartier": TIER_LOCAL}


@dataclass(frozen=True)
class NamedPlace:
    place: Place
    names: tuple[str, ...]  # every spelling that should find this place
    tier: int


def load_named_places(include_settlements: bool = True) -> list[NamedPlace]:
    named = [_admin_row(row) for row in _read_csv(ADMIN_FILE) if row["pcode"]]
    if include_settlements:
        named.extend(_settlement_row(row) for row in _read_csv(SETTLEMENT_FILE))
    return _with_operator_variants(named, VARIANTS_FILE)


def load_stopwords(path: Path = STOPWORDS_FILE) -> frozenset[tuple[str, ...]]:
    """Words that are rarely a place (one-word keys) and '>'-lines: phrases that never are."""
    entries: set[tuple[str, ...]] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith(">"):
            entries.add(fold_phrase(line[1:]))
        else:
            entries.update((word,) for word in fold_phrase(line))
    return frozenset(entry for entry in entries if entry)


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _admin_row(row: dict[str, str]) -> NamedPlace:
    pcode, level = row["pcode"], row["level"]
    # 2015 P-codes nest by prefix: ML01 region, ML0101 cercle, ML010101 commune.
    place = Place(name=row["name"], level=level, pcode=pcode, region_pcode=pcode[:4],
                  cercle_pcode=pcode[:6] if len(pcode) >= 6 else None,
                  commune_pcode=pcode[:8] if len(pcode) >= 8 else None)
    names = [row["name"], row["name_ascii"], *_split(row["variants"]),
             *(v for v in _split(row["variants_geonames"]) if _usable_geonames_variant(v))]
    return NamedPlace(place, _unique(names), _LEVEL_TIER[level])


def _settlement_row(row: dict[str, str]) -> NamedPlace:
    place = Place(name=row["name"], level="settlement", pcode=row["pcode"],
                  region_pcode=row["region_pcode"] or None, cercle_pcode=row["cercle_pcode"] or None,
                  commune_pcode=row["commune_pcode"] or None)
    names = [row["name"], row["name_ascii"], row["ref_name"]]
    return NamedPlace(place, _unique(names), _CAPITAL_TIER.get(row["capital_type"], TIER_VILLAGE))


def _usable_geonames_variant(name: str) -> bool:
    # GeoNames mixes in foreign-language exonyms ("Kajesas") and joined forms ("Bamaco - Bamako");
    # keep Latin-script spellings only, and drop forms too short to be safe.
    return len(name) >= 4 and " - " not in name and all(ord(ch) < 0x250 for ch in name)


def _with_operator_variants(named: list[NamedPlace], path: Path) -> list[NamedPlace]:
    """Add the spellings operators listed in place_variants.yaml ({pcode: [names]})."""
    if not path.exists():
        return named
    extra = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    variants = {str(pcode): [str(name) for name in names] for pcode, names in
                (extra.get("variants") or {}).items()}
    return [NamedPlace(n.place, _unique([*n.names, *variants.get(n.place.pcode, ())]), n.tier)
            for n in named]


def _split(field: str) -> list[str]:
    return [part.strip() for part in field.split("|") if part.strip()]


def _unique(names: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(name for name in names if name))
