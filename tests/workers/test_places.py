"""Table-driven cases for place recognition: variants, cues, ambiguity, false positives."""
from __future__ import annotations

import pytest

from workers.places import Place, PlaceResult, default_gazetteer, recognise_places

FOUND_CASES = [
    # label, text, hint, expected (region, cercle) of the most specific place
    ("cercle town lower case", "attaque a douentza ce matin", None, ("ML05", "ML0506")),
    ("accents", "des tirs à Ségou", None, ("ML04", "ML0402")),
    ("no accents", "des tirs a Segou", None, ("ML04", "ML0402")),
    ("geonames exonym", "gunfire in Timbuktu", None, ("ML06", "ML0601")),
    ("one typo on an admin name", "attaque a tombouctu", None, ("ML06", "ML0601")),
    ("phonetic variant", "hommes armes vers djene", None, ("ML05", "ML0505")),
    ("operator variant", "the army camp at Boulkessi", None, ("ML05", "ML0506")),
    ("pres de", "vol de betail pres de Nampala", None, ("ML04", "ML0405")),
    ("near", "an IED exploded near Hombori", None, ("ML05", "ML0506")),
    ("bambara post-cue", "u ye misiw ta Diabaly la", None, ("ML04", "ML0405")),
    ("bamako quartier", "femme battue a Boulkassoumbougou", None, ("ML09", "ML0901")),
    ("multi-word settlement", "attaque a Bourem Sidi Amar", None, ("ML06", "ML0602")),
    ("commune with apostrophe", "vol a N'Golobougou hier", "ML0203", ("ML02", "ML0203")),
    ("village resolved by co-mentioned cercle", "Boni, cercle de Bandiagara", None,
     ("ML05", "ML0502")),
    ("major town beats a hamlet", "attaque a Boni", None, ("ML05", "ML0506")),
    ("hint picks among namesakes", "vol de boeufs a Sokolo", "ML0502", ("ML05", "ML0502")),
]


@pytest.mark.parametrize("label,text,hint,expected", FOUND_CASES, ids=[c[0] for c in FOUND_CASES])
def test_place_found(label, text, hint, expected):
    result = recognise_places(text, hint)
    assert result.places, result
    region, cercle = expected
    assert result.places[0].region_pcode == region
    if cercle:
        assert result.places[0].cercle_pcode == cercle


def test_region_hint_narrows_namesakes_to_that_region():
    result = recognise_places("vol de boeufs a Sokolo", "ML03")
    (_, candidates), = result.ambiguous  # two Sokolo in Sikasso region, six in all of Mali
    assert {c.region_pcode for c in candidates} == {"ML03"}


def test_level_cue_returns_the_region():
    place = recognise_places("insecurite dans la region de Kayes").places[0]
    assert (place.level, place.pcode) == ("region", "ML01")


def test_most_specific_first():
    result = recognise_places("attaque a Boni (Douentza, Mopti)")
    assert [p.name for p in result.places][:1] == ["Boni"]
    assert [p.depth for p in result.places] == sorted((p.depth for p in result.places),
                                                      reverse=True)


def test_shared_name_without_context_is_ambiguous():
    result = recognise_places("vol de betail a Farabougou")
    assert not result.places
    (written, candidates), = result.ambiguous
    assert written == "Farabougou"
    assert len({c.cercle_pcode for c in candidates}) > 1
    assert all(isinstance(c, Place) for c in candidates)


NOT_A_PLACE_CASES = [
    # Each text contains words that are also village names somewhere in Mali.
    ("french words", "Dans le village il y a de la peur, c'est-à-dire que les gens fuient"),
    ("bambara kill", "u ye a faga, a fanga la"),
    ("FAMa is the army", "JNIM attacked a FAMa post"),
    ("katiba macina is a group", "les jihadistes de la katiba Macina recrutent"),
    ("english words", "One of the men said the army came at night"),
    ("bla bla", "bla bla bla"),
    ("lower-case short village without cue", "kolo"),
]


@pytest.mark.parametrize("label,text", NOT_A_PLACE_CASES, ids=[c[0] for c in NOT_A_PLACE_CASES])
def test_common_words_are_not_places(label, text):
    assert recognise_places(text) == PlaceResult((), ())


def test_capital_and_cue_rescue_a_stop_word():
    assert recognise_places("attaque à Diré").places[0].cercle_pcode == "ML0602"
    assert recognise_places("c'est a dire").places == ()


def test_pcodes_are_the_2015_scheme():
    kenieba = recognise_places("orpaillage a Kenieba").places[0]
    assert kenieba.cercle_pcode == "ML0104"  # ML0104 in 2015; the 2020 edition numbers differ


def test_gazetteer_is_loaded_once():
    assert default_gazetteer() is default_gazetteer()
    assert default_gazetteer().size > 18_769
