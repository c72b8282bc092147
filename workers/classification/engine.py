"""Score a message against the lexicons and turn the scores into a Classification."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

from .lexicon import SIGNALS, Combination, load_lexicon
from .matcher import Match, Matcher
from .text import tokenize

CATEGORIES = ("violent_extremism", "organised_crime", "resource_conflict", "border_security",
              "gender_based_violence", "intercommunal_conflict", "security_forces_conduct",
              "civil_unrest", "other")
LOW_CONFIDENCE = 0.5
# Evidence mass that any category might have had: one weak cue alone stays below LOW_CONFIDENCE.
_PRIOR_MASS = 2.0
_NO_EVIDENCE_CONFIDENCE = 0.2
_MIN_ALTERNATIVE = 0.05
# Weapons alone (an arms-trafficking tip) are not an emergency; with these categories they are.
_ARMED_VIOLENCE = {"violent_extremism", "intercommunal_conflict", "security_forces_conduct"}


@dataclass(frozen=True)
class Classification:
    category: str
    confidence: float
    alternatives: tuple[tuple[str, float], ...]
    urgency: str
    urgency_signals: tuple[str, ...]


@dataclass
class Evidence:
    scores: defaultdict[str, float]
    tags: defaultdict[str, set[tuple[str, ...]]]  # tag -> distinct terms that matched it
    signals: set[str]


@lru_cache(maxsize=1)
def default_matcher() -> Matcher:
    return Matcher(load_lexicon())


def classify(text: str) -> Classification:
    matcher = default_matcher()
    words = matcher.expand([token.folded for token in tokenize(text)])
    evidence = collect_evidence(words, matcher.find(words))
    _apply_combinations(evidence, matcher.lexicon.combinations)
    category, confidence, alternatives = _decide(evidence.scores)
    signals = tuple(s for s in SIGNALS if s in evidence.signals)
    return Classification(category, confidence, alternatives, _urgency(category, signals), signals)


def collect_evidence(words: list[str], matches: list[Match]) -> Evidence:
    evidence = Evidence(defaultdict(float), defaultdict(set), set())
    for match in matches:
        if match.negated:  # "pas d'attaque", "no one was hurt": the term says the opposite
            continue
        term = tuple(words[match.start:match.end])
        for payload in match.payloads:
            if payload.kind == "category":
                evidence.scores[payload.name] += payload.weight
            elif payload.kind == "tag":
                evidence.tags[payload.name].add(term)
            else:
                evidence.signals.add(payload.name)
    return evidence


def _apply_combinations(evidence: Evidence, combinations: list[Combination]) -> None:
    if not evidence.tags:
        return
    counts = {tag: len(terms) for tag, terms in evidence.tags.items()}
    for combination in combinations:
        if combination.all_of[0][0] in counts and _satisfied(combination, counts):
            evidence.scores[combination.category] += combination.weight


def _satisfied(combination: Combination, counts: dict[str, int]) -> bool:
    for tag, needed in combination.all_of:
        if counts.get(tag, 0) < needed:
            return False
    for tag in combination.none_of:
        if tag in counts:
            return False
    return True


def _decide(scores: dict[str, float]) -> tuple[str, float, tuple[tuple[str, float], ...]]:
    ranked = sorted(((s, c) for c, s in scores.items() if s > 0), key=lambda sc: (-sc[0], sc[1]))
    if not ranked:
        return "other", _NO_EVIDENCE_CONFIDENCE, ()
    total = sum(score for score, _ in ranked) + _PRIOR_MASS
    top_score, top = ranked[0]
    alternatives = tuple((category, round(score / total, 3)) for score, category in ranked[1:]
                         if score / total >= _MIN_ALTERNATIVE)
    return top, round(top_score / total, 3), alternatives[:3]


def _urgency(category: str, signals: tuple[str, ...]) -> str:
    pressing = {"danger_now", "casualties", "abduction"} & set(signals)
    armed = "weapons" in signals and category in _ARMED_VIOLENCE
    return "urgent" if pressing or armed else "normal"
