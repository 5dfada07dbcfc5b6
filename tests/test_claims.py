from __future__ import annotations

from pathlib import Path

import pytest

from build_tools.checks import check_page
from build_tools.claims import paragraphs, support_level
from build_tools.docs import read_page
from build_tools.registry import Origin, Registry, Source

from conftest import write

REGISTRY = Registry(
    sources={
        "own-essay": Source("own-essay", "Essay", 1),
        "press-a": Source("press-a", "Report A", 2, kind="press", publisher="Paper A"),
        "press-b": Source("press-b", "Report B", 2, kind="press", publisher="Paper B"),
        "encyclopedia": Source("encyclopedia", "Encyclopedia entry", 2, kind="reference work", publisher="Wiki"),
        "fan-blog": Source("fan-blog", "Fan blog", 3, kind="blog post"),
        "some-account": Source(
            "some-account",
            "An account",
            3,
            kind="report",
            publisher="account",
            origins=(Origin("some-account", "self"),),
        ),
    }
)


def _front(confidence: str = "low") -> str:
    return f"---\ntitle: T\ndescription: D\nconfidence: {confidence}\ndepth: low\n---\n"


def _codes(tmp_path: Path, text: str) -> list[tuple[str, int]]:
    page = read_page(write(tmp_path / "p.md", text), "p.md")
    return [(d.code, d.line) for d in check_page(page, REGISTRY)]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # C201: quotations of five or more words need a citation in their sentence.
        ('He said "this is a long quotation here" in a talk.\n', [("C201", 7)]),
        ('He said "this is a long quotation here" in a talk [@own-essay].\n', []),
        ('He said "this is a long quotation here" in a talk. [@own-essay]\n', []),
        ('A short "two words" quote is fine.\n', []),
        ('First sentence cites [@own-essay]. Then "an uncited quotation of many words" follows.\n', [("C201", 7)]),
        # C202: dates or figures with no citation at all.
        ("He moved there in 2017 and stayed.\n", [("C202", 7)]),
        ("The course grew to 750 students.\n", [("C202", 7)]),
        ("A sentence with no figures at all.\n", []),
        ("He moved there in 2017 [@own-essay].\n", []),
        # C203: unverified markers are visible warnings.
        ("The team worked on X [@own-essay]. [UNVERIFIED — no source]\n", [("C203", 7)]),
        # C204: only a reference work or a tier-3 source.
        ("Claim [@encyclopedia].\n", [("C204", 7)]),
        ("Claim [@fan-blog].\n", [("C204", 7)]),
        ("Claim [@fan-blog; @own-essay].\n", []),
        ("The account claims this [@some-account].\n", []),
        # H301: script-capable HTML, however it is spelled.
        ("<ScRiPt>alert(1)</ScRiPt>\n", [("H301", 7)]),
        ('<img src="x.png"\n  oNeRrOr="alert(1)">\n', [("H301", 7)]),
        ('<a href="jav&#x61;script:alert(1)">x</a>\n', [("H301", 7)]),
        ('<a href="java\tscript:alert(1)">x</a>\n', [("H301", 7)]),
        ("[click](javascript:alert(1))\n", [("H301", 7)]),
        ('<iframe src="https://example.org"></iframe>\n', [("H301", 7)]),
        ('<object data="data:text/html;base64,AAAA"></object>\n', [("H301", 7)]),
        ("text\n\n<embed src=x>\n", [("H301", 9)]),
        ('<span title="fine">ok</span> and `<script>` in code\n', []),
        ("```html\n<script>alert(1)</script>\n```\n", []),
    ],
)
def test_claim_and_safety_checks(tmp_path: Path, body: str, expected: list[tuple[str, int]]) -> None:
    assert _codes(tmp_path, _front() + body) == expected


@pytest.mark.parametrize(
    ("confidence", "body", "expected"),
    [
        ("high", "A [@own-essay].\n", []),
        ("high", "A [@press-a; @press-b].\n", []),
        ("high", "A [@press-a].\n", [("B201", 4)]),
        ("medium", "A [@press-a].\n", []),
        ("medium", "A [@own-essay].\n\nB [@some-account].\n", [("B201", 4)]),
        ("low", "A [@some-account].\n", []),
        ("high", "Uncited prose carries no claim weight.\n\nA [@own-essay].\n", []),
    ],
)
def test_confidence_badge_must_be_earned(tmp_path: Path, confidence: str, body: str, expected: list) -> None:
    assert _codes(tmp_path, _front(confidence) + body) == expected


def test_badge_message_names_the_weakest_paragraph(tmp_path: Path) -> None:
    page = read_page(write(tmp_path / "p.md", _front("high") + "A [@own-essay].\n\nB [@fan-blog].\n"), "p.md")
    (b201,) = [d for d in check_page(page, REGISTRY) if d.code == "B201"]
    assert "line 9" in b201.message and "'low'" in b201.message


def test_unknown_front_matter_key_suggests_the_right_one(tmp_path: Path) -> None:
    page = read_page(write(tmp_path / "p.md", _front().replace("depth: low", "dept: low") + "x\n"), "p.md")
    found = [d for d in check_page(page, REGISTRY) if d.code == "F004"]
    assert [(d.line, "did you mean 'depth'" in d.message) for d in found] == [(5, True)]


def test_paragraphs_split_lists_and_table_rows() -> None:
    body = "Intro line\ncontinues.\n\n- item one\n- item two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n## Heading\n"
    found = [(p.line, p.end_line) for p in paragraphs(body)]
    assert found == [(1, 2), (4, 4), (5, 5), (7, 7), (9, 9)]


def test_support_levels() -> None:
    s = REGISTRY.sources
    assert support_level([]) is None
    assert support_level([s["own-essay"]]) == "high"
    assert support_level([s["press-a"], s["press-b"]]) == "high"
    assert support_level([s["press-a"]]) == "medium"
    assert support_level([s["fan-blog"], s["some-account"]]) == "low"
