from __future__ import annotations

import re
from pathlib import Path

import pytest

from build_tools.accounts import find_inline_markers, parse_reference_list
from build_tools.importer import import_sources, make_id
from build_tools.project import load_project, settings_from_config
from build_tools.registry import Origin, Source, dump_registry, load_registry

from conftest import ROOT, write


def _codes(tmp_path: Path, text: str) -> list[str]:
    write(tmp_path / "registry.yml", text)
    _, problems = load_registry(tmp_path / "registry.yml", "registry.yml")
    return [p.code for p in problems]


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("sources:\n- id: a\n  title: A\n  tier: 1\n", []),
        ("sources:\n- id: a\n  title: A\n  tier: 1\n- id: a\n  title: B\n  tier: 2\n", ["R002"]),
        ("sources:\n- id: a\n  title: A\n  tier: 4\n", ["R005"]),
        ("sources:\n- id: Bad Id\n  title: A\n  tier: 1\n", ["R004"]),
        ("sources:\n- id: a\n  tier: 1\n", ["R003"]),
        ("sources:\n- title: A\n", ["R003"]),
        (
            "sources:\n- id: a\n  title: A\n  tier: 1\n  origins: [{account: r, ref: '1'}]\n"
            "- id: b\n  title: B\n  tier: 1\n  origins: [{account: r, ref: '1'}]\n",
            ["R006"],
        ),
        ("sources: [\n", ["R001"]),
        ("sources:\n- id: a\n  title: A\n  title: B\n  tier: 1\n", ["R001"]),
        ("- just a list\n", ["R001"]),
        ("sources:\n- !!python/object:os.system {}\n", ["R001"]),
    ],
)
def test_registry_problems_have_codes(tmp_path: Path, text: str, codes: list[str]) -> None:
    assert _codes(tmp_path, text) == codes


def test_registry_problem_points_at_the_line(tmp_path: Path) -> None:
    write(tmp_path / "registry.yml", "sources:\n- id: a\n  title: A\n  tier: 1\n- id: a\n  title: B\n  tier: 2\n")
    _, problems = load_registry(tmp_path / "registry.yml", "registry.yml")
    assert problems[0].line == 5


def test_missing_registry_is_a_diagnostic(tmp_path: Path) -> None:
    _, problems = load_registry(tmp_path / "nope.yml", "nope.yml")
    assert [p.code for p in problems] == ["R001"]


def test_dump_is_sorted_and_round_trips(tmp_path: Path) -> None:
    sources = [
        Source("zeta", "Zeta", 2, kind="press", date="2022-07"),
        Source("alpha", 'Alpha: "quoted"', 1, url="https://a.example/x", origins=(Origin("acc", "3", "text"),)),
    ]
    text = dump_registry(sources)
    assert text.index("id: alpha") < text.index("id: zeta")
    write(tmp_path / "r.yml", text)
    registry, problems = load_registry(tmp_path / "r.yml", "r.yml")
    assert problems == []
    assert registry.sources["alpha"].title == 'Alpha: "quoted"'
    assert registry.sources["zeta"].date == "2022-07"
    assert registry.resolve("acc:3").id == "alpha"
    assert dump_registry(registry.sources.values()) == text


def test_import_merges_same_url_and_keeps_curated_entries(tiny_profile: Path) -> None:
    settings = settings_from_config(tiny_profile / "mkdocs.yml")
    project = load_project(settings, with_pages=False)
    fresh = import_sources(project.accounts)
    assert len(fresh.sources) == 6 and fresh.merged == []
    registry, _ = load_registry(settings.registry_path, "r")
    curated = dict(registry.sources)
    curated["quill-workshop-site"] = Source(
        "quill-workshop-site", "Curated title", 1, origins=registry.sources["quill-workshop-site"].origins
    )
    registry.sources = curated
    again = import_sources(project.accounts, registry)
    assert again.added == [] and again.sources["quill-workshop-site"].title == "Curated title"


def test_make_id_is_a_readable_slug() -> None:
    from build_tools.accounts import ReferenceEntry

    entry = ReferenceEntry(
        "a", "1", 1, "", 'Quill, "Notes on Gears," Gazette (May 3, 2004)', None, "2004-05-03", 1, "1", "blog post", None
    )
    assert make_id(entry) == "quill-2004-notes-gears-gazette"


# The real profile's data: every source its accounts number is registered once.


def _real():
    return load_project(settings_from_config(ROOT / "mkdocs.yml"), with_pages=False)


def test_every_numbered_reference_in_the_research_report_resolves_except_undefined_ones() -> None:
    project = _real()
    report = next(a for a in project.accounts if a.style == "bracketed")
    text = report.read_text()
    entries, _ = parse_reference_list(report, text)
    defined = {e.ref for e in entries}
    cited = {m.ref for m in find_inline_markers(report, text)}
    unresolved = sorted((ref for ref in cited if project.registry.resolve(f"{report.id}:{ref}") is None), key=int)
    assert unresolved == sorted(cited - defined, key=int)
    assert unresolved == ["45"]  # cited in the report's text, never listed: the account's defect
    assert len(entries) == 138


def test_every_listed_reference_of_every_account_is_registered_with_id_title_tier_origin() -> None:
    project = _real()
    for account in project.accounts:
        entries, _ = parse_reference_list(account, account.read_text())
        for entry in entries:
            assert project.registry.resolve(f"{account.id}:{entry.ref}") is not None, (account.id, entry.ref)
    for source in project.registry.sources.values():
        assert source.id and source.title and source.tier in (1, 2, 3) and source.origins, source.id


def test_reimport_of_the_real_accounts_adds_nothing() -> None:
    project = _real()
    registry, problems = load_registry(project.settings.registry_path, "r")
    assert problems == []
    result = import_sources(project.accounts, registry)
    assert result.added == [] and result.merged == []


def test_reviewed_duplicates_across_accounts_are_one_source() -> None:
    registry = _real().registry
    # The same README cited by both compiled accounts, and a post the report lists twice.
    assert registry.resolve("absorb-md:32") is registry.resolve("autoresearch-report:138")
    assert registry.resolve("autoresearch-report:132") is registry.resolve("autoresearch-report:78")
    multi = [s for s in registry.sources.values() if len({o.account for o in s.origins}) > 1]
    assert len(multi) >= 10


def test_registry_file_is_sorted_by_id() -> None:
    text = (ROOT / "sources/registry.yml").read_text()
    ids = re.findall(r"^- id: (\S+)$", text, re.M)
    assert ids == sorted(ids) and len(ids) == len(set(ids))


@pytest.mark.parametrize(
    ("block", "code"),
    [
        ("  url: ftp://files.example.org/x\n", "R012"),
        ("  url: karpathy.ai\n", "R012"),
        ("  date: 2017-13-40\n", "R013"),
        ("  date: last spring\n", "R013"),
        ("  date: '2999-01-01'\n", "R013"),
    ],
)
def test_registry_field_checks(tmp_path: Path, block: str, code: str) -> None:
    from build_tools.checks import check_registry_fields

    write(tmp_path / "r.yml", "sources:\n- id: a\n  title: A\n  tier: 1\n" + block)
    registry, problems = load_registry(tmp_path / "r.yml", "r.yml")
    assert problems == []
    assert [d.code for d in check_registry_fields(registry)] == [code]


def test_bare_url_title_and_duplicates_and_uncited(tmp_path: Path) -> None:
    from build_tools.checks import check_registry_duplicates, check_registry_fields, check_uncited_sources

    write(
        tmp_path / "r.yml",
        "sources:\n"
        "- id: a\n  title: https://example.org/post\n  tier: 3\n"
        "- id: b\n  title: Notes on Gears\n  kind: blog post\n  url: https://gears.example/notes\n  tier: 1\n"
        "- id: c\n  title: Notes on gears!\n  kind: blog post\n  tier: 1\n"
        "- id: d\n  title: Other\n  url: http://www.gears.example/notes/\n  tier: 1\n",
    )
    registry, _ = load_registry(tmp_path / "r.yml", "r.yml")
    assert [d.code for d in check_registry_fields(registry)] == ["R014"]
    dupes = sorted((d.code, d.line) for d in check_registry_duplicates(registry))
    assert dupes == [("R008", 10), ("R008", 14)]
    assert sorted(d.message.split("'")[1] for d in check_uncited_sources(registry, {"a", "b"})) == ["c", "d"]


def test_account_audit_of_the_real_report_names_its_defects() -> None:
    from build_tools.checks import run_all

    findings = run_all(_real())
    by_code = {}
    for d in findings:
        by_code.setdefault(d.code, []).append(d)
    assert any("[45]" in d.message for d in by_code["A110"])  # cited, never defined
    assert [d.line for d in by_code["A106"]] == [548]  # the empty 'Tier 2.5' heading
    assert len(by_code["A103"]) == 9  # tier labels that disagree with their heading
    assert by_code["A107"][0].path == "sources/accounts/absorb-md.txt"  # markers not linked to its list
    assert all(d.severity == "note" for code in ("A103", "A106", "A107", "A110") for d in by_code[code])
