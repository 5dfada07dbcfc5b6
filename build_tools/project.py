"""Where a profile's pieces live, and loading them all at once for the CLI and the plugin."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pathspec

from build_tools import yamlio
from build_tools.accounts import Account, load_accounts
from build_tools.conflicts import Register, load_register
from build_tools.diagnostics import Diagnostic
from build_tools.docs import Page, iter_pages
from build_tools.gazetteer import Gazetteer, load_gazetteer
from build_tools.registry import Origin, Registry, Source, load_registry

PLUGIN_NAME = "provenance"
DEFAULTS = {
    "registry": "sources/registry.yml",
    "accounts": "sources/accounts.yml",
    "sources_page": "sources.md",
    "disagreements_page": "disagreements.md",
    "gazetteer": "sources/gazetteer.yml",
    "conflicts": "sources/conflicts.yml",
    "llms_txt_copy": "",
    "severity": {},
    "cache": True,
    "cache_dir": ".cache/plugin/provenance",
}
SEVERITY_LEVELS = ("error", "warning", "note", "off")
MKDOCS_EXCLUDES = (".*", "/templates/")  # what MkDocs never builds from docs_dir (mkdocs.structure.files)


@dataclass(frozen=True)
class Settings:
    """Paths and names for one profile, read from its mkdocs.yml."""

    root: Path
    docs_dir: Path
    registry_path: Path
    accounts_path: Path
    site_dir: Path
    gazetteer_path: Path | None = None
    conflicts_path: Path | None = None
    site_name: str = ""
    site_url: str = ""
    site_description: str = ""
    sources_page: str = "sources.md"
    disagreements_page: str = "disagreements.md"
    llms_txt_copy: str = ""
    severity: dict[str, str] = field(default_factory=dict)  # check code -> error|warning|note|off
    cache_dir: Path | None = None  # where results are kept for the next run (None: nowhere)
    # MkDocs' `exclude_docs` and `draft_docs` (gitignore-style lines): pages `mkdocs build` leaves out
    exclude_docs: str = ""
    draft_docs: str = ""

    def excluded(self) -> Callable[[str], bool]:
        """Whether `mkdocs build` leaves a page out, by its path under docs_dir: what MkDocs always
        leaves out (dot files and folders, a top-level templates folder), `exclude_docs`, and
        `draft_docs` (drafts are shown by `mkdocs serve` only)."""
        lines = [*MKDOCS_EXCLUDES, *self.exclude_docs.splitlines(), *self.draft_docs.splitlines()]
        return pathspec.GitIgnoreSpec.from_lines(lines).match_file

    def rel(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return path.as_posix()


class SettingsError(Exception):
    """mkdocs.yml is missing or unreadable."""


def settings_from_config(config_file: Path, overrides: dict[str, Any] | None = None) -> Settings:
    """Read mkdocs.yml (tags like !ENV are ignored) and this plugin's options."""
    if not config_file.is_file():
        raise SettingsError(f"no MkDocs configuration at '{config_file}'")
    try:
        data = yamlio.load(config_file, lenient_tags=True)
    except yamlio.YamlError as exc:
        raise SettingsError(f"{config_file}:{exc.line}: {exc.message}") from None
    if not isinstance(data, dict):
        raise SettingsError(f"{config_file}: expected a mapping")
    options = dict(DEFAULTS)
    for plugin in data.get("plugins") or []:
        if isinstance(plugin, dict) and PLUGIN_NAME in plugin:
            options.update({k: v for k, v in (plugin[PLUGIN_NAME] or {}).items() if k in DEFAULTS})
    options.update(overrides or {})
    return settings_from_options(config_file.parent, data, options)


def settings_from_options(root: Path, config: dict[str, Any], options: dict[str, Any]) -> Settings:
    root = root.resolve()
    return Settings(
        root=root,
        docs_dir=(root / str(config.get("docs_dir") or "docs")).resolve(),
        registry_path=(root / str(options["registry"])).resolve(),
        accounts_path=(root / str(options["accounts"])).resolve(),
        site_dir=(root / str(config.get("site_dir") or "site")).resolve(),
        gazetteer_path=(root / str(options.get("gazetteer") or DEFAULTS["gazetteer"])).resolve(),
        conflicts_path=(root / str(options.get("conflicts") or DEFAULTS["conflicts"])).resolve(),
        site_name=str(config.get("site_name") or ""),
        site_url=str(config.get("site_url") or ""),
        site_description=str(config.get("site_description") or ""),
        sources_page=str(options.get("sources_page") or "sources.md"),
        disagreements_page=str(options.get("disagreements_page", DEFAULTS["disagreements_page"]) or ""),
        llms_txt_copy=str(options.get("llms_txt_copy") or ""),
        severity=_severity(options.get("severity")),
        exclude_docs=_patterns(config, "exclude_docs"),
        draft_docs=_patterns(config, "draft_docs"),
        cache_dir=(root / str(options.get("cache_dir") or DEFAULTS["cache_dir"])).resolve()
        if options.get("cache", True)
        else None,
    )


def _patterns(config: dict[str, Any], name: str) -> str:
    """One of MkDocs' page patterns (`exclude_docs`, `draft_docs`): lines as in a .gitignore file."""
    value = config.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise SettingsError(f"'{name}' must be a block of lines, one gitignore-style pattern each, as MkDocs reads it")
    try:
        pathspec.GitIgnoreSpec.from_lines(value.splitlines())
    except ValueError as exc:
        raise SettingsError(f"'{name}': {exc}") from None
    return value


def _severity(value: Any) -> dict[str, str]:
    """The `severity:` option: {CODE: error|warning|note|off}, as MkDocs' own `validation:` block."""
    if not value:
        return {}
    if not isinstance(value, dict):
        raise SettingsError("plugin option 'severity' must map check codes to error, warning, note or off")
    result = {}
    for code, level in value.items():
        if level is False:  # YAML 1.1 reads a bare `off` as false
            level = "off"
        if str(level) not in SEVERITY_LEVELS:
            raise SettingsError(f"severity of '{code}' is '{level}'; use one of {', '.join(SEVERITY_LEVELS)}")
        result[str(code)] = str(level)
    return result


@dataclass
class Project:
    """Everything a check or a render needs, loaded once."""

    settings: Settings
    accounts: list[Account] = field(default_factory=list)
    registry: Registry = field(default_factory=Registry)
    pages: list[Page] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    gazetteer: Gazetteer = field(default_factory=Gazetteer)
    register: Register = field(default_factory=Register)


def load_project(settings: Settings, *, with_pages: bool = True) -> Project:
    """Load accounts, registry and pages; what cannot be read becomes a diagnostic."""
    project = Project(settings=settings)
    accounts, problems = load_accounts(settings.accounts_path, settings.root)
    project.accounts = accounts
    project.diagnostics.extend(problems)
    registry, problems = load_registry(settings.registry_path, settings.rel(settings.registry_path))
    project.diagnostics.extend(problems)
    meta_rel = settings.rel(settings.accounts_path)
    for account in accounts:
        # Accounts are citable too: a page can say whose claim something is.
        if account.id in registry.sources:
            project.diagnostics.append(
                Diagnostic(
                    meta_rel,
                    account.line,
                    "R007",
                    "error",
                    f"account id '{account.id}' is also a source id in the registry",
                )
            )
            continue
        registry.sources[account.id] = Source(
            id=account.id,
            title=account.title,
            tier=account.tier,
            kind=account.kind,
            publisher="account",
            origins=(Origin(account.id, "self"),),
            line=account.line,
        )
    project.registry = registry
    if settings.gazetteer_path is not None:
        gazetteer, problems = load_gazetteer(settings.gazetteer_path, settings.rel(settings.gazetteer_path), registry)
        project.gazetteer = gazetteer
        project.diagnostics.extend(problems)
    if settings.conflicts_path is not None:
        register, problems = load_register(settings.conflicts_path, settings.rel(settings.conflicts_path))
        project.register = register
        project.diagnostics.extend(problems)
    if with_pages and settings.docs_dir.is_dir():
        project.pages = iter_pages(settings.docs_dir, settings.root, settings.excluded())
    return project


def is_account(source: Source) -> bool:
    return source.publisher == "account" and any(o.ref == "self" for o in source.origins)
