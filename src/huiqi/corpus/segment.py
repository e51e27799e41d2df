"""Split a document's original text into preamble, sections, numbered articles and closing.

How each document numbers its parts is data (``segmentation`` in its metadata file): the line the body
starts at, the patterns of section and article headings, where the closing and the trailer start, and
the counts the result must have. Numbers must run in sequence, which keeps a line that merely begins with
a number ("80%。支持…") from being taken for an article. Where headings lost their numbers in extraction
(cx-2025-plan), a short line with no sentence-ending punctuation is a heading: a section when a numbered
item follows it, an item otherwise; its number is inferred from its place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from huiqi.corpus.models import Document, DocumentMeta, Passage, PassageKind, Section
from huiqi.corpus.normalise import clean_line, departments, fold_spaces, normalise_text, title_of
from huiqi.errors import SegmentationError, Source

_NUMERALS = "零一二三四五六七八九"


def cn_to_int(text: str) -> int:
    """Chinese numerals as used in headings (一 … 九十九) to int; Arabic digits pass through."""
    if text.isdigit():
        return int(text)
    import cn2an  # deferred: cn2an's import is slow and only headings need it here

    return int(cn2an.cn2an(text, "normal"))


@cache
def int_to_cn(n: int) -> str:
    if n < 10:
        return _NUMERALS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _NUMERALS[tens]) + "十" + (_NUMERALS[ones] if ones else "")


@dataclass(frozen=True)
class _Line:
    start: int
    raw: str

    @property
    def clean(self) -> str:
        return clean_line(self.raw)

    @property
    def text_start(self) -> int:
        return self.start + len(self.raw) - len(self.raw.lstrip())

    @property
    def text_end(self) -> int:
        return self.start + len(self.raw.rstrip())


@dataclass
class _Block:
    kind: PassageKind
    label: str = ""
    number: int | None = None
    section: int | None = None
    heading: str | None = None  # 001 items and sections: the heading line without its number
    first: str = ""  # the label line's text after the label
    lines: list[_Line] = field(default_factory=list)  # blank lines included: they separate paragraphs
    footnotes: list[str] = field(default_factory=list)

    @property
    def content(self) -> list[_Line]:
        return [line for line in self.lines if line.raw.strip()]


def _split_lines(text: str) -> list[_Line]:
    lines, offset = [], 0
    for raw in text.split("\n"):
        lines.append(_Line(offset, raw))
        offset += len(raw) + 1
    return lines


_FOOTNOTE = re.compile(r"^[¹²³⁴⁵⁶⁷⁸⁹⁰]+")


def _heading_like(line: str) -> bool:
    return len(line) <= 30 and "。" not in line and not line.endswith(("；", "：", "，", "、", "！", "？"))


class _Segmenter:
    def __init__(self, meta: DocumentMeta, original: str) -> None:
        self.meta, self.original, self.seg = meta, original, meta.segmentation
        self.section_re = re.compile(self.seg.section_pattern)
        self.article_re = re.compile(self.seg.article_pattern)
        self.blocks: list[_Block] = []
        self.sections: list[tuple[int, str, bool]] = []  # (number, heading, numbered in text)

    def fail(self, message: str) -> SegmentationError:
        return SegmentationError(message, Source(file=self.meta.file, article=self.meta.id))

    def next_article(self) -> int:
        articles = [b for b in self.blocks if b.kind == "article"]
        if self.seg.article_ids == "section_dot_number":
            articles = [b for b in articles if b.section == len(self.sections)]
        return len(articles) + 1

    def start_section(self, heading: str, numbered: bool) -> None:
        self.sections.append((len(self.sections) + 1, heading, numbered))
        self.blocks.append(
            _Block("section_intro", label=f"{int_to_cn(len(self.sections))}、", section=len(self.sections))
        )

    def start_article(self, label: str, first: str, heading: str | None = None) -> None:
        self.blocks.append(
            _Block(
                "article",
                label=label,
                number=self.next_article(),
                section=len(self.sections),
                heading=heading,
                first=first,
            )
        )

    def run(self) -> None:
        lines = _split_lines(self.original)
        starts = [k for k, line in enumerate(lines) if line.clean == self.seg.body_start]
        if not starts:
            raise self.fail(f"找不到正文起始行“{self.seg.body_start}”")
        self.blocks.append(_Block("preamble", label="序言"))
        content = [k for k in range(starts[0], len(lines)) if lines[k].clean]
        closing, footnotes = False, []
        for i, k in enumerate(content):
            line, clean = lines[k], lines[k].clean
            if closing and clean.startswith(self.seg.trailer_start):
                break
            if _FOOTNOTE.match(clean):
                footnotes.append(clean)
                continue
            if not closing and self.next_article() > 1 and clean.startswith(self.seg.closing_start):
                closing = True
                self.blocks.append(_Block("closing", label="附则"))
            ahead = [lines[j] for j in content[i + 1 : i + 2]]
            if not (not closing and i > 0 and self.heading(line, ahead)):
                self.blocks[-1].lines.append(line)
            following = content[i + 1] if i + 1 < len(content) else k + 1
            self.blocks[-1].lines.extend(lines[k + 1 : following])  # the blank lines after it
        for note in footnotes:
            marker = _FOOTNOTE.match(note)
            owner = next(
                (b for b in self.blocks if marker and any(marker.group() in ln.raw for ln in b.lines)),
                self.blocks[-1],
            )
            owner.footnotes.append(f"注{fold_spaces(note)}")

    def heading(self, line: _Line, ahead: list[_Line]) -> bool:
        """Start a new section or article at ``line`` if it is one; say whether it was."""
        clean = line.clean
        m = self.section_re.match(clean)
        if m and cn_to_int(m["num"]) == len(self.sections) + 1:
            self.start_section(m["heading"].strip(), numbered=True)
            self.blocks[-1].lines.append(line)
            return True
        m = self.article_re.match(clean)
        if m and cn_to_int(m["num"]) == self.next_article() and self.sections:
            groups = m.groupdict()
            heading = (groups.get("heading") or "").strip() or None
            self.start_article(clean[: m.start(2)].strip(), (groups.get("text") or "").strip(), heading)
            self.blocks[-1].lines.append(line)
            return True
        if self.seg.infer_unnumbered_headings and self.sections and _heading_like(clean):
            if ahead and self.article_re.match(ahead[0].clean):
                self.start_section(clean, numbered=False)
            else:
                self.start_article(f"（{int_to_cn(self.next_article())}）", "", heading=clean)
            self.blocks[-1].lines.append(line)
            return True
        return False

    def passage(self, block: _Block) -> Passage | None:
        lines = block.content
        if not lines:
            return None
        doc, section_heading = self.meta.id, None
        if block.section:
            section_no, heading, _ = self.sections[block.section - 1]
            section_heading = f"{int_to_cn(section_no)}、{heading}"
        number: str | None = None
        if block.kind == "article":
            number = (
                str(block.number) if self.seg.article_ids == "number" else f"{block.section}.{block.number}"
            )
            pid = f"{doc}/{number}"
            # an item's heading line is a paragraph of its own
            body = [block.first, *(ln.raw for ln in block.lines[1:])]
        elif block.kind == "section_intro":
            pid = f"{doc}/section-{block.section}"
            body = [ln.raw for ln in block.lines[1:]]
            if len(lines) < 2:
                return None
        else:
            pid = f"{doc}/{block.kind}"
            body = [ln.raw for ln in block.lines]
        first_line = lines[1] if block.kind == "section_intro" else lines[0]
        start, end = first_line.text_start, lines[-1].text_end
        paragraphs = [block.heading] if block.kind == "article" and block.heading else []
        text = "\n".join(p for p in [*paragraphs, normalise_text(body), *block.footnotes] if p)
        title = block.heading or (section_heading or "" if block.kind == "section_intro" else title_of(text))
        return Passage(
            id=pid,
            doc_id=doc,
            kind=block.kind,
            label=block.label,
            number=number,
            title=title,
            section=section_heading,
            span=(start, end),
            raw=self.original[start:end],
            text=text,
            departments=departments(text),
        )

    def document(self) -> Document:
        self.run()
        passages = [self.passage(b) for b in self.blocks]
        by_kind: dict[str, list[Passage]] = {}
        for p in passages:
            if p is not None:
                by_kind.setdefault(p.kind, []).append(p)
        articles = tuple(by_kind.get("article", []))
        intros = {p.id: p for p in by_kind.get("section_intro", [])}
        sections = tuple(
            Section(
                number=n,
                heading=h,
                numbered_in_text=numbered,
                article_ids=tuple(
                    a.id for a, b in zip(articles, self._article_blocks(), strict=True) if b.section == n
                ),
                intro=intros.get(f"{self.meta.id}/section-{n}"),
            )
            for n, h, numbered in self.sections
        )
        expected = self.seg.expected
        if (len(sections), len(articles)) != (expected.sections, expected.articles):
            raise self.fail(
                f"分段结果与元数据不符：应有 {expected.sections} 节 {expected.articles} 条，"
                f"实得 {len(sections)} 节 {len(articles)} 条"
            )
        if "preamble" not in by_kind:
            raise self.fail("没有序言部分")
        closing = by_kind.get("closing", [None])[0]
        return Document(
            meta=self.meta,
            original=self.original,
            preamble=by_kind["preamble"][0],
            sections=sections,
            articles=articles,
            closing=closing,
        )

    def _article_blocks(self) -> list[_Block]:
        return [b for b in self.blocks if b.kind == "article" and b.content]


def segment(meta: DocumentMeta, original: str) -> Document:
    """The document's text split as its metadata says; ``SegmentationError`` if it will not split so."""
    return _Segmenter(meta, original).document()
