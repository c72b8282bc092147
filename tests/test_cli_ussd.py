"""`gateway menus check` and `gateway simulate ussd` (a phone in the terminal)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from gateway.cli import main
from gateway.store.models import Report

MENU_FIXTURES = Path(__file__).parent / "menus" / "fixtures"


def test_menus_check_passes_on_the_shipped_menus():
    result = CliRunner().invoke(main, ["menus", "check"])
    assert result.exit_code == 0, result.output
    assert "menus OK" in result.output


@pytest.mark.parametrize("case, expected", [
    ("screen_too_long", ["en.yaml: screen 'danger': 213 characters (max 182)",
                         "en.yaml: screen 'danger' with hint: 229 characters (max 182)"]),
    ("unknown_target", ["report.yaml: screen 'danger' option '2': unknown target 'nowhere'"]),
    ("non_gsm7", ["fr.yaml: key 'danger.prompt': non-GSM-7 character 'Ê' (U+00CA)"]),
])
def test_menus_check_prints_each_problem_and_exits_1(tmp_path, case, expected):
    shutil.copytree(MENU_FIXTURES / "base", tmp_path, dirs_exist_ok=True)
    shutil.copytree(MENU_FIXTURES / case, tmp_path, dirs_exist_ok=True)
    result = CliRunner().invoke(main, ["menus", "check", "--dir", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output.splitlines() == expected + [f"{len(expected)} problem(s)"]


def test_simulate_ussd_plays_a_phone_from_stdin_to_the_end(live_url, runtime, config_env):
    answers = "1\n3\n1\n4\nSitakili\n1\n2\nBagarre * orpailleurs\n1\n"
    result = CliRunner().invoke(main, ["simulate", "ussd", "--from", "+22376123456", "--url", live_url],
                                input=answers, env=config_env)
    assert result.exit_code == 0, result.output
    with runtime.transaction() as session:
        report = session.scalar(select(Report))
    assert result.output.startswith("Langue / Kan / Language\n1. Francais")
    assert "Choisissez le cercle:" in result.output and "CON" not in result.output
    assert result.output.rstrip().endswith(f"Votre code: {report.reference}. Gardez-le pour suivre.")
    assert report.text == "Bagarre * orpailleurs" and report.details["place_text"] == "Sitakili"


def test_simulate_ussd_hangs_up_at_end_of_input_and_reports_a_refused_token(live_url, config_env):
    hung_up = CliRunner().invoke(main, ["simulate", "ussd", "--from", "+22376123456", "--url", live_url],
                                 input="1\n", env=config_env)
    assert hung_up.exit_code == 0 and "Que s'est-il passe?" in hung_up.output
    refused = CliRunner().invoke(main, ["simulate", "ussd", "--from", "+22376123456", "--url", live_url],
                                 input="", env={**config_env, "AT_WEBHOOK_TOKEN": "wrong"})
    assert refused.exit_code == 1 and "HTTP 403" in refused.output
