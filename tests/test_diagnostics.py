from __future__ import annotations

import json

from build_tools.diagnostics import Diagnostic, exit_code, render, strictened, summary


def test_text_format_is_compiler_style() -> None:
    d = Diagnostic("docs/a.md", 3, "C101", "error", "unknown source 'x'", column=7)
    assert str(d) == "docs/a.md:3:7: C101 error: unknown source 'x'"
    assert str(Diagnostic("docs/a.md", 3, "F002", "warning", "m")) == "docs/a.md:3: F002 warning: m"


def test_json_format_has_the_documented_keys() -> None:
    d = Diagnostic("docs/a.md", 3, "C101", "error", "m")
    payload = json.loads(render([d], "json"))
    assert payload["diagnostics"][0] == {
        "path": "docs/a.md",
        "line": 3,
        "code": "C101",
        "severity": "error",
        "message": "m",
        "column": None,
    }


def test_github_format_escapes_newlines_and_maps_notes() -> None:
    out = render([Diagnostic("a.md", 1, "A110", "note", "two\nlines")], "github")
    assert out == "::notice file=a.md,line=1,title=A110::two%0Alines\n"


def test_render_sorts_and_deduplicates() -> None:
    a = Diagnostic("b.md", 2, "X1", "error", "m")
    b = Diagnostic("a.md", 9, "X1", "error", "m")
    assert render([a, b, a]).splitlines() == [str(b), str(a)]


def test_exit_code_counts_errors_and_strict_turns_warnings_into_errors() -> None:
    note = Diagnostic("a", 1, "A110", "note", "m")
    warning = Diagnostic("b", 1, "W1", "warning", "m")
    error = Diagnostic("c", 1, "E1", "error", "m")
    assert exit_code([]) == 0
    assert exit_code([note, warning]) == 0
    assert exit_code([note, warning, error]) == 1
    assert exit_code(strictened([note, warning])) == 1
    assert [d.severity for d in strictened([note, warning])] == ["note", "error"]
    assert summary([note, warning, error]) == "1 errors, 1 warnings in 2 files (1 notes)"


def test_summary_of_a_clean_run_names_no_files() -> None:
    assert summary([]) == "0 errors, 0 warnings"
