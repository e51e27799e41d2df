"""Undo what PDF extraction did to the texts, at load time (the stored files stay original).

The artefacts: sentences broken across lines and pages ("分\\n\\n别给予"), stray spaces ("5 亿元",
"“科创甬江 2035”"), markdown marks from a converter ("### 一、…", "- 1、…", trailing double spaces),
and a few traditional characters in a simplified text (000 art 38: 等級, 減半).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# Traditional forms seen as extraction artefacts in simplified texts, mapped to the simplified form.
VARIANTS = str.maketrans({"級": "级", "減": "减", "與": "与", "為": "为", "這": "这", "個": "个"})

_MARKDOWN_PREFIX = re.compile(r"^(?:#{1,6}\s+|-\s+)")
_SPACE = re.compile(r"\s+")
# A line that ends like this closes a paragraph; any other line break is an extraction artefact.
_PARAGRAPH_END = ("。", "！", "？", "；", "）", ")", "〕")


def clean_line(line: str) -> str:
    """One line as a reader sees it: markdown marks and surrounding whitespace gone."""
    return _MARKDOWN_PREFIX.sub("", line.strip()).strip()


def _is_ascii_word(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def fold_spaces(text: str) -> str:
    """Drop whitespace, except one space between two ASCII words ("GM2D 应用" → "GM2D应用")."""
    out: list[str] = []
    for match in re.finditer(r"\S+", text):
        word = match.group()
        if out and _is_ascii_word(out[-1][-1]) and _is_ascii_word(word[0]):
            out.append(" ")
        out.append(word)
    return "".join(out)


def normalise_text(lines: Iterable[str]) -> str:
    """Join a block's lines into paragraphs ("\\n"-separated) with spaces folded and variants fixed.

    A paragraph ends where a line closes a sentence (or a bracketed note) and a blank line follows;
    every other line break, blank or not, was made by the extraction and is joined over."""
    paragraphs: list[str] = []
    current, gap = "", False
    for raw in lines:
        line = fold_spaces(clean_line(raw)).translate(VARIANTS)
        if not line:
            gap = True
            continue
        if current and gap and current.endswith(_PARAGRAPH_END):
            paragraphs.append(current)
            current = ""
        if current and _needs_space(current[-1], line[0]):
            current += " "
        current += line
        gap = False
    if current:
        paragraphs.append(current)
    return "\n".join(paragraphs)


def _needs_space(left: str, right: str) -> bool:
    return _is_ascii_word(left) and _is_ascii_word(right)


def fold_for_quote(text: str) -> str:
    """What quote checking compares: every whitespace character removed."""
    return _SPACE.sub("", text)


def fold_for_search(text: str) -> str:
    """Character-for-character folding for search: width (NFKC where it keeps one character), case,
    variants. Length-preserving, so offsets in the folded text are offsets in the input."""
    out = []
    for ch in text.translate(VARIANTS):
        folded = unicodedata.normalize("NFKC", ch)
        out.append(folded.lower() if len(folded) == 1 else ch.lower())
    return "".join(out)


_DEPARTMENT_NOTE = re.compile(r"责任(?:部门|单位)[：:]")
_OPEN, _CLOSE = "（(〔", "）)〕"


def departments(text: str) -> tuple[str, ...]:
    """Departments named in "（责任部门：市经信局、市财政局）" notes, in order, without repeats."""
    found: list[str] = []
    for match in _DEPARTMENT_NOTE.finditer(text):
        depth, i, body = 0, match.end(), []
        while i < len(text):
            ch = text[i]
            if ch in _OPEN:
                depth += 1
            elif ch in _CLOSE:
                if depth == 0:
                    break
                depth -= 1
            body.append(ch)
            i += 1
        for name in re.split(r"[、，,]", "".join(body)):
            name = re.sub(r"[（(〔].*?[）)〕]", "", name).strip()
            if name and name not in found:
                found.append(name)
    return tuple(found)


def title_of(text: str, limit: int = 32) -> str:
    """An article's title: its first sentence, or its first clause when that sentence is long."""
    first = text.split("\n", 1)[0]
    sentence = re.split(r"[。；]", first, maxsplit=1)[0]
    if len(sentence) > limit:
        sentence = re.split(r"[，,]", sentence, maxsplit=1)[0]
    return sentence[:limit]
