from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from build_tools.accounts import Account
from build_tools.checks import run_all
from build_tools.conflicts import load_register
from build_tools.gazetteer import Gazetteer
from build_tools.project import load_project, settings_from_config
from build_tools.reconcile import candidate_pairs, cluster_claims, find_conflicts, reconcile
from build_tools.statements import extract_claims, logical_lines, make_claim, split_sentences
from build_tools.values import find_date_values, find_quantities

from conftest import ROOT, write


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("from December 2015–June 2017", ["2015-12/2017-06"]),
        ("Stanford PhD 2011 - 2016", ["2011/2016"]),
        ("2024–present", ["2024/present"]),
        ("Record #3 (10/04/24)", ["2024-10-04"]),
        ("in early 2024 he", ["2024"]),
        ("on Feb 14 2024", ["2024-02-14"]),
        ("in 2016.", ["2016"]),
        ("version 3.2024 and arXiv:2409.20325", []),
    ],
)
def test_dates(text: str, expected: list[str]) -> None:
    assert [str(d) for d in find_date_values(text)] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("an engine in only 300 lines of Python", ["300 lines"]),
        ("~150-line scalar autograd engine and 50-line library", ["~150 lines", "50 lines"]),
        ("about 100 and 50 lines of code", ["~100 lines", "50 lines"]),
        ("grew from 150 to 750 students", ["150 students", "750 students"]),
        ("approximately 15,100 stars", ["~15100 stars"]),
        ('"1M car fleet"; the transcript gives 1.5 million', ["1,000,000 cars", "1,500,000 cars"]),
        ("the Tier 3 AI Day transcript", []),
        ("in 2015 students", []),
        ("with approximately 5% of cells", ["~5 percent"]),
        ("Moreover 20 lines", ["~20 lines"]),  # (the approximating words are not whole-word)
        ("about $5 and 30% of 1,500 users", ["30 percent", "1500 users"]),  # (a price is not a count)
    ],
)
def test_quantities(text: str, expected: list[str]) -> None:
    assert [str(q) for q in find_quantities(text)] == expected


# Strings where finding the candidates first could go wrong: month names inside words, overlapping
# month prefixes, upper case, the long s that matches 's' in any case, text outside ASCII, numbers
# glued to words, approximating words cut by an earlier quantity.
TRICKY = [
    "Xmay 5, 2019 and SEPT 3 2020",
    "Remay 5, 2019",
    "janov 2019; Janov 12, 2019",
    "ſep 5, 2019 and Sep 5, 2019",
    "İstanbul, Mar 2019 – Jun 2020 ≈ 15 months",
    "Σ talk, 12 March 2019, 3 May 2020; mid-2021",
    "Dec. 2019–Feb. 2020; dec 2019 - feb 2020",
    "a5 lines, 5lines, 5 lines, 1.5.2 lines, $5 lines, 5 %, 50%",
    "150 lines about 20 lines; 150 linesabout 20 lines",
    "approximately\n20 stars, over 1,500 students, some 2015 students",
    "circa 2015, c. 2016, about 2017, About 2018, ~2019",
    "aboutMarch 2019; roughly Jan 2020",
]


@pytest.mark.parametrize("text", TRICKY)
def test_dates_found_at_candidates_are_those_the_patterns_find(text: str) -> None:
    import re

    from build_tools import dates, values

    def by_patterns(text: str) -> list[tuple[str, int, int]]:
        """find_dates as it was: every pattern tried at every position."""
        found: list[tuple[str, int, int]] = []
        has_month = bool(dates._HAS_MONTH.search(text))
        for index, pattern in enumerate(dates._PATTERNS):
            if 1 <= index <= 3 and not has_month:
                continue
            for match in pattern.finditer(text):
                if any(match.start() < end and start < match.end() for _, start, end in found):
                    continue
                value = dates._normalize(match)
                if value:
                    found.append((value, match.start(), match.end()))
        return sorted(found, key=lambda f: f[1])

    assert [(d.value, d.start, d.end) for d in dates.find_dates(text)] == by_patterns(text)
    ranges = [m.group(0) for m in values._MONTH_RANGE.finditer(text)]
    starts = dates.month_starts(text)
    shortcut = (
        values._MONTH_RANGE.finditer(text) if starts is None else dates.matches_at(values._MONTH_RANGE, text, starts)
    )
    assert [m.group(0) for m in shortcut] == ranges
    found = {(d.start, d.end) for d in dates.find_dates(text)}
    for date in values.find_date_values(text):
        if (date.offset, date.offset + len(date.text)) in found:  # ('about' is looked for before these)
            as_before = re.search(r"(~|\babout|\baround|\bcirca|\bc\.)\s*$", text[: date.offset])
            assert date.approximate == bool(as_before)


@pytest.mark.parametrize("text", TRICKY)
def test_quantities_found_at_numbers_are_those_the_pattern_finds(text: str) -> None:
    import re

    from build_tools import values

    approx = r"(~|≈|about\s|approximately\s|roughly\s|around\s|nearly\s|over\s|more than\s|some\s|almost\s)?"
    whole = re.compile(  # one pattern with the approximating words in front, tried at every position
        approx.replace("(", "(?P<a1>", 1) + values._COUNT.pattern
        + "|" + approx.replace("(", "(?P<a2>", 1) + values._PERCENT.pattern,
        re.I,
    )  # fmt: skip
    expected = [(m.group(0), bool(m.group("a1") or m.group("a2"))) for m in whole.finditer(text)]
    found = [(text[start : match.end()], approximate) for match, start, approximate in values._quantity_matches(text)]
    assert found == expected


def _account_sentences() -> list[str]:
    """Every sentence of the five accounts, line by line."""
    return [
        sentence
        for path in sorted((ROOT / "sources/accounts").glob("*.txt"))
        for line in path.read_text(encoding="utf-8").split("\n")
        for _, sentence in split_sentences(line)
    ]


LEADING_TEXTS = [
    "from 150 to 750 students, about 100 and 50 lines, 1,500 or 2,000 stars",
    "between 5k and ~8k users; 3 M -> roughly 4 M views; 10 → about 12 lectures",
    "3 to\n5 lines; 4 and \u00a0 6 pages; 7 or\t~9 files; 2 AND 3 lines; photo 5 lines",
    "~20 to about 30 cars, roughabout 5 lines, $5 to 6 lines, 1.5.2 to 3 lines, x5 to 6 lines",
    "a 12 and",
]


def test_a_number_joined_to_an_amount_is_found_where_the_pattern_finds_it() -> None:
    """'from 150 to 750 students': the earlier number is looked for only where the text before the
    amount ends with a joining word; it is the match the pattern finds searching all of that text."""
    from build_tools import values

    def same(a: re.Match[str] | None, b: re.Match[str] | None) -> bool:
        return (a is None and b is None) or (a is not None and b is not None and a.span() == b.span())

    for text in LEADING_TEXTS:  # every place an amount could begin
        for at in range(len(text) + 1):
            assert same(values._leading(text, at), values._LEADING.search(text[:at])), (text, at)
    found = 0
    for sentence in _account_sentences():
        for _, start, _ in values._quantity_matches(sentence):
            expected = values._LEADING.search(sentence[:start])
            assert same(values._leading(sentence, start), expected), sentence
            found += expected is not None
    assert found >= 1
    assert [str(q) for q in find_quantities(LEADING_TEXTS[0])] == [
        "150 students",
        "750 students",
        "~100 lines",
        "50 lines",
        "1500 stars",
        "2000 stars",
    ]


EVENT_TEXTS = [
    "He JOINED OpenAI; Rejoined it, Returned To it and CAME BACK in 2023",
    "a Co-Founding Member and co-founder scientist of the lab, a founding research scientist in 2015",
    "co-founded, Co-Founded and cofounded it; the founding of it; founded-ish; unfounded; a Co-Founded Scientist",
    "Left, leaving, leftover, STEPPED DOWN, resignation, exits and exited in 2017",
    "Master's, masters, MSc, bachelor's, BSc, PhD; a Doctoral defence, a defense",
    "Keynote talk; presented a presentation; spoke; lectures; a lecture; Internship; interns",
    "the Record 12 and a sabbatical; Born 1986; blog post; Blog Post; introduced the term; named",
    "ſtepped down and İstanbul: Joined in 2015",  # (outside ASCII: the pattern in any case)
    "'joined'joined_joined 2joined joined2 -joined- (joined)",
]


def test_events_found_in_lower_case_are_those_the_pattern_finds() -> None:
    """Event words are looked for in the text in lower case with a pattern without groups, and named
    by the pattern with groups tried where each one matched: the same words, at the same places, with
    the same meaning as that pattern finds them in any case."""
    from build_tools import statements

    def by_pattern(text: str) -> list[tuple[int, str]]:
        return [
            (m.start(), statements._EVENT_NAMES[m.lastgroup]) for m in statements._EVENTS.finditer(text) if m.lastgroup
        ]

    texts = EVENT_TEXTS + _account_sentences()
    assert len(texts) > 1000
    found = [statements.find_events(text) for text in texts]
    assert found == [by_pattern(text) for text in texts]
    assert sum(map(len, found)) > 300
    text = EVENT_TEXTS[1]
    starts = [text.index("Co-Founding"), text.index("co-founder"), text.index("founding research")]
    assert statements.find_events(text) == [(at, "joined") for at in starts]
    assert [a for _, a in statements.find_events(EVENT_TEXTS[7])] == ["left", "joined"]
    # Two events match where 'Co-Founded Scientist' starts: the first in order is the one meant.
    assert statements.find_events(EVENT_TEXTS[2])[-1] == (EVENT_TEXTS[2].index("Co-Founded Scientist"), "joined")


def test_mentions_are_those_of_the_full_scan() -> None:
    def gazetteer() -> Gazetteer:
        made = Gazetteer()
        for name, aliases in (
            ("Tesla", ["Tesla Inc", "tesla autopilot team"]),
            ("Open AI", ["OpenAI", "openai.com"]),
            ("Ελλάς", ["ΟΔΟΣ Α", "ΑΒΓΣ'Δ"]),  # (Σ lower-cases to ς or σ by what follows it)
            ("Autopilot", []),  # (inside a longer name, it is not a mention of its own)
        ):
            made.add(name, "organization", aliases)
        return made

    class EveryWord(set):  # type: ignore[type-arg]
        def __contains__(self, word: object) -> bool:
            return True

    filtered, full_scan = gazetteer(), gazetteer()
    full_scan.mentions("")
    full_scan._first_words = EveryWord()  # every word begins an alias: each one is looked up in full
    text = "He left TESLA Inc. for openai.com, then the Tesla Autopilot team; not xTesla or Open-AI or Open AI"
    for variant in (text, text + " — İstanbul", "ΟΔΟΣ Α, ΟΔΟΣ  Α, ΑΒΓΣ'Δ and Οδος α; " + text):
        assert filtered.mentions(variant) == full_scan.mentions(variant)
    assert [(m.entity, text[m.start : m.end]) for m in filtered.mentions(text)] == [
        ("Tesla", "TESLA Inc"),
        ("Open AI", "openai.com"),
        ("Tesla", "Tesla Autopilot team"),
        ("Open AI", "Open AI"),
    ]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("built the brass gearbox for the clock tower in 2004", "in 2004 built the brass gearbox for the clock tower"),
        ("zeta alpha beta gamma delta", "alpha beta gamma delta zeta"),  # same words, only the order differs
        ("alpha beta gamma delta epsilon quickly", "epsilon delta gamma beta alpha slowly"),  # alike once sorted
        ("alpha beta gamma delta", "alpha beta gamma delta epsilon zeta eta theta iota kappa"),
        ("alpha beta gamma delta", "epsilon alpha beta gamma delta"),  # one holds the other's words
        ("founded the company in 2015 with ten others", "left the company in 2017 for a new lab"),
        ("a b c", "a b c"),
        ("a b c", "c b a"),  # under four words: only the same text is the same claim
        ("born in bratislava slovakia in 1986", "born in bratislava czechoslovakia in 1986 moved to toronto"),
    ],
)
def test_similar_is_the_token_ratios_it_stands_for(a: str, b: str) -> None:
    # similar() sorts each text's words once and stops early with a cutoff: it must decide as the
    # plain definition does.
    from rapidfuzz import fuzz

    from build_tools.reconcile import MATCH_SCORE, similar

    def plain(x: str, y: str) -> bool:
        if min(len(x.split()), len(y.split())) < 4:
            return x == y
        return fuzz.token_sort_ratio(x, y) >= MATCH_SCORE or (
            fuzz.token_set_ratio(x, y) >= 95 and min(len(x), len(y)) >= 0.6 * max(len(x), len(y))
        )

    assert similar(a, b) == similar(b, a) == plain(a, b)


def test_flattened_tables_are_rebuilt_into_rows() -> None:
    text = (
        "| Phase |\nRole |\n| 2011 - 2016 |\nPhD Candidate |\n| 2016 - 2017 |\nResearch Scientist |\nAfter the table.\n"
    )
    assert logical_lines(text, 99) == [
        (3, "Phase: 2011 - 2016; Role: PhD Candidate"),
        (5, "Phase: 2016 - 2017; Role: Research Scientist"),
        (7, "After the table."),
    ]


def test_sentences_do_not_break_at_abbreviations() -> None:
    pieces = [s for _, s in split_sentences("He met Dr. Li at Stanford. Then e.g. Tesla came. Done now.")]
    assert pieces == ["He met Dr. Li at Stanford.", "Then e.g. Tesla came.", "Done now."]


GAZ = Gazetteer()
GAZ.default_subject = "Ada Quill"
for name, kind in (("Ada Quill", "person"), ("Acme", "organization"), ("gearbox", "work")):
    GAZ.add(name, kind)


def _claims(*texts: str) -> list:
    return [make_claim(f"acc{i}", i + 1, text, GAZ) for i, text in enumerate(texts)]


def test_disagreeing_dates_about_one_subject_are_a_conflict() -> None:
    conflicts, _, _ = find_conflicts(
        _claims("She joined Acme in December 2015 as a founder.", "She joined Acme in 2016 as staff.")
    )
    assert [(c.id, sorted(g.label for g in c.values)) for c in conflicts] == [("acme-joined", ["2015-12", "2016"])]


def test_two_stints_and_parts_of_a_whole_are_not_conflicts() -> None:
    conflicts, _, _ = find_conflicts(
        _claims(
            "She worked at Acme (2015–2017) on research.",
            "Later she was back at Acme (2023–2024) for a year.",
            "The gearbox has about 100 and 50 lines of code respectively.",
            "Her gearbox engine is about 100 lines long.",
        )
    )
    assert conflicts == []


def test_values_set_against_each_other_in_one_claim_are_a_conflict() -> None:
    conflicts, _, _ = find_conflicts(
        _claims("The gearbox was released on October 4, 2024 per its README or October 15, 2024 per the blog.")
    )
    assert [sorted(g.label for g in c.values) for c in conflicts] == [["2024-10-04", "2024-10-15"]]


def test_time_varying_counts_with_different_dates_are_a_series() -> None:
    conflicts, series, _ = find_conflicts(
        _claims("As of March 2025 the gearbox had 10,000 stars.", "As of March 2026 the gearbox had 15,100 stars.")
    )
    assert conflicts == [] and [(s.subject, s.attribute, len(s.points)) for s in series] == [("gearbox", "stars", 2)]


def test_duplicates_merge_across_accounts_and_blocking_finds_them() -> None:
    claims = _claims(
        "Ada Quill built the famous brass gearbox for the Acme clock tower in 2004.",
        "In 2004 Ada Quill built the famous brass gearbox for the Acme clock tower.",
        "Something else entirely about escapements and springs.",
    )
    pairs = candidate_pairs(claims)
    assert (0, 1) in pairs
    clusters = cluster_claims(claims)
    assert sorted(len(c) for c in clusters) == [1, 2]


def test_inline_citations_resolve_to_registry_ids(tiny_profile: Path) -> None:
    project = load_project(settings_from_config(tiny_profile / "mkdocs.yml"), with_pages=False)
    report: Account = next(a for a in project.accounts if a.id == "quill-report")
    claims = extract_claims(report, report.read_text(), project.gazetteer, project.registry)
    founded = next(c for c in claims if "founded" in c.text)
    assert founded.citations == ("quill-workshop-site",)
    assert founded.line == 2 and "Quill Workshop" in founded.names


def test_unregistered_conflict_warns_and_registering_it_clears_the_warning(tiny_profile: Path) -> None:
    settings = settings_from_config(tiny_profile / "mkdocs.yml")
    found = [d for d in run_all(load_project(settings)) if d.code == "C302"]
    assert [(d.path, d.line, d.severity) for d in found] == [("sources/accounts/quill-report.txt", 2, "warning")]
    write(
        tiny_profile / "sources/conflicts.yml",
        "conflicts:\n- id: workshop-founded\n  subject: When the workshop was founded\n"
        "  match: {subject: Quill Workshop, attribute: founded}\n  values:\n"
        "  - value: March 2001\n    rank: preferred\n    reason: Her own site.\n"
        "    claims: [{account: quill-report, line: 2}]\n    sources: [quill-workshop-site]\n"
        "  - value: '2002'\n    rank: deprecated\n    reason: The digest has no source.\n"
        "    claims: [{account: quill-digest, line: 3}]\n",
    )
    codes = {d.code for d in run_all(load_project(settings))}
    assert "C302" not in codes and "C303" not in codes
    # The conflict guard: a page that states the deprecated value as fact.
    write(
        tiny_profile / "docs/history.md",
        "---\ntitle: H\ndescription: D\nconfidence: low\ndepth: low\n---\n\n"
        "Ada Quill founded the Quill Workshop in 2002 [@quill-workshop-site].\n\n"
        "The digest says she founded the Quill Workshop in 2002 [@quill-digest].\n",
    )
    guard = [(d.path, d.line) for d in run_all(load_project(settings)) if d.code == "C301"]
    assert guard == [("docs/history.md", 8)]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("conflicts: [\n", "K001"),
        ("conflicts:\n- id: a\n  subject: S\n  values: [{value: x, rank: best}, {value: y}]\n", "K003"),
        ("conflicts:\n- id: a\n  subject: S\n  values: [{value: x, rank: preferred}, {value: y}]\n", "K004"),
        ("conflicts:\n- id: a\n  subject: S\n  values: [{value: x}]\n", "K005"),
        (
            "conflicts:\n- id: a\n  subject: S\n  values: [{value: x}, {value: y}]\n- id: a\n  subject: T\n  values: [{value: x}, {value: y}]\n",
            "K002",
        ),
    ],
)
def test_register_problems(tmp_path: Path, text: str, code: str) -> None:
    _, problems = load_register(write(tmp_path / "c.yml", text), "c.yml")
    assert code in [p.code for p in problems]


def test_stale_entries_and_unknown_sources_are_reported(tiny_profile: Path) -> None:
    write(
        tiny_profile / "sources/conflicts.yml",
        "conflicts:\n- id: gone\n  subject: S\n  match: {subject: Nothing, attribute: founded}\n  values:\n"
        "  - value: '2001'\n    sources: [no-such-source]\n    claims: [{account: quill-report, line: 999}]\n"
        "  - value: '2002'\n",
    )
    codes = [d.code for d in run_all(load_project(settings_from_config(tiny_profile / "mkdocs.yml")))]
    assert "C303" in codes and "K006" in codes


def test_reconcile_json_has_the_documented_shape(tiny_profile: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "build_tools", "reconcile", "--format", "json"],
        cwd=tiny_profile,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1  # one conflict is not registered yet
    data = json.loads(result.stdout)
    assert isinstance(data["claims"], int) and isinstance(data["clusters"], int)
    (conflict,) = data["conflicts"]
    assert conflict["registered"] is False and conflict["subject"]
    value = conflict["values"][0]
    assert {"value", "rank", "claims"} <= set(value) and {"account", "line", "text"} <= set(value["claims"][0])


# The real profile.


def test_real_accounts_reconcile_to_the_curated_register() -> None:
    project = load_project(settings_from_config(ROOT / "mkdocs.yml"), with_pages=False)
    result = reconcile(
        [c for a in project.accounts for c in extract_claims(a, a.read_text(), project.gazetteer, project.registry)]
    )
    detected = {c.id for c in result.conflicts}
    # Disagreements a reader of the accounts finds, detected without help:
    for expected in (
        "openai-joined",
        "openai-left",
        "stanford-phd",
        "micrograd-lines",
        "tesla-ai-day-cars",
        "nanogpt-speedrun-appeared",
        "year-in-review-appeared",
        "agentic-engineering-appeared",
    ):
        assert expected in detected, expected
    by_match = project.register.by_match()
    assert all(c.key in by_match for c in result.conflicts), "every detected conflict is in the register"
    for entry in project.register.entries.values():
        for value in entry.values:
            if value.rank != "normal":
                assert value.reason, (entry.id, value.value)
