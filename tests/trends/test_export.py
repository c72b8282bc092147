"""CSV and HXL exports: the header rows, small-count masking, nothing but counts."""
from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from gateway.trends.service import trends_csv

HEADERS = ["week", "week_start", "country_code", "adm1_code", "adm1_name", "adm2_code", "adm2_name",
           "category", "category_label", "reports"]
HXL_TAGS = ["#date+week", "#date+start", "#country+code", "#adm1+code", "#adm1+name", "#adm2+code",
            "#adm2+name", "#event+type+code", "#event+type+name", "#indicator+reports"]
W44 = datetime(2026, 10, 27, 10, tzinfo=timezone.utc)     # the clock stands on Monday of W45


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_hxl_export_has_the_headers_then_the_hashtags(runtime):
    with runtime.transaction() as session:
        table = rows(trends_csv(session, runtime.now(), weeks=4, hxl=True))
    assert table == [HEADERS, HXL_TAGS]


def test_plain_csv_has_no_hashtag_row(runtime):
    with runtime.transaction() as session:
        assert rows(trends_csv(session, runtime.now(), weeks=4)) == [HEADERS]


def test_counts_of_one_or_two_are_shown_as_less_than_three(runtime, add_reports):
    for pcode, count in (("ML0405", 1), ("ML0402", 2), ("ML0407", 3), ("ML0502", 12)):
        add_reports("violent_extremism", pcode, W44, count)
    add_reports("resource_conflict", None, W44, 1)                     # no place recognised
    add_reports("violent_extremism", "ML0405", runtime.now(), 5)       # this week: not a whole week yet
    with runtime.transaction() as session:
        table = rows(trends_csv(session, runtime.now(), weeks=2, hxl=True))[2:]
    assert [(r[0], r[1], r[3], r[4], r[5], r[6], r[7], r[9]) for r in table] == [
        ("2026W44", "2026-10-26", "", "", "", "", "resource_conflict", "<3"),
        ("2026W44", "2026-10-26", "ML04", "Ségou", "ML0402", "Ségou", "violent_extremism", "<3"),
        ("2026W44", "2026-10-26", "ML04", "Ségou", "ML0405", "Niono", "violent_extremism", "<3"),
        ("2026W44", "2026-10-26", "ML04", "Ségou", "ML0407", "Macina", "violent_extremism", "3"),
        ("2026W44", "2026-10-26", "ML05", "Mopti", "ML0502", "Bandiagara", "violent_extremism", "12"),
    ]
    assert {r[2] for r in table} == {"MLI"} and {r[8] for r in table} >= {"Violent extremism"}


def test_an_export_carries_no_text_no_reference_and_no_reporter(runtime, add_reports):
    add_reports("violent_extremism", "ML0502", W44, 4)
    with runtime.transaction() as session:
        text = trends_csv(session, runtime.now(), weeks=2)
    assert "texte secret" not in text and "T0" not in text


def test_gateway_trends_export_on_the_command_line(runtime, config_env, add_reports):
    last_week = datetime.now(timezone.utc) - timedelta(days=7)
    add_reports("gender_based_violence", "ML0601", last_week, 2)
    gateway = Path(sys.executable).parent / "gateway"
    result = subprocess.run([str(gateway), "trends", "export", "--hxl", "--weeks", "3"], capture_output=True,
                            text=True, env={**os.environ, **config_env}, timeout=60)
    assert result.returncode == 0, result.stderr
    table = rows(result.stdout)
    assert table[:2] == [HEADERS, HXL_TAGS]
    assert [r[6:] for r in table[2:]] == [["Tombouctou", "gender_based_violence", "Gender-based violence", "<3"]]


def test_the_hxl_export_passes_the_reference_validator(runtime, add_reports):
    """libhxl (HXL's reference library) with its default schema: dates are dates, tags parse.

    Its one warning is expected: "<3" beside numbers in #indicator+reports is a mixed datatype,
    which the masking rule requires.
    """
    hxl = pytest.importorskip("hxl")
    from hxl.input import ArrayInput

    for pcode, count in (("ML0405", 1), ("ML0502", 12)):
        add_reports("violent_extremism", pcode, W44, count)
    add_reports("resource_conflict", None, W44, 4)
    with runtime.transaction() as session:
        table = rows(trends_csv(session, runtime.now(), weeks=2, hxl=True))
    report = hxl.validate(hxl.data(ArrayInput(table)))
    assert report["stats"]["error"] == 0, report["issues"]
    assert [issue["description"] for issue in report["issues"]] == ["Possibly inconsistent datatype for this indicator"]
    data = hxl.data(ArrayInput(table))
    assert [column.display_tag for column in data.columns] == HXL_TAGS
    assert [(row.get("#adm2+name"), row.get("#indicator+reports")) for row in data] == [
        (None, "4"), ("Niono", "<3"), ("Bandiagara", "12")]
