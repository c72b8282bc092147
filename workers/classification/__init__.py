"""Keyword classification into the DESIGN category codes (French and English).

A first, thin classifier: each category has a keyword list; the category with most hits
wins. Issue 4 replaces it with lexicons per language, fuzzy matching and negation.
"""
from __future__ import annotations

from dataclasses import dataclass

from workers.text import words

CATEGORIES = ("violent_extremism", "organised_crime", "resource_conflict", "border_security",
              "gender_based_violence", "intercommunal_conflict", "security_forces_conduct",
              "civil_unrest", "other")
LOW_CONFIDENCE = 0.5

KEYWORDS = {
    "violent_extremism": {"jihadiste", "jihadistes", "terroriste", "terroristes", "jnim", "eigs",
                          "extremiste", "extremistes", "jihadist", "jihadists", "terrorist", "terrorists",
                          "ied", "explosif", "kamikaze"},
    "organised_crime": {"trafic", "trafiquant", "trafiquants", "bandits", "drogue", "contrebande",
                        "vol", "betail", "trafficking", "smuggling", "drugs", "cattle", "rustling"},
    "resource_conflict": {"orpaillage", "mine", "mines", "or", "terre", "champ", "champs", "eau",
                          "puits", "paturage", "foncier", "gold", "mining", "land", "water", "pasture"},
    "border_security": {"frontiere", "frontieres", "douane", "border", "customs", "incursion"},
    "gender_based_violence": {"viol", "violee", "excision", "mariage", "force", "femme", "rape",
                              "raped", "forced", "marriage", "domestic", "fgm"},
    "intercommunal_conflict": {"communautes", "communautaire", "intercommunautaire", "dozo", "dozos",
                               "milice", "milices", "ethnic", "communities", "militia"},
    "security_forces_conduct": {"militaires", "soldats", "fama", "police", "gendarmes", "arrestation",
                                "racket", "soldiers", "army", "arrest", "extortion", "checkpoint"},
    "civil_unrest": {"manifestation", "manifestants", "greve", "emeute", "protest", "riot", "strike"},
}
URGENCY_WORDS = {"maintenant", "urgent", "armes", "arme", "tues", "morts", "blesses", "enleve",
                 "enleves", "now", "weapons", "killed", "dead", "wounded", "kidnapped", "abducted"}


@dataclass(frozen=True)
class Classification:
    category: str
    confidence: float
    alternatives: tuple[tuple[str, float], ...]
    urgency: str
    urgency_signals: tuple[str, ...]


def classify(text: str) -> Classification:
    tokens = set(words(text))
    hits = {category: len(tokens & keywords) for category, keywords in KEYWORDS.items()}
    ranked = sorted((item for item in hits.items() if item[1]), key=lambda item: -item[1])
    urgent = bool(tokens & URGENCY_WORDS)
    if not ranked:
        return Classification("other", 0.2, (), "urgent" if urgent else "normal", ())
    total = sum(count for _, count in ranked)
    scored = tuple((category, round(count / total, 2)) for category, count in ranked)
    category, share = scored[0]
    confidence = round(min(0.95, 0.4 + 0.5 * share + 0.05 * ranked[0][1]), 2)
    return Classification(category, confidence, scored[1:], "urgent" if urgent else "normal", ())
