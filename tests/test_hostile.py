"""Hostile input: parsers and checks never raise; every failure is a diagnostic with a line."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from build_tools.accounts import Account, find_inline_markers, parse_reference_list
from build_tools.checks import check_page
from build_tools.docs import find_citations, read_page
from build_tools.gazetteer import Gazetteer
from build_tools.registry import Registry, Source, load_registry
from build_tools.safety import unsafe_html
from build_tools.statements import logical_lines, make_claim
from build_tools.values import find_date_values, find_quantities

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
REGISTRY = Registry(sources={"a": Source("a", "A", 1)})
MARKDOWNISH = st.text(
    alphabet=st.sampled_from(list("ab @[];:-#|`'\"<>/=\n\r\t0123456789{}!&*") + ["\x00", "é", "—"]), max_size=400
)
YAMLISH = st.lists(
    st.sampled_from(list("abc:-[]{}&*!|>'\"# \n\t0123456789,.?%@`") + ["!!python/object ", "<<: ", "id: ", "\n- "]),
    max_size=120,
).map("".join)
GAZ = Gazetteer()
GAZ.add("Acme", "organization")


@FAST
@given(MARKDOWNISH)
def test_citation_parser_never_raises(text: str) -> None:
    citations, malformed = find_citations(text, 1)
    for item in [*citations, *malformed]:
        assert item.line >= 1


@FAST
@given(front=YAMLISH, body=MARKDOWNISH)
def test_pages_with_any_front_matter_give_diagnostics_not_tracebacks(tmp_path: Path, front: str, body: str) -> None:
    path = tmp_path / "p.md"
    path.write_text(f"---\n{front}\n---\n{body}", encoding="utf-8", errors="surrogatepass")
    for diagnostic in check_page(read_page(path, "p.md"), REGISTRY):
        assert diagnostic.line >= 1 and diagnostic.code


@FAST
@given(st.binary(max_size=300))
def test_pages_of_random_bytes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "p.md"
    path.write_bytes(b"---\ntitle: x\n---\n" + data)
    list(check_page(read_page(path, "p.md"), REGISTRY))


@FAST
@given(YAMLISH)
def test_registry_of_any_yaml(tmp_path: Path, text: str) -> None:
    path = tmp_path / "r.yml"
    path.write_text("sources:\n" + text)
    _, problems = load_registry(path, "r.yml")
    assert all(p.line >= 1 for p in problems)


@FAST
@given(MARKDOWNISH)
def test_account_parsers_and_claims(tmp_path: Path, text: str) -> None:
    path = tmp_path / "a.txt"
    path.write_text(text)
    for style in ("bracketed", "numbered"):
        account = Account("acc", path, "a.txt", "A", "report", "", 3, "0", style=style, list_heading="Sources")
        parse_reference_list(account, text + "\nSources\n" + text)
        find_inline_markers(account, text)
    for line, piece in logical_lines(text, 10_000):
        make_claim("acc", line, piece, GAZ)
        find_date_values(piece)
        find_quantities(piece)


@FAST
@given(MARKDOWNISH)
def test_html_safety_scan(text: str) -> None:
    list(unsafe_html(text))


def test_pathological_inputs(tmp_path: Path) -> None:
    cases = {
        "deep.md": "---\ntitle: " + "[" * 20000 + "\n---\n",
        "anchors.md": "---\na: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c]\n---\nx\n",
        "tags.md": "---\ntitle: !!python/object/apply:os.system ['echo hacked']\n---\nx\n",
        "crlf.md": "---\r\ntitle: T\r\ndescription: D\r\nconfidence: low\r\ndepth: low\r\n---\r\nBody [@a].\r\n",
        "huge.md": "---\ntitle: T\ndescription: D\nconfidence: low\ndepth: low\n---\n" + "word [@a] " * 100_000,
        "id.md": "---\ntitle: T\ndescription: D\nconfidence: low\ndepth: low\n---\n[@../../etc/passwd] [@a/../b]\n",
        "html.md": "---\ntitle: T\ndescription: D\nconfidence: low\ndepth: low\n---\n<div markdown>\n<p><sCrIpT\n>x</script></p></div>\n",
    }
    codes = {}
    for name, text in cases.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        codes[name] = {d.code for d in check_page(read_page(path, name), REGISTRY)}
    assert "F001" in codes["deep.md"] and "F001" in codes["tags.md"]
    assert codes["crlf.md"] == set()
    assert "C102" in codes["id.md"] or "C101" in codes["id.md"]
    assert "H301" in codes["html.md"]
