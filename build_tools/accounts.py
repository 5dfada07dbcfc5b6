"""Raw accounts: their metadata records, their reference lists and their inline reference markers.

An account is a read-only text. Its metadata (sources/accounts.yml) says how it numbers its
sources, so that one parser per style serves any subject:

- ``bracketed``: inline markers like ``[55]`` or ``[55][56]``, and a list of ``- [55] entry`` lines
  after a heading line, optionally under ``#Tier N`` headings;
- ``numbered``: a list of ``N. Title`` lines after a heading, each ending in ``kind · YYYY-MM-DD``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from build_tools import yamlio
from build_tools.dates import first_date
from build_tools.diagnostics import Diagnostic

STYLES = ("bracketed", "numbered", "none")


@dataclass(frozen=True)
class KindRule:
    """How a ``numbered`` list's kind word maps to a source kind and a tier."""

    kind: str
    tier: int


@dataclass(frozen=True)
class Account:
    """One raw account and how to read its references."""

    id: str
    path: Path
    rel_path: str
    title: str
    kind: str
    produced_by: str
    tier: int
    sha256: str
    style: str = "none"
    list_heading: str = ""
    kinds: Mapping[str, KindRule] = field(default_factory=dict)
    inline_markers_resolve: bool = True
    line: int = 1

    def read_text(self) -> str:
        return self.path.read_bytes().decode("utf-8", errors="replace")


@dataclass(frozen=True)
class ReferenceEntry:
    """One entry of an account's source list, as the account writes it."""

    account: str
    ref: str
    line: int
    text: str
    title: str
    url: str | None
    date: str | None
    tier: int | None
    heading_tier: str | None
    kind: str
    publisher: str | None


@dataclass(frozen=True)
class InlineMarker:
    """A numbered reference marker in an account's text, like ``[55]``."""

    account: str
    ref: str
    line: int
    column: int


def load_accounts(meta_path: Path, root: Path) -> tuple[list[Account], list[Diagnostic]]:
    """Load sources/accounts.yml. Paths in it are relative to its own folder."""
    rel = _rel(meta_path, root)
    try:
        data = yamlio.load(meta_path)
    except FileNotFoundError:
        return [], [Diagnostic(rel, 1, "A001", "error", "account metadata file is missing")]
    except yamlio.YamlError as exc:
        return [], [Diagnostic(rel, exc.line, "A002", "error", exc.message)]
    entries = data.get("accounts") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return [], [Diagnostic(rel, 1, "A002", "error", "expected a top-level 'accounts:' list")]
    accounts: list[Account] = []
    diagnostics: list[Diagnostic] = []
    seen: set[str] = set()
    for entry in entries:
        line = yamlio.line_of(entry)
        if not isinstance(entry, dict):
            diagnostics.append(Diagnostic(rel, line, "A002", "error", "each account must be a mapping"))
            continue
        problems = [k for k in ("id", "file", "title", "kind", "tier", "sha256") if not entry.get(k)]
        if problems:
            missing = ", ".join(f"'{p}'" for p in problems)
            diagnostics.append(Diagnostic(rel, line, "A002", "error", f"account is missing {missing}"))
            continue
        account_id = str(entry["id"])
        if account_id in seen:
            diagnostics.append(Diagnostic(rel, line, "A002", "error", f"duplicate account id '{account_id}'"))
            continue
        seen.add(account_id)
        refs = entry.get("references") or {}
        style = str(refs.get("style", "none")) if isinstance(refs, dict) else "none"
        if style not in STYLES:
            diagnostics.append(
                Diagnostic(
                    rel, line, "A002", "error", f"unknown reference style '{style}' (one of {', '.join(STYLES)})"
                )
            )
            style = "none"
        kinds = {}
        if isinstance(refs, dict) and isinstance(refs.get("kinds"), dict):
            for word, rule in refs["kinds"].items():
                if isinstance(rule, dict) and rule.get("kind") and rule.get("tier") in (1, 2, 3):
                    kinds[str(word)] = KindRule(str(rule["kind"]), int(rule["tier"]))
                else:
                    diagnostics.append(
                        Diagnostic(
                            rel,
                            yamlio.line_of(rule, line),
                            "A002",
                            "error",
                            f"kind '{word}' needs 'kind' and a 'tier' of 1, 2 or 3",
                        )
                    )
        path = (meta_path.parent / str(entry["file"])).resolve()
        accounts.append(
            Account(
                id=account_id,
                path=path,
                rel_path=_rel(path, root),
                title=str(entry["title"]),
                kind=str(entry["kind"]),
                produced_by=str(entry.get("produced_by", "")),
                tier=int(entry["tier"]) if str(entry["tier"]).isdigit() else 3,
                sha256=str(entry["sha256"]),
                style=style,
                list_heading=str(refs.get("list_heading", "")) if isinstance(refs, dict) else "",
                kinds=kinds,
                inline_markers_resolve=bool(refs.get("inline_markers_resolve", True))
                if isinstance(refs, dict)
                else True,
                line=line,
            )
        )
    return accounts, diagnostics


def check_account_files(accounts: list[Account], meta_rel: str) -> Iterator[Diagnostic]:
    """Each account file exists and still has the bytes its record was made from."""
    for account in accounts:
        if not account.path.is_file():
            yield Diagnostic(meta_rel, account.line, "A003", "error", f"account file '{account.rel_path}' is missing")
            continue
        digest = hashlib.sha256(account.path.read_bytes()).hexdigest()
        if digest != account.sha256:
            yield Diagnostic(
                account.rel_path,
                1,
                "A004",
                "error",
                f"account '{account.id}' has changed (sha256 {digest[:12]}…, recorded {account.sha256[:12]}…): "
                "accounts are read-only inputs; restore the original bytes",
            )


_HEADING_TIER = re.compile(r"^#+\s*Tier\s+(\d+(?:\.\d+)?)", re.I)
_BRACKET_ENTRY = re.compile(r"^\s*[-*]\s*\[(\d{1,4})\]\s+(.*\S)\s*$")
_NUMBERED_ENTRY = re.compile(r"^\s*(\d{1,4})\.\s+(.*\S)\s*$")
_ENTRY_TIER = re.compile(r"\s+[—–-]+\s+Tier\s+(\d(?:\.\d)?)\b\s*[;:,.]?\s*", re.I)
_MD_LINK = re.compile(r"\[((?:[^\[\]]|\[[^\[\]]*\])+)\]\((https?://[^\s)]+)\)")
_INLINE = re.compile(r"\[(\d{1,4}(?:\s*[-–]\s*\d{1,4})?(?:\s*,\s*\d{1,4}(?:\s*[-–]\s*\d{1,4})?)*)\](?!\()")


def split_at_list(account: Account, text: str) -> int:
    """The 0-based index of the line that starts the reference list (len(lines) if none)."""
    lines = text.split("\n")
    if not account.list_heading:
        return len(lines)
    for index, line in enumerate(lines):
        if line.strip().startswith(account.list_heading):
            return index
    return len(lines)


def parse_reference_list(account: Account, text: str) -> tuple[list[ReferenceEntry], list[Diagnostic]]:
    """The account's numbered source list, one entry per number, and what is wrong with it."""
    if account.style == "none":
        return [], []
    lines = text.split("\n")
    start = split_at_list(account, text)
    diagnostics: list[Diagnostic] = []
    if start == len(lines):
        diagnostics.append(
            Diagnostic(
                account.rel_path, 1, "A101", "warning", f"no line starts with the list heading '{account.list_heading}'"
            )
        )
        return [], diagnostics
    entries: list[ReferenceEntry] = []
    seen: dict[str, int] = {}
    heading_tier: str | None = None
    heading_line, heading_entries = 0, 0

    def close_heading() -> None:
        if heading_line and heading_entries == 0:
            diagnostics.append(
                Diagnostic(
                    account.rel_path,
                    heading_line,
                    "A106",
                    "note",
                    f"the 'Tier {heading_tier}' heading lists no sources",
                )
            )

    for index in range(start + 1, len(lines)):
        line_no = index + 1
        line = lines[index]
        heading = _HEADING_TIER.match(line.strip())
        if heading:
            close_heading()
            heading_tier, heading_line, heading_entries = heading.group(1), line_no, 0
            continue
        if account.style == "bracketed":
            match = _BRACKET_ENTRY.match(line)
            entry = _bracketed_entry(account, match, line_no, heading_tier, diagnostics) if match else None
        else:
            match = _NUMBERED_ENTRY.match(line)
            entry = _numbered_entry(account, match, line_no, diagnostics) if match else None
        if entry is None:
            continue
        heading_entries += 1
        if entry.ref in seen:
            diagnostics.append(
                Diagnostic(
                    account.rel_path,
                    line_no,
                    "A102",
                    "note",
                    f"account defines reference [{entry.ref}] twice (first at line {seen[entry.ref]}); the first is kept",
                )
            )
            continue
        seen[entry.ref] = line_no
        entries.append(entry)
    close_heading()
    return entries, diagnostics


def _bracketed_entry(
    account: Account, match: re.Match[str], line_no: int, heading_tier: str | None, diagnostics: list[Diagnostic]
) -> ReferenceEntry:
    ref, rest = match.group(1), match.group(2)
    url = None
    link = _MD_LINK.search(rest)
    if link:
        url = link.group(2)
        rest = rest[: link.start()] + link.group(1) + rest[link.end() :]
    label = _ENTRY_TIER.search(rest)
    if label:
        title = rest[: label.start()]
        own_tier: str | None = label.group(1)
    else:
        title = re.split(r";\s", rest, maxsplit=1)[0]
        own_tier = None
    tier_text = own_tier or heading_tier
    tier = int(tier_text) if tier_text in ("1", "2", "3") else None
    if own_tier and heading_tier and own_tier != heading_tier:
        diagnostics.append(
            Diagnostic(
                account.rel_path,
                line_no,
                "A103",
                "note",
                f"reference [{ref}] is labelled Tier {own_tier} but listed under a Tier {heading_tier} heading; "
                f"its own label is used",
            )
        )
    if tier is None:
        diagnostics.append(
            Diagnostic(
                account.rel_path,
                line_no,
                "A104",
                "note",
                f"reference [{ref}] has no tier of 1, 2 or 3 (label {tier_text or 'none'}); it is registered as tier 3",
            )
        )
        tier = 3
    title = title.strip().rstrip(";,.").strip()
    publisher, _ = split_publisher(title)
    return ReferenceEntry(
        account=account.id,
        ref=ref,
        line=line_no,
        text=match.group(2),
        title=title,
        url=url,
        date=first_date(title),
        tier=tier,
        heading_tier=heading_tier,
        kind=guess_kind(title),
        publisher=publisher,
    )


def _numbered_entry(
    account: Account, match: re.Match[str], line_no: int, diagnostics: list[Diagnostic]
) -> ReferenceEntry | None:
    ref, rest = match.group(1), match.group(2)
    words = "|".join(re.escape(w) for w in sorted(account.kinds, key=len, reverse=True))
    tail = re.search(r"(?P<kind>" + words + r")\s*·\s*(?P<date>\d{4}-\d{2}-\d{2})$", rest) if words else None
    if not tail:
        diagnostics.append(
            Diagnostic(
                account.rel_path,
                line_no,
                "A105",
                "note",
                f"entry {ref}. does not end in 'kind · YYYY-MM-DD'; kept as tier 3",
            )
        )
        return ReferenceEntry(account.id, ref, line_no, rest, rest, None, first_date(rest), 3, None, "web page", None)
    rule = account.kinds[tail.group("kind")]
    title = rest[: tail.start()].strip()
    return ReferenceEntry(
        account=account.id,
        ref=ref,
        line=line_no,
        text=rest,
        title=title,
        url=None,
        date=tail.group("date"),
        tier=rule.tier,
        heading_tier=None,
        kind=rule.kind,
        publisher=None,
    )


def find_inline_markers(account: Account, text: str) -> list[InlineMarker]:
    """Numbered markers in the account's text before its list; ranges like [32-37] expand."""
    if account.style == "none":
        return []
    markers: list[InlineMarker] = []
    lines = text.split("\n")
    for index, line in enumerate(lines[: split_at_list(account, text)]):
        for match in _INLINE.finditer(line):
            for ref in _expand(match.group(1)):
                markers.append(InlineMarker(account.id, ref, index + 1, match.start() + 1))
    return markers


def _expand(body: str) -> list[str]:
    refs: list[str] = []
    for part in body.split(","):
        bounds = re.split(r"\s*[-–]\s*", part.strip())
        if len(bounds) == 2 and int(bounds[0]) < int(bounds[1]) <= int(bounds[0]) + 50:
            refs.extend(str(n) for n in range(int(bounds[0]), int(bounds[1]) + 1))
        else:
            refs.append(bounds[0])
    return refs


_KIND_RULES: list[tuple[str, str]] = [
    (r"\bx/twitter\b|\btweet\b|\btwitter\b", "tweet"),
    (r"\bhacker news\b|\bgithub\b.*\bdiscussion\b", "forum thread"),
    (r"\.github\.io\b|\bmedium\b|\bblog\b|bearblog|substack|\bnewsletter\b|\bdynamically typed\b", "blog post"),
    (r"\bgithub\b", "repository"),
    (r"\bsemantic scholar\b", "citation index"),
    (r"\bwikipedia\b", "reference work"),
    (
        r"\bcnbc\b|\bfortune\b|\btechcrunch\b|\bbenzinga\b|\byahoo finance\b|\bcleantechnica\b|\btechtimes\b|\bieee spectrum\b",
        "press",
    ),
    (r"\bpodcast\b|\binterview\b", "interview"),
    (r"\btranscript\b", "transcript"),
    (r"\byoutube\b|\bvideo\b", "video"),
    (r"\barxiv\b|\bicml\b|\bneurips\b.*\bpaper\b|\bacl anthology\b|\bijcv\b|\bpaper\b|\bet al\.", "paper"),
    (r"\bworkshop\b|\bslides\b|\btalk\b|\bsession\b|\bkeynote\b|\bstartup school\b", "talk"),
    (r"\bdissertation\b|\bthesis\b|\bdigital repository\b|\bcatalog\b", "thesis record"),
    (r"\bsec edgar\b|\bcrunchbase\b|\bregistry\b", "company record"),
]


def guess_kind(title: str) -> str:
    """A source kind from the words in its title: tweet, repository, paper, press, ..."""
    lowered = title.lower()
    for pattern, kind in _KIND_RULES:
        if re.search(pattern, lowered):
            return kind
    return "web page"


def split_publisher(title: str) -> tuple[str | None, str]:
    """('Example Press', 'Ada Quill joins a lab, Feb 9 2023') from 'Example Press — Ada Quill joins ...'."""
    parts = re.split(r"\s+—\s+", title, maxsplit=1)
    if len(parts) == 2 and len(parts[0]) <= 60:
        return parts[0].strip(), parts[1].strip()
    return None, title


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
