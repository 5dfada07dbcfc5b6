"""The checks: pure functions from loaded data to diagnostics.

Codes: A accounts, R registry, F front matter, C citations. Tests assert codes, not wording.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from rapidfuzz import process

from build_tools import claims, safety
from build_tools.accounts import Account, check_account_files, find_inline_markers, parse_reference_list
from build_tools.diagnostics import Diagnostic
from build_tools.docs import BADGE_LEVELS, Citation, Page, find_citations
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
    for unsafe in safety.unsafe_html(page.body):
        yield Diagnostic(
            page.rel_path, page.body_start + unsafe.line - 1, "H301", "error",
            f"unsafe HTML: {unsafe.what}; pages may not run script, remove it", column=unsafe.column,
        )
    yield from check_claims(page, citations, registry)


FRONT_MATTER_KEYS = {
    # ours
    "title", "description", "confidence", "depth", "last_reviewed",
    # MkDocs and mkdocs-material page keys
    "template", "hide", "search", "tags", "status", "subtitle", "icon", "comments", "social",
}


def check_claims(page: Page, citations: list[Citation], registry: Registry) -> Iterator[Diagnostic]:
    """Quotations, uncited figures, markers, weak support, and the confidence badge's ceiling."""
    weakest: tuple[str, int] | None = None
    for paragraph in claims.paragraphs(page.body, page.body_start):
        cited = claims.citations_in(paragraph, citations)
        sources = [s for s in (registry.resolve(c.key) for c in cited) if s is not None]
        for offset, quote in claims.uncited_quotations(paragraph):
            line = paragraph.line + paragraph.text[:offset].count("\n")
            short = quote if len(quote) <= 40 else quote[:37] + "..."
            yield Diagnostic(page.rel_path, line, "C201", "error",
                             f"quotation \"{short}\" has no citation in its sentence; cite its source as [@id]")
        for match in claims.MARKERS.finditer(paragraph.text):
            line = paragraph.line + paragraph.text[: match.start()].count("\n")
            yield Diagnostic(page.rel_path, line, "C203", "warning",
                             f"'{match.group(0)[:40]}' marker: this claim is unverified; find a source or remove the claim")
        if not cited:
            if claims.states_figures(paragraph):
                yield Diagnostic(page.rel_path, paragraph.line, "C202", "warning",
                                 "citation needed: this paragraph states dates or figures and cites nothing")
            continue
        if sources and all(_needs_better_source(s) for s in sources):
            names = ", ".join(f"'{s.id}'" for s in sources)
            yield Diagnostic(page.rel_path, paragraph.line, "C204", "warning",
                             f"better source needed: only {names} (a reference work or a tier-3 source) supports this paragraph")
        level = claims.support_level(sources)
        if level is not None and (weakest is None or claims.LEVELS.index(level) < claims.LEVELS.index(weakest[0])):
            weakest = (level, paragraph.line)
    declared = str(page.meta.get("confidence") or "").lower()
    if weakest and declared in BADGE_LEVELS and claims.LEVELS.index(declared) > claims.LEVELS.index(weakest[0]):
        yield Diagnostic(
            page.rel_path, page.meta_lines.get("confidence", 1), "B201", "error",
            f"confidence '{declared}' exceeds what the citations support ('{weakest[0]}'): "
            f"the paragraph at line {weakest[1]} is the weakest; lower the badge or cite better sources",
        )


def _needs_better_source(source) -> bool:  # type: ignore[no-untyped-def]
    if is_account(source):
        return False  # citing an account attributes a claim to it: the account is its own best source
    return source.kind == "reference work" or source.tier == 3


def check_front_matter(page: Page) -> Iterator[Diagnostic]:
    meta = page.meta
    if not meta:
        yield Diagnostic(page.rel_path, 1, "F002", "error",
                         "page has no front matter; start it with '---', title, description, confidence, depth, '---'")
        return
    for key in ("title", "description"):
        if not str(meta.get(key) or "").strip():
            yield Diagnostic(page.rel_path, page.meta_lines.get(key, 1), "F002", "error", f"front matter has no '{key}'")
    for key in meta:
        if str(key) not in FRONT_MATTER_KEYS:
            best = process.extractOne(str(key), sorted(FRONT_MATTER_KEYS), score_cutoff=70)
            hint = f" (did you mean '{best[0]}'?)" if best else f" (known keys: {', '.join(sorted(FRONT_MATTER_KEYS))})"
            yield Diagnostic(page.rel_path, page.meta_lines.get(str(key), 1), "F004", "error",
                             f"unknown front matter key '{key}'{hint}")
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
