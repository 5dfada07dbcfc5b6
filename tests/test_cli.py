from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from build_tools.cli import main

from conftest import count_project_checks


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "build_tools", *args], cwd=cwd, capture_output=True, text=True)


def test_check_clean_profile_exits_0_and_prints_notes(tiny_profile: Path) -> None:
    result = _run("check", cwd=tiny_profile)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "A110 note:" in result.stdout and "Traceback" not in result.stderr


def test_check_json_lists_findings_and_exits_1(tiny_profile: Path) -> None:
    (tiny_profile / "docs/index.md").write_text(
        "---\ntitle: T\ndescription: D\nconfidence: sure\ndepth: low\n---\nClaim [@nobody-2020].\n"
    )
    result = _run("check", "--format", "json", cwd=tiny_profile)
    assert result.returncode == 1
    payload = json.loads(result.stdout)
    found = {(d["path"], d["line"], d["code"], d["severity"]) for d in payload["diagnostics"]}
    assert ("docs/index.md", 4, "F003", "error") in found
    assert ("docs/index.md", 7, "C101", "error") in found


def test_check_github_format(tiny_profile: Path) -> None:
    (tiny_profile / "docs/index.md").write_text("no front matter [@]\n")
    result = _run("check", "--format", "github", cwd=tiny_profile)
    assert result.returncode == 1
    assert "::error file=docs/index.md,line=1,col=17,title=C102::" in result.stdout


def test_usage_errors_exit_2_without_traceback(tmp_path: Path) -> None:
    result = _run("check", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("build_tools: error: no MkDocs configuration")
    (tmp_path / "mkdocs.yml").write_text("site_name: [\n")
    result = _run("check", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert _run("frobnicate", cwd=tmp_path).returncode == 2


def test_page_patterns_mkdocs_would_refuse_are_a_usage_error(tiny_profile: Path) -> None:
    config = tiny_profile / "mkdocs.yml"
    original = config.read_text()
    for patterns, why in (("[private/]", "a block of lines"), ("|\n  private/\n  !\n", "'!'")):
        config.write_text(original + f"exclude_docs: {patterns}\n")
        result = _run("check", cwd=tiny_profile)
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert result.stderr.startswith("build_tools: error: 'exclude_docs'") and why in result.stderr


def test_corrupt_registry_is_reported_not_raised(tiny_profile: Path) -> None:
    (tiny_profile / "sources/registry.yml").write_bytes(b"sources:\n- id: a\x00\n")
    result = _run("check", cwd=tiny_profile)
    assert result.returncode == 1 and "R001 error" in result.stdout and "Traceback" not in result.stderr


def test_failed_build_leaves_the_previous_site(tiny_profile: Path, capsys) -> None:
    site = tiny_profile / "site"
    assert main(["-f", str(tiny_profile / "mkdocs.yml"), "build"]) == 0
    before = (site / "index.html").read_bytes()
    (tiny_profile / "docs/index.md").write_text(
        "---\ntitle: T\ndescription: D\nconfidence: low\ndepth: low\n---\nChanged [@missing-source].\n"
    )
    assert main(["-f", str(tiny_profile / "mkdocs.yml"), "build"]) == 1
    assert (site / "index.html").read_bytes() == before
    assert not list(tiny_profile.glob(".site.*"))
    assert "C101 error" in capsys.readouterr().err


@pytest.mark.parametrize("plugin", [True, False])
def test_build_prints_what_check_prints_and_strict_refuses_warnings(tiny_profile: Path, capsys, plugin: bool) -> None:  # type: ignore[no-untyped-def]
    config = tiny_profile / "mkdocs.yml"
    if not plugin:  # the checks run before the build, as the plugin is not there to run them
        config.write_text(config.read_text().replace("  - provenance\n", ""))
    site = tiny_profile / "site"
    assert main(["-f", str(config), "check"]) == 0
    checked = capsys.readouterr().out
    assert "C204 warning" in checked  # (the fixture's apprentices page rests on a tier-3 blog only)
    assert main(["-f", str(config), "build"]) == 0
    err = capsys.readouterr().err
    assert checked in err and "build_tools: built site/ (0 errors, 2 warnings in 2 files (3 notes))" in err
    before = (site / "index.html").read_bytes()
    (tiny_profile / "docs/index.md").write_text((tiny_profile / "docs/index.md").read_text() + "\nA new line.\n")
    assert main(["-f", str(config), "build", "--strict"]) == 1
    err = capsys.readouterr().err
    assert "C204 warning" in err and "2 warnings in 2 files (3 notes); the site was not built" in err
    assert (site / "index.html").read_bytes() == before and not list(tiny_profile.glob(".site.*"))


def test_a_build_mkdocs_stops_for_its_own_reasons_still_prints_the_findings(tiny_profile: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    config = tiny_profile / "mkdocs.yml"
    config.write_text(
        config.read_text().replace("  - provenance\n", "  - provenance:\n      severity: {C204: note, C302: note}\n")
    )
    config.write_text(config.read_text() + "validation:\n  links:\n    not_found: warn\n")
    page = tiny_profile / "docs/index.md"
    page.write_text(page.read_text() + "\nSee [her shop](no-such-page.md).\n")  # MkDocs warns; --strict aborts
    assert main(["-f", str(config), "build", "--strict"]) == 2
    err = capsys.readouterr().err
    assert "C204 note" in err and "the site was not built" in err and "Traceback" not in err
    assert not (tiny_profile / "site").exists() and not list(tiny_profile.glob(".site.*"))


def test_check_and_build_share_the_project_checks_kept_on_disk(
    tiny_profile: Path,
    tmp_path: Path,
    capsys,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    from build_tools import plugin

    runs = count_project_checks(monkeypatch)
    config = str(tiny_profile / "mkdocs.yml")
    assert main(["-f", config, "check"]) == 0
    cold = capsys.readouterr().out
    assert len(runs) == 1 and (tiny_profile / ".cache/plugin/provenance/project.pickle").is_file()
    plugin.forget_earlier_builds()  # (as a new process)
    assert main(["-f", config, "build"]) == 0 and len(runs) == 1  # the build took what check kept
    (tiny_profile / ".cache/plugin/provenance/project.pickle").unlink()
    plugin.forget_earlier_builds()
    assert main(["-f", config, "build"]) == 0 and len(runs) == 2
    capsys.readouterr()
    assert main(["-f", config, "check"]) == 0 and len(runs) == 2  # check took what the build kept
    assert capsys.readouterr().out == cold
    account = tiny_profile / "sources/accounts/quill-digest.txt"
    account.write_text(account.read_text() + "\nOne more line.\n")
    assert main(["-f", config, "check"]) == 1 and len(runs) == 3  # an input changed
    assert "A004 error" in capsys.readouterr().out


def test_per_check_severity_from_mkdocs_yml(tiny_profile: Path) -> None:
    config = tiny_profile / "mkdocs.yml"
    # The fixture's apprentices page rests on a tier-3 blog only: C204 is a warning by default.
    assert "C204 warning" in _run("check", cwd=tiny_profile).stdout
    config.write_text(
        config.read_text().replace("  - provenance\n", "  - provenance:\n      severity: {C204: error, A110: off}\n")
    )
    result = _run("check", cwd=tiny_profile)
    assert result.returncode == 1 and "C204 error" in result.stdout and "A110" not in result.stdout
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-d", str(tiny_profile / "out")],
        cwd=tiny_profile,
        capture_output=True,
        text=True,
    )
    assert build.returncode == 1 and "C204 error" in build.stderr
    config.write_text(config.read_text().replace("C204: error", "C204: fatal"))
    result = _run("check", cwd=tiny_profile)
    assert result.returncode == 2 and "use one of error, warning, note, off" in result.stderr


def test_bench_corpus_is_clean_and_fully_counted() -> None:
    from build_tools.bench import bench_check

    (row,) = bench_check([20])
    assert row["errors"] == 0
    assert row["citations"] == row["citations_found_by_baseline"] == 200
    assert row["ratio_to_baseline"] > 0 and row["baseline"]


def test_bench_reconcile_reports_recall_against_all_pairs() -> None:
    from build_tools.bench import bench_reconcile

    (row,) = bench_reconcile([600], sample=300)
    assert row["claims"] == 600 and row["duplicate_pairs"] > 0
    assert 0.9 <= row["recall"] <= 1.0
    assert row["sample_pairs_found_blocked"] <= row["sample_pairs_found_all_pairs"]


def test_stats_counts_claims_at_the_tier_of_their_best_source(tiny_profile: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    for page in (tiny_profile / "docs").rglob("*.md"):
        page.unlink()
    (tiny_profile / "docs/p.md").write_text(
        "---\ntitle: T\ndescription: D\nconfidence: low\ndepth: low\n---\n\n"
        "One two three [@tick-2010-visiting-quill-workshop; @quill-workshop-site].\n\n"
        "Four five [@example-2004-notes-gears-mirror]. Six [@tick-2010-visiting-quill-workshop].\n\n"
        "Seven, uncited.\n"
    )
    assert main(["-f", str(tiny_profile / "mkdocs.yml"), "stats", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total"]["pages"] == 1
    assert data["total"]["citations"] == 4
    assert data["total"]["claims_by_tier"] == {"tier 1": 1, "tier 2": 1, "tier 3": 1}
    assert data["total"]["paragraphs_by_support"] == {"high": 1, "medium": 1, "uncited": 1}
    assert data["pages"][0]["words"] == 8


def test_coverage_lists_sourced_facts_no_page_carries(tiny_profile: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    config = str(tiny_profile / "mkdocs.yml")
    assert main(["-f", config, "coverage", "--format", "json"]) == 0
    before = json.loads(capsys.readouterr().out)
    founded = [f for f in before["covered_facts"] if f["account"] == "quill-report" and f["line"] == 2]
    assert founded and founded[0]["page"] == "docs/index.md"  # "opened her workshop in March 2001"
    index = tiny_profile / "docs/index.md"
    index.write_text(index.read_text().replace("March 2001", "spring"))
    assert main(["-f", config, "coverage", "--format", "json"]) == 0
    after = json.loads(capsys.readouterr().out)
    missing = [f for f in after["missing"] if f["account"] == "quill-report" and f["line"] == 2]
    assert missing and "2001" in missing[0]["terms"]
    assert after["covered"] < before["covered"]


def test_bench_stage_runs_in_its_own_process_with_its_own_peak_memory() -> None:
    from build_tools.bench import bench_check, isolated

    (row,) = isolated(bench_check, [20])
    assert row["pages"] == 20
    assert row["peak_rss_mb"] > 10  # a whole interpreter with its imports
    assert 0 <= row["stage_rss_mb"] < row["peak_rss_mb"]


def test_coverage_all_counts_unsourced_claims_too(tiny_profile: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    config = str(tiny_profile / "mkdocs.yml")
    assert main(["-f", config, "coverage", "--format", "json"]) == 0
    sourced = json.loads(capsys.readouterr().out)
    assert main(["-f", config, "coverage", "--all", "--format", "json"]) == 0
    everything = json.loads(capsys.readouterr().out)
    assert everything["facts"] > sourced["facts"]
    accounts = {f["account"] for f in everything["missing"] + everything["covered_facts"]}
    assert "quill-digest" in accounts  # an account with no source list


def test_bench_builds_cold_and_warm_in_turn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from build_tools.bench import _BUILD_PEAK, OURS, PLAIN, _paired_rounds, generate_corpus

    runs = count_project_checks(monkeypatch)
    generate_corpus(tmp_path, 5, seed=1)
    (tmp_path / "mkdocs.base.yml").write_text((tmp_path / "mkdocs.yml").read_text().split("plugins:")[0])
    _BUILD_PEAK[0] = 0.0
    times, cpu, checked = _paired_rounds(tmp_path, {"plain": PLAIN, "ours": OURS, "warm": OURS}, 3, warm=("warm",))
    assert [len(times[name]) for name in ("plain", "ours", "warm")] == [3, 3, 3] and len(cpu["warm"]) == 3
    assert all(seconds > 0 for seconds in times["warm"]) and all(seconds > 0 for seconds in cpu["ours"])
    # The cold builds check the project; the warm ones, after them, take what was kept. Each build runs
    # in an interpreter of its own: none of them checks the project in this one.
    assert checked == {"plain": [0, 0, 0], "ours": [1, 1, 1], "warm": [0, 0, 0]}
    assert runs == []
    assert _BUILD_PEAK[0] > 30  # their peak memory: an interpreter with MkDocs and the plugin loaded


def test_bench_rebuilds_the_profile_in_a_copy_and_leaves_its_pages_alone(
    tiny_profile: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from build_tools.bench import REBUILDS, bench_real_rebuild

    runs = count_project_checks(monkeypatch)
    before = {p: p.read_bytes() for p in (tiny_profile / "docs").rglob("*.md")}
    row = bench_real_rebuild(tiny_profile / "mkdocs.yml", rounds=3)
    assert row is not None and row["pages"] == len(before) and row["changed_page"] == "docs/index.md"
    assert row["seconds"] > 0 and row["baseline_seconds"] > 0
    for name in ("rebuild_one_page", "full_rebuild_one_page"):  # (each the median of its rebuilds)
        assert len(row[f"{name}_rounds"]) == REBUILDS and row[f"{name}_seconds"] == row[f"{name}_rounds"][REBUILDS // 2]
        assert row[f"{name}_seconds"] > 0
    assert len(row["overhead_rounds"]) == row["rounds"] and row["overhead"] in row["overhead_rounds"]
    assert len(row["warm_overhead_rounds"]) == row["rounds"] and row["warm_overhead"] in row["warm_overhead_rounds"]
    # Each cold build checks the project, in an interpreter of its own; the warm ones take what was kept.
    assert row["project_checks"] == {"cold": row["rounds"], "warm": 0, "plain": 0}
    assert runs == []  # here, the build the one-page rebuilds update takes what the last round kept
    assert {p: p.read_bytes() for p in (tiny_profile / "docs").rglob("*.md")} == before
    assert not (tiny_profile / "site").exists() and not (tiny_profile / ".cache").exists()


def test_bench_interval_for_the_median_holds_it_with_95_percent_confidence() -> None:
    import math

    from build_tools.bench import median_interval

    def below(n: int, j: int) -> float:  # P(fewer than j of n rounds fall under the median)
        return sum(math.comb(n, i) for i in range(j)) / 2**n

    assert median_interval([0.1, 0.2, 0.3, 0.4, 0.5]) is None  # five rounds: even the extremes are not sure enough
    for n in (6, 7, 14, 21, 40):
        ratios = [(11 * i % n) / 100 for i in range(n)]  # 0 to n-1 hundredths, shuffled
        low, high = median_interval(ratios)  # type: ignore[misc]
        j = round(low * 100) + 1  # low is the j-th lowest
        assert high == round((n - j) / 100, 3)  # and high the j-th highest
        assert 1 - 2 * below(n, j) >= 0.95 > 1 - 2 * below(n, j + 1)  # the narrowest that is sure enough
    assert median_interval([(11 * i % 14) / 100 for i in range(14)]) == [0.02, 0.11]  # the 3rd of 14 either side


def test_bench_site_builds_take_the_rounds_asked_and_give_their_intervals(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from build_tools.bench import REBUILDS

    monkeypatch.chdir(tmp_path)  # (no profile here: only the generated corpora are built)
    argv = ["bench", "20", "--claims", "--agent-pages", "0", "--build", "5", "--rounds", "6", "--link-pages", "0"]
    argv += ["--instructions", "0"]
    result = subprocess.run([sys.executable, "-m", "build_tools", *argv], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    (row,) = [
        r for r in json.loads((tmp_path / "bench/results.json").read_text())["results"] if r["stage"] == "site build"
    ]
    assert row["rounds"] == 6 and len(row["overhead_rounds"]) == len(row["warm_overhead_rounds"]) == 6
    rebuilds, middle = row["rebuild_one_page_rounds"], row["rebuild_one_page_rounds"][REBUILDS // 2]  # (their median)
    assert len(rebuilds) == REBUILDS and row["rebuild_one_page_seconds"] == middle > 0
    assert f"one-page rebuild {middle} s (median of {REBUILDS}, {rebuilds[0]} to {rebuilds[-1]} s)" in result.stdout
    for name in ("overhead", "warm_overhead"):
        assert row[f"{name}_interval"] == [min(row[f"{name}_rounds"]), max(row[f"{name}_rounds"])]  # 6 rounds: all
    assert f"95% CI {row['overhead_interval'][0]:+.1%} to {row['overhead_interval'][1]:+.1%}" in result.stdout


def test_bench_says_which_build_failed_and_why_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from build_tools import bench

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs/index.md").write_text("# Home\n")
    (tmp_path / "mkdocs.yml").write_text("site_name: Broken\nplugins:\n  - no-such-plugin\n")
    with pytest.raises(bench.BuildFailed, match="the build of .*mkdocs.yml failed: .*no-such-plugin"):
        bench._fresh_build(tmp_path / "mkdocs.yml", tmp_path / "site")

    def fails(*args: object) -> int:
        bench._fresh_build(tmp_path / "mkdocs.yml", tmp_path / "site")
        return 0

    monkeypatch.setattr(bench, "main", fails)
    assert main(["bench", "--build", "5"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("build_tools: error: the build of ") and "no-such-plugin" in err
    assert "internal error" not in err and "Traceback" not in err


def test_bench_names_the_configuration_whose_build_failed(tmp_path: Path) -> None:
    from build_tools.bench import PLAIN, BuildFailed, _paired_rounds, generate_corpus

    generate_corpus(tmp_path, 5, seed=1)
    (tmp_path / "mkdocs.base.yml").write_text((tmp_path / "mkdocs.yml").read_text().split("plugins:")[0])
    with pytest.raises(BuildFailed, match=r"^broken: the build of .* failed: .*no-such-plugin") as failed:
        _paired_rounds(tmp_path, {"plain": PLAIN, "broken": "plugins:\n  - no-such-plugin\n"}, 1)
    assert failed.value.config == "broken"  # (the agents stage passes over only its peer's failure)


def test_bench_counts_the_builds_instructions_apart_from_its_helpers(tmp_path: Path) -> None:
    from build_tools.bench import callgrind_counts

    def counts(name: str, command: str, *totals: str) -> None:
        lines = ["# callgrind format", "version: 1", f"cmd:  {command}", "events: Ir", *totals, "fn=(1) main", "1 5"]
        (tmp_path / name).write_text("\n".join(lines) + "\n")

    child = "/usr/bin/python -c import sys; from build_tools.bench import _child_build; _child_build(sys.argv[1])"
    counts("101.out", child, "summary: 7000", "totals: 7000")
    counts("102.out", "/usr/bin/python -c from build_tools.outputs import main; main()", "totals: 900")
    counts("103.out", "/usr/bin/git rev-parse HEAD", "summary: 40")
    counts("104.out", child)  # (a file cut short: no total yet)
    counts("105.out", child, "summary: ")
    assert callgrind_counts(tmp_path) == (7000, 940)
    (tmp_path / "101.out").unlink()
    assert callgrind_counts(tmp_path) is None  # the build's own count is missing: no figure


def test_bench_without_valgrind_skips_counting_and_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    from build_tools import bench

    monkeypatch.setattr(bench.shutil, "which", lambda name: None)
    row = bench.bench_instructions(5)
    assert row["stage"] == "instructions" and "valgrind is not installed" in row["skipped"]
    assert bench._instructions_line(row) == f"instructions, 5 pages: skipped, {row['skipped']}"


def test_bench_without_linkchecker_skips_the_link_check_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from build_tools import bench

    monkeypatch.setattr(bench.shutil, "which", lambda name: None)
    monkeypatch.setattr(bench.sys, "executable", str(tmp_path / "python"))  # (no linkchecker beside it)
    row = bench.bench_links(5)
    assert row["stage"] == "link check" and "linkchecker is not installed" in row["skipped"]
    assert bench._links_line(row) == f"link check 5 pages: skipped, {row['skipped']}"


def test_a_bench_stage_that_fails_leaves_the_stages_before_it_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from build_tools import bench

    done = {"stage": "check", "pages": 10, "citations": 100, "seconds": 0.1, "pages_per_s": 100.0}
    done |= {"ratio_to_baseline": 2.0, "baseline": "scan", "baseline_seconds": 0.05, "peak_rss_mb": 30.0}

    def isolated(fn: object, *args: object) -> list[dict[str, object]]:
        if fn is bench.bench_check:
            return [done]
        raise RuntimeError("the corpus could not be written")

    monkeypatch.setattr(bench, "isolated", isolated)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(RuntimeError):
        bench.main([10], [20], 0, [], 0, None, 0)
    written = json.loads((tmp_path / "bench/results.json").read_text())
    assert written["results"] == [done]
    assert written["incomplete"] == "stopped by RuntimeError: the corpus could not be written"
    assert "incomplete, the bench stopped by RuntimeError" in capsys.readouterr().err
    assert bench.main([10], [], 0, [], 0, None, 0) == 0  # a whole run: nothing marked
    assert "incomplete" not in json.loads((tmp_path / "bench/results.json").read_text())


def test_bench_says_which_build_failed_under_valgrind(tmp_path: Path) -> None:
    from build_tools.bench import BuildFailed, _counted, _finish_counted

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs/index.md").write_text("# Home\n")
    (tmp_path / "mkdocs.ours.yml").write_text("site_name: Broken\nplugins:\n  - no-such-plugin\n")
    # A stand-in for valgrind: it passes over its own options and runs the rest.
    fake = tmp_path / "valgrind"
    fake.write_text('#!/bin/sh\nwhile [ "${1#--}" != "$1" ]; do shift; done\nexec "$@"\n')
    fake.chmod(0o755)
    slow = tmp_path / "slow"
    slow.write_text("#!/bin/sh\nexec sleep 60\n")
    slow.chmod(0o755)
    waiting = _counted(str(slow), tmp_path, "plain", "waiting")
    with pytest.raises(BuildFailed, match=r"the build of .*mkdocs.ours.yml under valgrind failed: .*no-such-plugin"):
        _finish_counted([_counted(str(fake), tmp_path, "ours", "cold"), waiting])
    assert waiting.process.poll() is not None  # (stopped, not left running)
    (tmp_path / "mkdocs.plain.yml").write_text("site_name: Fine\n")
    with pytest.raises(BuildFailed, match="valgrind wrote no count for the build of .*mkdocs.plain.yml") as failed:
        _finish_counted([_counted(str(fake), tmp_path, "plain")])
    assert failed.value.config == "plain"


def test_bench_takes_what_precedes_the_build_off_each_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from build_tools import bench

    # A stand-in for valgrind: it runs the command, then writes made-up counts where callgrind would.
    fake = tmp_path / "valgrind"
    fake.write_text(
        "#!/bin/sh\n"
        'while [ "${1#--}" != "$1" ]; do case "$1" in --callgrind-out-file=*) out="${1#*=}";; esac; shift; done\n'
        '"$@" || exit $?\n'
        'n=3000; case "$*" in *"setup only"*) n=1000;; esac\n'
        'case "$*" in *mkdocs.ours.yml*) n=$((n + 300)); case "$*" in *setup*) ;; *) n=$((n + 200));; esac;\n'
        '  printf "cmd: python -c from build_tools.outputs import main\\nsummary: 50\\n" > "${out%%p.out}9.out";; esac\n'
        'printf "cmd: %s\\nsummary: %s\\n" "$*" "$n" > "${out%%p.out}1.out"\n'
    )
    fake.chmod(0o755)
    monkeypatch.setattr(bench.shutil, "which", lambda name: str(fake))
    monkeypatch.setattr(bench, "_scratch", lambda: str(tmp_path))
    row = bench.bench_instructions(3)
    assert row["setup"] == {"plain": 1000, "ours": 1300}
    assert row["plain"] == 2000 and row["cold"] == row["warm"] == {"build": 2200, "helper": 50}
    assert row["overhead"] == row["warm_overhead"] == 0.1 and row["helper_share"] == 0.025
    assert "plain 0.00 G for the build itself" in bench._instructions_line(row)


def test_mkdocs_messages_go_to_stderr_as_it_is_when_they_come(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import logging

    from build_tools.cli import _quiet_mkdocs_logging

    first, second = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    _quiet_mkdocs_logging()
    first.close()  # (as pytest closes a test's captured stderr)
    monkeypatch.setattr(sys, "stderr", second)
    logging.getLogger("mkdocs.test").warning("a page is missing")
    assert "WARNING - a page is missing" in second.getvalue()
    assert "Logging error" not in second.getvalue()


def test_bench_refuses_counts_it_cannot_use(tmp_path: Path) -> None:
    for argv, says in [
        (["--rounds", "0"], "must be 1 or more, not 0"),
        (["--instructions", "-1"], "must be 0 or more, not -1"),
        (["--instructions", "many"], "not a whole number: 'many'"),
    ]:
        result = _run("bench", *argv, cwd=tmp_path)
        assert result.returncode == 2 and says in result.stderr and "Traceback" not in result.stderr, argv
