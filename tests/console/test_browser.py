"""The console in headless Chromium: log in, filter, open a report, correct it, export CSV, audit.

Uses Debian's /usr/bin/chromium through Python playwright (never `playwright install`);
skipped when either is missing. Screenshots go to tests/artifacts/ (gitignored).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.console.conftest import ACCOUNTS, PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--no-first-run"]

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")]


@pytest.fixture
def page():
    sync_api = pytest.importorskip("playwright.sync_api")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        context = browser.new_context(accept_downloads=True, viewport={"width": 1100, "height": 900})
        yield context.new_page()
        context.close()
        browser.close()


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"console-{name}.png"), full_page=True)


def test_login_filter_open_correct_export_and_find_each_step_in_the_audit_log(page, live_url, staff, routed):
    page.goto(f"{live_url}/staff/login")
    page.fill("input[name=email]", ACCOUNTS["admin"][0])
    page.fill("input[name=password]", PASSWORD)
    shot(page, "1-login")
    page.click("button[type=submit]")
    page.wait_for_url("**/staff/reports")

    page.click("details.filters summary")
    page.select_option("select[name=category]", "resource_conflict")
    page.click("form.grid button[type=submit]")
    page.wait_for_url("**category=resource_conflict**")
    assert page.locator(f"text={routed.kenieba}").count() == 1
    assert page.locator(f"text={routed.mopti}").count() == 0
    shot(page, "2-filtered")

    page.click(f"text={routed.kenieba}")
    page.wait_for_url(f"**/staff/reports/{routed.kenieba}")
    assert "orpailleurs" in page.inner_text("blockquote.text")
    assert "76123456" not in page.content()
    shot(page, "3-report")

    page.select_option("#triage-category", "organised_crime")
    page.fill("input[name=note]", "trafic d'or, pas un conflit foncier")
    page.click("text=Enregistrer la correction")
    page.wait_for_selector("text=Correction enregistrée")
    assert "Crime organisé" in page.inner_text("#category")
    shot(page, "4-corrected")

    page.goto(f"{live_url}/staff/messages?direction=in")
    with page.expect_download() as download_info:
        page.click("#export-csv")
    exported = Path(download_info.value.path()).read_text(encoding="utf-8")
    assert "orpailleurs" in exported and "76123456" not in exported
    shot(page, "5-messages")

    page.goto(f"{live_url}/staff/audit")
    assert "Chaîne vérifiée" in page.inner_text("#chain-status")
    lines = page.inner_text("#audit-log").splitlines()

    def logged(action: str, *words: str) -> bool:
        return any(f"\t{action}\t" in line and all(word in line for word in words) for line in lines)

    assert logged("login.success", "admin@example.ml")
    assert logged("reports.list", "resource_conflict")
    assert logged("report.view", routed.kenieba)
    assert logged("report.correct", routed.kenieba, "organised_crime")
    assert logged("messages.search", "direction")
    assert logged("messages.export", "direction")
    shot(page, "6-audit")


def test_the_queue_fits_a_small_phone_screen(page, live_url, staff, routed):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_url}/staff/login")
    page.fill("input[name=email]", ACCOUNTS["kenieba"][0])
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/staff/reports")
    body_width = page.evaluate("document.body.scrollWidth")
    assert body_width <= 360 + 1                   # wide tables scroll inside their box, not the page
    assert page.locator(f"text={routed.kenieba}").count() == 1 and page.locator(f"text={routed.mopti}").count() == 0
    shot(page, "7-phone")
