"""Load the Mali gazetteer (833 admin units), the OCHA settlements (18,769), the operators'
extra variants and the notable localities into a flat list of named places.

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
NOTABLE_FILE = DATA_DIR / "notable_places.yaml"

# Tier = how readily a bare name is believed to be a place, and which namesake it means.
# Region and cercle towns and the notable localities are what reports name most. A Bamako
# neighbourhood (tens of thousands of people) outranks a commune seat or a hamlet of the same
# name, but nothing else named in the message. The 18,000 villages include many names that are
# also ordinary words.
TIER_MAJOR, TIER_URBAN, TIER_LOCAL, TIER_VILLAGE = 0, 1, 2, 3
_CAPITAL_TIER = {"National Capital": TIER_MAJOR, "Admin1 Capital": TIER_MAJOR,
                 "Admin2 Capital": TIER_MAJOR, "Admin3 Capital": TIER_LOCAL}
_LEVEL_TIER = {"region": TIER_MAJOR, "district": TIER_MAJOR, "cercle": TIER_MAJOR,
               "commune": TIER_LOCAL, "quartier": TIER_URBAN}
BAMAKO = "ML09"


@dataclass(frozen=True, eq=False)  # one object per place and name list: identity is equality,
class NamedPlace:                   # and hashing by identity keeps the resolver's memo cheap
    place: Place
    names: tuple[str, ...]  # every spelling that should find this place
    tier: int
    notable: bool = False  # from notable_places.yaml (tier major, but a village all the same)


def load_named_places(include_settlements: bool = True) -> list[NamedPlace]:
    named = [_admin_row(row) for row in _read_csv(ADMIN_FILE) if row["pcode"]]
    if include_settlements:
        named.extend(_settlement_row(row) for row in _read_csv(SETTLEMENT_FILE))
    named = _with_operator_variants(named, VARIANTS_FILE)
    return _with_notable_places(named, NOTABLE_FILE, include_settlements)


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
    # OCHA lists Bamako's neighbourhoods as settlements too: they rank as the quartiers they are.
    village_tier = TIER_URBAN if place.region_pcode == BAMAKO else TIER_VILLAGE
    return NamedPlace(place, _unique(names), _CAPITAL_TIER.get(row["capital_type"], village_tier))


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


def load_notable(path: Path = NOTABLE_FILE) -> dict[str, list[str]]:
    """{pcode: [names]} of notable_places.yaml (entry name first, then its `also` spellings)."""
    entries = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("places") or []
    notable: dict[str, list[str]] = {}
    for entry in entries:
        names = [str(entry["name"]), *(str(name) for name in entry.get("also") or ())]
        notable.setdefault(str(entry["pcode"]), []).extend(names)
    return notable


def _with_notable_places(named: list[NamedPlace], path: Path,
                         include_settlements: bool) -> list[NamedPlace]:
    """Rank notable localities with the cercle towns. A settlement gains the listed spellings;
    a place missing from the settlements file was listed under its commune or cercle, which
    then gets one more entry carrying only those names (so the unit's own names keep their
    tier)."""
    notable = load_notable(path)
    by_pcode = {n.place.pcode: n for n in named if n.place.level != "quartier"}
    missing = [pcode for pcode in notable if pcode not in by_pcode]
    if missing and include_settlements:
        raise ValueError(f"{path.name}: unknown P-codes {missing}")
    result = []
    for n in named:
        names = notable.get(n.place.pcode)
        if names and n.place.level == "settlement":
            n = NamedPlace(n.place, _unique([*n.names, *names]), TIER_MAJOR, notable=True)
        result.append(n)
    result.extend(NamedPlace(by_pcode[pcode].place, _unique(names), TIER_MAJOR, notable=True)
                  for pcode, names in notable.items()
                  if pcode in by_pcode and by_pcode[pcode].place.level != "settlement")
    return result


def _split(field: str) -> list[str]:
    return [part.strip() for part in field.split("|") if part.strip()]


def _unique(names: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(name for name in names if name))
