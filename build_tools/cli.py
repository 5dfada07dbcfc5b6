"""Command line: `python -m build_tools check|build|import-sources`. Thin wrappers over the engine."""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from build_tools import checks, kept
from build_tools.diagnostics import FORMATS, Diagnostic, exit_code, render, sort_diagnostics, strictened, summary
from build_tools.docs import load_page
from build_tools.importer import import_sources
from build_tools.links import check_site
from build_tools.project import Settings, SettingsError, load_project, settings_from_config
from build_tools.registry import dump_registry, load_registry
from build_tools.wording import AccountIndex

PROG = "build_tools"


class UsageError(Exception):
    """Bad input that is the caller's to fix: printed as `build_tools: error: ...`, exit 2."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (UsageError, SettingsError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader stopped early (| head): not an error of ours
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug of ours: say so in one line, never a traceback wall
        print(f"{PROG}: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        if os.environ.get("BUILD_TOOLS_DEBUG"):
            raise
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="Sourced profile sites: checks, site, agent outputs.")
    parser.add_argument(
        "-f", "--config-file", default="mkdocs.yml", help="the profile's mkdocs.yml (default: %(default)s)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = sub.add_parser("check", help="check accounts, registry and pages; exit 1 on errors")
    check.add_argument("--format", choices=FORMATS, default="text", help="output format (default: %(default)s)")
    check.add_argument("--strict", action="store_true", help="turn warnings into errors")
    check.add_argument(
        "paths",
        nargs="*",
        help="check only these pages (a pre-commit hook passes the changed files); default: everything",
    )
    check.set_defaults(func=cmd_check)

    build = sub.add_parser("build", help="run the checks, then build the site atomically into site_dir")
    build.add_argument("--strict", action="store_true", help="fail on warnings too")
    build.add_argument("--site-dir", help="where to write the site (default: site_dir of mkdocs.yml)")
    build.set_defaults(func=cmd_build)

    rec = sub.add_parser(
        "reconcile", help="merge the accounts' claims, find where they disagree, compare with the register"
    )
    _text_or_json(rec)
    rec.set_defaults(func=cmd_reconcile)

    stats = sub.add_parser("stats", help="pages, words, citations, and how many claims rest on each tier")
    _text_or_json(stats)
    stats.set_defaults(func=cmd_stats)

    cov = sub.add_parser("coverage", help="which sourced facts of the accounts no page carries yet")
    _text_or_json(cov)
    cov.add_argument(
        "--all",
        action="store_true",
        help="every claim of the accounts, not only those citing a tier-1 or tier-2 source",
    )
    cov.set_defaults(func=cmd_coverage)

    links = sub.add_parser("linkcheck", help="run linkchecker over the built site (external urls too with --external)")
    links.add_argument("--external", action="store_true", help="also check external urls (needs the internet)")
    links.add_argument("--report", default="linkcheck-report.csv", help="where to write the CSV report")
    links.set_defaults(func=cmd_linkcheck)

    bench = sub.add_parser("bench", help="time the stages on generated corpora (ratios to a same-run baseline)")
    bench.add_argument("sizes", nargs="*", type=int, help="check: corpus sizes in pages (default: 100 1000 10000)")
    bench.add_argument(
        "--claims",
        nargs="*",
        type=int,
        default=[1000, 10000, 100000],
        help="reconcile: corpus sizes in claims (default: %(default)s)",
    )
    bench.add_argument("--agent-pages", type=int, default=300, help="agent outputs: pages in the corpus (0 skips)")
    bench.add_argument("--build", nargs="*", type=int, default=[100, 1000], help="site build: sizes in pages")
    bench.add_argument("--link-pages", type=int, default=100, help="link check: pages in the corpus (0 skips)")
    bench.add_argument(
        "--rounds",
        type=_positive,
        help="site build: paired rounds a size (default: 21 to 100 pages, 14 to 1,000, 7 above)",
    )
    bench.add_argument(
        "--instructions",
        type=_count,
        default=100,
        metavar="PAGES",
        help="instructions counted by valgrind, plain against ours: pages in the corpus (0 skips)",
    )
    bench.set_defaults(func=cmd_bench)

    imp = sub.add_parser("import-sources", help="register the sources the accounts cite (keeps curated entries)")
    imp.add_argument("--dry-run", action="store_true", help="report what would change; write nothing")
    imp.set_defaults(func=cmd_import)
    return parser


def _positive(text: str, least: int = 1) -> int:
    """A whole number of at least `least` (argparse says what is wrong otherwise)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"must be {least} or more, not {value}")
    return value


def _count(text: str) -> int:
    """A whole number of at least 0 (0: the stage is skipped)."""
    return _positive(text, 0)


def _text_or_json(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default: %(default)s)"
    )


def _emit(data: dict, fmt: str, render_text: Callable[[dict], str]) -> None:  # type: ignore[type-arg]
    """A report as text for people, or as JSON for tools."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n" if fmt == "json" else render_text(data))


def _settings(args: argparse.Namespace) -> Settings:
    return settings_from_config(Path(args.config_file))


def cmd_check(args: argparse.Namespace) -> int:
    settings = _settings(args)
    pages = [Path(p).resolve() for p in args.paths if p.endswith(".md")]
    data_changed = any(not p.endswith(".md") for p in args.paths)
    if args.paths and not data_changed:
        # Only pages changed: check those pages against the registry, fast (no reconciliation).
        project = load_project(settings, with_pages=False)
        diagnostics = list(project.diagnostics)
        accounts = AccountIndex(project.accounts)
        for path in pages:
            if path.is_file() and path.is_relative_to(settings.docs_dir):
                page = load_page(path, settings.root)
                diagnostics.extend(checks.check_page(page, project.registry, None, accounts))
        diagnostics = checks.adjust(diagnostics, settings.severity)
    else:
        diagnostics = _check_all(settings)
    if args.strict:
        diagnostics = strictened(diagnostics)
    sys.stdout.write(render(diagnostics, args.format))
    if args.format == "text":
        print(summary(diagnostics), file=sys.stderr)
    return exit_code(diagnostics)


def _check_all(settings: Settings) -> list[Diagnostic]:
    """Every check, as checks.run_all makes them; the project's own checks are taken from the cache
    folder when a run there made them from the same inputs (and kept there when made here)."""
    project = load_project(settings)
    key = kept.key_of(settings)
    found = kept.load(settings.cache_dir, key) if settings.cache_dir else None
    if found is None:
        found = kept.check(project, key)
        if settings.cache_dir:
            kept.store(settings.cache_dir, found)
    diagnostics = found.findings + checks.check_pages(project, found.context, found.wording)
    if settings.cache_dir:
        kept.store_wording(settings.cache_dir, found)  # (built for the pages, where none was kept)
    return diagnostics


def cmd_build(args: argparse.Namespace) -> int:
    settings = _settings(args)
    site_dir = Path(args.site_dir).resolve() if args.site_dir else settings.site_dir
    diagnostics = _build_site(Path(args.config_file), site_dir, settings, strict=args.strict)
    if diagnostics is None:
        return 1
    print(f"{PROG}: built {settings.rel(site_dir)}/ ({summary(diagnostics)})", file=sys.stderr)
    return 0


def _failing(diagnostics: list[Diagnostic], strict: bool) -> bool:
    return any(d.severity == "error" or (strict and d.severity == "warning") for d in diagnostics)


def _build_site(config_file: Path, site_dir: Path, settings: Settings, *, strict: bool) -> list[Diagnostic] | None:
    """Build into a fresh folder beside site_dir and swap it in only when the build succeeded: what the
    checks found, or None when they failed it (they are printed either way).

    The plugin checks every page as it builds it; its findings are printed here, as `check` prints
    them. Without the plugin in mkdocs.yml, the checks run here first."""
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    from build_tools.plugin import ProvenancePlugin

    _quiet_mkdocs_logging()
    site_dir.parent.mkdir(parents=True, exist_ok=True)
    old = site_dir.with_name(f".{site_dir.name}.old")
    if old.exists() and not site_dir.exists():
        old.rename(site_dir)  # a build killed between the two renames: put the previous site back
    for stale in site_dir.parent.glob(f".{site_dir.name}.building-*"):
        if not _alive(stale.name.split("-")[1]):
            shutil.rmtree(stale, ignore_errors=True)  # left by a build that was killed outright
    _pin_build_date(config_file.parent)
    staging = Path(tempfile.mkdtemp(prefix=f".{site_dir.name}.building-{os.getpid()}-", dir=site_dir.parent))
    previous = signal.signal(signal.SIGTERM, _terminate)
    diagnostics: list[Diagnostic] = []

    def refused() -> None:
        sys.stderr.write(render(diagnostics, "text"))
        print(f"{PROG}: error: {summary(diagnostics)}; the site was not built", file=sys.stderr)
        shutil.rmtree(staging, ignore_errors=True)

    try:
        config = load_config(config_file=str(config_file), site_dir=str(staging), strict=strict)
        plugin = next((p for p in config.plugins.values() if isinstance(p, ProvenancePlugin)), None)
        if plugin is None:
            diagnostics = _check_all(settings)
            if _failing(diagnostics, strict):
                refused()
                return None
        config.plugins.on_startup(command="build", dirty=False)
        try:
            mkdocs_build(config)
        except MkDocsException:
            if plugin is not None:
                diagnostics = sort_diagnostics(plugin.findings)
            if not _failing(diagnostics, strict):
                sys.stderr.write(render(diagnostics, "text"))  # (what failed the build is said below)
                raise
            refused()  # the plugin stopped the build on them
            return None
        finally:
            config.plugins.on_shutdown()
        if plugin is not None:
            diagnostics = sort_diagnostics(plugin.findings)
            if _failing(diagnostics, strict):
                refused()
                return None
        sys.stderr.write(render(diagnostics, "text"))
        broken = [
            Diagnostic(
                f"{site_dir.name}/{b.page}",
                1,
                "L001",
                "error" if strict else "warning",
                f"broken link '{b.href}': {b.reason}",
            )
            for b in check_site(staging)
        ]
        sys.stderr.write(render(broken, "text"))
        if strict and broken:
            raise UsageError(f"{len(broken)} broken links in the built site (--strict)")
    except MkDocsException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise UsageError(f"the site was not built: {exc}") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)
    shutil.rmtree(old, ignore_errors=True)
    if site_dir.exists():
        site_dir.rename(old)
    staging.rename(site_dir)
    shutil.rmtree(old, ignore_errors=True)
    return diagnostics


def _alive(pid: str) -> bool:
    """Whether the build that owns a staging folder still runs (a concurrent build keeps its own)."""
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # unwinds like Ctrl-C: the staging folder is removed, site/ untouched


def _pin_build_date(root: Path) -> None:
    """Two builds of one commit are byte-identical: the sitemap's dates come from the commit, not the clock."""
    if os.environ.get("SOURCE_DATE_EPOCH"):
        return
    try:
        stamp = subprocess.run(
            ["git", "log", "-1", "--format=%ct"], cwd=root, capture_output=True, text=True, timeout=10, check=False
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return
    if stamp.isdigit():
        os.environ["SOURCE_DATE_EPOCH"] = stamp


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to sys.stderr as it is when a message comes, not as it was when the handler was made
    (a later caller in the same process may have replaced it, and closed the old one)."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr


def _quiet_mkdocs_logging() -> None:
    logger = logging.getLogger("mkdocs")
    if not any(getattr(h, "_build_tools", False) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s - %(message)s"))
        handler._build_tools = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    # The checks already printed the plugin's findings; do not print them twice.
    logging.getLogger("mkdocs.plugins.build_tools.plugin").setLevel(logging.CRITICAL)


def cmd_import(args: argparse.Namespace) -> int:
    settings = _settings(args)
    project = load_project(settings, with_pages=False)
    registry = None
    if settings.registry_path.exists():
        registry, problems = load_registry(settings.registry_path, settings.rel(settings.registry_path))
        if any(p.severity == "error" for p in problems):
            sys.stderr.write(render(problems, "text"))
            raise UsageError("fix the registry before importing into it")
    result = import_sources(project.accounts, registry)
    sys.stderr.write(render([d for d in result.diagnostics if d.severity != "note"], "text"))
    for source_id, alias in result.merged:
        print(f"merged {alias} into '{source_id}'")
    for pair in result.review:
        print(f"review: '{pair.left}' ~ '{pair.right}' ({pair.reason}, score {pair.score})")
    print(f"{len(result.added)} new sources, {len(result.merged)} merged, {len(result.sources)} in the registry")
    if args.dry_run:
        return 0
    regular = [s for s in result.sources.values()]
    settings.registry_path.parent.mkdir(parents=True, exist_ok=True)
    settings.registry_path.write_text(dump_registry(regular), encoding="utf-8")
    print(f"wrote {settings.rel(settings.registry_path)}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from build_tools import bench

    try:
        return bench.main(
            args.sizes or [100, 1000, 10000],
            args.claims,
            args.agent_pages,
            args.build,
            args.link_pages,
            args.rounds,
            args.instructions,
        )
    except bench.BuildFailed as exc:  # (in a stage's own process, or in this one)
        raise UsageError(str(exc)) from None


def cmd_stats(args: argparse.Namespace) -> int:
    from build_tools.stats import profile_stats, render_text

    _emit(profile_stats(load_project(_settings(args))), args.format, render_text)
    return 0


def cmd_coverage(args: argparse.Namespace) -> int:
    from build_tools.coverage import coverage, render_text

    _emit(coverage(load_project(_settings(args)), sourced_only=not args.all), args.format, render_text)
    return 0


def cmd_reconcile(args: argparse.Namespace) -> int:
    from build_tools.reconcile import report

    project = load_project(_settings(args), with_pages=False)
    problems = [d for d in project.diagnostics if d.severity == "error"]
    if problems:
        sys.stderr.write(render(problems, "text"))
        raise UsageError("fix the errors above before reconciling")
    data = report(project)
    unregistered = [c for c in data["conflicts"] if not c["registered"]]  # type: ignore[union-attr,index]
    if args.format == "json":
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    else:
        conflicts = data["conflicts"]
        print(
            f"{data['claims']} claims in {data['clusters']} clusters ({data['corroborated_clusters']} stated by several "
            f"accounts); {len(conflicts)} conflicts, {len(unregistered)} not in the register"  # type: ignore[arg-type]
        )
        for conflict in conflicts:  # type: ignore[union-attr]
            flag = "registered" if conflict["registered"] else "NOT REGISTERED"
            print(f"\n{conflict['id']}: {conflict['subject']} [{conflict['verdict']}, {flag}]")
            for value in conflict["values"]:
                where = ", ".join(f"{c['account']}:{c['line']}" for c in value["claims"])
                print(f"  {value['rank']:<10} {value['value']}  ({where})")
        for stale in data["stale"]:  # type: ignore[union-attr]
            print(f"\nstale register entry {stale['id']}: {stale['reason']}")
    return 1 if unregistered or data["stale"] else 0


def cmd_linkcheck(args: argparse.Namespace) -> int:
    """Serve the built site on 127.0.0.1 and run linkchecker over it (a subprocess, never imported)."""

    from build_tools.links import linkchecker_config, parse_linkchecker_csv, serve_site

    settings = _settings(args)
    if not (settings.site_dir / "index.html").is_file():
        raise UsageError(f"no built site in {settings.rel(settings.site_dir)}/; run 'make site' first")
    executable = shutil.which("linkchecker") or str(Path(sys.executable).with_name("linkchecker"))
    if not Path(executable).exists():
        raise UsageError("linkchecker is not installed; 'make test' installs it")

    server = serve_site(settings.site_dir)
    with tempfile.TemporaryDirectory() as tmp:
        command = [executable, "-f", str(linkchecker_config(Path(tmp) / "lc.ini")), "--no-status", "-o", "csv"]
        if args.external:
            command.append("--check-extern")
        try:
            result = subprocess.run(
                [*command, f"http://127.0.0.1:{server.server_address[1]}/"], capture_output=True, text=True
            )
        finally:
            server.shutdown()
            server.server_close()
    Path(args.report).write_text(result.stdout, encoding="utf-8")
    broken = parse_linkchecker_csv(result.stdout)
    for url, parent, reason in broken:
        print(f"{parent}: broken link {url}: {reason}")
    print(f"{len(broken)} broken links; report in {args.report}", file=sys.stderr)
    return 1 if broken else 0
