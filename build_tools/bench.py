"""`python -m build_tools bench`: stage timings on generated corpora, as ratios to a baseline in the same run.

The corpus is deterministic from a seed and lives outside the repository (a temporary folder).
Machines here are noisy: absolute times mean little, ratios measured in the same run hold.
"""

from __future__ import annotations

import json
import platform
import random
import re
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from build_tools import checks
from build_tools.project import load_project, settings_from_config

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
    total_citations = 0
    for p in range(pages):
        section = root / "docs" / f"section-{p // 100:03d}"
        section.mkdir(parents=True, exist_ok=True)
        paragraphs = []
        for _ in range(citations_per_page):
            words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 30)))
            cite = f"source-{rng.randrange(n_sources):06d}"
            paragraphs.append(f"In {2000 + rng.randrange(25)} the {words} [@{cite}].")
            total_citations += 1
        front = f"---\ntitle: Page {p}\ndescription: Generated page {p}.\nconfidence: low\ndepth: low\n---\n\n"
        (section / f"page-{p:05d}.md").write_text(front + "\n\n".join(paragraphs) + "\n")
    return {"pages": pages, "sources": n_sources, "citations": total_citations}


def _timed(fn: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def _baseline_scan(docs: Path) -> int:
    """The floor any checker pays: read every page and find its citation keys with one regex."""
    pattern = re.compile(r"\[@([^\]\s;]+)")
    return sum(len(pattern.findall(path.read_text())) for path in docs.rglob("*.md"))


def bench_check(sizes: list[int], seed: int = 1) -> list[dict[str, Any]]:
    rows = []
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
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


def main(argv: list[str]) -> int:
    sizes = [int(a) for a in argv] or [100, 1000, 10000]
    rows = bench_check(sizes)
    print(
        f"{'stage':<8}{'pages':>8}{'citations':>11}{'seconds':>9}{'pages/s':>10}{'cites/s':>11}{'baseline s':>12}{'ratio':>7}"
    )
    for r in rows:
        print(
            f"{r['stage']:<8}{r['pages']:>8}{r['citations']:>11}{r['seconds']:>9}{r['pages_per_s']:>10}"
            f"{r['citations_per_s']:>11}{r['baseline_seconds']:>12}{r['ratio_to_baseline']:>6}x"
        )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = Path("bench")
    out.mkdir(exist_ok=True)
    machine = {"python": sys.version.split()[0], "platform": platform.platform(), "peak_rss_mb": round(peak_mb, 1)}
    (out / "results.json").write_text(json.dumps({"machine": machine, "results": rows}, indent=2) + "\n")
    print(f"wrote bench/results.json (peak memory {peak_mb:.0f} MB)")
    return 0
