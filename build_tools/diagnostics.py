"""One diagnostic type for every check, and its text, JSON and GitHub renderings."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from typing import Literal

Severity = Literal["error", "warning", "note"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "note")
FORMATS = ("text", "json", "github")


@dataclass(frozen=True)
class Diagnostic:
    """A finding at a place in a file: `path:line[:column]: CODE severity: message`."""

    path: str
    line: int
    code: str
    severity: Severity
    message: str
    column: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}"
        if self.column is not None:
            where += f":{self.column}"
        return f"{where}: {self.code} {self.severity}: {self.message}"

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line, self.column or 0, self.code, self.message)


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Sort by place, then code, and drop exact repeats."""
    return sorted(set(diagnostics), key=Diagnostic.sort_key)


def render(diagnostics: Iterable[Diagnostic], fmt: str = "text") -> str:
    """Render diagnostics as compiler text, JSON or GitHub workflow annotations."""
    items = sort_diagnostics(diagnostics)
    if fmt == "json":
        payload = {"diagnostics": [asdict(d) for d in items]}
        return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
    if fmt == "github":
        kinds = {"error": "error", "warning": "warning", "note": "notice"}
        lines = []
        for d in items:
            message = d.message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
            col = f",col={d.column}" if d.column is not None else ""
            lines.append(f"::{kinds[d.severity]} file={d.path},line={d.line}{col},title={d.code}::{message}")
        return "".join(line + "\n" for line in lines)
    return "".join(f"{d}\n" for d in items)


def summary(diagnostics: Iterable[Diagnostic]) -> str:
    """One closing line: 'N errors, M warnings in P files' (and notes, when there are any)."""
    items = list(diagnostics)
    counts = {s: sum(1 for d in items if d.severity == s) for s in SEVERITIES}
    files = len({d.path for d in items if d.severity != "note"})
    line = f"{counts['error']} errors, {counts['warning']} warnings" + (f" in {files} files" if files else "")
    return line + (f" ({counts['note']} notes)" if counts["note"] else "")


def strictened(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """--strict: every warning becomes an error."""
    return [replace(d, severity="error") if d.severity == "warning" else d for d in diagnostics]


def exit_code(diagnostics: Iterable[Diagnostic]) -> int:
    """0 when there is no error, 1 when there is. Warnings fail only under --strict; notes never."""
    return 1 if any(d.severity == "error" for d in diagnostics) else 0
