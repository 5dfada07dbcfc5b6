"""The checks: pure functions from loaded data to diagnostics.

Codes: A accounts, R registry, F front matter, C citations. Tests assert codes, not wording.
"""

from __future__ import annotations

import datetime
import posixpath
import re
from collections.abc import Iterable, Iterator
from dataclasses import replace

from rapidfuzz import fuzz, process

from build_tools import claims, jsonld, safety, wording
from build_tools.accounts import Account, check_account_files, find_inline_markers, parse_reference_list
from build_tools.conflicts import Register
from build_tools.dates import parse_iso
from build_tools.diagnostics import Diagnostic
from build_tools.docs import BADGE_LEVELS, Citation, Page, find_citations
from build_tools.guard import ConflictContext, Touch, touches
from build_tools.project import Project, is_account
from build_tools.reconcile import Comparison, compare, reconcile_project
from build_tools.registry import Registry, Source


def run_all(project: Project) -> list[Diagnostic]:
    """Every check over a loaded project, with what loading found."""
    context = conflict_context(project)
    return check_project(project, context) + check_pages(project, context)


def check_project(project: Project, context: ConflictContext | None) -> list[Diagnostic]:
    """What loading the project found, and the checks of its accounts, registry and register."""
    settings = project.settings
    meta_rel = settings.rel(settings.accounts_path)
    found: list[Diagnostic] = list(project.diagnostics)
    found.extend(check_account_files(project.accounts, meta_rel))
    found.extend(check_account_references(project.accounts, project.registry))
    found.extend(check_registry_aliases(project.registry, project.accounts))
    found.extend(check_registry_fields(project.registry))
    found.extend(check_registry_duplicates(project.registry))
    if context is not None:
        found.extend(check_register(project, context.comparison))  # type: ignore[arg-type]
    return adjust(found, settings.severity)


def check_pages(
    project: Project, context: ConflictContext | None, index: wording.AccountIndex | None = None
) -> list[Diagnostic]:
    """The checks of each of the project's pages, and of all of them together (`index`: the accounts'
    wording, when it is indexed already)."""
    if not project.pages:
        return []
    index = index if index is not None else wording.AccountIndex(project.accounts)
    found: list[Diagnostic] = []
    for page in project.pages:
        found.extend(check_page(page, project.registry, context, index))
    found.extend(check_whole_site(project, project.pages, context is not None))
    return adjust(found, project.settings.severity)


def check_whole_site(project: Project, pages: Iterable[Page], has_register: bool) -> Iterator[Diagnostic]:
    """What only every page together can tell: sources nothing cites, disagreements no page discusses
    (`has_register`: the project's register could be read)."""
    pages = list(pages)
    cited: set[str] = set()
    for page in pages:
        for citation in page_citations(page)[0]:
            source = project.registry.resolve(citation.key)
            if source is not None:
                cited.add(source.id)
    yield from check_uncited_sources(project.registry, cited)
    if has_register and project.settings.disagreements_page:
        yield from check_register_discussed(project.register, pages, project.settings.disagreements_page)


def adjust(diagnostics: Iterable[Diagnostic], severity: dict[str, str]) -> list[Diagnostic]:
    """Apply per-code severities from mkdocs.yml; 'off' drops a check's findings."""
    result = []
    for diagnostic in diagnostics:
        level = severity.get(diagnostic.code)
        if level == "off":
            continue
        result.append(replace(diagnostic, severity=level) if level else diagnostic)  # type: ignore[arg-type]
    return result


def check_registry_fields(registry: Registry, today: datetime.date | None = None) -> Iterator[Diagnostic]:
    """Completeness: http(s) urls, dates that parse and are not in the future, real titles."""
    today = today or datetime.date.today()
    for source in registry.sources.values():
        if source.url and not re.match(r"^https?://[^\s/]+\.[^\s]+$", source.url):
            yield Diagnostic(
                registry.path,
                source.line,
                "R012",
                "error",
                f"source '{source.id}' has url '{source.url}'; it must be an http(s) url",
            )
        if source.date:
            parsed = parse_iso(source.date)
            if parsed is None:
                yield Diagnostic(
                    registry.path,
                    source.line,
                    "R013",
                    "error",
                    f"source '{source.id}' has date '{source.date}'; write YYYY, YYYY-MM or YYYY-MM-DD",
                )
            elif parsed > today:
                yield Diagnostic(
                    registry.path,
                    source.line,
                    "R013",
                    "error",
                    f"source '{source.id}' has date '{source.date}', which lies in the future",
                )
        if re.match(r"^(https?://|www\.)\S+$", source.title.strip()):
            yield Diagnostic(
                registry.path,
                source.line,
                "R014",
                "error",
                f"source '{source.id}' has a bare url as its title; give the work's title",
            )


def check_registry_duplicates(registry: Registry) -> Iterator[Diagnostic]:
    """Two entries that look like the same source: the same url, or near-identical titles and kinds."""
    regular = [s for s in registry.sources.values() if not is_account(s)]
    by_url: dict[str, Source] = {}
    for source in sorted(regular, key=lambda s: s.line):
        if not source.url:
            continue
        key = re.sub(r"^https?://(www\.)?", "", source.url).rstrip("/").lower()
        if key in by_url:
            first = by_url[key]
            yield Diagnostic(
                registry.path,
                source.line,
                "R008",
                "warning",
                f"'{first.id}' and '{source.id}' look like the same source (same url); merge them",
            )
        else:
            by_url[key] = source
    keys = {s.id: _title_key(s.title) for s in regular}
    frequency: dict[str, int] = {}
    for key in keys.values():
        for word in set(key.split()):
            frequency[word] = frequency.get(word, 0) + 1
    blocks: dict[str, list[Source]] = {}
    for source in regular:  # block on the title's rarest-looking word, so cost stays near-linear
        words = sorted(set(keys[source.id].split()), key=lambda w: (frequency[w], -len(w), w))[:2]
        for word in words:
            blocks.setdefault(word, []).append(source)
    seen: set[tuple[str, str]] = set()
    for members in blocks.values():
        if len(members) > 50:
            continue  # a word this common says nothing; the other block word still pairs true twins
        for i, left in enumerate(members):
            for right in members[i + 1 :]:
                pair = tuple(sorted((left.id, right.id)))
                if pair in seen or left.kind != right.kind or not keys[left.id] or not keys[right.id]:
                    continue
                seen.add(pair)
                if (
                    fuzz.token_sort_ratio(keys[left.id], keys[right.id]) >= 95
                    and (left.date or "")[:4] == (right.date or "")[:4]
                ):
                    later = max(left, right, key=lambda s: s.line)
                    yield Diagnostic(
                        registry.path,
                        later.line,
                        "R008",
                        "warning",
                        f"'{pair[0]}' and '{pair[1]}' look like the same source (titles match); merge them",
                    )


def _title_key(title: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", title.lower()))


def check_uncited_sources(registry: Registry, cited: set[str]) -> Iterator[Diagnostic]:
    """A registered source no page and no account cites."""
    for source in registry.sources.values():
        if not source.origins and source.id not in cited:
            yield Diagnostic(
                registry.path,
                source.line,
                "R020",
                "warning",
                f"source '{source.id}' is cited by no page and no account; cite it or remove it",
            )


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
                    account.rel_path,
                    entry.line,
                    "R010",
                    "error",
                    f"reference [{entry.ref}] of '{account.id}' is not in the registry; "
                    "run 'python -m build_tools import-sources'",
                )
        markers = find_inline_markers(account, text)
        if not account.inline_markers_resolve:
            if markers:
                yield Diagnostic(
                    account.rel_path,
                    markers[0].line,
                    "A107",
                    "note",
                    f"account '{account.id}' uses {len(markers)} inline markers that, by its own account, are not "
                    f"linked to its {len(entries)}-entry source list: none of its claims can be traced to a source",
                    column=markers[0].column,
                )
            continue
        reported: set[str] = set()
        for marker in markers:
            if marker.ref not in defined and marker.ref not in reported:
                reported.add(marker.ref)
                uses = sum(1 for m in markers if m.ref == marker.ref)
                yield Diagnostic(
                    account.rel_path,
                    marker.line,
                    "A110",
                    "note",
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
                    registry.path,
                    source.line,
                    "R011",
                    "error",
                    f"source '{source.id}' has an origin in unknown account '{origin.account}'",
                )


def reconciles(project: Project) -> bool:
    """Whether the project's accounts are reconciled: it has accounts, and a gazetteer to match them."""
    return bool(project.accounts and project.gazetteer.aliases)


def conflict_context(project: Project) -> ConflictContext | None:
    """Reconcile the accounts and compare with the register, when the profile has a gazetteer."""
    if not reconciles(project):
        return None
    comparison = compare(reconcile_project(project), project.register)
    return ConflictContext(project.gazetteer, project.register, comparison.unregistered, comparison)


def check_register(project: Project, comparison: Comparison) -> Iterator[Diagnostic]:
    """Detected conflicts missing from the register, entries that match nothing, unknown sources."""
    paths = {a.id: a.rel_path for a in project.accounts}
    register = project.register
    for conflict in comparison.unregistered:
        first = conflict.values[0].claims[0]
        values = " vs ".join(f"'{g.label}'" for g in conflict.values)
        yield Diagnostic(
            paths.get(first.account, first.account),
            first.line,
            "C302",
            "warning",
            f"unregistered conflict '{conflict.id}' ({conflict.subject}, {conflict.attribute}): {values}; "
            f"record it in {register.path} with ranks and reasons",
        )
    for entry, reason in comparison.stale:
        yield Diagnostic(
            register.path, entry.line, "C303", "warning", f"conflict '{entry.id}' matches nothing: {reason}"
        )
    for entry in register.entries.values():
        for value in entry.values:
            for source_id in value.sources:
                if project.registry.resolve(source_id) is None:
                    yield Diagnostic(
                        register.path,
                        value.line,
                        "K006",
                        "error",
                        f"conflict '{entry.id}': unknown source '{source_id}'{did_you_mean(source_id, project.registry)}",
                    )


_LINK_TARGET = re.compile(r"\]\(([^)\s]+)")


def check_register_discussed(register: Register, pages: Iterable[Page], page_name: str) -> Iterator[Diagnostic]:
    """Every real disagreement is resolved in the text somewhere: some page links to its entry (K007)."""
    linked: set[str] = set()
    name = posixpath.basename(page_name)
    for page in pages:
        for target in _LINK_TARGET.findall(page.body):
            path, _, anchor = target.partition("#")
            if anchor and posixpath.basename(path) == name:
                linked.add(anchor)
    for entry in register.entries.values():
        if entry.verdict != "not a conflict" and entry.id not in linked:
            yield Diagnostic(
                register.path,
                entry.line,
                "K007",
                "warning",
                f"disagreement '{entry.id}' ({entry.subject}) is not discussed on any page: where the text covers it, "
                f"give the values and link to {page_name}#{entry.id}",
            )


def check_page(
    page: Page,
    registry: Registry,
    context: ConflictContext | None = None,
    accounts: wording.AccountIndex | None = None,
    touched: list[list[Touch]] | None = None,
) -> Iterator[Diagnostic]:
    """Front matter, citations and wording of one curated page (`touched`: its page_touches, when the
    caller has them already)."""
    if page.error:
        line, message = page.error
        prefix = "front matter: " if page.error_code == "F001" else ""
        yield Diagnostic(page.rel_path, line, page.error_code, "error", f"{prefix}{message}")
        return
    yield from check_front_matter(page)
    if "person" in page.meta:
        for problem in jsonld.problems(page.meta["person"], registry):
            yield Diagnostic(
                page.rel_path, page.meta_lines.get("person", 1), "F006", "error", f"front matter: {problem}"
            )
    citations, malformed = page_citations(page)
    for bad in malformed:
        yield Diagnostic(
            page.rel_path,
            bad.line,
            "C102",
            "error",
            f"malformed citation '{bad.text}': {bad.reason}; write [@id] or [@id1; @id2]",
            column=bad.column,
        )
    for citation in citations:
        if registry.resolve(citation.key) is None:
            yield Diagnostic(
                page.rel_path,
                citation.line,
                "C101",
                "error",
                f"unknown source '{citation.key}'{did_you_mean(citation.key, registry)}",
                column=citation.column,
            )
    for unsafe in safety.unsafe_html(page.body):
        yield Diagnostic(
            page.rel_path,
            page.body_start + unsafe.line - 1,
            "H301",
            "error",
            f"unsafe HTML: {unsafe.what}; pages may not run script, remove it",
            column=unsafe.column,
        )
    yield from check_claims(page, citations, registry, context, touched)
    if accounts:
        for run in wording.copied(page.body, page.body_start, accounts):
            yield Diagnostic(
                page.rel_path,
                run.line,
                "C401",
                "warning",
                f"copied wording: '{_shorten(run.words)}' is word for word from {run.account} line "
                f"{run.account_line}; say it in your own words, or quote it with a citation",
            )


def _shorten(words: str, limit: int = 12) -> str:
    parts = words.split()
    return " ".join(parts[:limit]) + (" ..." if len(parts) > limit else "")


FRONT_MATTER_KEYS = {
    # ours
    "title",
    "description",
    "confidence",
    "depth",
    "last_reviewed",
    "person",
    # MkDocs and mkdocs-material page keys
    "template",
    "hide",
    "search",
    "tags",
    "status",
    "subtitle",
    "icon",
    "comments",
    "social",
}


def page_touches(page: Page, context: ConflictContext | None) -> list[list[Touch]]:
    """The conflicts each paragraph of the page speaks of (in the order of claims.paragraphs)."""
    if context is None:
        return [[] for _ in claims.paragraphs(page.body, page.body_start)]
    return [list(touches(paragraph, context)) for paragraph in claims.paragraphs(page.body, page.body_start)]


def check_claims(
    page: Page,
    citations: list[Citation],
    registry: Registry,
    context: ConflictContext | None = None,
    touched: list[list[Touch]] | None = None,
) -> Iterator[Diagnostic]:
    """Quotations, uncited figures, markers, weak support, the conflict guard and the badge's ceiling."""
    weakest: tuple[str, int] | None = None
    unresolved_touch: tuple[str, int] | None = None
    unresolved = context.unresolved_ids() if context else set()
    if touched is None:
        touched = page_touches(page, context)
    for paragraph, paragraph_touches in zip(claims.paragraphs(page.body, page.body_start), touched, strict=True):
        for touch in paragraph_touches:
            if touch.deprecated is not None:
                entry = context.register.entries[touch.conflict_id]  # type: ignore[union-attr]
                preferred = next((v.value for v in entry.values if v.rank == "preferred"), None)
                hint = f"; the register prefers '{preferred}'" if preferred else ""
                yield Diagnostic(
                    page.rel_path,
                    touch.line,
                    "C301",
                    "error",
                    f"states '{touch.deprecated.value}' as fact, a deprecated value of conflict '{entry.id}' "
                    f"({entry.subject}){hint}: {touch.deprecated.reason} Attribute it to its source, or correct it",
                )
            if touch.conflict_id in unresolved and unresolved_touch is None:
                unresolved_touch = (touch.conflict_id, touch.line)
        cited = claims.citations_in(paragraph, citations)
        sources = [s for s in (registry.resolve(c.key) for c in cited) if s is not None]
        for offset, quote in claims.uncited_quotations(paragraph):
            line = paragraph.line + paragraph.text[:offset].count("\n")
            short = quote if len(quote) <= 40 else quote[:37] + "..."
            yield Diagnostic(
                page.rel_path,
                line,
                "C201",
                "error",
                f'quotation "{short}" has no citation in its sentence; cite its source as [@id]',
            )
        for match in claims.MARKERS.finditer(paragraph.text):
            line = paragraph.line + paragraph.text[: match.start()].count("\n")
            yield Diagnostic(
                page.rel_path,
                line,
                "C203",
                "warning",
                f"'{match.group(0)[:40]}' marker: this claim is unverified; find a source or remove the claim",
            )
        if not cited:
            if claims.states_figures(paragraph):
                yield Diagnostic(
                    page.rel_path,
                    paragraph.line,
                    "C202",
                    "warning",
                    "citation needed: this paragraph states dates or figures and cites nothing",
                )
            continue
        if sources and all(_needs_better_source(s) for s in sources):
            names = ", ".join(f"'{s.id}'" for s in sources)
            yield Diagnostic(
                page.rel_path,
                paragraph.line,
                "C204",
                "warning",
                f"better source needed: only {names} (a reference work or a tier-3 source) supports this paragraph",
            )
        level = claims.support_level(sources)
        if level is not None and (weakest is None or claims.LEVELS.index(level) < claims.LEVELS.index(weakest[0])):
            weakest = (level, paragraph.line)
    declared = str(page.meta.get("confidence") or "").lower()
    if weakest and declared in BADGE_LEVELS:
        ceiling, why = weakest[0], f"the paragraph at line {weakest[1]} is the weakest"
        if unresolved_touch is not None:
            ceiling = claims.lower(ceiling)
            why += (
                f", and line {unresolved_touch[1]} touches unresolved conflict '{unresolved_touch[0]}' (one step lower)"
            )
        if claims.LEVELS.index(declared) > claims.LEVELS.index(ceiling):
            yield Diagnostic(
                page.rel_path,
                page.meta_lines.get("confidence", 1),
                "B201",
                "error",
                f"confidence '{declared}' exceeds what the citations support ('{ceiling}'): {why}; "
                "lower the badge or cite better sources",
            )


def _needs_better_source(source) -> bool:  # type: ignore[no-untyped-def]
    if is_account(source):
        return False  # citing an account attributes a claim to it: the account is its own best source
    return source.kind == "reference work" or source.tier == 3


def page_citations(page: Page) -> tuple[list[Citation], list]:  # type: ignore[type-arg]
    """The page's citations, parsed once per page."""
    if page.citations is None:
        page.citations = find_citations(page.body, page.body_start)
    return page.citations


def check_front_matter(page: Page) -> Iterator[Diagnostic]:
    meta = page.meta
    if not meta:
        yield Diagnostic(
            page.rel_path,
            1,
            "F002",
            "error",
            "page has no front matter; start it with '---', title, description, confidence, depth, '---'",
        )
        return
    for key in ("title", "description"):
        if not str(meta.get(key) or "").strip():
            yield Diagnostic(
                page.rel_path, page.meta_lines.get(key, 1), "F002", "error", f"front matter has no '{key}'"
            )
    for key in meta:
        if str(key) not in FRONT_MATTER_KEYS:
            best = process.extractOne(str(key), sorted(FRONT_MATTER_KEYS), score_cutoff=70)
            hint = f" (did you mean '{best[0]}'?)" if best else f" (known keys: {', '.join(sorted(FRONT_MATTER_KEYS))})"
            yield Diagnostic(
                page.rel_path,
                page.meta_lines.get(str(key), 1),
                "F004",
                "error",
                f"unknown front matter key '{key}'{hint}",
            )
    for key in ("confidence", "depth"):
        value = meta.get(key)
        line = page.meta_lines.get(key, 1)
        if value is None:
            yield Diagnostic(
                page.rel_path, line, "F003", "error", f"front matter has no '{key}' (one of {', '.join(BADGE_LEVELS)})"
            )
        elif str(value).lower() not in BADGE_LEVELS:
            yield Diagnostic(
                page.rel_path,
                line,
                "F003",
                "error",
                f"'{key}' is '{value}'; it must be one of {', '.join(BADGE_LEVELS)}",
            )


def did_you_mean(key: str, registry: Registry) -> str:
    """' (did you mean 'x'?)' when a registered id is close, else ''."""
    choices = list(registry.sources) + list(registry.aliases)
    if not choices:
        return ""
    best = process.extractOne(key, choices, score_cutoff=75)
    return f" (did you mean '{best[0]}'?)" if best else ""
