"""A second process for the build: it reads and checks the curated pages ahead of MkDocs, and it
renders and writes the markdown twins and llms-full.txt.

MkDocs renders pages on one core. Reading a page (front matter, citations) and checking it costs
about as much again as our part of rendering it, and creating a file costs more than rendering it
on some file systems (measured here: up to 0.8 ms for a new file, depending on the moment, against
0.02 ms for a hard link). A thread cannot take that work off the build (it waits for the
interpreter lock); a second process can, on another core. The helper is a fresh interpreter that
imports this module, never the caller's main module. Where no process can be started, the same
work is done in-process. A helper that fails mid-build fails the build with its error (twins would
be missing), after the pages it did not send back are read in-process.

A first build (no checks of the project kept) also has the helper check and reconcile the project
(as the parent loaded it) while MkDocs renders the pages: it sends the parent the findings, the
conflict context and the report, then indexes the accounts' wording (kept on disk for later builds)
and reads the pages with a job it made itself. With its start, that takes longer than MkDocs' first
pass over this profile's pages (reading and rendering their markdown), so the parent does not wait
for a page's checks until it has rendered them all (then checks pages itself while it waits), and
takes them before it writes any page (see the plugin).

The parent sends pickled messages on the helper's stdin (it trusts only its parent). Pages read
ahead come back on its stdout, in the order asked, as length-prefixed pickles, from a thread of
their own, so the helper never stops reading its stdin; before each page the helper says which one
it is reading. The parent takes what has arrived; a page the helper is reading at that moment is
waited for (reading it again would take longer); any other page it reads itself (while the helper
starts up, on a small site, or if it fails), and tells the helper, which skips it. The helper
reports what failed on stderr once its stdin is closed, and exits 1 if anything did.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import select
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from build_tools import agents, checks, claims
from build_tools import kept as kept_checks
from build_tools.diagnostics import Diagnostic
from build_tools.docs import Page, find_citations, load_page
from build_tools.project import Project
from build_tools.registry import Registry

MAX_REPORTED = 20
_READING = "reading"  # in place of a page read ahead: the helper has begun reading this page
_PROJECT = "\0project"  # in place of a page's path: the helper's checks of the project itself
_PACKAGE_ROOT = Path(__file__).resolve().parents[1]
_HELPER = f"import sys; sys.path.insert(0, {str(_PACKAGE_ROOT)!r}); from build_tools.outputs import main; main()"


class OutputError(Exception):
    """Some twins could not be written; the message says which and why."""


def write_all(targets: list[Path], text: str) -> None:
    """Write the text to the first target; the others become hard links to it (no new file to
    create), or copies where links are not supported."""
    first, *others = targets
    first.parent.mkdir(parents=True, exist_ok=True)
    first.write_text(text, encoding="utf-8")
    for target in others:
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            if target.exists() or target.is_symlink():
                target.unlink()
            os.link(first, target)
        except OSError:
            target.write_text(text, encoding="utf-8")


@dataclass
class ReadJob:
    """What reading and checking the curated pages needs: the repository, the registry, the
    conflict register and the accounts' wording, and the site's severities."""

    root: Path
    registry: Registry
    context: Any = None  # guard.ConflictContext
    accounts: Any = None  # wording.AccountIndex
    severity: dict[str, str] = field(default_factory=dict)

    def read(self, path: str, page: Page | None = None) -> ReadPage:
        """Read, check and rate the page at `path` (or `page`, parsed from it already)."""
        digest = None
        if page is None:
            try:
                data: bytes | None = Path(path).read_bytes()
            except OSError:
                data = None  # (load_page says why)
            page = load_page(Path(path), self.root, data)
            digest = source_digest(data) if data is not None and not page.error else None
        touched = checks.page_touches(page, self.context) if not page.error else []
        found = checks.check_page(page, self.registry, self.context, self.accounts, touched=touched)
        found = checks.adjust(found, self.severity)
        citations = checks.page_citations(page)[0]
        weakest = claims.weakest_paragraph(page.body, page.body_start, citations, self.registry)
        conflicts = list(dict.fromkeys(touch.conflict_id for paragraph in touched for touch in paragraph))
        return ReadPage(page, found, claims.rationale(citations, self.registry, weakest), conflicts, digest)


def source_digest(data: bytes) -> bytes:
    """What a page was read from, in 16 bytes (to tell whether it has changed since)."""
    return hashlib.blake2b(data, digest_size=16).digest()


@dataclass
class ReadPage:
    """A curated page as read ahead: parsed, its findings, and the reason for its badge."""

    page: Page
    diagnostics: list[Diagnostic]
    confidence_why: str
    conflicts: list[str] = field(default_factory=list)  # the conflicts it speaks of, by first mention
    digest: bytes | None = None  # of the bytes it was read from (None: not known)
    ahead: bool = False  # read by the helper, which keeps the page (its twin need not be sent whole)


class TwinWork:
    """Renders each twin, writes it, and at the end writes llms-full.txt from all of them."""

    def __init__(self) -> None:
        self.registry = Registry()
        self.twin_of: dict[str, str] = {}
        self.sources_twin = ""
        self.texts: dict[str, tuple[agents.TwinPage, str]] = {}
        self.read: dict[str, Page] = {}  # pages read ahead, by src_uri
        self.taken: set[str] = set()  # pages the parent has read itself: not to be read here
        self.job: ReadJob | None = None  # made here, when the project is checked here (see check_project)
        self.failures: list[str] = []
        self.failed = 0

    def check_project(self, project: Project, key: bytes | None, out: IO[bytes]) -> None:
        """Check and reconcile the project (as the parent loaded it), send the parent what it needs of
        that, then index the accounts' wording (kept beside the checks) for the pages it will be asked
        to read. On any failure the parent is sent None, and does it all itself (meeting the problem
        there)."""
        settings = project.settings
        try:
            done = kept_checks.check(project, key)
            payload: tuple[Any, ...] | None = (done.findings, done.context, done.report)
        except Exception:
            done, payload = None, None
        try:
            _send(out, _PROJECT, payload)
        except (OSError, ValueError):
            return  # the parent has stopped listening
        if done is None:
            return
        done.folder = settings.cache_dir
        index = done.wording  # (kept by an earlier build under the same key, or built now)
        if settings.cache_dir is not None:
            kept_checks.store_wording(settings.cache_dir, done)
        self.job = ReadJob(settings.root, project.registry, done.context, index, settings.severity)

    def handle(self, message: tuple[Any, ...]) -> None:
        kind, *args = message
        try:
            getattr(self, f"_{kind}")(*args)
        except Exception as exc:  # reported at the end; one bad page must not hide the others
            self.failed += 1
            if len(self.failures) < MAX_REPORTED:
                where = args[0].src_uri if args and isinstance(args[0], agents.TwinPage) else kind
                self.failures.append(f"{where}: {getattr(exc, 'strerror', None) or exc}")

    def _taken(self, uri: str) -> None:
        self.taken.add(uri)

    def _context(self, registry: Registry, twin_of: dict[str, str], sources_twin: str) -> None:
        self.registry, self.twin_of, self.sources_twin = registry, twin_of, sources_twin

    def _twin(self, page: agents.TwinPage, paths: list[str], reuse: bool) -> None:
        """Render and write a page's twin; `reuse` keeps the twin already written for a page a dirty
        build did not render."""
        targets = [Path(path) for path in paths]
        if reuse and targets[0].is_file():
            text = targets[0].read_text(encoding="utf-8")
        else:
            text = agents.render_twin(page, self.registry, self.twin_of, self.sources_twin)
            write_all(targets, text)
        self.texts[page.src_uri] = (page, text)

    def _twin_as_read(self, page: agents.TwinPage, paths: list[str], reuse: bool) -> None:
        """A page's twin whose markdown and citations are the page's as read ahead (not sent again)."""
        read = self.read[page.src_uri]
        page.markdown, page.citations = read.body, checks.page_citations(read)[0]
        self._twin(page, paths, reuse)

    def _twin_cited(self, page: agents.TwinPage, paths: list[str], reuse: bool, first_line: int) -> None:
        """A page's twin whose citations are found here, in the markdown sent: the same as the parent
        found in it, starting at the same line. Finding them again here spares the parent pickling them."""
        page.citations = find_citations(page.markdown, first_line)[0]
        self._twin(page, paths, reuse)

    def _full(self, path: Path, site_name: str, summary: str, order: list[tuple[str, str]]) -> None:
        rendered = []
        for uri, section in order:
            page, text = self.texts[uri]
            page.section = section
            rendered.append((page, text))
        path.write_text(agents.llms_full(site_name, summary, rendered), encoding="utf-8")

    def report(self) -> str:
        if not self.failed:
            return ""
        more = f" (and {self.failed - len(self.failures)} more)" if self.failed > len(self.failures) else ""
        return "; ".join(self.failures) + more


class Outputs:
    """The parent's side: sends the work to the helper (or does it here), `close` waits and reports."""

    def __init__(self, in_process: bool = False) -> None:
        self.local: TwinWork | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.job: ReadJob | None = None
        self.paths: dict[str, str] = {}  # pages asked for, not yet taken: src_uri -> path
        self.ahead: dict[str, ReadPage] = {}  # pages read ahead, not yet taken
        self.results: int | None = None  # the helper's stdout (non-blocking) while it may send pages
        self.received = bytearray()
        self.reading: str | None = None  # the page the helper said it is reading now
        self.checking = False  # whether the helper was asked to check the project (see check_project)
        self.helper_checks: tuple[Any, ...] | None = None  # what it sent back (see project_checks)
        if not in_process and sys.executable:
            try:
                self.process = subprocess.Popen(
                    [sys.executable, "-c", _HELPER],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                )
            except OSError:
                self.process = None
        if self.process is None:
            self.local = TwinWork()
        else:
            for pipe in (self.process.stdin, self.process.stdout):
                if pipe is not None:
                    _widen(pipe)
            try:
                assert self.process.stdout is not None
                os.set_blocking(self.process.stdout.fileno(), False)
                self.results = self.process.stdout.fileno()
            except (AttributeError, OSError):
                self.results = None  # no reading ahead: pages are read here

    def check_project(self, project: Project, key: bytes | None) -> bool:
        """Have the helper check and reconcile the project (loaded, without its pages) while the build
        goes on (see project_checks); whether it was asked. It then reads pages with a job of its own."""
        self._tell("project", project, key)
        self.checking = self.results is not None
        return self.checking

    def checks_arrived(self) -> bool:
        """Whether the helper's checks of the project have arrived (or will not come)."""
        self._receive()
        return not self.checking or self.results is None

    def project_checks(self) -> tuple[Any, ...] | None:
        """The helper's checks of the project: (findings, conflict context, report), waited for.
        None if it failed or is gone: the project is then checked here."""
        while self.checking and self.results is not None:
            select.select([self.results], [], [], 0.1)
            self._receive()
        self.checking = False
        return self.helper_checks

    def read_ahead(self, job: ReadJob | Callable[[], ReadJob] | None, pages: list[tuple[str, str]]) -> None:
        """Start reading and checking these pages, (src_uri, path) in the order they will be asked for.
        `job` may be a function that makes it: the helper then reads with the job it made when it
        checked the project, and the function is called only if a page must be read here."""
        self.job, self.paths, self.ahead = job, dict(pages), {}
        if pages and job is not None:  # (if the helper is gone, the pages are read here)
            self._tell("read", None if callable(job) else job, pages)

    def arrived(self, uri: str) -> ReadPage | None:
        """The page, if the helper has sent it already (taken; never waited for)."""
        self._receive()
        return self._take(uri) if uri in self.ahead else None

    def _take(self, uri: str) -> ReadPage:
        """A page the helper has sent."""
        read = self.ahead.pop(uri)
        del self.paths[uri]
        read.ahead = True
        return read

    def page(self, uri: str, wait: float = 0.0) -> ReadPage | None:
        """The page as read ahead. A page the helper is reading now is waited for (it would take
        longer to read again), and so is every page while the helper checks the project to read them
        with a job of its own (see _starting); one it has not begun (it is starting up, or behind, or
        gone) is read here, and the helper is told to skip it. `wait`: seconds to wait for the helper
        in any case. None for a page not asked for."""
        path = self.paths.get(uri)
        if path is None or self.job is None:
            return None
        self._receive()
        while (
            uri not in self.ahead and (wait > 0 or self.reading == uri or self._starting()) and self.results is not None
        ):
            select.select([self.results], [], [], min(wait, 0.1) if wait > 0 else 0.1)
            wait -= 0.1
            self._receive()
        return self._take(uri) if uri in self.ahead else self._here(uri)

    def take(self, uris: list[str]) -> dict[str, ReadPage]:
        """These pages (those asked for and not taken yet): each as the helper sent it, or read here.
        While none has arrived, the last one the helper has not begun is read here, so that the two
        processes meet in the middle (the helper reads in order)."""
        left = [uri for uri in uris if uri in self.paths]
        found: dict[str, ReadPage] = {}
        while left:
            self._receive()
            arrived = [uri for uri in left if uri in self.ahead]
            for uri in arrived:
                left.remove(uri)
                found[uri] = self._take(uri)
            if arrived:
                continue
            if self.reading == left[-1] and self.results is not None:  # the others have arrived or are taken
                select.select([self.results], [], [], 0.1)
                continue
            uri = left.pop()
            found[uri] = self._here(uri)
        return found

    def claim(self, uri: str) -> str | None:
        """The path of a page the helper has not begun, which the caller reads itself (the helper is
        told to skip it); None if it has begun it (or sent it)."""
        self._receive()
        if uri not in self.paths or uri in self.ahead or self.reading == uri:
            return None
        self._tell("taken", uri)
        return self.paths.pop(uri)

    def _here(self, uri: str) -> ReadPage:
        """Read a page here; the helper is told to skip it."""
        path = self.paths.pop(uri)
        self._tell("taken", uri)
        if callable(self.job):
            self.job = self.job()
        assert self.job is not None
        return self.job.read(path)

    def _starting(self) -> bool:
        """Whether the helper is about to read with the job it makes (checking the project, indexing the
        accounts' wording): its pages are waited for, as reading one here would need the same work."""
        return callable(self.job) and self.reading is None and (self.checking or self.helper_checks is not None)

    def pages(self, leave: set[str] | frozenset[str] = frozenset()) -> dict[str, ReadPage]:
        """Every page asked for and not taken yet (but those to `leave` for later)."""
        uris = [uri for uri in self.paths if uri not in leave]
        return {uri: read for uri in uris if (read := self.page(uri)) is not None}

    def _receive(self) -> None:
        """Take what the helper has sent so far: frames of a 4-byte length and a pickled (src_uri,
        ReadPage or None)."""
        while self.results is not None:
            try:
                data = os.read(self.results, 1 << 20)
            except BlockingIOError:
                break
            except OSError:
                data = b""
            if not data:  # all sent, or the helper is gone (close() says why)
                self.results = None
                break
            self.received += data
        received, at = self.received, 0
        while len(received) - at >= 4:
            size = int.from_bytes(received[at : at + 4], "little")
            if len(received) - at - 4 < size:
                break
            try:
                uri, read = pickle.loads(received[at + 4 : at + 4 + size])
            except Exception:  # garbled: the rest is read here
                uri, read, self.results = "", None, None
            at += 4 + size
            if uri == _PROJECT:
                self.helper_checks, self.checking = read, False
            elif read == _READING:
                self.reading = uri
            elif read is not None and uri in self.paths:  # (a page read here meanwhile is not kept)
                self.ahead[uri] = read
        del received[:at]

    def _tell(self, *message: Any) -> None:
        """A message about reading ahead, which the helper needs whole and now (the pipe is flushed);
        none when pages are not read ahead."""
        if self.process is not None and self.process.stdin is not None and self.results is not None:
            try:
                pickle.dump(message, self.process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
                self.process.stdin.flush()
            except OSError:
                pass  # the helper is gone; close() says why

    def send(self, *message: Any) -> None:
        if self.process is not None and self.process.stdin is not None:
            try:
                pickle.dump(message, self.process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
                return
            except OSError:
                pass  # the helper is gone; close() says why
        if self.local is not None:
            self.local.handle(message)

    def close(self) -> None:
        """Wait for every twin and llms-full.txt; raise OutputError if any could not be written."""
        process, self.process = self.process, None
        report = self.local.report() if self.local else ""
        if process is not None:
            self._stop_reading(process)
            try:
                _, stderr = process.communicate()
            except OSError as exc:
                process.kill()
                process.wait()
                raise OutputError(f"the helper process failed: {exc}") from None
            if process.returncode != 0:
                report = stderr.decode("utf-8", "replace").strip()
                if "Traceback (most recent call last)" in report:  # it crashed: its last line says why
                    report = "the helper process failed: " + report.splitlines()[-1]
                report = report or f"the helper process stopped (exit code {process.returncode})"
        if report:
            raise OutputError(report)

    def _stop_reading(self, process: subprocess.Popen[bytes]) -> None:
        """Pages still to come are not needed: the helper's reading stops at its next page."""
        self.results = None
        if process.stdout is not None:
            process.stdout.close()

    def abort(self) -> None:
        """Stop without waiting (the build failed)."""
        process, self.process = self.process, None
        if process is not None:
            self._stop_reading(process)
            process.kill()
            process.communicate()


def _widen(pipe: IO[bytes]) -> None:
    """A larger pipe (Linux), so the build does not wait while the helper starts up."""
    try:
        import fcntl

        fcntl.fcntl(pipe.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (ImportError, OSError, ValueError):
        pass


def _read_pages(
    job: ReadJob, pages: list[tuple[str, str]], out: IO[bytes], kept: dict[str, Page], taken: set[str]
) -> None:
    """The helper's reading thread: each page read and checked, sent back as soon as it is (and said
    before it is begun); a page the parent has taken is skipped. The stream ends after the last page,
    or at the first failure: either way the parent reads what it has not received itself."""
    try:
        for uri, path in pages:
            if uri in taken:
                continue
            _send(out, uri, _READING)
            try:
                read = job.read(path)
            except Exception:  # the parent reads this page again itself, and meets the problem there
                _send(out, uri, None)
                continue
            kept[uri] = read.page
            _send(out, uri, read)
    except (OSError, ValueError):
        pass  # the parent has stopped listening
    finally:
        try:
            out.close()
        except OSError:
            pass


def _send(out: IO[bytes], uri: str, payload: Any) -> None:
    """One frame to the parent: a 4-byte length and a pickled (src_uri, payload), flushed."""
    data = pickle.dumps((uri, payload), protocol=pickle.HIGHEST_PROTOCOL)
    out.write(len(data).to_bytes(4, "little") + data)
    out.flush()


def main() -> None:
    """The helper process: serve, then exit at once. Every file it wrote is closed by then, and the
    interpreter's tear-down (tens of milliseconds, more with a large site in memory) would only keep
    the build waiting."""
    code = serve()
    sys.stderr.flush()
    os._exit(code)


def serve(jobs: IO[bytes] | None = None, errors: IO[str] | None = None, results: IO[bytes] | None = None) -> int:
    """The helper's loop: do every job sent, then report what failed."""
    jobs = jobs or sys.stdin.buffer
    errors = errors or sys.stderr
    if results is None:  # stdout carries the pages read ahead; nothing else may be printed on it
        results, sys.stdout = sys.stdout.buffer, sys.stderr
    work = TwinWork()
    readers: list[threading.Thread] = []
    while True:
        try:
            message = pickle.load(jobs)
        except EOFError:
            break
        if message[0] == "project":
            work.check_project(*message[1:], results)
        elif message[0] == "read":
            job = message[1] or work.job  # (None: the job made here, with the project's checks)
            if job is not None:  # (if there is none, the parent reads every page itself)
                args = (job, message[2], results, work.read, work.taken)
                readers.append(threading.Thread(target=_read_pages, args=args, daemon=True))
                readers[-1].start()
        else:
            work.handle(message)
    for reader in readers:
        reader.join()
    report = work.report()
    if report:
        print(report, file=errors)
    return 1 if report else 0
