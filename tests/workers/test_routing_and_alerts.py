"""Routing rules and alert texts: pure functions, table-driven."""
from __future__ import annotations

import pytest

from gateway.gsm7 import is_gsm7, segment_count
from workers.alerts import alert_text, excerpt
from workers.routing import Subscription, route

SUBS = [
    Subscription("kenieba-mining", frozenset({"resource_conflict"}), ("ML0104",)),
    Subscription("mopti-wg", frozenset({"violent_extremism"}), ("ML05",)),
    Subscription("national", frozenset({"civil_unrest"}), ()),
]
CASES = [
    ("commune inside a subscribed cercle", "resource_conflict", ("ML010401",), True, ("kenieba-mining",), False),
    ("settlement inside a subscribed region", "violent_extremism", ("ML050201001",), True, ("mopti-wg",), False),
    ("right place, wrong category", "organised_crime", ("ML0104",), True, (), True),
    ("right category, wrong place", "resource_conflict", ("ML0501",), True, (), True),
    ("empty areas mean all of Mali", "civil_unrest", (), True, ("national",), False),
    ("no place named: only all-Mali forums", "resource_conflict", (), True, (), True),
    ("low confidence goes to triage", "resource_conflict", ("ML0104",), False, ("kenieba-mining",), True),
]


@pytest.mark.parametrize("label, category, pcodes, confident, forums, triage", CASES, ids=[c[0] for c in CASES])
def test_routing(label, category, pcodes, confident, forums, triage):
    decision = route(SUBS, category, pcodes, confident)
    assert decision.forum_ids == forums and decision.triage is triage


@pytest.mark.parametrize("language", ["fr", "en", "bm"])
def test_alerts_are_gsm7_at_most_two_segments_and_carry_the_reference(language):
    text = alert_text(reference="ACDE34", category="resource_conflict", place_name="Kéniéba",
                      text="Très longue description « copiée » " * 20, urgent=True, language=language)
    assert is_gsm7(text) and segment_count(text) <= 2 and "ACDE34" in text


@pytest.mark.parametrize("text", ["appelez le 76 12 34 56", "mon numero +22376123456", "0022376123456 svp"])
def test_excerpts_mask_phone_numbers(text):
    assert "[numero]" in excerpt(text) and "34" not in excerpt(text).replace("[numero]", "")
