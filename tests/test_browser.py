"""The reader's site in a real browser (Debian's chromium, headless): search, badges, tooltips,
dark mode, no outside requests, accessibility, and a CSP that blocks slipped-in script."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from build_tools.cli import main

from conftest import ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = ROOT / "tests/browser/node_modules/axe-core/axe.min.js"
ARTIFACTS = ROOT / "test-artifacts"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]  # fmt: skip


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def _serve(directory: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    out = tmp_path_factory.mktemp("browser") / "site"
    committed = (ROOT / "llms.txt").read_text()
    try:
        assert main(["-f", str(ROOT / "mkdocs.yml"), "build", "--site-dir", str(out)]) == 0
    finally:
        (ROOT / "llms.txt").write_text(committed)
    server, base = _serve(out)
    yield base
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "chromium is missing: `make test` installs Debian's chromium"
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Browser, site: str) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.requests = []  # type: ignore[attr-defined]
    tab.on("request", lambda request: tab.requests.append(request.url))  # type: ignore[attr-defined]
    yield tab
    context.close()


def test_pages_load_without_outside_requests_and_show_badges(page: Page, site: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for path, shot in (("", "home.png"), ("career/tesla/", "profile-page.png"), ("sources/", "sources.png"),
                       ("disagreements/", "register.png")):  # fmt: skip
        response = page.goto(site + path, wait_until="networkidle")
        assert response is not None and response.ok, path
        page.screenshot(path=str(ARTIFACTS / shot))
    outside = [url for url in page.requests if not url.startswith(site) and not url.startswith("data:")]  # type: ignore[attr-defined]
    assert outside == []
    page.goto(site + "career/tesla/")
    assert page.locator(".badge-confidence").is_visible() and page.locator(".badge-depth").is_visible()
    assert "Confidence" in page.locator(".badge-confidence").inner_text()


def test_citation_tooltip_on_keyboard_focus_shows_the_tier(page: Page, site: str) -> None:
    page.goto(site + "career/tesla/")
    chip = page.locator("a.citation .tier-chip").first
    assert chip.is_visible() and chip.inner_text().startswith("T")
    page.focus("a.citation >> nth=0")
    tooltip = page.locator(".md-tooltip2--active")
    tooltip.wait_for(state="visible", timeout=5000)
    assert "tier" in tooltip.inner_text()


def test_dark_mode_toggle(page: Page, site: str) -> None:
    page.goto(site)
    before = page.get_attribute("body", "data-md-color-scheme")
    page.locator("form[data-md-component=palette] label:visible").first.click()
    page.wait_for_function(f"document.body.getAttribute('data-md-color-scheme') !== '{before}'")
    after = page.get_attribute("body", "data-md-color-scheme")
    assert {before, after} == {"default", "slate"}
    page.screenshot(path=str(ARTIFACTS / "home-dark.png"))


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("Staged learning of agile motor skills", "education/education/"),
        ("DenseCap", "research/vision-and-language/"),
        ("slopacolypse", "ideas/vibe-coding-and-agents/"),
        ("micrograd", "teaching/code/"),
    ],  # fmt: skip
)
def test_search_finds_deep_content_and_opens_at_the_match(page: Page, site: str, term: str, expected: str) -> None:
    page.goto(site)
    page.locator(".md-search__input").click()
    page.keyboard.type(term)
    results = page.locator(".md-search-result__item a")
    results.first.wait_for(state="visible", timeout=10_000)
    page.wait_for_timeout(500)  # results settle after the last keystroke
    hrefs = [results.nth(i).get_attribute("href") or "" for i in range(results.count())]
    # A section hit (with an anchor) opens the page at the match; take it when there is one.
    match = next((h for h in hrefs if expected in h and "#" in h), None) or next(
        (h for h in hrefs if expected in h), None
    )
    assert match is not None, hrefs
    page.goto(match)  # what a click on the result does (some hits sit in a folded "more" list)
    assert expected in page.url
    assert page.locator("mark").count() > 0 or "#" in page.url  # highlighted, or opened at the section
    if "#" in page.url:
        top = page.evaluate(
            "document.getElementById(decodeURIComponent(location.hash.slice(1))).getBoundingClientRect().top"
        )
        assert 0 <= top < 900, "the page did not open at the match"


@pytest.mark.parametrize("path", ["", "career/tesla/", "sources/", "disagreements/"])
def test_accessibility_has_no_serious_violations(browser: Browser, site: str, path: str) -> None:
    assert AXE.exists(), "axe-core is missing: `make test` installs it from the npm registry"
    context = browser.new_context(bypass_csp=True)  # axe is injected as an inline script
    tab = context.new_page()
    tab.goto(site + path, wait_until="networkidle")
    tab.add_script_tag(content=AXE.read_text())
    violations = tab.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    context.close()
    serious = [(v["id"], v["impact"], len(v["nodes"])) for v in violations if v["impact"] in ("serious", "critical")]
    assert serious == []


def test_csp_blocks_script_that_slipped_past_the_check(browser: Browser, tiny_profile: Path, tmp_path: Path) -> None:
    config = tiny_profile / "mkdocs.yml"
    config.write_text(
        config.read_text().replace("  - provenance\n", '  - provenance:\n      severity: {H301: "off"}\n')
    )
    (tiny_profile / "docs/evil.md").write_text(
        "---\ntitle: Evil\ndescription: D\nconfidence: low\ndepth: low\n---\n\n"
        '<img src="x.png" onerror="document.title=\'pwned by handler\'">\n\n'
        "<script>document.title='pwned by script'</script>\n\nText.\n"
    )
    out = tmp_path / "site"
    assert main(["-f", str(config), "build", "--site-dir", str(out)]) == 0
    server, base = _serve(out)
    try:
        context = browser.new_context()
        tab = context.new_page()
        violations: list[str] = []
        tab.on("console", lambda message: violations.append(message.text))
        tab.goto(base + "evil/", wait_until="networkidle")
        title = tab.title()
        theme_ran = tab.evaluate("typeof __md_get === 'function'")  # the theme's own hashed scripts still run
        context.close()
    finally:
        server.shutdown()
        server.server_close()
    assert "pwned" not in title
    assert theme_ran
    assert any("Content Security Policy" in text for text in violations)


def test_instant_navigation_works_under_the_csp(browser: Browser, tmp_path: Path) -> None:
    # Instant loading only follows links listed in the sitemap, i.e. under site_url: build for the
    # address the test server has, from a copy of mkdocs.yml whose paths point into the repository.
    import yaml

    served = tmp_path / "served"
    served.mkdir()
    server, base = _serve(served)
    try:
        config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)
        text = (ROOT / "mkdocs.yml").read_text()
        text = text.replace(f"site_url: {config['site_url']}", f"site_url: {base}")
        text = text.replace("docs_dir: docs", f"docs_dir: {ROOT / 'docs'}")
        text = text.replace("custom_dir: overrides", f"custom_dir: {ROOT / 'overrides'}")
        for key in ("registry", "accounts"):
            text = text.replace(f"{key}: sources/", f"{key}: {ROOT / 'sources'}/")
        text = text.replace(
            "      llms_txt_copy: llms.txt\n", '      severity: {F005: "off"}\n'
        )  # docs sit outside tmp_path
        (tmp_path / "mkdocs.yml").write_text(text)
        (tmp_path / "sources").symlink_to(ROOT / "sources")  # gazetteer and register sit beside mkdocs.yml
        assert main(["-f", str(tmp_path / "mkdocs.yml"), "build", "--site-dir", str(served)]) == 0
        context = browser.new_context()
        tab = context.new_page()
        messages: list[str] = []
        tab.on("console", lambda message: messages.append(message.text))
        tab.goto(base, wait_until="networkidle")
        tab.evaluate("window.__still_here = true")  # survives only if the next page loads without a full reload
        tab.locator("nav.md-nav a[href$='career/tesla/']").first.click()
        tab.wait_for_url("**/career/tesla/")
        tab.locator("article h1", has_text="Tesla").wait_for(timeout=10_000)
        still_here = tab.evaluate("window.__still_here === true")
        badge = tab.locator(".badge-confidence").is_visible()
        context.close()
    finally:
        server.shutdown()
        server.server_close()
    assert still_here and badge
    assert not [m for m in messages if "Content Security Policy" in m]
