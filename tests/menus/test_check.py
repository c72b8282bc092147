"""The checker: the shipped menu passes; each broken fixture fails with exactly its error.

A case directory under fixtures/ holds only the file(s) it breaks; they are laid over a copy
of fixtures/base (a small valid menu in fr and en) before checking.
"""
import shutil
from pathlib import Path

import pytest

from menus.check import check_default, check_menu_files

FIXTURES = Path(__file__).parent / "fixtures"

EXPECTED = {
    "unknown_target": ["report.yaml: screen 'danger' option '2': unknown target 'nowhere'"],
    "unreachable_screen": ["report.yaml: screen 'orphan': unreachable"],
    "unknown_entry": ["report.yaml: home: unknown screen 'nowhere'"],
    "unknown_kind": [
        "report.yaml: screen 'place': unknown kind 'question' (expected one of choice, list, text, confirm, end, resume)",
        "report.yaml: screen 'cercle': unknown target 'place'",  # the dropped screen is then missing
    ],
    "unknown_source": ["report.yaml: screen 'region': unknown list source 'villages'"],
    "unknown_effect": ["report.yaml: screen 'done': unknown effect 'send_email'"],
    "unknown_action": [
        "report.yaml: screen 'resume' option '2': unknown action 'pause' (expected one of continue, restart)"],
    "duplicate_option_key": ["report.yaml: screen 'danger': duplicate option key '1'"],
    "reserved_option_key": ["report.yaml: screen 'danger' option '99': key '99' is reserved for navigation"],
    "option_key_not_quoted": ['report.yaml: screen \'danger\' option 2: key must be a quoted number, like "1"'],
    "too_many_options": ["report.yaml: screen 'danger': 6 options (max 5; use a list screen for more)"],
    "start_not_language": [
        "report.yaml: screen 'category': start must be a choice screen saving 'language'",
        "report.yaml: screen 'language': unreachable",
    ],
    "yaml_syntax": ["report.yaml: line 55: invalid YAML: expected ',' or '}', but got '{'"],
    "duplicate_yaml_key": ["fr.yaml: line 10: invalid YAML: duplicate key 'prompt'"],
    "missing_string": ["en.yaml: key 'danger.prompt': missing"],
    "yaml_boolean_trap": ["en.yaml: key 'danger.not_in_danger': value must be non-empty text (put it in quotes)"],
    "non_gsm7": ["fr.yaml: key 'danger.prompt': non-GSM-7 character 'Ê' (U+00CA)"],
    "bambara_letter": ["en.yaml: key 'category.other': non-GSM-7 character 'ɛ' (U+025B)"],
    "unknown_placeholder": ["fr.yaml: key 'confirm.prompt': unknown placeholder {victim}"],
    "missing_ref": ["en.yaml: key 'done.text': must contain {ref}"],
    "screen_too_long": [
        "en.yaml: screen 'danger': 213 characters (max 182)",
        "en.yaml: screen 'danger' with hint: 229 characters (max 182)",
    ],
    "too_long_with_hint_only": ["fr.yaml: screen 'danger' with hint: 190 characters (max 182)"],
    "end_too_long_with_ref": ["en.yaml: screen 'done': 183 characters (max 182)"],
    "long_cercle_page_2": [
        "fr.yaml: screen 'cercle' (region ML05) page 2/2: 192 characters (max 182)",
        "fr.yaml: screen 'cercle' (region ML05) page 2/2 with hint: 208 characters (max 182)",
        "fr.yaml: screen 'confirm': 225 characters (max 182)",  # the echo of that cercle name
        "fr.yaml: screen 'confirm' with hint: 241 characters (max 182)",
        "en.yaml: screen 'cercle' (region ML05) page 2/2: 186 characters (max 182)",
        "en.yaml: screen 'cercle' (region ML05) page 2/2 with hint: 202 characters (max 182)",
        "en.yaml: screen 'confirm': 215 characters (max 182)",
        "en.yaml: screen 'confirm' with hint: 231 characters (max 182)",
    ],
    "areas_non_gsm7": ["areas.yaml: region ML05 cercle ML0507: non-GSM-7 character '–' (U+2013)"],
    "areas_shape": ["areas.yaml: region ML09: cercles must be a non-empty list"],
}


def _check_copy(tmp_path: Path, case: str | None = None, remove: tuple[str, ...] = ()) -> list[str]:
    shutil.copytree(FIXTURES / "base", tmp_path, dirs_exist_ok=True)
    if case:
        shutil.copytree(FIXTURES / case, tmp_path, dirs_exist_ok=True)
    for name in remove:
        (tmp_path / name).unlink()
    return [str(p) for p in check_menu_files(tmp_path / "report.yaml", tmp_path / "strings", tmp_path / "areas.yaml")]


def test_every_fixture_has_an_expectation():
    cases = {p.name for p in FIXTURES.iterdir() if p.is_dir() and p.name != "base"}
    assert cases == set(EXPECTED)


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_broken_fixture_fails_with_its_exact_error(tmp_path, case):
    assert _check_copy(tmp_path, case) == EXPECTED[case]


def test_base_fixture_passes(tmp_path):
    assert _check_copy(tmp_path) == []


def test_missing_strings_file_is_a_problem_not_a_traceback(tmp_path):
    assert _check_copy(tmp_path, remove=("strings/en.yaml",)) == ["en.yaml: file: cannot be read"]


def test_missing_menu_file_is_a_problem(tmp_path):
    assert [str(p) for p in check_menu_files(tmp_path / "nope.yaml", tmp_path, tmp_path / "areas.yaml")] == [
        "nope.yaml: file: cannot be read"]


def test_shipped_menus_pass_the_checker():
    assert [str(p) for p in check_default()] == []
