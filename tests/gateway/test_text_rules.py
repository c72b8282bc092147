"""Numbers, GSM-7 and receipts: small rules with many cases."""
from __future__ import annotations

import pytest

from gateway.errors import InvalidNumber
from gateway.gsm7 import fit, is_gsm7, segment_count, septets, to_gsm7
from gateway.phone import mask_number, normalise_number
from gateway.receipts import RECEIPTS, receipt_text

NUMBERS = [
    ("76123456", "+22376123456"), ("+22376123456", "+22376123456"), ("0022376123456", "+22376123456"),
    ("22376123456", "+22376123456"), ("+223 76 12 34 56", "+22376123456"), ("66123456", "+22366123456"),
    ("+33612345678", "+33612345678"),
]


@pytest.mark.parametrize("raw, e164", NUMBERS)
def test_numbers_are_normalised_to_e164(raw, e164):
    assert normalise_number(raw) == e164


@pytest.mark.parametrize("raw", ["", "7612345", "761234567", "12345678", "abc", "00123456", "9" * 40])
def test_invalid_numbers_are_refused(raw):
    with pytest.raises(InvalidNumber):
        normalise_number(raw)


def test_masked_number_shows_only_the_last_two_digits():
    assert mask_number("+22376123456") == "+223 •• •• •• 56"


TRANSLITERATIONS = [
    ("Ça coûte 500 FCFA — réponse « OUI »…", 'Ça coute 500 FCFA - réponse " OUI "...'),
    ("Ne tɛ se ka ɲɔgɔn ye, a ka ŋɔni.", "Ne tè se ka ñògòn ye, a ka ngòni."),
    ("Kéniéba, Ségou, Diré", "Kéniéba, Ségou, Diré"),
    ("façade ê î ô", "facade e i o"),
    ("emoji 🙂", "emoji ?"),
]


@pytest.mark.parametrize("text, expected", TRANSLITERATIONS)
def test_text_is_transliterated_to_gsm7(text, expected):
    assert to_gsm7(text) == expected and is_gsm7(to_gsm7(text))


def test_segments_count_extension_characters_twice():
    assert segment_count("a" * 160) == 1 and segment_count("a" * 161) == 2
    assert septets("€") == 2 and segment_count("€" * 81) == 2
    assert segment_count("ê" * 70) == 1 and segment_count("ê" * 71) == 2


def test_fit_cuts_to_the_limit_with_an_ellipsis():
    assert fit("short") == "short"
    cut = fit("word " * 100, 50)
    assert septets(cut) <= 50 and cut.endswith("...")


@pytest.mark.parametrize("language", sorted(RECEIPTS))
def test_receipts_are_one_gsm7_segment_in_every_language(language):
    text = receipt_text("ACDE34", language)
    assert is_gsm7(text) and segment_count(text) == 1 and "ACDE34" in text
