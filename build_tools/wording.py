"""Copied wording: curated pages say things in their own words (C401).

A page may carry facts, figures and short quotations over from the accounts, but not their
sentences. A run of RUN words that also occurs in an account, outside quotation marks, code and
citations, is reported with the account and line it comes from. Quoting it ("...") with a citation
is the way to keep an account's exact words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from build_tools.accounts import Account

RUN = 10  # words in a row; shorter runs are names, titles and stock phrases

_WORD = re.compile(r"[0-9a-z]+(?:['’][a-z]+)?")
# Quotations (across line breaks, not paragraphs), titles in italics, inline code, citation groups,
# link targets and tags are not the page's own prose.
_NOT_PROSE = re.compile(
    r'"(?:[^"\n]|\n(?!\s*\n)){1,800}?"|“(?:[^”\n]|\n(?!\s*\n)){1,800}?”|\*[^*\n]+\*|`[^`\n]*`'
    r"|\[@[^\]\n]*\]|\]\([^)\n]*\)|<[^>\n]*>"
)


@dataclass(frozen=True)
class Copied:
    line: int  # line of the page where the run starts
    account: str
    account_line: int
    words: str  # the run, as words


class AccountIndex:
    """Every run of RUN words in the accounts, with where it first occurs."""

    def __init__(self, accounts: Iterable[Account]) -> None:
        self.runs: dict[str, tuple[str, int]] = {}
        for account in accounts:
            if not account.path.is_file():
                continue  # reported as A003 by the account checks
            words = list(_words(account.read_text(), 1))
            texts = [word for word, _ in words]
            for i in range(len(words) - RUN + 1):
                self.runs.setdefault(" ".join(texts[i : i + RUN]), (account.id, words[i][1]))

    def __bool__(self) -> bool:
        return bool(self.runs)


def copied(body: str, first_line: int, index: AccountIndex) -> Iterator[Copied]:
    """Each stretch of the page's prose that repeats an account word for word, once per stretch."""
    if not index:
        return
    prose = _NOT_PROSE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), body)
    words = list(_words(prose, first_line))
    texts = [word for word, _ in words]
    runs = index.runs
    i = 0
    while i <= len(texts) - RUN:
        found = runs.get(" ".join(texts[i : i + RUN]))
        if found is None:
            i += 1
            continue
        end = i + RUN
        while end < len(texts) and " ".join(texts[end - RUN + 1 : end + 1]) in runs:
            end += 1  # (the run goes on while its last RUN words occur in an account too)
        yield Copied(words[i][1], found[0], found[1], " ".join(texts[i:end]))
        i = end


def _words(text: str, first_line: int) -> Iterator[tuple[str, int]]:
    for number, line in enumerate(text.lower().split("\n"), start=first_line):
        for match in _WORD.finditer(line):
            yield match.group(0).replace("’", "'"), number
