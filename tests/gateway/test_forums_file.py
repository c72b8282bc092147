"""Forums file: validation with clear errors, and idempotent loading."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from gateway.forums_file import ForumsFileError, parse_forums_file
from gateway.store.forums import load_forums
from gateway.store.models import Coordinator, Forum
from tests.conftest import DEMO_FORUMS


def test_the_demo_file_loads_and_loading_it_again_changes_nothing(runtime):
    specs = parse_forums_file(DEMO_FORUMS.read_text(encoding="utf-8"))
    with runtime.transaction() as session:
        first = load_forums(session, specs)
    with runtime.transaction() as session:
        second = load_forums(session, specs)
    assert first.created > 0
    assert (second.created, second.updated, second.deactivated) == (0, 0, 0)
    with runtime.transaction() as session:
        assert {f.id for f in session.scalars(select(Forum))} >= {"kenieba-mining", "triage", "segou-women-youth",
                                                                  "mopti-women-youth", "timbuktu-women-youth",
                                                                  "southwest-border"}


def test_removing_a_coordinator_deactivates_them(runtime):
    text = DEMO_FORUMS.read_text(encoding="utf-8")
    with runtime.transaction() as session:
        load_forums(session, parse_forums_file(text))
    edited = text.replace('      - {name: Suppléant Kéniéba, phone: "+22366000002", backup: true}\n', "")
    with runtime.transaction() as session:
        summary = load_forums(session, parse_forums_file(edited))
    assert summary.deactivated == 1
    with runtime.transaction() as session:
        row = session.scalar(select(Coordinator).where(Coordinator.phone == "+22366000002"))
        assert row.active is False


BAD_FILES = [
    ("not YAML", "forums: [", "not valid YAML"),
    ("unknown category", "forums: [{id: a, name: A, categories: [weather], areas: []}]", "unknown categories"),
    ("bad P-code", "forums: [{id: a, name: A, categories: [other], areas: [Kayes]}]", "P-codes"),
    ("bad phone", "forums: [{id: a, name: A, categories: [other], coordinators: [{name: X, phone: '12'}]}]",
     "coordinators\\[0\\]"),
    ("bad language", "forums: [{id: a, name: A, categories: [other], language: de}]", "language"),
    ("duplicate ids", "forums: [{id: a, name: A, categories: [other]}, {id: a, name: B, categories: [other]}]",
     "unique"),
    ("id not a slug", "forums: [{id: 'A B', name: A, categories: [other]}]", "slug"),
    ("no name", "forums: [{id: a, categories: [other]}]", "'name' is required"),
    ("top level is a list", "- a\n- b", "mapping"),
]


@pytest.mark.parametrize("label, text, message", BAD_FILES, ids=[case[0] for case in BAD_FILES])
def test_bad_files_are_refused_with_a_clear_message(label, text, message):
    with pytest.raises(ForumsFileError, match=message):
        parse_forums_file(text)
