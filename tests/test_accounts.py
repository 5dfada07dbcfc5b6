from __future__ import annotations

import hashlib
from pathlib import Path

from build_tools.accounts import find_inline_markers, load_accounts, parse_reference_list
from build_tools.checks import check_account_references, run_all
from build_tools.project import load_project, settings_from_config
from build_tools.registry import Registry

from conftest import ROOT, write


def _account(tmp_path: Path, text: str, style: str = "bracketed", extra: str = ""):
    write(tmp_path / "sources/accounts/a.txt", text)
    digest = hashlib.sha256(text.encode()).hexdigest()
    write(
        tmp_path / "sources/accounts.yml",
        f"accounts:\n- id: acc\n  file: accounts/a.txt\n  title: A\n  kind: report\n  tier: 3\n"
        f"  sha256: {digest}\n  references:\n    style: {style}\n    list_heading: Sources\n{extra}",
    )
    accounts, problems = load_accounts(tmp_path / "sources/accounts.yml", tmp_path)
    assert problems == []
    return accounts[0]


def test_committed_accounts_are_byte_for_byte_what_their_records_say() -> None:
    project = load_project(settings_from_config(ROOT / "mkdocs.yml"), with_pages=False)
    assert len(project.accounts) == 5
    for account in project.accounts:
        assert hashlib.sha256(account.path.read_bytes()).hexdigest() == account.sha256, account.id
    codes = {d.code for d in run_all(project)}
    assert "A004" not in codes and "A003" not in codes


def test_a_changed_account_is_an_error(tiny_profile: Path) -> None:
    account = tiny_profile / "sources/accounts/quill-report.txt"
    account.write_text(account.read_text() + "one more line\n")
    project = load_project(settings_from_config(tiny_profile / "mkdocs.yml"))
    found = [d for d in run_all(project) if d.code == "A004"]
    assert [d.path for d in found] == ["sources/accounts/quill-report.txt"]
    assert found[0].severity == "error"


def test_missing_account_file_is_reported(tiny_profile: Path) -> None:
    (tiny_profile / "sources/accounts/quill-digest.txt").unlink()
    project = load_project(settings_from_config(tiny_profile / "mkdocs.yml"))
    assert "A003" in {d.code for d in run_all(project)}


def test_bracketed_list_with_tier_headings_links_and_own_labels(tmp_path: Path) -> None:
    account = _account(
        tmp_path,
        "Body cites [1] and [2][3] and a range [1-3].\nSources\n#Tier 1 (Official)\n"
        "- [1] Example Press — Launch note, Feb 9 2023\n"
        '- [2] [Archive — "Mirror" (May 2004)](https://archive.example.org/m) — Tier 2; a mirror\n'
        "#Tier 2.5 (Community)\n- [3] Forum — a thread\n",
    )
    entries, problems = parse_reference_list(account, account.read_text())
    assert [e.ref for e in entries] == ["1", "2", "3"]
    first, second, third = entries
    assert (first.tier, first.date, first.publisher, first.line) == (1, "2023-02-09", "Example Press", 4)
    assert second.url == "https://archive.example.org/m" and second.tier == 2
    assert third.tier == 3
    assert {p.code for p in problems} == {"A103", "A104"}
    markers = find_inline_markers(account, account.read_text())
    assert [m.ref for m in markers] == ["1", "2", "3", "1", "2", "3"]


def test_undefined_inline_reference_is_a_note_about_the_account(tmp_path: Path) -> None:
    account = _account(tmp_path, "Claim [1]. Other claim [45].\nSources\n- [1] A — B\n")
    found = [d for d in check_account_references([account], Registry(aliases={"acc:1": "x"})) if d.code != "A104"]
    assert [(d.code, d.severity, d.line, d.column) for d in found] == [("A110", "note", 1, 24)]


def test_unregistered_reference_is_an_error(tmp_path: Path) -> None:
    account = _account(tmp_path, "Claim [1].\nSources\n- [1] A — B\n")
    found = list(check_account_references([account], Registry()))
    assert [d.code for d in found] == ["A104", "R010"]  # A104: the entry has no tier label


def test_numbered_list_kinds_give_kind_date_and_tier(tmp_path: Path) -> None:
    extra = "    kinds:\n      tweet: {kind: tweet, tier: 1}\n      youtube: {kind: video, tier: 2}\n"
    account = _account(
        tmp_path,
        "Text [1].\nSources\n  1. Big Idea Explainedyoutube · 2021-01-01\n  2. Short Notetweet · 2024-07-16\n  3. Odd line\n",
        style="numbered",
        extra=extra,
    )
    entries, problems = parse_reference_list(account, account.read_text())
    assert [(e.title, e.kind, e.tier, e.date) for e in entries] == [
        ("Big Idea Explained", "video", 2, "2021-01-01"),
        ("Short Note", "tweet", 1, "2024-07-16"),
        ("Odd line", "web page", 3, None),
    ]
    assert [p.code for p in problems] == ["A105"]


def test_accounts_yml_problems_are_diagnostics(tmp_path: Path) -> None:
    write(tmp_path / "accounts.yml", "accounts:\n- id: a\n  file: x.txt\n")
    accounts, problems = load_accounts(tmp_path / "accounts.yml", tmp_path)
    assert accounts == [] and [p.code for p in problems] == ["A002"]
    write(tmp_path / "accounts.yml", "accounts: [\n")
    _, problems = load_accounts(tmp_path / "accounts.yml", tmp_path)
    assert [p.code for p in problems] == ["A002"]
    _, problems = load_accounts(tmp_path / "missing.yml", tmp_path)
    assert [p.code for p in problems] == ["A001"]
