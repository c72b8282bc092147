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
    ("hint picks among namesakes", "vol de boeufs a Doura", "ML0502", ("ML05", "ML0502")),
    ("a cercle town beats the hint", "vol de boeufs a Bougouni", "ML0203", ("ML03", "ML0306")),
    ("commune seat beats a hamlet", "vol de boeufs a Doura", None, ("ML04", "ML0402")),
    # Notable localities (notable_places.yaml): the one in the news among namesakes.
    ("notable among 10 namesakes", "le JNIM assiege Farabougou", None, ("ML04", "ML0405")),
    ("notable border post", "pas de controle au poste de Heremakono", None, ("ML03", "ML0307")),
    ("notable lower case without cue", "ils ont attaque boni ce matin", None, ("ML05", "ML0506")),
    ("notable missing from OCHA: its commune", "orpaillage a Intahaka", None, ("ML07", "ML0701")),
    ("notable stop word with capital and cue", "attaque du camp de Dioura", None,
     ("ML05", "ML0508")),
    ("Bambara motion verb as cue", "jihadistes nana Dioura su fe", None, ("ML05", "ML0508")),
    ("apostrophe name, capital after N'", "u ye misiw ta N'Doukala", None, ("ML04", "ML0405")),
    # The area the writer places a name in outranks prominence.
    ("parenthesis", "attaque a Boni (Bandiagara)", None, ("ML05", "ML0502")),
    ("comma apposition", "des tirs a Boni, Bandiagara", None, ("ML05", "ML0502")),
    ("english post-level cue", "Gunmen attacked Boni in Bandiagara cercle", None,
     ("ML05", "ML0502")),
    ("commune of", "near the village of Farabougou in the commune of Massantola", None,
     ("ML02", "ML0206")),
    ("co-mentioned town does not beat a notable", "ils sont partis a Boni depuis Bandiagara", None,
     ("ML05", "ML0506")),
    ("distance and bearing cue", "un engin explosif a 15 km au nord de Sanankoroba", None,
     ("ML02", "ML0205")),
    # Bamako neighbourhoods: above commune seats and hamlets, below anything else named.
    ("quartier alone beats a commune seat", "tirs pres de Senou", None, ("ML09", "ML0901")),
    ("hint beats a quartier", "tirs pres de Senou", "ML0203", ("ML02", "ML0203")),
    ("named area beats a quartier", "des champs devastes a Lafiabougou, cercle de San", None,
     ("ML04", "ML0404")),
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
    result = recognise_places("vol de boeufs a Madoubougou", "ML03")
    (_, candidates), = result.ambiguous  # four in Sikasso region, fourteen in all of Mali
    assert {c.region_pcode for c in candidates} == {"ML03"} and len(candidates) > 1


def test_hint_beats_a_notable_village():
    # Markala of the Ségou dam is notable; the reporter's cercle has two villages of the name.
    result = recognise_places("mariage force a Markala", "ML0206")
    (_, candidates), = result.ambiguous
    assert {c.cercle_pcode for c in candidates} == {"ML0206"}


def test_level_cue_after_the_name_returns_the_region():
    place = recognise_places("Clashes in the Mopti region left five dead").places[0]
    assert (place.level, place.pcode) == ("region", "ML05")


def test_areas_in_apposition_are_named_at_the_level_meant():
    result = recognise_places("JNIM attacked a FAMa post in Boni (Douentza, Mopti)")
    assert [(p.name, p.level) for p in result.places] == [
        ("Boni", "settlement"), ("Douentza", "cercle"), ("Mopti", "region")]


def test_a_list_of_towns_is_not_an_apposition():
    result = recognise_places("A Koro, Bankass et Bandiagara, les ecoles sont fermees")
    assert [p.cercle_pcode for p in result.places] == ["ML0507", "ML0503", "ML0502"]


def test_a_bare_comma_narrows_but_never_drops_a_name():
    # Gossi (Gourma-Rharous) holds no Boni: a list of places, not an area for Boni.
    result = recognise_places("Des attaques a Boni, Gossi et Hombori")
    assert [p.cercle_pcode for p in result.places] == ["ML0506", "ML0604", "ML0506"]


def test_level_word_of_the_next_name_is_not_a_cue_after_this_one():
    # "Boni, cercle de Bandiagara": "cercle" belongs to Bandiagara, Boni stays a village.
    boni, bandiagara = recognise_places("attaque a Boni, cercle de Bandiagara").places
    assert (boni.level, bandiagara.level) == ("settlement", "cercle")


def test_name_put_in_an_area_where_it_is_not_known_is_not_guessed():
    # The only Kori-Kori of the settlements file is in Bandiagara; the writer puts it in Koro.
    result = recognise_places("attaque de Kori-Kori, commune de Dioungani, cercle de Koro")
    assert result.places[0].cercle_pcode == "ML0507"
    assert [name for name, _ in result.ambiguous] == ["Kori-Kori"]


def test_area_after_in_outranks_a_notable_namesake():
    # Ogossagou of the massacres is in Bankass; two hamlets of the name are in Bandiagara.
    result = recognise_places("Gunmen attacked Ogossagou in Bandiagara cercle")
    (written, candidates), = result.ambiguous
    assert {c.cercle_pcode for c in candidates} == {"ML0502"} and len(candidates) == 2


def test_area_narrows_namesakes_without_choosing_blindly():
    result = recognise_places("vol de betail a Farabougou (Kolokani)")
    (written, candidates), = result.ambiguous  # three Farabougou in Kolokani cercle
    assert written == "Farabougou" and {c.cercle_pcode for c in candidates} == {"ML0206"}


def test_level_cue_returns_the_region():
    place = recognise_places("insecurite dans la region de Kayes").places[0]
    assert (place.level, place.pcode) == ("region", "ML01")


def test_most_specific_first():
    result = recognise_places("attaque a Boni (Douentza, Mopti)")
    assert [p.name for p in result.places][:1] == ["Boni"]
    assert [p.depth for p in result.places] == sorted((p.depth for p in result.places),
                                                      reverse=True)


def test_shared_name_without_context_is_ambiguous():
    result = recognise_places("vol de betail a Madoubougou")
    assert not result.places
    (written, candidates), = result.ambiguous
    assert written == "Madoubougou"
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
    ("person's name after a first name", "Le chef de village Amadou Diallo a ete enleve"),
    ("surname after a title", "le colonel Diarra a ete limoge"),
    ("militant leader", "Les hommes de Koufa ont brule l'ecole"),
    ("military operation", "Task Force Takuba withdrew"),
    ("militia name", "Dan Na Ambassagou militiamen attacked"),
    ("cue words without a place", "un camion attaque Ce matin a 20 km de la ville"),
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


def _notable_entries():
    from workers.places.gazetteer import load_notable
    return [(pcode, name) for pcode, names in load_notable().items() for name in names]


@pytest.mark.parametrize("pcode,name", _notable_entries(), ids=lambda v: str(v))
def test_every_notable_spelling_finds_its_place(pcode, name):
    # "à Boni": the notable one wins over its namesakes, whatever spelling the file lists.
    result = recognise_places(f"attaque à {name} hier")
    assert result.places and result.places[0].within(pcode), (name, result)
