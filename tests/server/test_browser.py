"""A real browser through the console: Debian's chromium driven by Playwright (never a downloaded browser).

Signs in with a token, clicks inventory → use case → decision → PDF and JSON downloads, posts a
signed sign-off through the form, re-checks (as CI would) and sees the queue change; a
screenshot of every page goes to the test artefacts; any console error (a CSP violation, a
failed resource, a script error) fails the test.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.sign.conftest import govern

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
UC = "consumer-credit"


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium, as .ci/run does)")
    with playwright.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")),
                                     args=ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


class Watched:
    """A page whose console errors, page errors and failed requests are collected."""

    def __init__(self, browser, base: str, artifacts: Path) -> None:
        self.context = browser.new_context(base_url=base, viewport={"width": 1366, "height": 900},
                                           accept_downloads=True)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.artifacts = artifacts
        self.page.on("console", lambda m: self.errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        self.page.on("response", lambda r: self.errors.append(f"HTTP {r.status}: {r.url}")
                     if r.status >= 400 and r.request.resource_type != "document" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on("requestfailed", lambda r: self.errors.append(f"request failed: {r.url} {r.failure}")
                     if not r.url.endswith((".pdf", ".json")) else None)

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(self.artifacts / f"{name}.png"), full_page=True)


def test_click_through_the_console(browser, sqlite_console, artifacts, tmp_path):
    console = sqlite_console
    w = Watched(browser, console.base, artifacts)
    page = w.page
    try:
        page.goto("/inventory")
        assert page.url.endswith("/login?next=%2Finventory")
        page.fill("#token", console.tokens["auditor"])
        page.click("button[type=submit]")
        page.wait_for_url("**/inventory")
        assert page.locator("h1").inner_text() == "Inventory"
        assert page.locator("table.grid tbody tr").count() == 50  # one page of 61
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Skip to content"
        w.shot("inventory")

        page.fill("#q", "consumer")
        page.click("form.filters button[type=submit]")
        page.wait_for_url("**q=consumer**")
        assert page.locator("table.grid tbody tr").count() == 1
        page.click(f"a[href='/use-cases/{UC}']")
        page.wait_for_url(f"**/use-cases/{UC}")
        assert "Consumer credit scoring" in page.locator("h1").inner_text()
        graph = page.locator("figure.graph img")
        assert graph.evaluate("img => img.complete && img.naturalWidth > 0")
        assert "Production: pending" in graph.get_attribute("alt")
        assert page.get_by_text("EU AI Act Annex III 5(b); Art. 6(3)").count() >= 1  # the rule that fired, cited
        w.shot("use-case")

        page.click("table.grid a[href='/decisions/1']")
        page.wait_for_url("**/decisions/1")
        assert "blocked" in page.locator("h1").inner_text().lower()
        assert page.get_by_text("metrics.json").count() >= 1  # evidence file with its digest
        w.shot("decision")
        with page.expect_download(timeout=120_000) as pdf:
            page.click("text=Download the PDF report")
        saved = tmp_path / "report.pdf"
        pdf.value.save_as(saved)
        assert saved.read_bytes().startswith(b"%PDF") and saved.stat().st_size > 10_000
        with page.expect_download() as js:
            page.click("text=Download the decision JSON")
        import json

        decision = json.loads(Path(js.value.path()).read_text())
        assert decision["use_case"]["id"] == UC and decision["allowed"] is False

        page.goto("/queue?person=victor")
        row = page.locator("table.grid tbody tr", has_text="Consumer credit scoring")
        assert row.count() == 1 and "--signer victor" in row.inner_text()
        w.shot("queue-before")

        page.goto("/submit")
        page.fill("#record", console.world.records["victor"].read_text())
        page.click("form.stack button[type=submit]")
        assert page.locator("p.ok").inner_text().startswith("Stored: signoff")
        w.shot("submitted")
        page.goto("/queue?person=victor")
        assert page.locator("table.grid tbody tr", has_text="Consumer credit scoring").count() == 0

        recheck = govern("check", console.world.use_case, "-p", console.world.pack, "-e", console.world.evidence,
                         "--target", "production", "--database", console.url)
        assert recheck.code == 1  # still blocked: vera and rita have not signed
        page.goto("/queue?role=validator")
        row = page.locator("table.grid tbody tr", has_text="Consumer credit scoring")
        assert "(1/2)" in row.inner_text()  # the new check counted victor's sign-off
        w.shot("queue-after")

        for path, name in (("/expiring?days=400", "expiring"), ("/audit", "audit"), ("/policy", "policy")):
            page.goto(path)
            assert page.locator("h1").count() == 1
            w.shot(name)
        assert page.goto("/audit").ok and "intact" in page.locator("section.verify").inner_text().lower()
    finally:
        w.context.close()
    assert w.errors == []
