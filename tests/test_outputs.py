"""The agent outputs' helper process, the page's search copy and the Content-Security-Policy."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from build_tools import csp, outputs
from build_tools.agents import TwinPage
from build_tools.docs import find_citations
from build_tools.registry import Registry, Source
from build_tools.render import Stash, render_citations, stash_html_blocks

REGISTRY = Registry(sources={"clock-site": Source("clock-site", "The clock workshop", 1)})


def _twin(uri: str, markdown: str = "Made clocks [@clock-site].\n") -> TwinPage:
    citations, _ = find_citations(markdown)
    return TwinPage(uri, "Clocks", "", "https://x.example/c/", "https://x.example/c.md", markdown, citations)


def _send_one(work: outputs.Outputs, targets: list[str], tmp_path: Path) -> None:
    work.send("context", REGISTRY, {}, "https://x.example/sources.md")
    work.send("twin", _twin("c.md"), targets, False)
    work.send("full", tmp_path / "llms-full.txt", "Site", "A site.", [("c.md", "Profile")])


def test_the_helper_process_renders_and_writes_twins_and_llms_full(tmp_path: Path) -> None:
    work = outputs.Outputs()
    assert work.process is not None and work.local is None  # a second process does the work
    _send_one(work, [str(tmp_path / "c.md"), str(tmp_path / "c/index.html.md")], tmp_path)
    work.close()
    twin = (tmp_path / "c.md").read_text()
    assert "Made clocks [1]." in twin and "1. The clock workshop. Tier 1." in twin
    assert os.path.samefile(tmp_path / "c.md", tmp_path / "c/index.html.md")  # one file, two names
    assert "Made clocks [1]." in (tmp_path / "llms-full.txt").read_text()


def test_a_twin_sent_without_its_citations_gets_them_found_again_by_the_helper(tmp_path: Path) -> None:
    from dataclasses import replace

    markdown = "Made clocks [@clock-site].\n\nAnd more [@nowhere; @clock-site].\n"
    twin = _twin("c.md", markdown=markdown)
    work = outputs.Outputs()
    work.send("context", REGISTRY, {}, "https://x.example/sources.md")
    work.send("twin", twin, [str(tmp_path / "sent.md")], False)
    work.send("twin_cited", replace(twin, citations=[]), [str(tmp_path / "found.md")], False, 1)
    work.close()
    sent = (tmp_path / "sent.md").read_text()
    assert "Made clocks [1]." in sent and "And more [?nowhere][1]." in sent and "1. The clock workshop" in sent
    assert (tmp_path / "found.md").read_text() == sent  # the same twin, citations and all


def test_a_twin_the_helper_cannot_write_fails_with_the_page_and_the_reason(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("a file where a folder should be")
    work = outputs.Outputs()
    _send_one(work, [str(tmp_path / "blocker/c.md")], tmp_path)
    with pytest.raises(outputs.OutputError, match=r"c\.md: (Not a directory|File exists)"):
        work.close()


def test_a_helper_that_dies_fails_the_twins_with_a_clear_error(tmp_path: Path) -> None:
    work = outputs.Outputs()
    assert work.process is not None
    work.process.kill()
    work.process.wait()
    _send_one(work, [str(tmp_path / "c.md")], tmp_path)  # the pipe is broken: no traceback here
    with pytest.raises(outputs.OutputError, match=r"stopped \(exit code -9\)"):
        work.close()


def test_a_helper_that_crashes_reports_its_last_line_not_its_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outputs, "_HELPER", "raise SystemError('the helper broke')")
    work = outputs.Outputs()
    _send_one(work, [str(tmp_path / "c.md")], tmp_path)
    with pytest.raises(outputs.OutputError) as caught:
        work.close()
    assert str(caught.value) == "the helper process failed: SystemError: the helper broke"


def test_without_a_second_process_the_work_is_done_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-such-python"))
    work = outputs.Outputs()
    assert work.process is None and work.local is not None
    _send_one(work, [str(tmp_path / "c.md")], tmp_path)
    work.close()
    assert "Made clocks [1]." in (tmp_path / "c.md").read_text()
    (tmp_path / "blocker").write_text("")
    failing = outputs.Outputs(in_process=True)
    _send_one(failing, [str(tmp_path / "blocker/c.md")], tmp_path)
    with pytest.raises(outputs.OutputError, match=r"c\.md"):
        failing.close()


def _pages(tmp_path: Path) -> list[tuple[str, str]]:
    docs = tmp_path / "docs"
    docs.mkdir()
    front = "---\ntitle: T\ndescription: D\nconfidence: high\ndepth: low\n---\n"
    (docs / "good.md").write_text(front + "Made clocks [@clock-site].\n")
    (docs / "bad.md").write_text(front + "Made clocks [@clock-sight].\n")
    return [("good.md", str(docs / "good.md")), ("bad.md", str(docs / "bad.md"))]


def test_the_helper_reads_and_checks_pages_ahead(tmp_path: Path) -> None:
    work = outputs.Outputs()
    assert work.process is not None
    work.read_ahead(outputs.ReadJob(tmp_path, REGISTRY), _pages(tmp_path))
    good, bad = work.page("good.md", wait=30), work.page("bad.md", wait=30)
    assert good is not None and bad is not None
    assert good.page.meta["title"] == "T" and [c.key for c in good.page.citations[0]] == ["clock-site"]
    assert good.diagnostics == [] and "1 tier-1" in good.confidence_why
    assert [(d.code, d.path, d.line) for d in bad.diagnostics] == [("C101", "docs/bad.md", 7)]
    assert good.ahead and bad.ahead  # both came from the helper
    assert work.page("other.md") is None  # a page not asked for: the caller reads it
    # The helper kept what it read: a twin made from it is sent without its markdown.
    work.send("context", REGISTRY, {}, "https://x.example/sources.md")
    work.send("twin_as_read", _twin("good.md", markdown=""), [str(tmp_path / "good.md.out")], False)
    work.close()
    assert "Made clocks [1]." in (tmp_path / "good.md.out").read_text()


def test_pages_are_read_in_process_when_the_helper_dies(tmp_path: Path) -> None:
    work = outputs.Outputs()
    assert work.process is not None
    work.process.kill()
    work.process.wait()
    work.read_ahead(outputs.ReadJob(tmp_path, REGISTRY), _pages(tmp_path))
    bad = work.page("bad.md", wait=30)
    assert bad is not None and [d.code for d in bad.diagnostics] == ["C101"] and not bad.ahead
    assert work.pages()["good.md"].diagnostics == []  # the rest, read here too
    with pytest.raises(outputs.OutputError, match=r"exit code -9"):
        work.close()


def test_the_helper_checks_the_project_then_reads_pages_with_the_job_it_made(tiny_profile: Path) -> None:
    from dataclasses import replace

    from build_tools import kept
    from build_tools.project import load_project, settings_from_config

    settings = settings_from_config(tiny_profile / "mkdocs.yml")
    key = b"k" * 32
    project = load_project(settings, with_pages=False)
    here = kept.check(project, key)
    work = outputs.Outputs()
    assert work.check_project(project, key)
    found = work.project_checks()
    assert found is not None
    findings, context, report = found
    assert findings == here.findings and report == here.report and context.unregistered == here.context.unregistered
    page = str(tiny_profile / "docs/index.md")
    work.read_ahead(lambda: pytest.fail("a page was read here, without the helper's job"), [("index.md", page)])
    read = work.page("index.md")  # (waited for while the helper indexes the accounts' wording)
    job = outputs.ReadJob(settings.root, here.project.registry, here.context, here.wording, settings.severity)
    assert read is not None and read.ahead and read.diagnostics == job.read(page).diagnostics
    assert (settings.cache_dir / kept.WORDING).is_file()  # (the index it made, kept before it read a page)
    work.close()
    # A helper that cannot check the project says so: the caller checks it, and reads every page itself.
    work = outputs.Outputs()
    assert work.check_project(replace(project, accounts=[None]), key)  # type: ignore[list-item]
    assert work.project_checks() is None
    work.read_ahead(lambda: job, [("index.md", page)])
    taken = work.take(["index.md"])
    assert not taken["index.md"].ahead and taken["index.md"].diagnostics == read.diagnostics
    work.close()  # (no twin failed: nothing to report)


def test_a_stale_copy_at_the_second_twin_path_is_replaced_by_a_link(tmp_path: Path) -> None:
    stale = tmp_path / "c/index.html.md"
    stale.parent.mkdir()
    stale.write_text("last build's text")
    outputs.write_all([tmp_path / "c.md", stale], "this build's text")
    assert stale.read_text() == "this build's text" and os.path.samefile(stale, tmp_path / "c.md")


def test_search_sees_the_page_without_citation_marks_or_its_reference_list() -> None:
    body = "## References\n\nA heading of the page's own.\n\nMade clocks [@clock-site].\n"
    stash = Stash()
    rendered = render_citations(body, find_citations(body)[0], REGISTRY, "../sources/", stash)
    html = "\n".join(
        f"<p>{block}</p>" if not block.startswith("## ") else f'<h2 id="references{i}">{block[3:]}</h2>'
        for i, block in enumerate(rendered.markdown.strip().split("\n\n"))
    )
    full, light = stash.restore_both(html)
    assert 'class="citations"' in full and 'class="references"' in full
    assert "citation" not in light and 'references"' not in light and "<li" not in light
    assert light.count("References") == 1 and "A heading of the page's own." in light  # the page's own heading stays


def test_stashed_html_comes_back_and_a_token_alone_takes_its_paragraph() -> None:
    stash = Stash()
    block, mark, other = stash.put("<ol>list</ol>"), stash.put("<sup>1</sup>"), stash.put("<sup>2</sup>")
    html = f"<p>\n{block} </p><p>Text{mark}.</p><li>{other}</li><p>{mark}{other}</p><p>zqprovz99999z</p>"
    full, _ = stash.restore_both(html)
    assert full == (
        "<ol>list</ol><p>Text<sup>1</sup>.</p><li><sup>2</sup></li><p><sup>1</sup><sup>2</sup></p><p>zqprovz99999z</p>"
    )


def test_search_gets_the_sources_list_without_its_cited_on_links() -> None:
    markdown = (
        "## Tier 1\n\n"
        '<ul class="source-list">\n<li id="a"><strong>A source</strong>'
        '<br><span class="cited-on" data-search-exclude>cited on: <a href="../p/">Page</a></span></li>\n</ul>\n'
    )
    stash = Stash()
    stashed = stash_html_blocks(markdown, stash)
    assert "<ul" not in stashed  # Markdown never parses the list
    full, for_search = stash.restore_both(f"<h2>Tier 1</h2>\n<p>{stashed.split(chr(10))[2]}</p>")
    assert "cited on" in full and "cited on" not in for_search and "A source" in for_search


def test_csp_allows_the_themes_scripts_and_never_one_inside_the_article() -> None:
    page = (
        "<html><head><script>theme()</script></head><body>"
        '<article class="md-content__inner md-typeset"><p>text</p>'
        "<script>inside()</script></article><script>smuggled()</script>"  # a contribution's own </article>
        "<p>more of the page</p></article>"
        '<script>palette()</script><script src="/x.js"></script><script type="application/json">{}</script>'
        "</body></html>"
    )
    hashes = csp.theme_script_hashes(page)
    assert hashes == [csp._digest("theme()"), csp._digest("palette()")]
    assert csp._digest("smuggled()") not in csp.policy(page) and csp._digest("palette()") in csp.policy(page)


def test_the_helper_skips_a_page_the_parent_has_taken(tmp_path: Path) -> None:
    import io
    import pickle

    pages = _pages(tmp_path)
    jobs = io.BytesIO()
    for message in (("taken", "good.md"), ("read", outputs.ReadJob(tmp_path, REGISTRY), pages)):
        pickle.dump(message, jobs)
    jobs.seek(0)
    results = io.BytesIO()
    results.close = lambda: None  # type: ignore[method-assign]  # (kept open to be read below)
    assert outputs.serve(jobs, io.StringIO(), results) == 0
    data, frames = results.getvalue(), []
    while data:
        size = int.from_bytes(data[:4], "little")
        frames.append(pickle.loads(data[4 : 4 + size]))
        data = data[4 + size :]
    assert [(uri, read if isinstance(read, str) else type(read).__name__) for uri, read in frames] == [
        ("bad.md", "reading"),
        ("bad.md", "ReadPage"),
    ]


def test_a_page_the_helper_is_reading_is_waited_for_not_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import pickle
    import threading

    pages = _pages(tmp_path)
    job = outputs.ReadJob(tmp_path, REGISTRY)
    helper_read = job.read(pages[0][1])
    work = outputs.Outputs(in_process=True)
    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)
    work.results, work.job, work.paths = read_end, job, dict(pages)

    def frame(value: object) -> bytes:
        data = pickle.dumps(("good.md", value))
        return len(data).to_bytes(4, "little") + data

    os.write(write_end, frame("reading"))  # the helper has begun the page, and sends it a moment later
    threading.Timer(0.3, lambda: os.write(write_end, frame(helper_read))).start()
    monkeypatch.setattr(outputs.ReadJob, "read", lambda *args: pytest.fail("read again in the parent"))
    read = work.page("good.md")
    assert read is not None and read.ahead and read.page.meta["title"] == "T"
    os.close(write_end)
    os.close(read_end)
