"""Warning and digest SMS texts: GSM-7, at most two segments in every language, small counts masked."""
from __future__ import annotations

from datetime import date

import pytest

from gateway.categories import CATEGORIES
from gateway.gsm7 import is_gsm7, segment_count
from workers.trends.digest import CategoryCount, DigestFigures, digest_figures
from workers.trends.spikes import Spike
from workers.trends.texts import digest_text, warning_text
from tests.trends.test_spikes import cell

LANGUAGES = ("fr", "en", "bm")
WEEK = date(2026, 11, 2)          # ISO week 45


def figures(lines, *, areas=("ML04",), open_reports=6, busiest=()):
    return DigestFigures(WEEK, areas, tuple(CategoryCount(*line) for line in lines), open_reports, busiest)


WORST = figures([(c, 1000 + i, 2) for i, c in enumerate(CATEGORIES)], areas=("ML0101", "ML0604"),
                open_reports=12345, busiest=("ML0604", "ML0508"))
TYPICAL = figures([("violent_extremism", 9, 5), ("gender_based_violence", 2, 5),
                   ("intercommunal_conflict", 0, 0)], busiest=("ML0405", "ML0402"))
DIGESTS = [("typical working group", TYPICAL), ("every category, huge counts, long names", WORST),
           ("nothing reported", figures([("violent_extremism", 0, 0)], areas=(), open_reports=0))]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("label, digest", DIGESTS, ids=[d[0] for d in DIGESTS])
def test_digest_is_gsm7_and_at_most_two_segments(label, digest, language):
    text = digest_text(digest, language)
    assert is_gsm7(text)
    assert segment_count(text) <= 2
    assert "S45" in text or "W45" in text or "D45" in text


def test_worst_case_keeps_the_header_and_open_count_and_says_what_it_left_out():
    text = digest_text(WORST, "fr")
    assert text.startswith("Bilan hebdo S45 (02/11-08/11), vos zones:")
    assert text.endswith("Non clos: 12345")
    assert "autres categories" in text


def test_typical_french_digest():
    assert digest_text(TYPICAL, "fr") == (
        "Bilan hebdo S45 (02/11-08/11), region de Ségou:\n"
        "Extremisme violent: 9 (+4)\n"
        "Violence basee sur le genre: <3 (S44: 5)\n"
        "Conflit intercommunautaire: 0 (=)\n"
        "Plus touches: Niono, Ségou\n"
        "Non clos: 6")


@pytest.mark.parametrize("this_week, last_week, shown", [
    (1, 0, "<3 (S44: 0)"), (2, 2, "<3 (S44: <3)"), (5, 2, "5 (S44: <3)"), (3, 7, "3 (-4)"), (0, 0, "0 (=)"),
])
def test_small_counts_are_masked_and_a_change_never_reveals_them(this_week, last_week, shown):
    text = digest_text(figures([("violent_extremism", this_week, last_week)]), "fr")
    assert f"Extremisme violent: {shown}" in text


def test_open_reports_are_masked_too():
    assert digest_text(figures([("violent_extremism", 0, 0)], open_reports=2), "en").endswith("Still open: <3")


def test_digest_figures_count_the_groups_categories_and_areas_only():
    week_cells = [cell(1, 4, "ML040501"), cell(1, 3, "ML0402"), cell(0, 2, "ML0405"),
                  cell(1, 5, "ML0502"),                                          # Mopti: not theirs
                  cell(1, 7, "ML0405", category="resource_conflict")]             # not their category
    open_cells = [cell(0, 3, "ML0405"), cell(0, 9, "ML0502")]
    result = digest_figures(week_start=WEEK, categories=["violent_extremism", "gender_based_violence"],
                            areas=["ML04"], week_cells=week_cells, open_cells=open_cells)
    assert result.lines == (CategoryCount("violent_extremism", 7, 2), CategoryCount("gender_based_violence", 0, 0))
    assert result.open_reports == 3
    assert result.busiest == ("ML0405", "ML0402")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("area", ["ML0502", "ML05", "ML050201"])
def test_warning_is_gsm7_at_most_two_segments_and_names_the_area(language, area):
    text = warning_text(Spike("gender_based_violence", area, 12, 1.6, 5.2), language)
    assert is_gsm7(text) and segment_count(text) <= 2
    assert "12" in text and "<3/" in text                        # usual 1.6 -> 2 -> masked
    assert ("Bandiagara" in text) if area == "ML0502" else True
