"""`python -m build_tools bench`: stage timings on generated corpora, as ratios to a baseline in the same run.

The corpus is deterministic from a seed and lives outside the repository (a temporary folder).
Machines here are noisy: absolute times mean little, ratios measured in the same run hold.
"""

from __future__ import annotations

import json
import math
import os
import platform
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from build_tools import checks
from build_tools.project import load_project, settings_from_config


def _scratch() -> str:
    """Where corpora are generated: outside the repository, on the same disk as it when possible
    (here /tmp is several times slower to create files in, which would swamp the ratios)."""
    parent = Path.cwd().parent
    return os.environ.get("BENCH_TMPDIR") or (str(parent) if os.access(parent, os.W_OK) else tempfile.gettempdir())


WORDS = (
    "model data vision network course lecture code paper talk team research engine training "
    "language image caption agent software weights gradient tokenizer dataset"
).split()


def generate_corpus(root: Path, pages: int, citations_per_page: int = 10, seed: int = 1) -> dict[str, int]:
    """Write a profile with `pages` pages in sections of 100, and a registry of pages // 5 sources."""
    rng = random.Random(seed)
    n_sources = max(10, pages // 5)
    (root / "sources").mkdir(parents=True, exist_ok=True)
    (root / "mkdocs.yml").write_text(
        "site_name: Bench\nsite_url: https://bench.example/\ntheme:\n  name: material\n  font: false\n"
        "  features: [navigation.prune]\nplugins:\n  - search\n  - awesome-pages\n  - provenance\n"
    )
    (root / "sources/accounts.yml").write_text("accounts: []\n")
    blocks = []
    for i in range(n_sources):
        tier = 1 + i % 3
        blocks.append(
            f"- id: source-{i:06d}\n  title: {rng.choice(WORDS).title()} {rng.choice(WORDS)} number {i}\n"
            f"  kind: paper\n  date: '20{10 + i % 15:02d}'\n  tier: {tier}\n"
        )
    (root / "sources/registry.yml").write_text("sources:\n" + "".join(blocks))
    (root / "docs").mkdir(parents=True, exist_ok=True)
    (root / "docs" / "index.md").write_text(
        "---\ntitle: Home\ndescription: A generated corpus.\nconfidence: low\ndepth: low\n---\n\nGenerated pages.\n"
    )
    total_citations = 0
    for p in range(pages):
        section = root / "docs" / f"section-{p // 100:03d}"
        section.mkdir(parents=True, exist_ok=True)
        paragraphs = []
        for n in range(citations_per_page):
            if n % 3 == 0:  # real pages have headings (and so a table of contents) every few paragraphs
                paragraphs.append(f"## {rng.choice(WORDS).title()} {rng.choice(WORDS)} {n // 3 + 1}")
            words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 30)))
            cite = f"source-{rng.randrange(n_sources):06d}"
            paragraphs.append(f"In {2000 + rng.randrange(25)} the {words} [@{cite}].")
            total_citations += 1
        front = f"---\ntitle: Page {p}\ndescription: Generated page {p}.\nconfidence: low\ndepth: low\n---\n\n"
        (section / f"page-{p:05d}.md").write_text(front + "\n\n".join(paragraphs) + "\n")
    return {"pages": pages, "sources": n_sources, "citations": total_citations}


def _timed(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def _baseline_scan(docs: Path) -> int:
    """The floor any checker pays: read every page and find its citation keys with one regex."""
    pattern = re.compile(r"\[@([^\]\s;]+)")
    return sum(len(pattern.findall(path.read_text())) for path in docs.rglob("*.md"))


def bench_check(sizes: list[int], seed: int = 1) -> list[dict[str, Any]]:
    rows = []
    for size in sizes:
        with tempfile.TemporaryDirectory(dir=_scratch(), prefix="bench-") as tmp:
            root = Path(tmp)
            facts = generate_corpus(root, size, seed=seed)
            base_s, found = _timed(_baseline_scan, root / "docs")
            settings = settings_from_config(root / "mkdocs.yml")
            check_s, diagnostics = _timed(lambda s: checks.run_all(load_project(s)), settings)
            errors = sum(1 for d in diagnostics if d.severity == "error")
            rows.append(
                {
                    "stage": "check",
                    **facts,
                    "seconds": round(check_s, 3),
                    "pages_per_s": round(size / check_s, 1),
                    "citations_per_s": round(facts["citations"] / check_s, 1),
                    "baseline": "read + regex scan of citations",
                    "baseline_seconds": round(base_s, 3),
                    "ratio_to_baseline": round(check_s / base_s, 1),
                    "errors": errors,
                    "citations_found_by_baseline": found,
                }
            )
    return rows


# The largest peak memory of the builds a stage ran in interpreters of their own (see _fresh_build).
_BUILD_PEAK = [0.0]


def _measured(fn: Callable[..., Any], args: tuple[Any, ...]) -> tuple[Any, float, float]:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    _BUILD_PEAK[0] = 0.0
    result = fn(*args)
    return result, before, max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, _BUILD_PEAK[0])


def isolated(fn: Callable[..., Any], *args: Any) -> Any:
    """Run one stage in a fresh interpreter, so its peak memory is its own (not an earlier stage's),
    and put that peak on each row it returns: `peak_rss_mb` for the whole process, and
    `stage_rss_mb` above what the interpreter and its imports held when the stage began. A stage that
    builds sites in interpreters of their own (see _fresh_build) gets the largest of theirs."""
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(1) as pool:
        result, before, peak = pool.apply(_measured, (fn, args))
    rows = result if isinstance(result, list) else [result]
    for row in rows:
        if isinstance(row, dict):
            row["peak_rss_mb"] = round(peak, 1)
            row["stage_rss_mb"] = round(max(0.0, peak - before), 1)
    return result


def main(
    sizes: list[int],
    claim_sizes: list[int],
    agent_pages: int = 300,
    build_sizes: list[int] | None = None,
    link_pages: int = 100,
    build_rounds: int | None = None,
    instruction_pages: int = 100,
) -> int:
    """Run the benchmarks, print a table, write bench/results.json (and the plot). A stage that fails
    stops the bench, and the stages done before it are written all the same, marked incomplete."""
    rows: list[dict[str, Any]] = []
    try:
        _stages(rows, sizes, claim_sizes, agent_pages, build_sizes, link_pages, build_rounds, instruction_pages)
    except BaseException as exc:
        _write_results(
            rows, f"stopped by {type(exc).__name__}: {exc}" if str(exc) else f"stopped by {type(exc).__name__}"
        )
        raise
    _write_results(rows)
    return 0


def _stages(
    rows: list[dict[str, Any]],
    sizes: list[int],
    claim_sizes: list[int],
    agent_pages: int,
    build_sizes: list[int] | None,
    link_pages: int,
    build_rounds: int | None,
    instruction_pages: int,
) -> None:
    """Run each stage asked for, printing its figures and adding its rows to `rows` as it ends."""
    header = f"{'stage':<10}{'pages':>8}{'citations':>11}{'seconds':>9}{'pages/s':>10}{'ratio to baseline':>19}"
    _sized(rows, bench_check, sizes, header, _check_line)
    header = f"\n{'stage':<10}{'claims':>8}{'seconds':>9}{'claims/s':>10}{'pairs':>10}{'recall':>8}"
    _sized(rows, bench_reconcile, claim_sizes, header, _reconcile_line)
    real = isolated(bench_real_accounts, Path("mkdocs.yml")) if Path("mkdocs.yml").is_file() else None
    if real:
        print(
            f"reconcile {real['claims']:>8}{real['seconds']:>9}{'':>10}{'':>10}{real['recall']:>8}  "
            f"(this profile's accounts; baseline: all pairs, {real['baseline_seconds']} s; peak {real['peak_rss_mb']} MB)"
        )
        rows.append(real)
    if agent_pages:
        agents_row = isolated(bench_agents, agent_pages)
        print(
            f"\nagent outputs on {agent_pages} pages: {agents_row['ours_extra']:+.1%} build time (median of {ROUNDS} paired "
            f"rounds, {', '.join(f'{r:+.0%}' for r in agents_row['ours_extra_rounds'])}; "
            f"mkdocs-llmstxt on the same pages: {agents_row['mkdocs_llmstxt_extra']:+.1%}; "
            f"baseline {agents_row['baseline_seconds']} s: {agents_row['baseline']}; peak {agents_row['peak_rss_mb']} MB)"
        )
        rows.append(agents_row)
    _sized(rows, bench_build, build_sizes or [], "", _build_line, 1, build_rounds)
    real_build = isolated(bench_real_rebuild, Path("mkdocs.yml").resolve()) if Path("mkdocs.yml").is_file() else None
    if real_build:
        print(
            f"site build of this profile ({real_build['pages']} pages): {real_build['seconds']} s, plain mkdocs-material "
            f"{real_build['baseline_seconds']} s; overhead {real_build['overhead']:+.1%}"
            f"{_interval(real_build['overhead_interval'])} (median of {real_build['rounds']} "
            f"paired rounds, {', '.join(f'{r:+.0%}' for r in real_build['overhead_rounds'])}); with the checks kept "
            f"by the last build {real_build['warm_seconds']} s, {real_build['warm_overhead']:+.1%}"
            f"{_interval(real_build['warm_overhead_interval'])} "
            f"({', '.join(f'{r:+.0%}' for r in real_build['warm_overhead_rounds'])}); project checked by "
            f"{real_build['project_checks']['cold']} cold and {real_build['project_checks']['warm']} warm builds; one-page rebuild "
            f"{real_build['rebuild_one_page_seconds']} s dirty (median of {_span(real_build['rebuild_one_page_rounds'])}), "
            f"{real_build['full_rebuild_one_page_seconds']} s full (median of {_span(real_build['full_rebuild_one_page_rounds'])}) as "
            f"mkdocs serve makes it ({real_build['changed_page']}); peak {real_build['peak_rss_mb']} MB"
        )
        rows.append(real_build)
    if link_pages:
        links_row = isolated(bench_links, link_pages)
        print(_links_line(links_row))
        rows.append(links_row)
    if instruction_pages:
        counted = isolated(bench_instructions, instruction_pages)
        print(_instructions_line(counted))
        rows.append(counted)


def _sized(
    rows: list[dict[str, Any]],
    stage: Callable[..., list[dict[str, Any]]],
    sizes: list[int],
    header: str,
    line: Callable[[dict[str, Any]], str],
    *args: Any,
) -> None:
    """A stage at each size in turn (in its own interpreter): the header first, then each row printed
    and kept as its size ends."""
    if sizes and header:
        print(header)
    for size in sizes:
        for row in isolated(stage, [size], *args):
            print(line(row))
            rows.append(row)


def _check_line(r: dict[str, Any]) -> str:
    return (
        f"{r['stage']:<10}{r['pages']:>8}{r['citations']:>11}{r['seconds']:>9}{r['pages_per_s']:>10}"
        f"{r['ratio_to_baseline']:>18}x  ({r['baseline']}: {r['baseline_seconds']} s; peak {r['peak_rss_mb']} MB)"
    )


def _reconcile_line(r: dict[str, Any]) -> str:
    return (
        f"{r['stage']:<10}{r['claims']:>8}{r['seconds']:>9}{r['claims_per_s']:>10}{r['candidate_pairs']:>10}"
        f"{r['recall']:>8}  (baseline: {r['baseline']}, {r['baseline_seconds']} s; peak {r['peak_rss_mb']} MB)"
    )


def _build_line(row: dict[str, Any]) -> str:
    return (
        f"site build {row['pages']:>6} pages: {row['seconds']} s, plain mkdocs-material {row['baseline_seconds']} s; "
        f"overhead {row['overhead']:+.1%}{_interval(row['overhead_interval'])} (median of {row['rounds']} paired rounds, "
        f"{', '.join(f'{r:+.0%}' for r in row['overhead_rounds'])}; fastest builds {row['overhead_fastest']:+.1%}; "
        f"CPU time, helper included, {row['cpu_overhead']:+.1%}); with the checks kept by the last build "
        f"{row['warm_overhead']:+.1%}{_interval(row['warm_overhead_interval'])} "
        f"({', '.join(f'{r:+.0%}' for r in row['warm_overhead_rounds'])}); "
        f"project checked by {row['project_checks']['ours']} cold and {row['project_checks']['warm']} warm builds; "
        f"one-page rebuild {row['rebuild_one_page_seconds']} s (median of {_span(row['rebuild_one_page_rounds'])}); "
        f"{row['html_kb_per_page']} KB HTML a page, search index {row['search_index_kb']} KB; "
        f"peak {row['peak_rss_mb']} MB"
    )


def _write_results(rows: list[dict[str, Any]], stopped: str = "") -> None:
    """bench/results.json and the plot, from the rows so far; `stopped`: why the bench did not finish."""
    peak_mb = max([r.get("peak_rss_mb", 0.0) for r in rows if isinstance(r, dict)] or [0.0])
    out = Path("bench")
    out.mkdir(exist_ok=True)
    machine = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "largest_stage_peak_rss_mb": round(peak_mb, 1),
    }
    results: dict[str, Any] = {"machine": machine, "results": rows}
    if stopped:
        results["incomplete"] = stopped
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    drawn = plot(rows, out / "growth.png")
    also = " and bench/growth.png" if drawn else ""
    print(
        f"wrote bench/results.json{also} (largest stage peak {peak_mb:.0f} MB)"
        + (f"; incomplete, the bench {stopped}" if stopped else ""),
        file=sys.stderr if stopped else sys.stdout,
    )


def _span(seconds: list[float]) -> str:
    """How many times, and their range (`seconds` sorted)."""
    return f"{len(seconds)}, {seconds[0]} to {seconds[-1]} s"


def _skipped(head: str, row: dict[str, Any]) -> str:
    """The line of a stage that could not run here, with why; empty when it ran."""
    return f"{head}: skipped, {row['skipped']}" if "skipped" in row else ""


def _links_line(row: dict[str, Any]) -> str:
    head = f"link check {row['pages']} pages"
    return _skipped(head, row) or (
        f"{head}: ours {row['seconds']} s, linkchecker {row['baseline_seconds']} s ({row['ratio']}x); same findings: "
        f"{row['same_findings']} ({len(row['found_by_ours'])} broken); peak {row['peak_rss_mb']} MB"
    )


def _instructions_line(row: dict[str, Any]) -> str:
    head = f"instructions, {row['pages']} pages"
    return _skipped(head, row) or (
        f"{head} (valgrind's callgrind, one build each; a count drifts far less than a time): plain "
        f"{row['plain'] / 1e9:.2f} G for the build itself (not counting {row['setup']['plain'] / 1e9:.2f} G to start "
        f"Python and load the configuration); ours {row['overhead']:+.1%} in the build's process, its helper "
        f"{row['helper_share']:.1%} of plain's on the other core; with the checks kept by the last build "
        f"{row['warm_overhead']:+.1%}, helper {row['warm_helper_share']:.1%} ({row['seconds']} s under valgrind)"
    )


def _interval(interval: list[float] | None) -> str:
    return f" [95% CI {interval[0]:+.1%} to {interval[1]:+.1%}]" if interval else ""


NOUNS = (
    "engine library course paper model dataset benchmark talk essay repository compiler tokenizer "
    "optimizer lecture tutorial notebook"
).split()
VERBS = ("released", "published", "announced", "joined", "left", "founded", "presented", "open-sourced")


def generate_claims(n: int, seed: int = 1) -> tuple[list[Any], Any]:
    """`n` synthetic claims about many subjects: about one in three repeats another, reworded."""
    from build_tools.gazetteer import Gazetteer
    from build_tools.statements import make_claim

    rng = random.Random(seed)
    gazetteer = Gazetteer()
    gazetteer.default_subject = "Subject Person"
    subjects = [f"Project{i:05d}" for i in range(max(10, n // 20))]
    for name in subjects:
        gazetteer.add(name, "work")
    base: list[str] = []
    claims = []
    for i in range(n):
        if base and rng.random() < 0.33:
            words = rng.choice(base).split()
            if rng.random() < 0.5:  # reorder a clause, or drop a word: the same fact worded apart
                cut = rng.randrange(1, len(words))
                words = words[cut:] + words[:cut]
            else:
                words.pop(rng.randrange(len(words)))
            text = " ".join(words)
        else:
            subject, verb = rng.choice(subjects), rng.choice(VERBS)
            extra = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 10)))
            text = (
                f"{subject} was {verb} as a {rng.choice(NOUNS)} about {extra} "
                f"in {rng.choice(('March', 'June', 'October'))} {2010 + rng.randrange(15)} with {rng.randint(50, 900)} lines"
            )
            base.append(text)
        claim = make_claim(f"account{i % 5}", i + 1, text, gazetteer)
        if claim is not None:
            claims.append(claim)
    return claims, gazetteer


def _all_pairs(claims: list[Any], texts: list[str]) -> set[tuple[int, int]]:
    """The baseline: compare every pair."""
    from build_tools.reconcile import same_claim

    n = len(claims)
    return {(i, j) for i in range(n) for j in range(i + 1, n) if same_claim(claims[i], claims[j], texts[i], texts[j])}


def bench_real_accounts(config: Path) -> dict[str, Any] | None:
    """Recall of blocked merging against all pairs on the profile's own accounts."""
    from build_tools.reconcile import account_claims, cluster_claims, normalize

    project = load_project(settings_from_config(config), with_pages=False)
    if not project.accounts:
        return None
    start = time.perf_counter()
    claims = account_claims(project)
    clusters = cluster_claims(claims)
    seconds = time.perf_counter() - start
    texts = [normalize(c.text) for c in claims]
    brute_s, truth = _timed(_all_pairs, claims, texts)
    cluster_of = {id(c): k for k, members in enumerate(clusters) for c in members}
    found = {(i, j) for i, j in truth if cluster_of[id(claims[i])] == cluster_of[id(claims[j])]}
    return {
        "stage": "reconcile (profile accounts)",
        "claims": len(claims),
        "seconds": round(seconds, 2),
        "baseline": "all pairs",
        "baseline_seconds": round(brute_s, 2),
        "sample_pairs_found_all_pairs": len(truth),
        "sample_pairs_found_blocked": len(found),
        "recall": round(len(found) / len(truth), 4) if truth else 1.0,
    }


def bench_reconcile(sizes: list[int], sample: int = 2000, seed: int = 1) -> list[dict[str, Any]]:
    from build_tools.reconcile import candidate_pairs, find_conflicts, normalize, same_claim

    rows = []
    for size in sizes:
        extract_s, (claims, _) = _timed(generate_claims, size, seed)
        match_s, pairs = _timed(candidate_pairs, claims)
        texts = [normalize(c.text) for c in claims]
        cluster_s, found = _timed(
            lambda ps, cs, ts: {p for p in ps if same_claim(cs[p[0]], cs[p[1]], ts[p[0]], ts[p[1]])},
            pairs,
            claims,
            texts,
        )
        conflict_s, (conflicts, _, _) = _timed(find_conflicts, claims)
        # Recall on a sample: what blocking finds, against every pair compared.
        # The sample takes whole subjects, so that it holds the repeats a random sample would split.
        by_subject: dict[str, list[int]] = {}
        for index, claim in enumerate(claims):
            by_subject.setdefault(claim.names[0] if claim.names else "", []).append(index)
        order = sorted(by_subject)
        random.Random(seed).shuffle(order)
        picked = []
        for name in order:
            if len(picked) >= sample:
                break
            picked.extend(by_subject[name])
        picked = sorted(picked[:sample])
        sub = [claims[i] for i in picked]
        sub_texts = [texts[i] for i in picked]
        brute_s, truth = _timed(_all_pairs, sub, sub_texts)
        blocked = {
            p for p in candidate_pairs(sub) if same_claim(sub[p[0]], sub[p[1]], sub_texts[p[0]], sub_texts[p[1]])
        }
        recall = len(truth & blocked) / len(truth) if truth else 1.0
        total = extract_s + match_s + cluster_s + conflict_s
        rows.append(
            {
                "stage": "reconcile",
                "claims": len(claims),
                "seconds": round(total, 2),
                "claims_per_s": round(len(claims) / total, 1),
                "extract_s": round(extract_s, 2),
                "blocking_s": round(match_s, 2),
                "compare_s": round(cluster_s, 2),
                "conflicts_s": round(conflict_s, 2),
                "candidate_pairs": len(pairs),
                "duplicate_pairs": len(found),
                "conflicts": len(conflicts),
                "baseline": f"all pairs on a {len(sub)}-claim sample",
                "baseline_seconds": round(brute_s, 2),
                "sample_pairs_found_all_pairs": len(truth),
                "sample_pairs_found_blocked": len(truth & blocked),
                "recall": round(recall, 4),
            }
        )
    return rows


def bench_agents(pages: int = 300, seed: int = 1) -> dict[str, Any]:
    """Cost of the agent outputs as a fraction of the build, against mkdocs-llmstxt on the same pages."""
    with tempfile.TemporaryDirectory(dir=_scratch(), prefix="bench-agents-") as tmp:
        root = Path(tmp)
        generate_corpus(root, pages, seed=seed)
        base = (root / "mkdocs.yml").read_text().split("plugins:")[0]
        (root / "mkdocs.base.yml").write_text(base)
        sections = sorted(p.name for p in (root / "docs").iterdir() if p.is_dir())
        ours_off = "plugins:\n  - search\n  - awesome-pages\n  - provenance:\n      agent_outputs: false\n"
        ours_on = "plugins:\n  - search\n  - awesome-pages\n  - provenance\n"
        peer = (
            ours_off
            + "  - llmstxt:\n      full_output: llms-full.txt\n      sections:\n"
            + "".join(f"        {name}:\n          - {name}/*.md\n" for name in sections)
        )
        configs = {"off": ours_off, "ours": ours_on, "peer": peer}
        try:
            times, _, _ = _paired_rounds(root, configs)
        except BuildFailed as exc:  # the peer is a bench-only dependency: say so, do not crash
            if exc.config != "peer":
                raise
            print(f"mkdocs-llmstxt could not run: {exc}")
            del configs["peer"]
            times, _, _ = _paired_rounds(root, configs)
            times["peer"] = [float("nan")] * len(times["off"])
    return {
        "stage": "agent outputs",
        "pages": pages,
        "baseline": "the same site and plugin with agent outputs off",
        "baseline_seconds": round(min(times["off"]), 2),
        "ours_seconds": round(min(times["ours"]), 2),
        "mkdocs_llmstxt_seconds": round(min(times["peer"]), 2),
        "ours_extra": _median_ratio(times["ours"], times["off"]),
        "mkdocs_llmstxt_extra": _median_ratio(times["peer"], times["off"]),
        "ours_extra_rounds": sorted(round(o / b - 1, 3) for o, b in zip(times["ours"], times["off"], strict=True)),
    }


# Rounds per build comparison. Single rounds at 1,000 pages range over 30 points or more here, so
# the median needs more than a handful.
ROUNDS = 7


def _rounds(pages: int) -> int:
    """Paired rounds for a site build of this many pages. A build of 100 pages takes about a second,
    and one noisy moment moves a round by half (+6% to +77% in one run): small sites get three times
    the rounds (about a minute). At 1,000 pages (ten seconds a build) single rounds range over 40 to
    70 points, and seven rounds left a median that moved by more than ten points between two runs of
    the same code (+6.2% and +17.5%): they get twice the rounds (about eight minutes). Larger sites,
    whose builds take a minute or more, get seven."""
    if pages <= 100:
        return ROUNDS * 3
    return ROUNDS * 2 if pages <= 1000 else ROUNDS


def _paired_rounds(
    root: Path, configs: dict[str, str], rounds: int = ROUNDS, warm: tuple[str, ...] = ()
) -> tuple[dict[str, list[float]], dict[str, list[float]], dict[str, list[int]]]:
    """Build the corpus once with each plugins block per round, in an order that turns each round,
    each build in a new interpreter from an empty site folder: (seconds, CPU seconds, project checks
    made) by config name, a value per round. A round's builds are seconds apart: this machine is noisy
    and drifts, so ratios are taken within a round, and their median is the figure.
    The configs named in `warm` find the checks an earlier build kept on disk (the first round builds
    in the order given: put a cold config with the plugin before them)."""
    names = list(configs)
    times: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    checked: dict[str, list[int]] = {name: [] for name in names}
    for round_ in range(rounds):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            try:
                build = _build_once(root, configs[name], root / f"site-{name}", cold=name not in warm)
            except BuildFailed as exc:
                raise BuildFailed(f"{name}: {exc}", config=name) from None
            times[name].append(build.seconds)
            cpu[name].append(build.cpu)
            checked[name].append(build.project_checks)
    return times, cpu, checked


def _median_ratio(values: list[float], baselines: list[float]) -> float:
    """The median of the rounds' ratios; of an even number of rounds, the higher of the middle two."""
    ratios = sorted(v / b - 1 for v, b in zip(values, baselines, strict=True))
    return round(ratios[len(ratios) // 2], 3)


def median_interval(ratios: list[float], confidence: float = 0.95) -> list[float] | None:
    """A distribution-free confidence interval for the median of the rounds' ratios: the j-th lowest
    and the j-th highest, with the largest j for which fewer than j of n rounds fall below the median
    with probability at most (1 - confidence) / 2 (each round is as likely to fall either side).
    None when even the lowest and the highest are not that sure (fewer than six rounds at 95%)."""
    ordered = sorted(ratios)
    n = len(ordered)
    tail, below, j = (1 - confidence) / 2, 0.0, 0  # below: P(fewer than j+1 rounds under the median)
    while j < n // 2:
        below += math.comb(n, j) / 2**n
        if below > tail:
            break
        j += 1
    if j == 0:
        return None
    return [round(ordered[j - 1], 3), round(ordered[n - j], 3)]


PLAIN = "plugins:\n  - search\n  - awesome-pages\n"
OURS = "plugins:\n  - search\n  - awesome-pages\n  - provenance\n"
CACHE = ".cache/plugin/provenance"  # where the plugin keeps its checks (its `cache_dir`)


def _site_facts(site: Path) -> dict[str, Any]:
    pages = [p for p in site.rglob("index.html")]
    html = sum(p.stat().st_size for p in pages)
    index = site / "search" / "search_index.json"
    return {
        "html_pages": len(pages),
        "html_kb_per_page": round(html / max(1, len(pages)) / 1024, 1),
        "search_index_kb": round(index.stat().st_size / 1024, 1) if index.exists() else None,
    }


@dataclass
class Build:
    """One timed build: wall seconds, CPU seconds (its helper's included), how many times the
    project's own checks were made (by the build or its helper; none when it took those kept on disk),
    and its peak memory."""

    seconds: float
    cpu: float
    project_checks: int
    peak_rss_mb: float  # the build's process (not its helper)


def _build_once(root: Path, plugins: str, site: Path, cold: bool = True) -> Build:
    """One timed clean build of the corpus with this plugins block, in a new interpreter (see
    _fresh_build), from an empty site folder, as `build` makes it (it builds into a fresh staging
    folder): emptying the last build's site is not part of the build. A cold one also finds no checks
    kept on disk, as in a fresh clone."""
    if site.exists():
        shutil.rmtree(site)
    if cold and "provenance" in plugins:  # (a plain build leaves the cache to the next warm one)
        shutil.rmtree(root / CACHE, ignore_errors=True)
    (root / "mkdocs.yml").write_text((root / "mkdocs.base.yml").read_text() + plugins)
    return _fresh_build(root / "mkdocs.yml", site)


class BuildFailed(Exception):
    """A build the bench timed failed: the end of what it wrote to stderr says why; `config` names
    the configuration that failed, when the build was one of several (see _paired_rounds)."""

    def __init__(self, message: str, config: str = "") -> None:
        super().__init__(message)
        self.config = config


_CHILD = "import sys; from build_tools.bench import _child_build; _child_build(*sys.argv[1:])"


def _child_env() -> dict[str, str]:
    package_root = str(Path(__file__).resolve().parent.parent)
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}


def _fresh_build(config_file: Path, site: Path) -> Build:
    """A clean build in a new interpreter, as `mkdocs build` runs: nothing an earlier build left in
    this process (parsed pages, caches, a grown heap) helps or hinders it. The disk is synced first,
    so that no build pays for writing out the pages of the one before it. Its peak memory counts
    towards its stage's (see _measured)."""
    os.sync()
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(config_file), str(site)], capture_output=True, text=True, env=_child_env()
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise BuildFailed(f"the build of {config_file} failed: {done.stderr.strip()[-2000:]}")
    build = Build(**json.loads(lines[-1]))
    _BUILD_PEAK[0] = max(_BUILD_PEAK[0], build.peak_rss_mb)
    return build


def _child_build(config_file: str, site: str, setup_only: str = "") -> None:
    """In the new interpreter: build once and print the Build as JSON (with `setup_only`, everything
    but the build itself: see bench_instructions)."""
    from build_tools import outputs

    warnings.simplefilter("ignore")  # (awesome-pages on the pages only our plugin makes)
    made = [0]
    check_project = checks.check_project

    def counted(*args: Any) -> Any:
        made[0] += 1
        return check_project(*args)

    ask = outputs.Outputs.check_project

    def asked(self: outputs.Outputs, *args: Any) -> bool:  # (its helper checks the project)
        sent = ask(self, *args)
        made[0] += sent
        return sent

    checks.check_project = counted  # type: ignore[assignment]
    outputs.Outputs.check_project = asked  # type: ignore[method-assign]
    before = os.times()
    seconds = _timed_build(Path(config_file), Path(site), dirty=False, setup_only=bool(setup_only))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "cpu": _cpu_since(before), "project_checks": made[0], "peak_rss_mb": peak}))


def _timed_build(config_file: Path, site: Path, dirty: bool, setup_only: bool = False) -> float:
    """Seconds MkDocs takes to build the site of `config_file` into `site` (a clean or a dirty build,
    in this process: a dirty build finds what earlier builds here kept, as in `mkdocs serve`); the
    configuration is loaded (and the plugins imported) before the clock starts. With `setup_only`,
    the build itself is left out."""
    import logging

    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config

    logging.getLogger("mkdocs").setLevel(logging.ERROR)
    config = load_config(config_file=str(config_file), site_dir=str(site))
    config.plugins.on_startup(command="build", dirty=dirty)
    start = time.perf_counter()
    if not setup_only:
        mkdocs_build(config, dirty=dirty)
    seconds = time.perf_counter() - start
    config.plugins.on_shutdown()
    return seconds


def _without_plugin(config: Path, out: Path, name: str = "provenance") -> None:
    """A copy of an mkdocs.yml without our plugin (and awesome-pages not strict: its .pages files may
    name the pages our plugin generates)."""
    import yaml

    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    plugins = []
    for plugin in data.get("plugins") or []:
        key = plugin if isinstance(plugin, str) else next(iter(plugin))
        if key == name:
            continue
        if key == "awesome-pages":
            options = {} if isinstance(plugin, str) else dict(plugin[key] or {})
            plugin = {key: {**options, "strict": False}}
        plugins.append(plugin)
    data["plugins"] = plugins
    out.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def bench_real_rebuild(config: Path, rounds: int = ROUNDS * 3) -> dict[str, Any] | None:
    """This profile's own site, in a copy of its docs, sources and overrides: clean builds with our
    plugin and without it (paired rounds, as for the generated corpora), then rebuilds after a
    one-page change in the same process: a dirty one, and a full one (as `mkdocs serve` makes it).
    Its builds take about a second, as at 100 pages, and get as many rounds (five rounds of its warm
    build ranged from -26% to +96% in one run)."""
    from build_tools.plugin import forget_earlier_builds

    root = config.parent
    if not (root / "docs").is_dir():
        return None
    with tempfile.TemporaryDirectory(dir=_scratch(), prefix="bench-real-") as tmp:
        copy = Path(tmp)
        for name in ("docs", "sources", "overrides"):
            if (root / name).is_dir():
                shutil.copytree(root / name, copy / name)
        shutil.copy2(config, copy / "mkdocs.yml")
        _without_plugin(config, copy / "mkdocs.plain.yml")
        # The plugin's builds: cold (nothing kept on disk), and warm (the checks the last build kept).
        times: dict[str, list[float]] = {"cold": [], "warm": [], "plain": []}
        checked: dict[str, list[int]] = {"cold": [], "warm": [], "plain": []}
        config_of = {"cold": "mkdocs.yml", "warm": "mkdocs.yml", "plain": "mkdocs.plain.yml"}
        names = list(times)
        for round_ in range(rounds):
            for name in names[round_ % 3 :] + names[: round_ % 3]:  # (round 0: cold before warm)
                shutil.rmtree(copy / "site", ignore_errors=True)
                if name == "cold":
                    shutil.rmtree(copy / CACHE, ignore_errors=True)
                build = _fresh_build(copy / config_of[name], copy / "site")
                times[name].append(build.seconds)
                checked[name].append(build.project_checks)
        shutil.rmtree(copy / "site", ignore_errors=True)
        forget_earlier_builds()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # The site the rebuilds update, built in this process as `mkdocs serve` builds it first.
            _timed_build(copy / "mkdocs.yml", copy / "site", dirty=False)
            pages = sorted((copy / "docs").rglob("*.md"))
            page = pages[0]
            rebuilds = _rebuilds(copy / "mkdocs.yml", copy / "site", page, dirty=True)
            full_rebuilds = _rebuilds(copy / "mkdocs.yml", copy / "site", page, dirty=False)  # as `mkdocs serve` does
    ours, warm, plain = times["cold"], times["warm"], times["plain"]
    ratios = [o / p - 1 for o, p in zip(ours, plain, strict=True)]
    warm_ratios = [w / p - 1 for w, p in zip(warm, plain, strict=True)]
    return {
        "stage": "site build (this profile)",
        "pages": len(pages),
        "seconds": round(min(ours), 2),
        "baseline": "plain mkdocs-material (this profile's mkdocs.yml without our plugin), same pages",
        "baseline_seconds": round(min(plain), 2),
        "overhead": _median_ratio(ours, plain),
        "rounds": rounds,
        "overhead_rounds": sorted(round(r, 3) for r in ratios),
        "overhead_interval": median_interval(ratios),
        "warm_seconds": round(min(warm), 2),
        "warm_overhead": _median_ratio(warm, plain),
        "warm_overhead_rounds": sorted(round(r, 3) for r in warm_ratios),
        "warm_overhead_interval": median_interval(warm_ratios),
        "project_checks": {name: sum(made) for name, made in checked.items()},
        "rebuild_one_page_seconds": _middle(rebuilds),
        "rebuild_one_page_rounds": sorted(round(r, 2) for r in rebuilds),
        "full_rebuild_one_page_seconds": _middle(full_rebuilds),
        "full_rebuild_one_page_rounds": sorted(round(r, 2) for r in full_rebuilds),
        "changed_page": page.relative_to(copy).as_posix(),
    }


# Rebuilds after a one-page change, each timed: a single one moved by half between runs.
REBUILDS = 5


def _rebuilds(config_file: Path, site: Path, page: Path, dirty: bool, count: int = REBUILDS) -> list[float]:
    """Seconds of `count` rebuilds in this process (as `mkdocs serve` makes them), each after one more
    line is added to `page`."""
    seconds = []
    for n in range(count):
        page.write_text(page.read_text() + f"\nOne more line ({n + 1}).\n")
        seconds.append(_timed_build(config_file, site, dirty=dirty))
    return seconds


def _middle(seconds: list[float]) -> float:
    """The median of an odd number of times (the higher middle one of an even number), rounded."""
    return round(sorted(seconds)[len(seconds) // 2], 2)


def _cpu_since(before: os.times_result) -> float:
    """CPU seconds (user and system) of this process and its finished children since `before`."""
    now = os.times()
    return sum(getattr(now, f) - getattr(before, f) for f in ("user", "system", "children_user", "children_system"))


def bench_build(sizes: list[int], seed: int = 1, rounds: int | None = None) -> list[dict[str, Any]]:
    """Site build with our plugin against plain mkdocs-material on the same pages (sectioned, pruned),
    the page weight, and a rebuild after a one-page change; `rounds` paired rounds a size (by default
    as _rounds says)."""
    rows = []
    for size in sizes:
        with tempfile.TemporaryDirectory(dir=_scratch(), prefix="bench-build-") as tmp:
            root = Path(tmp)
            generate_corpus(root, size, seed=seed)
            (root / "mkdocs.base.yml").write_text((root / "mkdocs.yml").read_text().split("plugins:")[0])
            count = rounds or _rounds(size)
            times, cpu, checked = _paired_rounds(
                root, {"plain": PLAIN, "ours": OURS, "warm": OURS}, count, warm=("warm",)
            )
            ratios = sorted(o / p - 1 for o, p in zip(times["ours"], times["plain"], strict=True))
            warm_ratios = [w / p - 1 for w, p in zip(times["warm"], times["plain"], strict=True)]
            plain, ours = min(times["plain"]), min(times["ours"])
            facts = _site_facts(root / "site-ours")
            # A one-page change, rebuilt dirty in the process that built the site (as `mkdocs serve` does).
            (root / "mkdocs.yml").write_text((root / "mkdocs.base.yml").read_text() + OURS)
            _timed_build(root / "mkdocs.yml", root / "site-ours", dirty=False)
            page = next((root / "docs").rglob("*.md"))
            rebuilds = _rebuilds(root / "mkdocs.yml", root / "site-ours", page, dirty=True)
            rows.append(
                {
                    "stage": "site build",
                    "pages": size,
                    "seconds": round(ours, 2),
                    "baseline": "plain mkdocs-material (search, awesome-pages), same pages",
                    "baseline_seconds": round(plain, 2),
                    "overhead": _median_ratio(times["ours"], times["plain"]),
                    "rounds": count,
                    "overhead_rounds": [round(r, 3) for r in ratios],
                    "overhead_interval": median_interval(ratios),
                    "overhead_fastest": round(ours / plain - 1, 3),
                    "cpu_overhead": _median_ratio(cpu["ours"], cpu["plain"]),
                    "warm_seconds": round(min(times["warm"]), 2),
                    "warm_overhead": _median_ratio(times["warm"], times["plain"]),
                    "warm_overhead_rounds": sorted(round(r, 3) for r in warm_ratios),
                    "warm_overhead_interval": median_interval(warm_ratios),
                    "project_checks": {name: sum(made) for name, made in checked.items()},
                    "rebuild_one_page_seconds": _middle(rebuilds),
                    "rebuild_one_page_rounds": sorted(round(r, 2) for r in rebuilds),
                    **facts,
                }
            )
    return rows


def bench_instructions(pages: int = 100, seed: int = 1) -> dict[str, Any]:
    """The instructions a build executes, plain and with our plugin (cold, then warm), each counted by
    valgrind's callgrind. Unlike seconds, a count hardly drifts with the machine: one build of each
    tells the plugin's cost to within about a point (two runs in different folders and environments
    differed by that much), where timed rounds cannot tell it to within ten. What it leaves out is
    waiting: for the disk, and for the helper, whose instructions are counted apart (it runs on the
    other core). As the site build stage times only the build, the instructions of the same process
    run without the build (starting Python, importing, loading the configuration: `setup`) are taken
    off each count. Skipped, and said so, without valgrind."""
    row: dict[str, Any] = {"stage": "instructions", "pages": pages, "tool": "valgrind --tool=callgrind"}
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return {**row, "skipped": "valgrind is not installed (Debian: apt-get install valgrind)"}
    with tempfile.TemporaryDirectory(dir=_scratch(), prefix="bench-instructions-") as tmp:
        root = Path(tmp)
        generate_corpus(root, pages, seed=seed)
        base = (root / "mkdocs.yml").read_text().split("plugins:")[0]
        for name, plugins in (("plain", PLAIN), ("ours", OURS)):
            (root / f"mkdocs.{name}.yml").write_text(base + plugins)
        start = time.perf_counter()
        # A count does not depend on what else runs: the plain and the cold build share the two cores.
        counts = _finish_counted([_counted(valgrind, root, "plain"), _counted(valgrind, root, "ours", "cold")])
        # (The warm build takes the checks the cold one kept.)
        counts |= _finish_counted(
            [_counted(valgrind, root, "ours", "warm"), _counted(valgrind, root, "plain", "plain setup", True)]
        )
        counts |= _finish_counted([_counted(valgrind, root, "ours", "ours setup", True)])
    setup = {"plain": counts["plain setup"][0], "ours": counts["ours setup"][0]}
    plain = counts["plain"][0] - setup["plain"]
    cold, warm = (counts[name][0] - setup["ours"] for name in ("cold", "warm"))
    return {
        **row,
        "plain": plain,
        "cold": {"build": cold, "helper": counts["cold"][1]},
        "warm": {"build": warm, "helper": counts["warm"][1]},
        "setup": setup,
        "overhead": round(cold / plain - 1, 4),
        "warm_overhead": round(warm / plain - 1, 4),
        "helper_share": round(counts["cold"][1] / plain, 4),
        "warm_helper_share": round(counts["warm"][1] / plain, 4),
        "seconds": round(time.perf_counter() - start, 1),
    }


@dataclass
class _Counted:
    name: str
    config: Path
    folder: Path
    process: subprocess.Popen  # type: ignore[type-arg]


def _counted(valgrind: str, root: Path, config: str, name: str = "", setup_only: bool = False) -> _Counted:
    """One build of `root`'s mkdocs.{config}.yml started under callgrind, which writes a file of counts
    for each process into its own folder (the build's, its helper's); with `setup_only`, the same
    process without the build itself (see _timed_build)."""
    name = name or config
    folder = root / f"counts-{name.replace(' ', '-')}"
    folder.mkdir()
    command = [
        valgrind, "--tool=callgrind", "--trace-children=yes", f"--callgrind-out-file={folder}/%p.out",
        sys.executable, "-c", _CHILD, str(root / f"mkdocs.{config}.yml"), str(folder / "site"),
        *(["setup only"] if setup_only else []),
    ]  # fmt: skip
    # (Python's hashes seeded alike in every run: the order of a set, and so a count, is the same.)
    env = {**_child_env(), "PYTHONHASHSEED": "0"}
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    return _Counted(name, root / f"mkdocs.{config}.yml", folder, process)


def _finish_counted(runs: list[_Counted]) -> dict[str, tuple[int, int]]:
    """Each run's counts (see callgrind_counts) by its name, once all have ended; the first that failed
    or left no count is raised, after the others are stopped."""
    counts = {}
    try:
        for run in runs:
            _, stderr = run.process.communicate()
            found = callgrind_counts(run.folder)
            if run.process.returncode != 0:
                raise BuildFailed(
                    f"the build of {run.config} under valgrind failed: {stderr.strip()[-2000:]}", run.name
                )
            if found is None:
                raise BuildFailed(f"valgrind wrote no count for the build of {run.config}", run.name)
            counts[run.name] = found
    finally:
        for run in runs:
            if run.process.poll() is None:
                run.process.kill()
                run.process.communicate()
    return counts


def callgrind_counts(folder: Path) -> tuple[int, int] | None:
    """(instructions of the build's own process, those of the processes it started) from the files
    callgrind wrote into `folder`, one a process; None without the build's own."""
    build, others = None, 0
    for path in sorted(folder.glob("*.out")):
        command, total = "", None
        with path.open(encoding="utf-8", errors="replace") as lines:
            for line in lines:
                if line.startswith("cmd:"):
                    command = line
                elif line.startswith(("summary:", "totals:")) and total is None:
                    number = line.split()[1:2]
                    total = int(number[0]) if number and number[0].isdigit() else None
        if total is None:
            continue
        if "_child_build" in command:
            build = (build or 0) + total
        else:
            others += total
    return None if build is None else (build, others)


def bench_links(pages: int = 100, seed: int = 1) -> dict[str, Any]:
    """Our in-process link and anchor check against linkchecker, on one site with seeded broken links.
    Skipped, and said so, without linkchecker (a test dependency: `make bench` installs it)."""
    from build_tools.links import check_site, linkchecker_config, parse_linkchecker_csv, serve_site

    beside = Path(sys.executable).with_name("linkchecker")  # (in the virtual environment, not on PATH)
    executable = shutil.which("linkchecker") or (str(beside) if beside.is_file() else None)
    if executable is None:
        return {
            "stage": "link check",
            "pages": pages,
            "skipped": "linkchecker is not installed (make bench installs it)",
        }
    with tempfile.TemporaryDirectory(dir=_scratch(), prefix="bench-links-") as tmp:
        root = Path(tmp)
        generate_corpus(root, pages, seed=seed)
        seeded = sorted((root / "docs").rglob("*.md"))[:3]
        for n, path in enumerate(seeded):
            path.write_text(path.read_text() + f'\n<a href="../missing-{n}/">broken {n}</a>\n')
        (root / "mkdocs.base.yml").write_text((root / "mkdocs.yml").read_text().split("plugins:")[0])
        site = root / "site"
        _build_once(root, OURS, site)
        ours_s, ours = _timed(check_site, site)
        ours_found = sorted({b.href for b in ours})
        server = serve_site(site)
        command = [executable, "-f", str(linkchecker_config(root / "lc.ini")), "--no-status", "-o", "csv"]
        try:
            peer_s, result = _timed(
                subprocess.run,
                [*command, f"http://127.0.0.1:{server.server_address[1]}/"],
                capture_output=True,
                text=True,
            )
        finally:
            server.shutdown()
            server.server_close()
        peer_found = sorted({url for url, _, _ in parse_linkchecker_csv(result.stdout)})
    return {
        "stage": "link check",
        "pages": pages,
        "seconds": round(ours_s, 3),
        "baseline": "linkchecker over the served site (anchors on)",
        "baseline_seconds": round(peer_s, 2),
        "ratio": round(ours_s / peer_s, 4) if peer_s else None,
        "seeded_broken": 3,
        "found_by_ours": ours_found,
        "found_by_linkchecker": peer_found,
        "same_findings": ours_found == peer_found,
    }


def plot(rows: list[dict[str, Any]], path: Path) -> bool:
    """Time against corpus size for each stage (log-log), when matplotlib is installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    series: dict[str, list[tuple[int, float]]] = {}
    for row in rows:
        size = row.get("pages") or row.get("claims")
        if not size or "seconds" not in row or row["stage"] in ("agent outputs", "link check", "instructions"):
            continue
        series.setdefault(row["stage"], []).append((size, row["seconds"]))
        if row["stage"] == "site build":
            series.setdefault("plain mkdocs-material build", []).append((size, row["baseline_seconds"]))
    figure, axes = plt.subplots(figsize=(7, 4.5))
    for stage, points in series.items():
        points.sort()
        axes.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=stage)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("corpus size (pages, or claims for reconcile)")
    axes.set_ylabel("seconds")
    axes.set_title("Cost against corpus size (same machine, same run)")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    return True
