"""The MkDocs plugin: event adapters only. The work is done by the same functions the CLI calls."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation, Section
from mkdocs.structure.pages import Page as MkPage
from mkdocs.utils import get_relative_url

from build_tools import agents, cache, checks, claims, csp, guard, jsonld, outputs, render, wording
from build_tools import kept as kept_checks
from build_tools.config import ProvenanceConfig
from build_tools.diagnostics import Diagnostic
from build_tools.docs import Page, find_citations, forget_folders, inside, load_page, parse_page_text
from build_tools.project import Project, Settings, SettingsError, load_project, settings_from_options

log = get_plugin_logger(__name__)
THEME_DIR = Path(__file__).parent / "theme"
STYLESHEET = "assets/stylesheets/provenance.css"


class ProvenancePlugin(BasePlugin[ProvenanceConfig]):
    """Resolve citations, generate the sources page, show badges, write llms.txt."""

    def __init__(self) -> None:
        self.project: Project | None = None
        self.errors = 0
        self.twins: dict[str, agents.TwinPage] = {}
        self.stashes: dict[str, render.Stash] = {}
        self.search_content: dict[str, tuple[str, str]] = {}  # page -> (its HTML, the HTML search sees)
        self.nav: Navigation | None = None
        self.account_findings: list[Diagnostic] = []
        self.context: guard.ConflictContext | None = None
        self.report: dict | None = None  # type: ignore[type-arg]
        self.checked: kept_checks.ProjectChecks | None = None  # the project's checks, as run or kept
        self.checking: tuple[Project, bytes | None] | None = None  # the project the helper is checking
        self.delegated = False  # whether it does in this build (then pages are not waited for until on_env)
        self.twin_of: dict[str, str] = {}
        self.dirty = False
        self.command = "build"
        self.files: Files | None = None
        self.curated: dict[str, Page] = {}  # every curated page, as read for this build
        self.pending: dict[str, outputs.ReadPage] = {}  # read, not yet rendered
        # Generated pages made when they are rendered: uri -> (what MkDocs was given, what makes the page)
        self.later: dict[str, tuple[str, Callable[[File | None], str]]] = {}
        self.deferred: dict[str, MkPage] = {}  # pages rendered before the helper had checked them
        self.guessed: dict[str, outputs.ReadPage] = {}  # some of them, checked here while it reconciled
        self.special: tuple[Files | None, dict[str, File | None]] = (None, {})
        self.twins_sent: set[str] = set()
        self.as_read: set[str] = set()  # pages whose twin is made from the page the helper read
        self.first_lines: dict[str, int] = {}  # curated pages' first body line (their twins' citations)
        self.unchanged: set[str] = set()  # pages a dirty build did not render
        self.outputs: outputs.Outputs | None = None
        self.cache_dir: Path | None = None  # where checks are kept for the next build (None: not kept)
        self.findings: list[Diagnostic] = []  # everything this build's checks found (as `check` finds it)
        self.page_paths: list[str] = []  # every curated page of this build, by path

    def on_startup(self, *, command: str, dirty: bool) -> None:
        self.dirty = dirty
        self.command = command

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        root = Path(config.config_file_path or ".").parent
        raw = {
            "docs_dir": config.docs_dir,
            "site_dir": config.site_dir,
            "site_name": config.site_name,
            "site_url": config.site_url or "",
            "site_description": config.site_description or "",
        }
        try:
            settings = settings_from_options(root, raw, dict(self.config))
        except SettingsError as exc:
            raise PluginError(str(exc)) from None
        forget_folders()  # a folder may have become a link since the last build (`mkdocs serve`)
        if self.outputs is None:  # started first: the helper's start-up overlaps the work below
            self.outputs = outputs.Outputs()
        self.errors = 0
        self.findings = []
        self.twins = {}
        key = kept_checks.key_of(settings)  # (told from the files the project is loaded from)
        self.cache_dir = settings.cache_dir if key else None
        kept = _CHECKED.get(str(settings.root))
        self.checking, self.checked, self.context, self.report, self.account_findings = None, None, None, None, []
        self.delegated = False  # whether the helper checks the project in this build
        if kept is None or key is None or kept.key != key:  # something they depend on changed
            kept = self._cached_checks(key)
            if kept is None:
                project = load_project(settings, with_pages=False)
                # Checking and reconciling the project can take longer than MkDocs' first pass over the
                # pages: the helper does it meanwhile, then checks the pages (see _checks and on_env).
                if not self.dirty and self.outputs.check_project(project, key):
                    self.checking, self.project, self.delegated = (project, key), project, True
                else:
                    kept = kept_checks.check(project, key)
        if kept is not None:
            self._take_checks(kept, settings)
        # Our partials (badges under the title) sit between the site's own overrides and the theme.
        position = 1 if config.theme.custom_dir else 0
        if str(THEME_DIR) not in config.theme.dirs:
            config.theme.dirs.insert(position, str(THEME_DIR))
        if STYLESHEET not in config.extra_css:
            config.extra_css.append(STYLESHEET)
        return config

    def _take_checks(self, kept: kept_checks.ProjectChecks, settings: Settings) -> None:
        """The project's checks for this build (and later ones, while the project is unchanged)."""
        _CHECKED[str(settings.root)] = kept
        kept.project.settings = settings  # (the same, but perhaps for the site folder)
        self.context, self.report, self.checked = kept.context, kept.report, kept
        self.project = kept.project
        account_paths = {account.rel_path for account in self.project.accounts}
        self.account_findings = [d for d in kept.findings if d.path in account_paths]
        self._report(kept.findings)

    def _checks(self) -> kept_checks.ProjectChecks:
        """The project's checks; those the helper is making are waited for (made here if it failed)."""
        if self.checking is not None:
            project, key = self.checking
            self.checking = None
            index, guess = self._check_while_waiting(project)
            found = self.outputs.project_checks() if self.outputs is not None else None
            if found is None:
                kept = kept_checks.check(project, key)
            else:
                kept = kept_checks.ProjectChecks(key, project, *found, folder=self.cache_dir)
            if index is not None:  # (the helper keeps its own on disk)
                kept.index, kept.index_kept = index, kept.folder is not None
            # The pages checked meanwhile stand if no disagreement was found outside the register (the
            # only thing the checks of a page take from reconciling); otherwise they are read again.
            if kept.context is None or not kept.context.unregistered:
                self.guessed = guess
            self._take_checks(kept, project.settings)
        if self.checked is None:
            raise PluginError("the provenance plugin was not configured")
        return self.checked

    def _check_while_waiting(self, project: Project) -> tuple[wording.AccountIndex | None, dict[str, outputs.ReadPage]]:
        """While the helper is still reconciling, and this process would only wait: the accounts'
        wording indexed here too, and pages checked against the register alone, last first (the helper
        checks them first to last once it has reconciled). Each page's checks take from reconciling
        only the disagreements it found outside the register: the caller knows whether there are any."""
        checked: dict[str, outputs.ReadPage] = {}
        if not self.deferred or self.outputs is None or self.outputs.checks_arrived():
            return None, checked
        settings = project.settings
        index = wording.AccountIndex(project.accounts)
        context = guard.ConflictContext(project.gazetteer, project.register) if checks.reconciles(project) else None
        job = outputs.ReadJob(settings.root, project.registry, context, index, settings.severity)
        for uri in reversed(list(self.deferred)):
            if self.outputs.checks_arrived():
                break
            path = self.outputs.claim(uri)
            if path is not None:
                checked[uri] = job.read(path)
        return index, checked

    def _reconciles(self) -> bool:
        """Whether the accounts are reconciled (known before the helper has done it)."""
        return checks.reconciles(self._project()) if self.checking is not None else self.report is not None

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        project = self._project()
        # The helper reads and checks the curated pages while MkDocs gets on with the build.
        curated = [
            (f.src_uri, f.abs_src_path)
            for f in files.documentation_pages()
            if not f.generated_by and f.abs_src_path
        ]  # fmt: skip
        self.curated, self.pending = {}, {}
        self.page_paths = [path for _, path in curated]
        # A dirty build renders only changed pages, so nothing would overlap the reading: every page is
        # parsed here, with what earlier builds parsed kept.
        if self.dirty or self.outputs is None:
            self.curated = {uri: _load(path, project) for uri, path in curated}
        else:
            unread = [(uri, path) for uri, path in curated if not self._take_kept(uri, path)]
            # (The job is made only if a page is read here, when the helper makes its own; none: nothing to read.)
            job = (self._read_job if self.checking is not None else self._read_job()) if unread else None
            self.outputs.read_ahead(job, unread)
        self.later, self.deferred, self.guessed = {}, {}, {}
        uri = self.config.sources_page
        existing = files.get_file_from_path(uri)
        if existing is not None:
            files.remove(existing)
        if self.dirty:  # only changed pages are rendered, nothing to overlap: the page is made now
            content = self._sources_page(files, File.generated(config, uri, content=""))
            files.append(self._generated(config, uri, content))
        else:
            # Which pages cite each source is known once they are read: the lists are filled in when
            # the sources page itself is rendered (on_page_markdown); its front matter is final here.
            placeholder = self._sources_page(files)
            files.append(File.generated(config, uri, content=placeholder))
            self.later[uri] = (placeholder, lambda file: self._sources_page(files, file))
        page_uri = self.config.disagreements_page
        if page_uri and self._reconciles():
            existing = files.get_file_from_path(page_uri)
            if existing is not None:
                files.remove(existing)
            sources_file = files.get_file_from_path(uri)
            sources_url = get_relative_url(sources_file.url, File(page_uri, "", "", True).url) if sources_file else uri

            def disagreements(_: File | None) -> str:
                report = self._checks().report
                assert report is not None  # (the accounts are reconciled)
                return render.disagreements_page(report, project.registry, project.accounts, sources_url)

            self._generate(
                files, config, page_uri, disagreements, render.DISAGREEMENTS_TITLE, render.DISAGREEMENTS_ABOUT
            )
        audit_uri = self.config.source_audit_page
        if audit_uri and project.accounts:
            existing = files.get_file_from_path(audit_uri)
            if existing is not None:
                files.remove(existing)

            def audit(_: File | None) -> str:
                self._checks()
                return render.source_audit_page(project.accounts, self.account_findings, project.registry)

            self._generate(files, config, audit_uri, audit, render.AUDIT_TITLE, render.AUDIT_ABOUT)
        self.files = files
        return files

    def _generate(
        self,
        files: Files,
        config: MkDocsConfig,
        uri: str,
        make: Callable[[File | None], str],
        title: str,
        description: str,
    ) -> None:
        """Add a generated page made from the project's checks. While the helper is still making them,
        the page is made when it is rendered (on_page_markdown); its front matter is final now."""
        if self.checking is None:
            files.append(self._generated(config, uri, make(None)))
            return
        placeholder = "\n".join(
            [*render.front_matter(title, description), "", "(Made once the accounts are checked.)", ""]
        )
        files.append(File.generated(config, uri, content=placeholder))
        self.later[uri] = (placeholder, make)

    def _generated(self, config: MkDocsConfig, uri: str, content: str) -> File:
        file = File.generated(config, uri, content=content)
        self._keep_if_unchanged(file, config, content)
        return file

    def _keep_if_unchanged(self, file: File, config: MkDocsConfig, content: str) -> None:
        """A dirty build leaves a generated page alone when its content has not changed since the
        last build into the same site, as MkDocs leaves an unchanged page alone."""
        key = (config.site_dir, file.src_uri)
        if self.dirty and _GENERATED.get(key) == content and Path(file.abs_dest_path).is_file():
            file.is_modified = lambda: False  # type: ignore[method-assign]
        _GENERATED[key] = content

    def _sources_page(self, files: Files, sources_file: File | None = None) -> str:
        """The sources page; with the pages citing each source once every curated page is read."""
        project = self._project()
        links = self._back_links(files, sources_file) if sources_file else {}
        return render.sources_page(project.registry, project.accounts, back_links=links)

    def _back_links(self, files: Files, sources_file: File) -> dict[str, list[tuple[str, str]]]:
        """Which curated pages cite each source, read from their markdown before it is rendered."""
        project = self._project()
        links: dict[str, dict[tuple[str, str], None]] = {}  # (a dict keeps the pages in order, once each)
        self._take_all()
        for file in sorted(files.documentation_pages(), key=lambda f: f.src_uri):
            page = self.curated.get(file.src_uri)
            if file.generated_by or page is None:
                continue
            link = (str(page.meta.get("title") or file.src_uri), get_relative_url(file.url, sources_file.url))
            for citation in checks.page_citations(page)[0]:
                source = project.registry.resolve(citation.key)
                if source is not None:
                    links.setdefault(source.id, {})[link] = None
        return {source_id: list(pages) for source_id, pages in links.items()}

    def on_nav(self, nav: Navigation, *, config: MkDocsConfig, files: Files) -> Navigation:
        self.nav = nav
        # Every page's twin url is known now, so each twin can be written as soon as its page is
        # built, by a second process, while MkDocs renders the next pages.
        self.twin_of = {f.src_uri: _absolute(config, agents.twin_paths(f.url)[0]) for f in files.documentation_pages()}
        self.twins_sent, self.unchanged, self.as_read, self.first_lines = set(), set(), set(), {}
        if self.config.agent_outputs and self.outputs is not None:
            sources_twin = self.twin_of.get(self.config.sources_page, _absolute(config, "sources.md"))
            self.outputs.send("context", self._project().registry, self.twin_of, sources_twin)
        return nav

    def on_page_markdown(self, markdown: str, *, page: MkPage, config: MkDocsConfig, files: Files) -> str:
        project = self._project()
        sources_file = self._file(files, self.config.sources_page)
        sources_url = get_relative_url(sources_file.url, page.url) if sources_file else self.config.sources_page
        first_line = 1
        citations, why, conflicts = None, None, None
        deferred = False
        if page.file.abs_src_path and not page.file.generated_by:
            # While the helper checks the project, a page it has not checked yet is parsed here.
            read = self._arrived(page.file) if self.delegated else self._read(page.file)
            if read is None:
                parsed = self.curated[page.file.src_uri] = _load(page.file.abs_src_path, project)
                deferred = parsed.body.lstrip("\n") == markdown  # and its checks taken in on_env
                if deferred:
                    self.deferred[page.file.src_uri] = page
                else:
                    read = self._read(page.file)
            if read is not None:
                if read.digest is not None:
                    _READ[page.file.abs_src_path] = (project, read)
                parsed = self.curated[page.file.src_uri] = read.page
                self._report(read.diagnostics)
            first_line = parsed.body_start
            # MkDocs hands over the body without its leading blank lines; put them back so the
            # citations read ahead (offsets into the body) can be reused as they are.
            if parsed.body.lstrip("\n") == markdown:
                markdown = parsed.body
                citations = checks.page_citations(parsed)[0]
                if read is not None:
                    why, conflicts = read.confidence_why, read.conflicts
                    if read.ahead:  # the helper has the markdown and citations the twin is made from
                        self.as_read.add(page.file.src_uri)
        elif page.file.src_uri in self.later:  # made now: every curated page is read by now
            placeholder, make = self.later.pop(page.file.src_uri)
            if markdown == _body(placeholder):  # (unless another plugin changed it)
                content = make(page.file)
                self._keep_if_unchanged(page.file, config, content)
                markdown = _body(content)
        if citations is None:
            citations, _ = find_citations(markdown, first_line)
        if page.file.abs_src_path and not page.file.generated_by:  # (its twin's citations are these again)
            self.first_lines[page.file.src_uri] = first_line
        self._collect_twin(markdown, citations, page, config)
        if why is None and not deferred:
            weakest = claims.weakest_paragraph(markdown, first_line, citations, project.registry)
            why = claims.rationale(citations, project.registry, weakest)
        page.meta["confidence_why"] = why
        about = self._file(files, self.config.about_page)
        if about is not None:
            page.meta["badge_help"] = get_relative_url(about.url, page.url)
        stash = self.stashes[page.file.src_uri] = render.Stash()
        if page.file.generated_by and page.file.src_uri in self._generated_uris():
            markdown = render.stash_html_blocks(markdown, stash)
        rendered = render.render_citations(markdown, citations, project.registry, sources_url, stash)
        rendered = render.RenderedPage(render.mark_unverified(rendered.markdown, stash), rendered.cited)
        page.meta["cited_sources"] = [s.id for s in rendered.cited]
        markdown = rendered.markdown
        disagreements = self._file(files, self.config.disagreements_page)
        if disagreements is not None and not page.file.generated_by and self._reconciles():
            if deferred:  # which disagreements it touches is known in on_env: a slot for the notice
                markdown = _first_block(markdown, stash.put(NOTICE_SLOT))
            else:
                entries = self._touched(markdown, first_line) if conflicts is None else self._entries(conflicts)
                if entries:
                    markdown = _first_block(markdown, stash.put(self._notice(page, entries, disagreements, config)))
        return markdown

    def _notice(self, page: MkPage, entries: list, disagreements: File, config: MkDocsConfig) -> str:  # type: ignore[type-arg]
        """The notice of the disagreements a page touches, as HTML; its twin gets the same, as links."""
        twin = self.twins.get(page.file.src_uri)
        if twin is not None:
            base = _absolute(config, disagreements.url)
            twin.notice = [(e.subject, _state(e), f"{_twin_url(base)}#{e.id}") for e in entries]
        return render.conflict_notice(entries, get_relative_url(disagreements.url, page.url)).strip()

    def _take_deferred(self, config: MkDocsConfig) -> None:
        """The checks of the pages rendered before the helper had checked them (see on_page_markdown):
        their findings, the reason for their badge, and the notice of the disagreements they touch."""
        project = self._project()
        disagreements = self._file(self.files, self.config.disagreements_page) if self.files else None
        deferred, self.deferred = self.deferred, {}
        guessed, self.guessed = self.guessed, {}
        taken = self.outputs.take([uri for uri in deferred if uri not in guessed]) if self.outputs is not None else {}
        for uri, page in deferred.items():
            # (A page checked here while the helper reconciled, whose checks did not stand, is read again.)
            read = guessed.get(uri) or taken.get(uri) or self._read_job().read(str(page.file.abs_src_path))
            if read.digest is not None:
                _READ[page.file.abs_src_path] = (project, read)  # type: ignore[index]
            self.curated[uri] = read.page
            self._report(read.diagnostics)
            page.meta["confidence_why"] = read.confidence_why
            if read.ahead:
                self.as_read.add(uri)
            if disagreements is None or NOTICE_SLOT not in (page.content or ""):
                continue
            entries = self._entries(read.conflicts)
            notice = self._notice(page, entries, disagreements, config) if entries else ""
            full, light = self.search_content.get(uri, (None, None))
            page.content = _fill_slot(page.content or "", notice)
            if full is not None:
                self.search_content[uri] = (page.content, _fill_slot(light or "", notice))

    def _file(self, files: Files, uri: str) -> File | None:
        """One of the pages every page links to (looked up once per build: the lookup is not free)."""
        if not uri:
            return None
        if self.special[0] is not files:
            self.special = (files, {})
        found = self.special[1]
        if uri not in found:
            found[uri] = files.get_file_from_path(uri)
        return found[uri]

    def _arrived(self, file: File) -> outputs.ReadPage | None:
        """A curated page as read and checked already (kept, or sent by the helper), never waited for."""
        read = self.pending.pop(file.src_uri, None)
        return read if read is not None or self.outputs is None else self.outputs.arrived(file.src_uri)

    def _read(self, file: File) -> outputs.ReadPage:
        """A curated page, read and checked (ahead, by the helper, when there is one)."""
        read = self.pending.pop(file.src_uri, None)
        if read is None and self.outputs is not None:
            read = self.outputs.page(file.src_uri)
        if read is None:  # a dirty build's page, or one another plugin added after ours
            read = self._read_job().read(str(file.abs_src_path), self.curated.get(file.src_uri))
        return read

    def _take_kept(self, uri: str, path: str) -> bool:
        """Take the page as an earlier build in this process read it (`mkdocs serve`), if its bytes
        and the project are unchanged; whether it was taken (then the helper is not asked for it)."""
        kept = _READ.get(path)
        if kept is None or kept[0] is not self.project or not inside(Path(path), self.project.settings.root):
            return False  # (a page that became a link out of the repository is read again, and refused)
        try:
            digest = outputs.source_digest(Path(path).read_bytes())
        except OSError:
            return False
        if kept[1].digest != digest:
            return False
        self.pending[uri] = replace(kept[1], ahead=False)  # (the helper does not have it this time)
        self.curated[uri] = kept[1].page
        return True

    def _cached_checks(self, key: bytes | None) -> kept_checks.ProjectChecks | None:
        """The project's checks as an earlier run kept them on disk under the same key, with its
        pages' (each taken again only if its bytes are unchanged, see _take_kept)."""
        if self.cache_dir is None or key is None:
            return None
        kept = kept_checks.load(self.cache_dir, key)
        if kept is None:
            return None
        pages = cache.load(self.cache_dir / "pages.pickle", key)
        found = set()
        for path, read in pages.items() if isinstance(pages, dict) else ():
            if isinstance(path, str) and isinstance(read, outputs.ReadPage) and read.digest is not None:
                _READ[path] = (kept.project, read)
                found.add((path, read.digest))
        _SAVED[str(self.cache_dir)] = (key, frozenset(found))
        return kept

    def _save_checks(self) -> None:
        """Keep the project's checks and its pages' on disk for the next build, where they changed."""
        checked = _CHECKED.get(str(self._project().settings.root))
        if self.cache_dir is None or self.dirty or checked is None or checked.project is not self.project:
            return
        pages = {}
        for path in self.page_paths:
            kept = _READ.get(path)
            if kept is not None and kept[0] is self.project:
                pages[path] = kept[1]
        found = frozenset((path, read.digest) for path, read in pages.items())
        saved_key, saved_pages = _SAVED.get(str(self.cache_dir), (None, frozenset()))
        if saved_key != checked.key:
            if not kept_checks.store(self.cache_dir, checked):
                return
        else:
            kept_checks.store_wording(self.cache_dir, checked)  # (if it was first asked for since)
        if saved_key == checked.key and saved_pages == found:
            return
        if cache.store(self.cache_dir / "pages.pickle", checked.key, pages):
            _SAVED[str(self.cache_dir)] = (checked.key, found)

    def _read_job(self) -> outputs.ReadJob:
        project = self._project()
        settings = project.settings
        index = self._checks().wording  # (built or read only now)
        return outputs.ReadJob(settings.root, project.registry, self.context, index, settings.severity)

    def _take_all(self) -> None:
        """Every curated page read ahead and not rendered yet (their findings are reported when they are);
        not those rendered already, whose checks are taken in on_env."""
        if self.outputs is not None:
            for uri, read in self.outputs.pages(leave=set(self.deferred)).items():
                self.curated[uri] = read.page
                self.pending[uri] = read

    def _collect_twin(self, markdown: str, citations: list, page: MkPage, config: MkDocsConfig) -> None:  # type: ignore[type-arg]
        """What the page's markdown twin needs; generated pages get a plain-markdown body instead."""
        project = self._project()
        uri = page.file.src_uri
        body = markdown
        if uri == self.config.sources_page:
            body, citations = render.sources_markdown(project.registry, project.accounts), []
        elif uri == self.config.disagreements_page and self._reconciles():
            report = self._checks().report
            assert report is not None  # (the accounts are reconciled)
            body = render.disagreements_page(report, project.registry, project.accounts, plain=True)
            body, citations = body.split("\n---\n", 1)[1], []
        meta = page.meta
        title = str(meta.get("title") or page.title or "")
        self.twins[uri] = _twin_page(config, page.file, page.url, meta, title, body, citations)
        meta["twin_url"] = get_relative_url(agents.twin_paths(page.url)[0], page.url)

    def _generated_uris(self) -> set[str]:
        return {self.config.sources_page, self.config.disagreements_page, self.config.source_audit_page}

    def _touched(self, markdown: str, first_line: int) -> list:  # type: ignore[type-arg]
        """Registered disagreements (not false alarms) the page speaks of, in order of first mention
        (for a page another plugin changed: a curated page's come with it as read)."""
        self._checks()
        assert self.context is not None
        ids: list[str] = []
        for paragraph in claims.paragraphs(markdown, first_line):
            for touch in guard.touches(paragraph, self.context):
                if touch.conflict_id not in ids:
                    ids.append(touch.conflict_id)
        return self._entries(ids)

    def _entries(self, ids: list[str]) -> list:  # type: ignore[type-arg]
        entries = self._project().register.entries
        return [entries[i] for i in ids if i in entries and entries[i].verdict != "not a conflict"]

    def on_page_content(self, html: str, *, page: MkPage, config: MkDocsConfig, files: Files) -> str:
        stash = self.stashes.pop(page.file.src_uri, None)
        if stash is None:
            return html
        full, for_search = stash.restore_both(html)
        if for_search is not full:
            self.search_content[page.file.src_uri] = (full, for_search)
        return full

    @event_priority(100)
    def _on_page_context_lighten(self, context: Any, *, page: MkPage, config: MkDocsConfig, nav: Navigation) -> Any:
        # The search index needs the prose, not the citation marks and reference lists around it:
        # show search a lighter page, and put the full one back after it has indexed.
        # (A page another plugin changed after us keeps its HTML: its citation marks and reference
        # list still carry data-search-exclude.)
        full, light = self.search_content.get(page.file.src_uri, (None, None))
        if light is not None and page.content is full:
            page.content = light
        return context

    @event_priority(-100)
    def _on_page_context_restore(self, context: Any, *, page: MkPage, config: MkDocsConfig, nav: Navigation) -> Any:
        full, light = self.search_content.pop(page.file.src_uri, (None, None))
        if full is not None and page.content is light:
            page.content = full
        return context

    on_page_context = CombinedEvent(_on_page_context_lighten, _on_page_context_restore)

    def on_post_page(self, output: str, *, page: MkPage, config: MkDocsConfig) -> str:
        twin = page.meta.get("twin_url")
        person = page.meta.get("person")
        if isinstance(person, dict) and person.get("name") and "</head>" in output:
            block = jsonld.profile_page(
                person, self._project().registry, _absolute(config, page.url),
                str(page.meta.get("description") or ""), str(page.meta.get("last_reviewed") or ""),
            )  # fmt: skip
            output = output.replace("</head>", f"  {block}\n</head>", 1)
        if twin and "</head>" in output:
            link = f'<link rel="alternate" type="text/markdown" href="{twin}" title="This page as Markdown">'
            output = output.replace("</head>", f"  {link}\n</head>", 1)
        # The theme's search dialog has no accessible name (axe: aria-dialog-name).
        output = output.replace(
            'data-md-component="search" role="dialog">',
            'data-md-component="search" role="dialog" aria-label="Search">',
            1,
        )
        self._write_twin(page.file.src_uri, config)
        return csp.add_policy(output)

    def _write_twin(self, uri: str, config: MkDocsConfig) -> None:
        """Send the page's twin to be rendered and written (by the helper process, see outputs)."""
        twin = self.twins.get(uri)
        if self.outputs is None or twin is None or uri in self.twins_sent:
            return
        self.twins_sent.add(uri)
        targets = [os.path.join(config.site_dir, path) for path in agents.twin_paths(twin.page_url)]
        if uri in self.as_read and uri not in self.unchanged:
            self.outputs.send("twin_as_read", replace(twin, markdown="", citations=[]), targets, False)
        elif uri in self.first_lines:  # (rendered in this build; its citations are found there again, not pickled)
            self.outputs.send("twin_cited", replace(twin, citations=[]), targets, False, self.first_lines[uri])
        else:
            self.outputs.send("twin", twin, targets, uri in self.unchanged)

    def _unchanged_twin(self, file: File, config: MkDocsConfig) -> None:
        """The twin of a page a dirty build did not render: its metadata from the source, its text from
        the twin written last time (rendered afresh if there is none)."""
        page = self.curated.get(file.src_uri)
        if page is None:
            page = Page(path=Path(file.src_uri), rel_path=file.src_uri)
            page = parse_page_text(page, file.content_string)
        citations = [] if file.generated_by else checks.page_citations(page)[0]
        title = str(page.meta.get("title") or file.name)
        self.twins[file.src_uri] = _twin_page(config, file, file.url, page.meta, title, page.body, citations)
        self.unchanged.add(file.src_uri)

    def on_build_error(self, *, error: Exception) -> None:
        if self.outputs is not None:
            self.outputs.abort()
            self.outputs = None

    def _finish_outputs(self) -> None:
        """Wait for every twin and llms-full.txt; a failed write fails the build."""
        if self.outputs is None:
            return
        work, self.outputs = self.outputs, None
        try:
            work.close()
        except outputs.OutputError as exc:
            raise PluginError(f"markdown twins: {exc}") from None

    def on_post_template(self, output_content: str, *, template_name: str, config: MkDocsConfig) -> str:
        return csp.add_policy(output_content) if template_name.endswith(".html") else output_content

    def on_env(self, env: Any, *, config: MkDocsConfig, files: Files) -> Any:
        self._checks()  # (the helper's, waited for)
        self._take_deferred(config)
        self._take_all()  # pages read ahead that MkDocs did not render (their findings are not reported)
        self.pending = {}
        self._save_checks()  # (every page is read by now; kept even when the build fails below)
        project = self._project()
        found = checks.check_whole_site(project, self.curated.values(), self.context is not None)
        self._report(checks.adjust(found, project.settings.severity))
        if self.errors:
            raise PluginError(f"{self.errors} citation or source errors (listed above); the site was not written")
        return env

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        if not self.config.agent_outputs:
            self._finish_outputs()
            return
        project = self._project()
        site = Path(config.site_dir)
        site_url = (config.site_url or "/").rstrip("/") + "/"
        for file in self.files.documentation_pages() if self.files else []:
            if file.src_uri not in self.twins:  # a dirty build skipped it: its twin from the last build
                self._unchanged_twin(file, config)
        for uri in self.twins:
            self._write_twin(uri, config)
        ordered = self._nav_order()
        summary = config.site_description or config.site_name
        if self.outputs is not None:  # the helper writes llms-full.txt while the rest is written here
            self.outputs.send("full", site / "llms-full.txt", config.site_name, summary, ordered)
        twins: list[agents.TwinPage] = []
        for uri, section in ordered:
            twin = self.twins[uri]
            twin.section = section
            twins.append(twin)
        generated = self._generated_uris()
        pages = [self._entry(t) for t in twins if t.src_uri not in generated]
        optional = [self._entry(t) for t in twins if t.src_uri in generated]
        optional.append(
            agents.PageEntry("All pages in one file", site_url + "llms-full.txt", "every page above, in order")
        )
        optional.append(
            agents.PageEntry("Sources as JSON", site_url + "sources.json", "the registry, with a JSON Schema")
        )
        if self.report is not None:
            optional.append(
                agents.PageEntry("Disagreements as JSON", site_url + "conflicts.json", "the conflict register")
            )
        text = agents.llms_txt(config.site_name, summary, pages, optional)
        if len(text) > agents.LLMS_TXT_BUDGET:
            log.warning(f"llms.txt is {len(text)} characters, over the {agents.LLMS_TXT_BUDGET} budget")
        (site / "llms.txt").write_text(text, encoding="utf-8")
        (site / "sources.json").write_text(
            agents.dumps(agents.sources_json(project.registry, site_url)), encoding="utf-8"
        )
        (site / "sources.schema.json").write_text(agents.dumps(agents.SOURCES_SCHEMA), encoding="utf-8")
        if self.report is not None:
            data = agents.conflicts_json(self.report, site_url)
            (site / "conflicts.json").write_text(agents.dumps(data), encoding="utf-8")
            (site / "conflicts.schema.json").write_text(agents.dumps(agents.CONFLICTS_SCHEMA), encoding="utf-8")
        # (Not from `mkdocs serve`: it sets site_url to the preview server's address, which the
        # repository's copy must not take.)
        if self.config.llms_txt_copy and self.command != "serve":
            Path(project.settings.root, self.config.llms_txt_copy).write_text(text, encoding="utf-8")
        self._finish_outputs()

    def _entry(self, twin: agents.TwinPage) -> agents.PageEntry:
        return agents.PageEntry(twin.title, twin.twin_url, twin.description, twin.confidence, twin.section)

    def _nav_order(self) -> list[tuple[str, str]]:
        """(src_uri, section) of every page with a twin: nav order first, then pages outside the nav."""
        order: list[tuple[str, str]] = []

        def add(item: Any, section: str) -> None:
            if isinstance(item, Section):
                for child in item.children:
                    add(child, section if section != "Profile" else item.title)
            elif isinstance(item, MkPage) and item.file.src_uri in self.twins:
                order.append((item.file.src_uri, section))

        for item in self.nav.items if self.nav else []:
            add(item, "Profile")
        seen = {uri for uri, _ in order}
        order.extend((uri, "Other pages") for uri in sorted(self.twins) if uri not in seen)
        return order

    def _report(self, diagnostics: list[Diagnostic]) -> None:
        if not diagnostics:
            return
        self.findings.extend(diagnostics)
        for diagnostic in sorted(set(diagnostics), key=Diagnostic.sort_key):  # (each written only if shown)
            if diagnostic.severity == "error":
                self.errors += 1
                log.error("%s", diagnostic)
            elif diagnostic.severity == "warning":
                log.warning("%s", diagnostic)
            else:
                log.info("%s", diagnostic)

    def _project(self) -> Project:
        if self.project is None:
            raise PluginError("the provenance plugin was not configured")
        return self.project


NOTICE_SLOT = "<!--provenance:notice-->"  # where a page's notice of disagreements goes, once known
# A heading of level 1 as Python-Markdown reads it: '# Title' (the space may be left out), or a line
# underlined with '=' (not code, which starts with four spaces or a tab, nor a '#' heading).
_LEADING_H1 = re.compile(r"\A\n*(?:#(?!#)[^\n]*|(?![ ]{4}|\t|#)[^\n]*\S[^\n]*\n=+[ ]*)(?:\n|\Z)")


def _first_block(markdown: str, block: str) -> str:
    """The block first on the page, after the page's heading if it opens with one (MkDocs takes the
    title of a page without one in its front matter from a heading of level 1 that comes first)."""
    heading = _LEADING_H1.match(markdown)
    if heading is None:
        return block + "\n\n" + markdown
    return markdown[: heading.end()].rstrip("\n") + "\n\n" + block + "\n\n" + markdown[heading.end() :]


def _fill_slot(html: str, notice: str) -> str:
    """The page's HTML with its notice in the slot (without it, and the line break after it, if none)."""
    at = html.find(NOTICE_SLOT)
    if at < 0:
        return html
    end = at + len(NOTICE_SLOT)
    if not notice and html.startswith("\n", end):
        end += 1
    return html[:at] + notice + html[end:]


def _body(content: str) -> str:
    """A generated page's markdown as MkDocs hands it to plugins: without its front matter."""
    return parse_page_text(Page(Path(""), ""), content).body.lstrip("\n")


def _state(entry: Any) -> str:
    preferred = next((v.value for v in entry.values if v.rank == "preferred"), None)
    return f"we use {preferred}" if preferred else ("open" if entry.verdict == "conflict" else "reconciled")


def _twin_url(html_url: str) -> str:
    return html_url.rstrip("/") + ".md" if html_url.endswith("/") else html_url + ".md"


def _absolute(config: MkDocsConfig, url: str) -> str:
    base = (config.site_url or "/").rstrip("/") + "/"
    return base + url


def _twin_page(
    config: MkDocsConfig,
    file: File,
    url: str,
    meta: dict,
    title: str,
    body: str,
    citations: list,  # type: ignore[type-arg]
) -> agents.TwinPage:
    """What a page's markdown twin is made from."""
    return agents.TwinPage(
        src_uri=file.src_uri,
        title=title,
        description=str(meta.get("description") or ""),
        html_url=_absolute(config, url),
        twin_url=_absolute(config, agents.twin_paths(url)[0]),
        markdown=body,
        citations=citations,
        confidence=str(meta.get("confidence") or ""),
        depth=str(meta.get("depth") or ""),
        last_reviewed=str(meta.get("last_reviewed") or ""),
        generated=bool(file.generated_by),
        page_url=url,
    )


# Across builds in one process (mkdocs serve, the bench): generated pages' last content per site,
# and, for dirty builds, curated pages as parsed, by path, with the bytes they were parsed from.
_GENERATED: dict[tuple[str, str], str] = {}
_PARSED: dict[str, tuple[bytes, Page]] = {}
# Curated pages as read and checked, by path, with the project they were checked against: a full
# rebuild in `mkdocs serve` takes a page again when its bytes and the project are unchanged.
_READ: dict[str, tuple[Project, outputs.ReadPage]] = {}


# And the last build's checks of the project itself, by repository: a rebuild in `mkdocs serve` (or a
# dirty build) whose registry, accounts, register and gazetteer have not changed reuses them (the
# reconciliation of five accounts, 1,300 lines, and their wording index take about half a second).
# Builds in other processes find them on disk (the `cache` option, see _cached_checks).
_CHECKED: dict[str, kept_checks.ProjectChecks] = {}
# What each cache folder holds, as far as this process knows (key, (page path, digest) pairs): a build
# that changed nothing in it does not write it again.
_SAVED: dict[str, tuple[bytes | None, frozenset[tuple[str, bytes | None]]]] = {}


def forget_earlier_builds() -> None:
    """Drop what earlier builds in this process left (the next build starts cold, as a new process)."""
    _GENERATED.clear()
    _PARSED.clear()
    _CHECKED.clear()
    _READ.clear()
    _SAVED.clear()


def _load(path: str, project: Project) -> Page:
    """A curated page, parsed again only when its bytes changed (reading is cheap, parsing is not)."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return load_page(Path(path), project.settings.root)
    cached = _PARSED.get(path)
    if cached is not None and cached[0] == data:
        return cached[1]
    page = load_page(Path(path), project.settings.root, data)
    _PARSED[path] = (data, page)
    return page
