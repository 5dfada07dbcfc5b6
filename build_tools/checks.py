"""The checks: pure functions from loaded data to diagnostics.

Codes: A accounts, R registry, F front matter, C citations. Tests assert codes, not wording.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from rapidfuzz import process

from build_tools.accounts import Account, check_account_files, find_inline_markers, parse_reference_list
from build_tools.diagnostics import Diagnostic
from build_tools.docs import BADGE_LEVELS, Page, find_citations
from build_tools.project import Project, is_account
from build_tools.registry import Registry


def run_all(project: Project) -> list[Diagnostic]:
    """Every check over a loaded project, with what loading found."""
    settings = project.settings
    meta_rel = settings.rel(settings.accounts_path)
    found: list[Diagnostic] = list(project.diagnostics)
    found.extend(check_account_files(project.accounts, meta_rel))
    found.extend(check_account_references(project.accounts, project.registry))
    found.extend(check_registry_aliases(project.registry, project.accounts))
    for page in project.pages:
        found.extend(check_page(page, project.registry))
    return found


def check_account_references(accounts: Iterable[Account], registry: Registry) -> Iterator[Diagnostic]:
    """Each account's list is registered, and each inline marker points to a listed entry."""
    for account in accounts:
        if not account.path.is_file() or account.style == "none":
            continue
        text = account.read_text()
        entries, problems = parse_reference_list(account, text)
        yield from problems
        defined = {entry.ref for entry in entries}
        for entry in entries:
            alias = f"{account.id}:{entry.ref}"
            if alias not in registry.aliases:
                yield Diagnostic(
                    account.rel_path, entry.line, "R010", "error",
                    f"reference [{entry.ref}] of '{account.id}' is not in the registry; "
                    "run 'python -m build_tools import-sources'",
                )
        if not account.inline_markers_resolve:
            continue
        reported: set[str] = set()
        for marker in find_inline_markers(account, text):
            if marker.ref not in defined and marker.ref not in reported:
                reported.add(marker.ref)
                uses = sum(1 for m in find_inline_markers(account, text) if m.ref == marker.ref)
                yield Diagnostic(
                    account.rel_path, marker.line, "A110", "note",
                    f"account '{account.id}' cites [{marker.ref}] {'once' if uses == 1 else f'{uses} times'} but its source list never defines it; "
                    "claims resting on it are unsourced",
                    column=marker.column,
                )


def check_registry_aliases(registry: Registry, accounts: Iterable[Account]) -> Iterator[Diagnostic]:
    """Every origin names a known account."""
    known = {account.id for account in accounts}
    for source in registry.sources.values():
        if is_account(source):
            continue
        for origin in source.origins:
            if origin.account not in known:
                yield Diagnostic(
                    registry.path, source.line, "R011", "error",
                    f"source '{source.id}' has an origin in unknown account '{origin.account}'",
                )


def check_page(page: Page, registry: Registry) -> Iterator[Diagnostic]:
    """Front matter and citations of one curated page."""
    if page.error:
        line, message = page.error
        yield Diagnostic(page.rel_path, line, "F001", "error", f"front matter: {message}")
        return
    yield from check_front_matter(page)
    citations, malformed = find_citations(page.body, page.body_start)
    for bad in malformed:
        yield Diagnostic(
            page.rel_path, bad.line, "C102", "error",
            f"malformed citation '{bad.text}': {bad.reason}; write [@id] or [@id1; @id2]",
            column=bad.column,
        )
    for citation in citations:
        if registry.resolve(citation.key) is None:
            yield Diagnostic(
                page.rel_path, citation.line, "C101", "error",
                f"unknown source '{citation.key}'{did_you_mean(citation.key, registry)}",
                column=citation.column,
            )


def check_front_matter(page: Page) -> Iterator[Diagnostic]:
    meta = page.meta
    if not meta:
        yield Diagnostic(page.rel_path, 1, "F002", "error",
                         "page has no front matter; start it with '---', title, description, confidence, depth, '---'")
        return
    for key in ("title", "description"):
        if not str(meta.get(key) or "").strip():
            yield Diagnostic(page.rel_path, page.meta_lines.get(key, 1), "F002", "error", f"front matter has no '{key}'")
    for key in ("confidence", "depth"):
        value = meta.get(key)
        line = page.meta_lines.get(key, 1)
        if value is None:
            yield Diagnostic(page.rel_path, line, "F003", "error",
                             f"front matter has no '{key}' (one of {', '.join(BADGE_LEVELS)})")
        elif str(value).lower() not in BADGE_LEVELS:
            yield Diagnostic(page.rel_path, line, "F003", "error",
                             f"'{key}' is '{value}'; it must be one of {', '.join(BADGE_LEVELS)}")


def did_you_mean(key: str, registry: Registry) -> str:
    """' (did you mean 'x'?)' when a registered id is close, else ''."""
    choices = list(registry.sources) + list(registry.aliases)
    if not choices:
        return ""
    best = process.extractOne(key, choices, score_cutoff=75)
    return f" (did you mean '{best[0]}'?)" if best else ""
