from __future__ import annotations

from pathlib import Path

import pytest

from build_tools.accounts import Account
from build_tools.checks import check_page, check_register_discussed
from build_tools.conflicts import load_register, phrase_hits
from build_tools.docs import find_citations, load_page, read_page
from build_tools.registry import Origin, Registry, Source
from build_tools.render import render_citations
from build_tools.wording import AccountIndex

from conftest import write

REGISTRY = Registry(
    sources={
        "quill-2004-notes": Source("quill-2004-notes", "Notes on Gears", 1, origins=(Origin("r", "2"),)),
        "tick-2010-visit": Source("tick-2010-visit", "A visit", 3),
    },
    aliases={"r:2": "quill-2004-notes"},
)
FRONT = "---\ntitle: T\ndescription: D\nconfidence: medium\ndepth: low\n---\n"


def _codes(tmp_path: Path, text: str) -> list[tuple[str, int]]:
    page = read_page(write(tmp_path / "docs/p.md", text), "docs/p.md")
    return [(d.code, d.line) for d in check_page(page, REGISTRY)]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Fine [@quill-2004-notes].\n", []),
        ("Alias works [@r:2].\n", []),
        ("Two [@quill-2004-notes; @tick-2010-visit].\n", []),
        ("Unknown [@quill-2004-note].\n", [("C101", 7)]),
        ("Empty [@].\n", [("C102", 7)]),
        ("Space [@ quill-2004-notes].\n", [("C102", 7)]),
        ("Stray [@quill-2004-notes @tick-2010-visit].\n", [("C102", 7)]),
        ("Mail [me@quill.example] is not a citation.\n", []),
        ("```\n[@not-a-citation]\n```\nand `[@inline-code]`\n", []),
        ("line one\n\nline three [@nope].\n", [("C101", 9)]),
    ],
)
def test_citation_checks(tmp_path: Path, body: str, expected: list[tuple[str, int]]) -> None:
    assert _codes(tmp_path, FRONT + body) == expected


def test_unknown_citation_suggests_a_close_id(tmp_path: Path) -> None:
    page = read_page(write(tmp_path / "p.md", FRONT + "x [@quill-2004-note]\n"), "p.md")
    (diagnostic,) = check_page(page, REGISTRY)
    assert "did you mean 'quill-2004-notes'" in diagnostic.message
    assert (diagnostic.line, diagnostic.column) == (7, 4)


@pytest.mark.parametrize(
    ("front", "codes"),
    [
        ("---\ntitle: T\ndescription: D\nconfidence: high\ndepth: medium\n---\n", []),
        ("---\ntitle: T\ndescription: D\nconfidence: certain\ndepth: low\n---\n", [("F003", 4)]),
        ("---\ntitle: T\ndescription: D\ndepth: low\n---\n", [("F003", 1)]),
        ("---\ndescription: D\nconfidence: low\ndepth: low\n---\n", [("F002", 1)]),
        ("No front matter at all.\n", [("F002", 1)]),
        ("---\ntitle: [unclosed\n---\n", [("F001", 3)]),
        ("---\n- a list\n---\n", [("F001", 2)]),
        ("---\ntitle: !!python/name:os.system\n---\n", [("F001", 2)]),
    ],
)
def test_front_matter_checks(tmp_path: Path, front: str, codes: list[tuple[str, int]]) -> None:
    assert _codes(tmp_path, front + "Body.\n") == codes


def test_invalid_utf8_is_a_diagnostic(tmp_path: Path) -> None:
    path = tmp_path / "p.md"
    path.write_bytes(b"---\ntitle: \xff\n---\n")
    assert [d.code for d in check_page(read_page(path, "p.md"), REGISTRY)] == ["F001"]


def test_render_numbers_sources_in_order_of_first_use() -> None:
    body = "A [@tick-2010-visit]. B [@quill-2004-notes; @tick-2010-visit]. C [@r:2].\n"
    citations, _ = find_citations(body)
    rendered = render_citations(body, citations, REGISTRY, "../sources/")
    assert [s.id for s in rendered.cited] == ["tick-2010-visit", "quill-2004-notes"]
    assert rendered.markdown.count('href="../sources/#tick-2010-visit"') == 3  # two citations + reference list
    assert ">2<span" in rendered.markdown and "tier-1" in rendered.markdown
    assert "## References" in rendered.markdown and "[@" not in rendered.markdown


def test_citations_of_a_page_written_in_ascii_render_in_ascii() -> None:
    # The separators between a source's facts are entities: a page whose own text is ASCII stays so.
    source = Source("gear-paper", "Gears", 1, "paper", "Clock Press", "https://gears.example/", "2004-05-06")
    registry = Registry(sources={"gear-paper": source})
    body = "A claim [@gear-paper].\n"
    rendered = render_citations(body, find_citations(body)[0], registry, "../sources/")
    assert 'title="Gears &middot; Clock Press &middot; 2004-05-06 &middot; tier 1: ' in rendered.markdown
    assert "paper &middot; 2004-05-06 &middot; <span" in rendered.markdown
    assert rendered.markdown.isascii()


def test_unverified_markers_render_visibly_outside_code() -> None:
    from build_tools.render import mark_unverified

    out = mark_unverified("Claim [UNVERIFIED — no source]. `[UNVERIFIED]` stays.\n")
    assert '<span class="unverified" title="UNVERIFIED — no source">UNVERIFIED</span>' in out
    assert "`[UNVERIFIED]`" in out


def test_a_link_to_a_file_outside_the_repository_is_refused(tiny_profile: Path, tmp_path: Path) -> None:
    from build_tools.checks import run_all
    from build_tools.project import load_project, settings_from_config

    secret = write(tmp_path / "outside.md", "---\ntitle: secret\n---\nsecret text\n")
    (tiny_profile / "docs/link.md").symlink_to(secret)
    found = [d for d in run_all(load_project(settings_from_config(tiny_profile / "mkdocs.yml"))) if d.code == "F005"]
    assert [(d.path, d.severity) for d in found] == [("docs/link.md", "error")]
    # MkDocs follows a linked folder (the plugin then loads each page in it): refused the same way.
    write(tmp_path / "elsewhere/page.md", "---\ntitle: secret\n---\nsecret text\n")
    (tiny_profile / "docs/linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    page = load_page(tiny_profile / "docs/linked/page.md", tiny_profile)
    assert page.error_code == "F005" and page.body == ""


def test_person_front_matter_needs_sourced_entries(tmp_path: Path) -> None:
    text = FRONT.replace(
        "depth: low\n", "depth: low\nperson:\n  name: Ada\n  affiliations:\n  - {name: Acme, source: nope}\n"
    )
    page = read_page(write(tmp_path / "p.md", text + "x\n"), "p.md")
    assert [d.code for d in check_page(page, REGISTRY)] == ["F006"]


def test_profile_page_json_ld() -> None:
    import json

    from build_tools.jsonld import profile_page

    person = {
        "name": "Ada",
        "affiliations": [{"name": "Acme", "start": "2015", "end": "2017", "source": "quill-2004-notes"}],
    }
    block = profile_page(person, REGISTRY, "https://x.example/", "An engineer.", "2026-11-23")
    data = json.loads(block.split("\n", 1)[1].rsplit("\n", 1)[0])
    assert data["@type"] == "ProfilePage" and data["mainEntity"]["@type"] == "Person"
    assert data["mainEntity"]["affiliation"][0] == {
        "@type": "Role",
        "affiliation": {"@type": "Organization", "name": "Acme"},
        "startDate": "2015",
        "endDate": "2017",
    }


def _account(tmp_path: Path, text: str) -> Account:
    path = write(tmp_path / "sources/accounts/notes.txt", text)
    return Account("notes", path, "sources/accounts/notes.txt", "Notes", "report", "a person", 3, "")


ACCOUNT_TEXT = "Intro.\nShe built the first brass calculating engine in the north of the country in 1904.\n"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("She built the first brass calculating engine in the north of the country [@tick-2010-visit].\n", [7]),
        ("In 1904 she built a brass engine, the first of its kind up north [@tick-2010-visit].\n", []),
        ('The notes say "she built the first brass calculating engine in the north" [@tick-2010-visit].\n', []),
        ("It was *the first brass calculating engine in the north of the country* [@tick-2010-visit].\n", []),
    ],
)
def test_copied_wording_is_reported_unless_quoted(tmp_path: Path, body: str, expected: list[int]) -> None:
    index = AccountIndex([_account(tmp_path, ACCOUNT_TEXT)])
    page = read_page(write(tmp_path / "docs/p.md", FRONT.replace("medium", "low") + body), "docs/p.md")
    found = [d for d in check_page(page, REGISTRY, None, index) if d.code == "C401"]
    assert [d.line for d in found] == expected
    assert all("notes line 2" in d.message for d in found)


def test_a_disagreement_no_page_links_to_is_reported(tmp_path: Path) -> None:
    register_file = write(
        tmp_path / "conflicts.yml",
        "conflicts:\n"
        "- id: engine-year\n  subject: The engine's year\n  verdict: conflict\n  values:\n"
        "  - {value: '1904', rank: normal}\n  - {value: '1905', rank: normal}\n"
        "- id: gear-count\n  subject: Gears\n  verdict: not a conflict\n  values:\n"
        "  - {value: '3', rank: normal}\n  - {value: '4', rank: normal}\n",
    )
    register, problems = load_register(register_file, "conflicts.yml")
    assert problems == []
    silent = read_page(write(tmp_path / "docs/a.md", FRONT + "Built in 1904 or 1905.\n"), "docs/a.md")
    found = list(check_register_discussed(register, [silent], "disagreements.md"))
    assert [(d.code, d.line) for d in found] == [("K007", 2)]
    linked = read_page(
        write(tmp_path / "docs/b.md", FRONT + "Built in 1904 ([register](../disagreements.md#engine-year)).\n"),
        "docs/b.md",
    )
    assert list(check_register_discussed(register, [silent, linked], "disagreements.md")) == []


def test_a_register_phrase_counts_only_in_the_context_the_entry_names(tmp_path: Path) -> None:
    register_file = write(
        tmp_path / "conflicts.yml",
        "conflicts:\n- id: first-post\n  subject: Where she first worked\n  verdict: conflict\n"
        "  context: [apprentice, '1999']\n  values:\n"
        "  - {value: Tick and Sons, rank: normal}\n  - {value: Tock Brothers, rank: normal}\n",
    )
    register, problems = load_register(register_file, "conflicts.yml")
    assert problems == []
    entry = register.entries["first-post"]
    assert [v.value for v in phrase_hits(entry, "In 1999 she was apprenticed to Tick and Sons.")] == ["Tick and Sons"]
    assert list(phrase_hits(entry, "Tick and Sons later sold clocks in town.")) == []


def test_conflict_notice_keeps_the_case_of_the_preferred_value() -> None:
    from build_tools.conflicts import RegisterEntry, RegisterValue
    from build_tools.render import conflict_notice

    entry = RegisterEntry(
        id="title",
        subject="Her title",
        values=[
            RegisterValue(value="Master Clockmaker", rank="preferred", reason="her site"),
            RegisterValue(value="Apprentice", rank="deprecated", reason="unsourced"),
        ],
    )
    html = conflict_notice([entry], "../disagreements/")
    assert "<em>We use Master Clockmaker.</em>" in html
    assert "<s>Apprentice</s>" in html
