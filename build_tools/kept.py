"""The checks of a project itself (registry, accounts, register, gazetteer), its reconciliation and
its accounts' wording index, as one result a later run can take again while nothing they were made
from has changed: `build`, `check` and the plugin share it through the cache folder (the wording
index in a file of its own, read only when a page is checked)."""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass, replace
from pathlib import Path

from build_tools import cache, checks, guard, reconcile, wording, yamlio
from build_tools.diagnostics import Diagnostic
from build_tools.project import Project, Settings

FILE = "project.pickle"  # in the cache folder
WORDING = "wording.pickle"  # beside it: the wording index, needed only when a page is read


@dataclass
class ProjectChecks:
    """A project's registry, accounts, register and gazetteer as checked and reconciled."""

    key: bytes | None  # what they were made from (see key_of)
    project: Project
    findings: list[Diagnostic]  # with the site's severities applied
    context: guard.ConflictContext | None
    report: dict | None = None  # type: ignore[type-arg]
    index: wording.AccountIndex | None = None  # the wording index, once asked for (see `wording`)
    folder: Path | None = None  # where it may have been kept
    index_kept: bool = False  # whether it is in the folder

    @property
    def wording(self) -> wording.AccountIndex:
        """The accounts' wording index: as kept in the folder under the same key, or built. A build
        whose pages are all taken again reads no page and never asks for it."""
        if self.index is None:
            found = cache.load(self.folder / WORDING, self.key) if self.folder and self.key else None
            self.index_kept = isinstance(found, wording.AccountIndex)
            self.index = found if self.index_kept else wording.AccountIndex(self.project.accounts)
        return self.index

    def __getstate__(self) -> dict:  # type: ignore[type-arg]
        """Pickled without the index, which is kept in a file of its own."""
        return {**self.__dict__, "index": None, "folder": None, "index_kept": False}


def key_of(settings: Settings) -> bytes | None:
    """The key of a project's checks, told without loading the project: what load_project(settings,
    with_pages=False) reads, that is the settings (but the site folder and which pages are left out)
    and each file it reads (registry, accounts list, gazetteer, register, and each account the list
    names) by where it resolves to and its bytes; with the code and the day (see cache.key_of). None
    when it cannot be told. Whatever load_project comes to read must be added here."""
    try:
        # (No check of the project looks at the site folder, and each `build` writes into a fresh one;
        # which pages are left out is known to `check` only, the plugin has MkDocs' list.)
        bare = replace(settings, site_dir=Path(), exclude_docs="", draft_docs="")
        parts = [pickle.dumps(bare, protocol=pickle.HIGHEST_PROTOCOL)]
        inputs = [settings.registry_path, settings.accounts_path, settings.gazetteer_path, settings.conflicts_path]
        for path in inputs + _account_files(settings.accounts_path):
            parts.extend(_file_parts(path))
    except (OSError, ValueError, pickle.PicklingError, TypeError, AttributeError):
        return None
    return cache.key_of(*parts)


def _account_files(accounts_path: Path) -> list[Path | None]:
    """The account files the accounts list names, as load_accounts finds them (none if it cannot be read)."""
    try:
        data = yamlio.load(accounts_path)
    except (OSError, yamlio.YamlError):
        return []
    entries = data.get("accounts") if isinstance(data, dict) else None
    found: list[Path | None] = []
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and entry.get("file"):
            found.append(accounts_path.parent / str(entry["file"]))
    return found


def _file_parts(path: Path | None) -> list[bytes]:
    """Where a file resolves to, and its bytes (or why there are none)."""
    if path is None:
        return [b"", b"\0none"]
    try:
        data = path.read_bytes()
    except OSError as exc:
        data = f"\0{type(exc).__name__}".encode()
    return [os.fsencode(os.path.realpath(path)), data]


def check(project: Project, key: bytes | None) -> ProjectChecks:
    """Check and reconcile the project (its pages, if it has them, are left to checks.check_pages)."""
    context = checks.conflict_context(project)
    kept = ProjectChecks(
        key,
        replace(project, pages=[]) if project.pages else project,  # (kept without its pages)
        checks.check_project(project, context),
        context,
    )
    kept.report = reconcile.report(project) if context is not None else None
    return kept


def load(folder: Path, key: bytes | None) -> ProjectChecks | None:
    """The checks kept in `folder` under `key`, if any (their wording index is read when asked for)."""
    if key is None:
        return None
    kept = cache.load(folder / FILE, key)
    if not isinstance(kept, ProjectChecks) or kept.key != key:
        return None
    kept.folder = folder
    return kept


def store(folder: Path, kept: ProjectChecks) -> bool:
    """Keep the checks in `folder` for a later run, with their wording index if it was asked for;
    whether they were kept."""
    if kept.key is None or not cache.store(folder / FILE, kept.key, kept):
        return False
    store_wording(folder, kept)
    return True


def store_wording(folder: Path, kept: ProjectChecks) -> None:
    """Keep the wording index beside the checks, if it was asked for and is not kept there yet."""
    if kept.key is not None and kept.index is not None and not (kept.index_kept and kept.folder == folder):
        kept.index_kept = cache.store(folder / WORDING, kept.key, kept.index)
        if kept.index_kept:
            kept.folder = folder
