"""The trends page: server-rendered SVG charts and maps, and a browser screenshot kept as an artifact."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from flask import Blueprint

from gateway.trends.service import trends_page
from gateway.trends.svg import colour
from gateway.web import runtime as current_runtime
from workers.trends.run import check_trends

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


@pytest.fixture
def history(runtime, forums, add_history, add_reports, clock):
    """Twelve weeks of reports in several areas, with a spike in Bandiagara this week."""
    add_history("violent_extremism", "ML0502", [9, 1, 0, 2, 0, 1, 0, 0, 1, 0, 1, 0], days=4)
    add_history("violent_extremism", "ML0405", [3, 4, 2, 5, 3, 4, 2, 3, 4, 3, 2, 3])
    add_history("resource_conflict", "ML010401", [2, 3, 4, 3, 5, 4, 3, 2, 3, 4, 5, 3])
    add_history("gender_based_violence", "ML0601", [2, 1, 2, 0, 1, 3, 1, 0, 2, 1, 0, 1])
    add_history("intercommunal_conflict", "ML0503", [4, 6, 3, 5, 4, 6, 5, 3, 4, 5, 6, 4])
    add_reports("border_security", None, clock(), 2)
    check_trends(runtime)


def page(runtime, **options) -> str:
    with runtime.transaction() as session:
        return trends_page(session, runtime.now(), **options)


def test_the_page_draws_every_region_and_cercle_shaded_by_count(runtime, history):
    html = page(runtime)
    region_map, cercle_map = re.findall(r'<svg[^>]*class="map".*?</svg>', html, re.S)
    assert len(re.findall(r'class="area"', region_map)) == 9
    assert len(re.findall(r'class="area"', cercle_map)) == 50
    for pcode, name in (("ML0502", "Bandiagara"), ("ML0801", "Kidal"), ("ML0405", "Niono")):
        fill, count = re.search(rf'fill="(#\w+)"[^>]*data-pcode="{pcode}" d="[^"]*"><title>{name}: (\d+)<',
                                cercle_map).groups()
        assert fill == colour(int(count))
        assert (int(count) >= 9) if pcode == "ML0502" else (int(count) == 0) if pcode == "ML0801" else True


def test_the_page_has_a_chart_per_category_and_lists_the_warnings(runtime, history):
    html = page(runtime, lang="en")
    assert len(re.findall(r'class="chart"', html)) == 9
    assert "last 7 days: 12</span>" in html                    # violent extremism: Bandiagara 9 + Niono 3
    assert "Trend warnings" in html and "Bandiagara (ML0502)" in html and "mopti-women-youth" in html
    assert "2 reports with no recognised place" in html
    assert "texte secret" not in html


def test_a_category_filter_shades_the_map_by_that_category_only(runtime, history):
    html = page(runtime, category="resource_conflict")
    assert re.search(r'data-pcode="ML0502" d="[^"]*"><title>Bandiagara: 0<', html)
    assert int(re.search(r"<title>Kéniéba: (\d+)<", html).group(1)) > 0
    assert page(runtime, category="<script>") == page(runtime)          # unknown: all categories


def test_labels_from_the_console_are_escaped(runtime):
    from gateway.trends.page import build_view, render_trends_page
    from gateway.trends.weeks import weeks_to_now

    now = runtime.now()
    view = build_view([], weeks_to_now(now, 4), [], now=now, labels={"other": "<b>Autre</b>"})
    html = render_trends_page(view)
    assert "&lt;b&gt;Autre&lt;/b&gt;" in html and "<b>Autre</b>" not in html


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_screenshot_of_the_trends_page(app, live_url, runtime, history, tmp_path):
    # The page itself, without the console's login in front of it (it is mounted at /staff/trends).
    preview = Blueprint("trends_preview", __name__)

    @preview.get("/trends-preview")
    def show():
        rt = current_runtime()
        with rt.transaction() as session:
            fragment = trends_page(session, rt.now())
        return (f'<!doctype html><html lang="fr"><meta charset="utf-8"><title>Tendances</title>'
                f'<body style="font:15px system-ui,sans-serif;max-width:72rem;margin:0 auto;padding:.8rem">'
                f'{fragment}</body></html>')

    app.register_blueprint(preview)         # before the server's first request
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "trends_page.png"
    shot.unlink(missing_ok=True)
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--no-first-run", "--hide-scrollbars",
                    f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,1700",
                    f"--screenshot={shot}", f"{live_url}/trends-preview"],
                   capture_output=True, timeout=90, check=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
