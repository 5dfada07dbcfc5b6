"""Real MkDocs builds: the invented test profile, and the real one, asserting on built files."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from build_tools.cli import main

from conftest import ROOT, count_project_checks, tree, write


def _build(config: Path, site: Path) -> None:
    assert main(["-f", str(config), "build", "--site-dir", str(site)]) == 0


def test_tiny_profile_builds_with_citations_badges_sources_and_llms_txt(tiny_profile: Path, tmp_path: Path) -> None:
    site = tmp_path / "out"
    _build(tiny_profile / "mkdocs.yml", site)
    index = BeautifulSoup((site / "index.html").read_text(), "html.parser")
    links = index.select("a.citation")
    assert [a.get_text() for a in links] == ["1T1", "2T1", "3T2"]
    assert links[0]["href"] == "sources/#quill-workshop-site"
    assert "tier 1" in links[0]["title"]
    assert index.select_one(".badge-confidence").get_text(strip=True) == "Confidence: Medium"
    assert index.select_one(".badge-depth").get_text(strip=True) == "Depth: Low"
    assert len(index.select("ol.references li")) == 3
    nested = BeautifulSoup((site / "people/apprentices/index.html").read_text(), "html.parser")
    assert nested.select_one("a.citation")["href"] == "../../sources/#tick-2010-visiting-quill-workshop"
    sources = BeautifulSoup((site / "sources/index.html").read_text(), "html.parser")
    for source_id in ("quill-workshop-site", "tick-2010-visiting-quill-workshop", "quill-report"):
        assert sources.find(id=source_id) is not None, source_id
    # Each source lists the pages citing it (filled in once the helper has read every page).
    cited_on = sources.find(id="quill-workshop-site").select(".cited-on a")
    assert [(a.get_text(), a["href"]) for a in cited_on] == [("Ada Quill", "../")]
    llms = (site / "llms.txt").read_text()
    assert llms.startswith("# Ada Quill: a test profile\n\n> ")
    assert "- [Ada Quill](https://quill.example/index.html.md): An invented clockmaker. (confidence: medium)" in llms
    assert "## Optional" in llms and "https://quill.example/sources.md" in llms
    index_docs = json.loads((site / "search/search_index.json").read_text())["docs"]
    assert any(d["location"] == "" for d in index_docs)
    assert not [d["location"] for d in index_docs if "#references" in d["location"]]  # no empty hit per page
    assert not [d["location"] for d in index_docs if "tier-chip" in d["text"] or "T1" in d["text"].split()]
    assert not [d["location"] for d in index_docs if "cited on" in d["text"]]  # a hit per citing page, on sources


def test_plain_mkdocs_build_runs_the_plugin_and_strict_fails_on_errors(tiny_profile: Path, tmp_path: Path) -> None:
    docs = tiny_profile / "docs/index.md"
    docs.write_text(docs.read_text().replace("[@quill-workshop-site]", "[@quill-workshop]"))
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "s")],
        cwd=tiny_profile,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "C101 error: unknown source 'quill-workshop'" in result.stderr
    assert not (tmp_path / "s/index.html").exists()


def test_real_profile_builds_offline_and_committed_llms_txt_is_current(tmp_path: Path) -> None:
    site = tmp_path / "site"
    committed = (ROOT / "llms.txt").read_text()
    try:
        _build(ROOT / "mkdocs.yml", site)
    finally:
        (ROOT / "llms.txt").write_text(committed)  # the build refreshes it; the test must not
    for name in ("index.html", "llms.txt", "sources/index.html", "source-audit/index.html", "search/search_index.json"):
        assert (site / name).is_file(), name
    assert (site / "llms.txt").read_text() == committed, (
        "llms.txt is stale: run `make site` (it rewrites llms.txt) and commit it"
    )
    # No page loads anything from another host: no external scripts, styles, fonts or images.
    for page in site.rglob("*.html"):
        soup = BeautifulSoup(page.read_text(), "html.parser")
        for tag, attr in (("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src")):
            for element in soup.find_all(tag):
                value = element.get(attr) or ""
                if (
                    tag == "link"
                    and "stylesheet" not in (element.get("rel") or [])
                    and "preconnect" not in (element.get("rel") or [])
                ):
                    continue
                assert not re.match(r"^(https?:)?//", value), f"{page}: {tag} {value}"


def test_toolkit_does_not_know_its_subject() -> None:
    for path in (ROOT / "build_tools").rglob("*.py"):
        assert "karpathy" not in path.read_text().lower(), path


def test_source_audit_page_lists_each_accounts_defects(tiny_profile: Path, tmp_path: Path) -> None:
    site = tmp_path / "out"
    _build(tiny_profile / "mkdocs.yml", site)
    audit = BeautifulSoup((site / "source-audit/index.html").read_text(), "html.parser")
    section = audit.find(id="audit-quill-report")
    assert section is not None and audit.find(id="audit-quill-digest") is not None
    cells = [td.get_text() for td in audit.select("table td")]
    assert "A110" in cells and "A103" in cells
    assert "Source audit" in (site / "llms.txt").read_text()


def test_code_is_linted_and_formatted() -> None:
    paths = [str(ROOT / "build_tools"), str(ROOT / "tests")]
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", *paths], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout
    fmt = subprocess.run([sys.executable, "-m", "ruff", "format", "--check", *paths], capture_output=True, text=True)
    assert fmt.returncode == 0, fmt.stdout


def _site_path(site: Path, url: str, site_url: str) -> Path:
    assert url.startswith(site_url), url
    path = url[len(site_url) :].split("#")[0]
    return site / (path or "index.html")


def test_agent_outputs_llms_txt_twins_full_and_json(tmp_path: Path) -> None:
    import json

    from llms_txt import parse_llms_file

    site = tmp_path / "site"
    committed = (ROOT / "llms.txt").read_text()
    try:
        _build(ROOT / "mkdocs.yml", site)
    finally:
        (ROOT / "llms.txt").write_text(committed)
    site_url = "https://karpathy-profile.example/"
    llms = (site / "llms.txt").read_text()
    parsed = parse_llms_file(llms)
    assert parsed.title and parsed.summary and "Optional" in parsed.sections
    assert len(llms) < 50_000
    links = [link for section in parsed.sections.values() for link in section]
    assert len(links) >= 10
    for link in links:
        assert _site_path(site, link["url"], site_url).is_file(), link["url"]
    html_pages = [p for p in site.rglob("index.html") if "search" not in p.parts]
    full = (site / "llms-full.txt").read_text()
    for page in html_pages:
        twin = page.with_name("index.html.md")
        assert twin.is_file(), twin
        text = twin.read_text()
        assert text.startswith("---\ntitle: ") and "\nurl: " in text
        assert "[?" not in text and "<sup" not in text and "md-" not in text  # citations resolved, no theme noise
        header, rest = text[4:].split("\n---\n", 1)
        if "\nsources:\n" in header:  # a page that cites: every number resolves to its reference list
            body, references_text = rest.split("\n## References\n")
            numbers = {int(n) for n in re.findall(r"\[(\d+)\]", body)}
            references = set(map(int, re.findall(r"^(\d+)\. ", references_text, re.M)))
            assert numbers and numbers <= references, (twin, numbers - references)
        soup = BeautifulSoup(page.read_text(), "html.parser")
        alternate = soup.find("link", rel="alternate", type="text/markdown")
        assert alternate is not None and (page.parent / alternate["href"]).resolve().is_file(), page
        assert soup.find("a", string="View as Markdown") is not None
        canonical = re.search(r"^url: \"?([^\"\s]+)\"?$", text, re.M).group(1)
        assert full.count(f'<page url="{canonical}"') == 1, canonical
    sources = json.loads((site / "sources.json").read_text())
    assert sources["sources"] and {"id", "title", "tier", "aliases"} <= set(sources["sources"][0])
    assert (site / "sources.schema.json").is_file() and (site / "conflicts.schema.json").is_file()
    conflicts = json.loads((site / "conflicts.json").read_text())
    assert any(c["id"] == "micrograd-lines" and c["registered"] for c in conflicts["conflicts"])


def test_a_dirty_rebuild_keeps_every_page_in_the_agent_outputs(tiny_profile: Path, tmp_path: Path) -> None:
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config

    site = tmp_path / "site"

    def build(dirty: bool) -> None:
        config = load_config(config_file=str(tiny_profile / "mkdocs.yml"), site_dir=str(site))
        config.plugins.on_startup(command="build", dirty=dirty)
        mkdocs_build(config, dirty=dirty)
        config.plugins.on_shutdown()

    build(dirty=False)
    full_llms, full_twins = (site / "llms.txt").read_text(), sorted(p.name for p in site.rglob("*.md"))
    page = tiny_profile / "docs/index.md"
    page.write_text(page.read_text() + "\nOne more sentence [@quill-workshop-site].\n")
    build(dirty=True)
    assert (site / "llms.txt").read_text() == full_llms
    assert sorted(p.name for p in site.rglob("*.md")) == full_twins
    assert "One more sentence" in (site / "index.html.md").read_text()
    assert "One more sentence" in (site / "llms-full.txt").read_text()


def test_twin_numbers_citations_on_a_page_with_attribute_lists(tiny_profile: Path, tmp_path: Path) -> None:
    page = tiny_profile / "docs/index.md"
    text = page.read_text()
    body_start = text.index("---", 3) + 4
    page.write_text(text[:body_start] + "\n## Workshop {: #workshop }\n" + text[body_start:])
    assert main(["-f", str(tiny_profile / "mkdocs.yml"), "build", "--site-dir", str(tmp_path / "site")]) == 0
    twin = (tmp_path / "site/index.html.md").read_text()
    assert "## Workshop\n" in twin and "{:" not in twin
    assert "in March 2001 [1]" in twin and "@quill" not in twin.split("## References")[0]


def _mkdocs_build(config_file: Path, site: Path, command: str = "build") -> str:
    """A build by MkDocs itself, in this process (as `mkdocs build` or `mkdocs serve` makes one):
    'built', or 'failed: ' and why."""
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config

    config = load_config(config_file=str(config_file), site_dir=str(site))
    config.plugins.on_startup(command=command, dirty=False)
    try:
        mkdocs_build(config)
    except Exception as exc:  # the build fails on an error finding; what it said is what counts
        return f"failed: {exc}"
    finally:
        config.plugins.on_shutdown()
    return "built"


def _reported(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each finding the plugin reports from now on, as it prints it."""
    from build_tools import plugin

    reported: list[str] = []
    report = plugin.ProvenancePlugin._report
    monkeypatch.setattr(
        plugin.ProvenancePlugin, "_report", lambda self, found: reported.extend(map(str, found)) or report(self, found)
    )
    return reported


def _count_checks(monkeypatch: pytest.MonkeyPatch) -> tuple[list[int], list[list[str]]]:
    """Each time the project's checks run, and the pages each build asks its helper to read."""
    from build_tools import outputs

    runs = count_project_checks(monkeypatch)
    asked: list[list[str]] = []
    read_ahead = outputs.Outputs.read_ahead
    monkeypatch.setattr(
        outputs.Outputs,
        "read_ahead",
        lambda self, job, pages: asked.append(sorted(uri for uri, _ in pages)) or read_ahead(self, job, pages),
    )
    return runs, asked


def test_a_new_build_takes_the_checks_an_earlier_one_kept_on_disk_while_nothing_changed(
    tiny_profile: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from build_tools import plugin

    runs, asked = _count_checks(monkeypatch)
    for name in ("first", "second"):  # (each `build` writes into a fresh folder, swapped in at the end)
        plugin.forget_earlier_builds()  # as a new process starts
        _build(tiny_profile / "mkdocs.yml", tmp_path / name)
    assert (tiny_profile / ".cache/plugin/provenance/project.pickle").is_file()
    assert len(runs) == 1  # the second build took the first one's checks
    assert asked == [["index.md", "people/apprentices.md"], []]
    assert tree(tmp_path / "second") == tree(tmp_path / "first")

    page = tiny_profile / "docs/index.md"
    page.write_text(page.read_text() + "\nShe also mended watches [@quill-workshop-site].\n")
    plugin.forget_earlier_builds()
    assert _mkdocs_build(tiny_profile / "mkdocs.yml", tmp_path / "third") == "built"
    assert len(runs) == 1 and asked[-1] == ["index.md"]  # only the page that changed is read again
    assert "She also mended watches" in (tmp_path / "third/index.html").read_text()

    account = tiny_profile / "sources/accounts/quill-digest.txt"
    account.write_text(account.read_text() + "\nOne more line.\n")
    plugin.forget_earlier_builds()
    assert _mkdocs_build(tiny_profile / "mkdocs.yml", tmp_path / "fourth").startswith("failed")
    assert len(runs) == 2 and asked[-1] == ["index.md", "people/apprentices.md"]  # an input changed


def test_the_wording_index_is_kept_apart_and_read_only_when_a_page_is(
    tiny_profile: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from build_tools import cache, plugin, wording

    built: list[int] = []
    init = wording.AccountIndex.__init__
    monkeypatch.setattr(
        wording.AccountIndex, "__init__", lambda self, accounts: built.append(1) or init(self, accounts)
    )
    reported = _reported(monkeypatch)
    kept = tiny_profile / ".cache/plugin/provenance/wording.pickle"

    def build(name: str) -> str:
        plugin.forget_earlier_builds()  # as a new process starts
        return _mkdocs_build(tiny_profile / "mkdocs.yml", tmp_path / name)

    # A first build's helper checks the project, builds the index and keeps it (this process builds
    # one too only if it has to wait for the helper's checks, to read pages the helper has not begun).
    assert build("first") == "built" and len(built) <= 1 and kept.is_file()
    first = len(built)
    checked = kept.parent / "project.pickle"
    assert cache.load(checked, checked.read_bytes()[:32]).index is None  # (they are read without it)
    kept.unlink()
    assert build("second") == "built" and len(built) == first  # every page taken again: no page read, no index
    assert not kept.exists()
    page = tiny_profile / "docs/index.md"
    page.write_text(page.read_text() + "\nShe also mended watches [@quill-workshop-site].\n")
    assert build("third") == "built" and len(built) == first + 1 and kept.is_file()  # a page read: built, kept
    copied = "Ada Quill is an invented clockmaker used to test the toolkit, they say [@quill-workshop-site].\n"
    page.write_text(page.read_text() + "\n" + copied)
    assert build("fourth") == "built" and len(built) == first + 1  # the index as kept
    assert any(line.startswith("docs/index.md:") and " C401 warning: copied wording" in line for line in reported)


@pytest.mark.parametrize("damage", ["truncated", "garbage", "other key", "a folder"])
def test_a_cache_that_cannot_be_used_is_worked_out_again(
    tiny_profile: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    from build_tools import plugin

    runs, _ = _count_checks(monkeypatch)
    plugin.forget_earlier_builds()
    assert _mkdocs_build(tiny_profile / "mkdocs.yml", tmp_path / "first") == "built"
    kept = tiny_profile / ".cache/plugin/provenance/project.pickle"
    data = kept.read_bytes()
    if damage == "a folder":
        kept.unlink()
        kept.mkdir()
    else:
        kept.write_bytes(
            {"truncated": data[: len(data) // 2], "garbage": data[:32] + b"not a pickle", "other key": b"x" + data[1:]}[
                damage
            ]
        )
    plugin.forget_earlier_builds()
    assert _mkdocs_build(tiny_profile / "mkdocs.yml", tmp_path / "second") == "built"
    assert len(runs) == 2
    assert tree(tmp_path / "second") == tree(tmp_path / "first")


def test_cache_false_keeps_nothing_on_disk(tiny_profile: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from build_tools import plugin

    config = tiny_profile / "mkdocs.yml"
    config.write_text(config.read_text().replace("  - provenance\n", "  - provenance:\n      cache: false\n"))
    runs, _ = _count_checks(monkeypatch)
    for name in ("first", "second"):
        plugin.forget_earlier_builds()
        assert _mkdocs_build(config, tmp_path / name) == "built"
    assert main(["-f", str(config), "check"]) == 0
    assert len(runs) == 3 and not (tiny_profile / ".cache").exists()


def test_a_kept_page_that_became_a_link_out_of_the_repository_is_refused(
    tiny_profile: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from build_tools import plugin

    reported = _reported(monkeypatch)
    plugin.forget_earlier_builds()
    assert _mkdocs_build(tiny_profile / "mkdocs.yml", tmp_path / "first") == "built"
    page = tiny_profile / "docs/people/apprentices.md"
    outside = tmp_path / "elsewhere.md"
    outside.write_bytes(page.read_bytes())  # the same bytes: only where they are has changed
    page.unlink()
    page.symlink_to(outside)
    plugin.forget_earlier_builds()
    assert _mkdocs_build(tiny_profile / "mkdocs.yml", tmp_path / "second").startswith("failed")
    assert any(line.startswith("docs/people/apprentices.md:1: F005 error") for line in reported)


def test_a_rebuild_reuses_the_projects_checks_until_an_input_changes(
    tiny_profile: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from build_tools import plugin

    plugin.forget_earlier_builds()
    runs, _ = _count_checks(monkeypatch)
    reported = _reported(monkeypatch)
    site = tmp_path / "site"

    def build() -> str:
        outcome = _mkdocs_build(tiny_profile / "mkdocs.yml", site, command="serve")
        return outcome if outcome != "built" else (site / "sources" / "index.html").read_text()

    first = build()
    assert build() == first and len(runs) == 1  # nothing changed: the checks of the project are reused
    account = tiny_profile / "sources/accounts/quill-digest.txt"
    account.write_text(account.read_text() + "\nOne more line.\n")
    assert not any(" A004 " in line for line in reported)
    assert build().startswith("failed")
    assert len(runs) == 2 and any(" A004 " in line for line in reported)  # an account's bytes changed


# A register with one disagreement, which the tiny profile's index page speaks of (and links to no page).
_REGISTER = (
    "conflicts:\n"
    "- id: workshop-opened\n"
    "  subject: When Ada Quill opened her workshop\n"
    "  verdict: conflict\n"
    "  values:\n"
    "  - value: March 2001\n"
    "    rank: preferred\n"
    "    reason: Her workshop's own site gives it.\n"
    "    sources: [quill-workshop-site]\n"
    "    phrases: [opened her workshop]\n"
    "  - value: '2002'\n"
    "    rank: deprecated\n"
    "    reason: Nothing supports it.\n"
    "    phrases: [workshop in 2002]\n"
)


def test_mkdocs_build_tells_what_only_the_whole_site_shows_in_the_words_check_uses(
    tiny_profile: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from build_tools import checks, plugin
    from build_tools.project import load_project, settings_from_config

    registry = tiny_profile / "sources/registry.yml"
    registry.write_text(
        registry.read_text() + "\n- id: nobody-cites-this\n  title: Unread\n  kind: web page\n"
        "  url: https://unread.example/\n  tier: 2\n"
    )
    (tiny_profile / "sources/conflicts.yml").write_text(_REGISTER)
    reported = _reported(monkeypatch)
    plugin.forget_earlier_builds()
    assert _mkdocs_build(tiny_profile / "mkdocs.yml", tmp_path / "site") == "built"
    told = checks.run_all(load_project(settings_from_config(tiny_profile / "mkdocs.yml")))
    expected = sorted(str(d) for d in told if d.code in ("R020", "K007"))
    assert [line.split(": ")[1].split()[0] for line in expected] == ["K007", "R020"]
    assert sorted(line for line in reported if line.split(": ")[1].split()[0] in ("R020", "K007")) == expected


def test_check_leaves_out_the_pages_mkdocs_leaves_out(
    tiny_profile: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from build_tools import plugin
    from build_tools.cli import _check_all
    from build_tools.project import settings_from_config

    pages = ("drafts/idea.md", "private/notes.md", "templates/page.md", ".hidden/page.md", "kept.md")
    for page in pages:
        write(tiny_profile / "docs" / page, "---\ntitle: Left out?\n---\n\nA claim [@no-such-source].\n")
    config = tiny_profile / "mkdocs.yml"
    config.write_text(config.read_text() + "exclude_docs: |\n  private/\ndraft_docs: |\n  drafts/\n")
    reported = _reported(monkeypatch)
    runs = count_project_checks(monkeypatch)
    plugin.forget_earlier_builds()
    assert _mkdocs_build(config, tmp_path / "site").startswith("failed")
    told = [str(d) for d in _check_all(settings_from_config(config))]
    assert len(runs) == 1  # `check` took the project's checks the build kept: the patterns are no part of them
    new = sorted(line for line in told if line.split(":")[0] in {f"docs/{page}" for page in pages})
    assert "docs/kept.md:5:10: C101 error: unknown source 'no-such-source'" in new
    assert {line.split(":")[0] for line in new} == {"docs/kept.md"}  # as MkDocs builds it
    assert sorted(line for line in reported if line.startswith("docs/kept.md:")) == new


def test_a_page_shows_the_disagreements_it_speaks_of_as_found_when_it_was_read(
    tiny_profile: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from build_tools import plugin

    (tiny_profile / "sources/conflicts.yml").write_text(_REGISTER)

    def not_again(*args: object) -> None:
        raise AssertionError("a curated page's disagreements were worked out a second time")

    monkeypatch.setattr(plugin.ProvenancePlugin, "_touched", not_again)
    plugin.forget_earlier_builds()
    site = tmp_path / "site"
    _build(tiny_profile / "mkdocs.yml", site)
    assert 'href="disagreements/#workshop-opened"' in (site / "index.html").read_text()
    assert "disagreements/#workshop-opened" not in (site / "people/apprentices/index.html").read_text()


def _page_titled_by_its_heading(profile: Path, heading: str) -> None:
    """A register entry, and a page without a title in its front matter (F002 off) that opens with
    `heading` ('The workshop') and touches the entry's disagreement."""
    (profile / "sources/conflicts.yml").write_text(_REGISTER)
    config = profile / "mkdocs.yml"
    config.write_text(
        config.read_text().replace("  - provenance\n", "  - provenance:\n      severity: {F002: 'off'}\n")
    )
    write(
        profile / "docs/people/workshop.md",
        f"---\ndescription: Her workshop.\nconfidence: high\ndepth: low\n---\n\n{heading}\n\n"
        "Ada Quill opened her workshop in March 2001 [@quill-workshop-site].\n",
    )


def _assert_notice_under_heading(html: Path) -> None:
    """The page takes its title from its heading, and the notice of disagreements comes right after it."""
    page = BeautifulSoup(html.read_text(), "html.parser")
    assert page.title is not None and page.title.get_text().startswith("The workshop")
    content = page.select_one("article")
    assert content is not None
    blocks = [child for child in content.children if getattr(child, "name", None)]
    heading = next(i for i, block in enumerate(blocks) if block.name == "h1")
    assert blocks[heading].get_text().startswith("The workshop")
    assert "conflict-notice" in blocks[heading + 1].get("class", [])
    assert not any("conflict-notice" in block.get("class", []) for block in blocks[:heading])


@pytest.mark.parametrize("checked", ["here", "by the helper, which failed"])
def test_a_first_build_whose_helper_checks_the_project_builds_the_same_site(
    tiny_profile: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, checked: str
) -> None:
    """A first build renders its pages while the helper checks the project, and takes the pages'
    checks (findings, badge reasons, notices of disagreements) before it writes them."""
    from build_tools import outputs, plugin

    # A page that takes its title from its heading, and touches the disagreement: the notice goes under it.
    _page_titled_by_its_heading(tiny_profile, "# The workshop")
    asked: list[bool] = []
    ask = outputs.Outputs.check_project
    monkeypatch.setattr(outputs.Outputs, "check_project", lambda *args: asked.append(ask(*args)) or asked[-1])
    plugin.forget_earlier_builds()
    _build(tiny_profile / "mkdocs.yml", tmp_path / "helper")
    assert asked == [True]
    shutil.rmtree(tiny_profile / ".cache")
    if checked == "here":
        monkeypatch.setattr(outputs.Outputs, "check_project", lambda *args: False)
    else:
        monkeypatch.setattr(outputs.Outputs, "project_checks", lambda self: None)
    plugin.forget_earlier_builds()
    _build(tiny_profile / "mkdocs.yml", tmp_path / "other")
    assert tree(tmp_path / "helper") == tree(tmp_path / "other")
    _assert_notice_under_heading(tmp_path / "helper/people/workshop/index.html")
    index = (tmp_path / "helper/index.html").read_text()
    assert index.count('class="admonition warning conflict-notice"') == 1
    twin = (tmp_path / "helper/index.md").read_text()  # the twin's notice, as links
    assert "> The accounts disagree here: [When Ada Quill opened her workshop](" in twin
    assert "disagreements.md#workshop-opened" in twin
    assert "conflict-notice" not in (tmp_path / "helper/people/apprentices/index.html").read_text()


@pytest.mark.parametrize("heading", ["# The workshop", "#The workshop", "The workshop\n============"])
def test_a_notice_of_disagreements_goes_under_a_leading_heading_however_it_is_written(
    tiny_profile: Path, tmp_path: Path, heading: str
) -> None:
    """MkDocs takes a page's title from a heading of level 1 that comes first: Python-Markdown reads one
    with or without a space after its '#', or as a line underlined with '='. The notice goes under it."""
    from build_tools import plugin

    _page_titled_by_its_heading(tiny_profile, heading)
    plugin.forget_earlier_builds()
    _build(tiny_profile / "mkdocs.yml", tmp_path / "site")
    _assert_notice_under_heading(tmp_path / "site/people/workshop/index.html")


@pytest.mark.parametrize("register", ["complete", "missing a disagreement"])
def test_pages_checked_while_the_helper_reconciles_stand_only_if_it_found_nothing_unregistered(
    tiny_profile: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, register: str
) -> None:
    """While the helper reconciles, the build checks pages against the register alone; a disagreement
    found outside the register would change them, so they are then checked again. Either way the
    site is the one a build that checks everything here makes."""
    from build_tools import outputs, plugin

    entry = (
        "- id: workshop-founded\n  subject: When the Quill Workshop was founded\n"
        "  match: {subject: Quill Workshop, attribute: founded}\n  verdict: conflict\n  values:\n"
        "  - value: March 2001\n    rank: preferred\n    reason: The workshop's site gives it.\n"
        "  - value: '2002'\n    rank: deprecated\n    reason: Nothing supports it.\n"
    )
    (tiny_profile / "sources/conflicts.yml").write_text(_REGISTER + (entry if register == "complete" else ""))
    # (A page on the disagreement missing from the register: reconciling finds it, and lowers the page's ceiling.)
    page = "---\ntitle: The workshop\ndescription: Its founding.\nconfidence: medium\ndepth: low\n---\n\n"
    write(
        tiny_profile / "docs/workshop.md",
        page + "The Quill Workshop was founded in March 2001 [@quill-workshop-site].\n",
    )
    monkeypatch.setattr(outputs.Outputs, "check_project", lambda *args: False)
    plugin.forget_earlier_builds()
    _build(tiny_profile / "mkdocs.yml", tmp_path / "here")
    monkeypatch.undo()
    shutil.rmtree(tiny_profile / ".cache")
    # The helper's checks "arrive" only when waited for: every page is checked while it reconciles.
    monkeypatch.setattr(outputs.Outputs, "checks_arrived", lambda self: False)
    guessed: list[int] = []
    take = plugin.ProvenancePlugin._take_deferred
    monkeypatch.setattr(
        plugin.ProvenancePlugin,
        "_take_deferred",
        lambda self, config: guessed.append(len(self.guessed)) or take(self, config),
    )
    plugin.forget_earlier_builds()
    _build(tiny_profile / "mkdocs.yml", tmp_path / "guessed")
    assert guessed == ([3] if register == "complete" else [0])  # (every page: kept, or checked again)
    assert tree(tmp_path / "here") == tree(tmp_path / "guessed")


def test_mkdocs_serve_leaves_the_repositorys_llms_txt_alone(tiny_profile: Path, tmp_path: Path) -> None:
    from build_tools import plugin

    config = tiny_profile / "mkdocs.yml"
    config.write_text(
        config.read_text().replace("  - provenance\n", "  - provenance:\n      llms_txt_copy: llms.txt\n")
    )
    plugin.forget_earlier_builds()
    assert _mkdocs_build(config, tmp_path / "site") == "built"
    copy = (tiny_profile / "llms.txt").read_text()
    assert "https://quill.example/" in copy
    config.write_text(config.read_text() + "dev_addr: 127.0.0.1:8765\n")
    site_url = "site_url: https://quill.example/"
    config.write_text(config.read_text().replace(site_url, "site_url: http://127.0.0.1:8765/"))  # as serve sets it
    assert _mkdocs_build(config, tmp_path / "served", command="serve") == "built"
    assert "http://127.0.0.1:8765/" in (tmp_path / "served/llms.txt").read_text()
    assert (tiny_profile / "llms.txt").read_text() == copy


def test_a_full_rebuild_in_one_process_reads_only_the_pages_that_changed(
    tiny_profile: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from build_tools import plugin

    plugin.forget_earlier_builds()
    _, asked = _count_checks(monkeypatch)
    site = tmp_path / "site"

    def build() -> str:  # a full build, as `mkdocs serve` makes one after each change
        assert _mkdocs_build(tiny_profile / "mkdocs.yml", site, command="serve") == "built"
        return (site / "index.html").read_text() + (site / "llms-full.txt").read_text()

    first = build()
    assert build() == first
    page = tiny_profile / "docs/index.md"
    page.write_text(page.read_text() + "\nShe also mended watches [@quill-workshop-site].\n")
    assert "She also mended watches" in build()
    assert asked == [["index.md", "people/apprentices.md"], [], ["index.md"]]
