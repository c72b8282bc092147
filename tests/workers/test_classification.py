"""Table-driven cases for the classifier: categories, the hard distinctions, negation, urgency."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from workers.classification import CATEGORIES, LOW_CONFIDENCE, Classification, classify
from workers.classification.lexicon import LEXICON_DIR

CATEGORY_CASES = [
    # label, text, expected category
    ("jihadists fr", "les jihadistes ont attaque le village cette nuit", "violent_extremism"),
    ("armed men on motos", "des hommes armes sur des motos ont tire sur les gens au marche",
     "violent_extremism"),
    ("IED", "un engin explosif a saute sous un camion sur la route", "violent_extremism"),
    ("JNIM prose", "JNIM militants attacked a FAMa position, killing 5 soldiers",
     "violent_extremism"),
    ("bambara bush people", "kungo kono mogow ye mogo saba faga", "violent_extremism"),
    ("militia vs fulani", "les dozos ont attaque un hameau peul, 6 morts",
     "intercommunal_conflict"),
    ("dan na ambassagou", "Dan Na Ambassagou fighters burned a Fulani hamlet",
     "intercommunal_conflict"),
    ("two communities", "affrontements entre communautes bambara et peule, des blesses",
     "intercommunal_conflict"),
    ("cattle bandits", "des bandits ont vole 80 boeufs cette nuit", "organised_crime"),
    ("armed cattle theft", "des hommes armes ont emporte tout le troupeau", "organised_crime"),
    ("drugs", "un reseau vend du cannabis et du tramadol aux jeunes", "organised_crime"),
    ("gold site fight", "bagarre entre orpailleurs sur le placer, 2 blesses", "resource_conflict"),
    ("farmers herders", "farmers and herders clashed over a field", "resource_conflict"),
    ("land", "litige foncier entre deux familles pour un champ", "resource_conflict"),
    ("border incursion", "incursion de l armee mauritanienne a la frontiere", "border_security"),
    ("customs", "the border post is closed, customs officers left", "border_security"),
    ("rape", "une fille de 14 ans a ete violee", "gender_based_violence"),
    ("forced marriage", "mariage force d une fille de 13 ans", "gender_based_violence"),
    ("excision bm", "musomanninw bolokoli bena ke sini", "gender_based_violence"),
    ("soldier abuse", "les militaires ont arrete et torture des civils",
     "security_forces_conduct"),
    ("checkpoint racket", "les gendarmes au poste de controle exigent 2000f a chaque moto",
     "security_forces_conduct"),
    ("wagner executions", "Malian forces and Wagner executed 20 civilians",
     "security_forces_conduct"),
    ("accused of terrorism", "les soldats ont tue 3 bergers en les accusant d etre des terroristes",
     "security_forces_conduct"),
    ("protest", "manifestation des jeunes contre les coupures d electricite", "civil_unrest"),
    ("strike", "teachers strike, schools closed", "civil_unrest"),
    ("market is not a march", "les militaires ont fouette des femmes au marche",
     "security_forces_conduct"),
    ("flood", "inondation, plusieurs maisons effondrees", "other"),
    ("greeting", "bonjour", "other"),
]


@pytest.mark.parametrize("label,text,expected", CATEGORY_CASES, ids=[c[0] for c in CATEGORY_CASES])
def test_category(label, text, expected):
    assert classify(text).category == expected


SMS_SPELLING_CASES = [
    ("abbreviations", "attk des terro ds le vlg, bcp de blesses", "violent_extremism"),
    ("typo", "les jihadistess ont attaqe le village", "violent_extremism"),
    ("accents and case", "VIOLÉE PAR UN HOMME DU QUARTIER", "gender_based_violence"),
    ("bambara special letters", "donsow ni fulaw kɛlɛ, mɔgɔ duuru fagara",
     "intercommunal_conflict"),
]


@pytest.mark.parametrize("label,text,expected", SMS_SPELLING_CASES,
                         ids=[c[0] for c in SMS_SPELLING_CASES])
def test_sms_spelling(label, text, expected):
    assert classify(text).category == expected


NEGATION_CASES = [
    ("pas d attaque", "pas d'attaque ici, tout est calme"),
    ("no attack", "no attack this week, everything is calm"),
    ("aucun incident", "aucune attaque signalee ce mois"),
]


@pytest.mark.parametrize("label,text", NEGATION_CASES, ids=[c[0] for c in NEGATION_CASES])
def test_negation_removes_the_category(label, text):
    result = classify(text)
    assert result.category == "other"
    assert result.confidence < LOW_CONFIDENCE


def test_negation_stops_at_but():
    assert "casualties" in classify("pas de blesses mais 2 morts").urgency_signals


URGENCY_CASES = [
    # text, urgency, signals that must be present, signals that must be absent
    ("ils sont encore la, aidez nous", "urgent", {"danger_now"}, set()),
    ("attaque au village, 3 morts", "urgent", {"casualties"}, set()),
    ("the imam was kidnapped last night", "urgent", {"abduction"}, set()),
    ("des hommes armes ont attaque le village", "urgent", {"weapons"}, set()),
    ("trafic d armes vers le nord", "normal", {"weapons"}, set()),
    ("attaque repoussee, pas de blesses", "normal", set(), {"casualties"}),
    ("sisan, an deme!", "urgent", {"danger_now"}, set()),
    ("manifestation pacifique devant la mairie", "normal", set(), {"danger_now"}),
]


@pytest.mark.parametrize("text,urgency,present,absent", URGENCY_CASES)
def test_urgency(text, urgency, present, absent):
    result = classify(text)
    assert result.urgency == urgency
    assert present <= set(result.urgency_signals)
    assert not absent & set(result.urgency_signals)


def test_result_shape():
    result = classify("des bandits ont vole des boeufs, les dozos poursuivent")
    assert isinstance(result, Classification)
    assert result.category in CATEGORIES
    assert 0.0 <= result.confidence <= 1.0
    assert all(c in CATEGORIES and c != result.category for c, _ in result.alternatives)
    assert [p for _, p in result.alternatives] == sorted((p for _, p in result.alternatives),
                                                         reverse=True)


def test_conflicting_evidence_goes_to_triage():
    assert classify("attaque").confidence < LOW_CONFIDENCE
    assert classify("").category == "other"


@pytest.mark.parametrize("path", sorted(Path(LEXICON_DIR).glob("*.yaml")), ids=lambda p: p.name)
def test_lexicon_terms_are_strings(path):
    """YAML reads a bare `no` or `on` as a boolean: every term must stay a string."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for section in ("categories", "tags", "signals"):
        for group in (data.get(section) or {}).values():
            lists = group.values() if isinstance(group, dict) else [group]
            assert all(isinstance(term, str) for terms in lists for term in terms)
    assert all(isinstance(n, str) for n in data.get("negators", []))
    for category in (data.get("categories") or {}):
        assert category in CATEGORIES
