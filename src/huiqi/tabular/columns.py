"""The columns of the batch input tables and how a given header maps to them.

Firms: ``firm_id`` (企业编号), every firm fact by name (Chinese header = the fact's label), then the per-year
figures as ``<name>_<year>`` (header ``<year>年<label>``; ``<label>_<year>`` and ``<name>_<year>`` are read
too). Events: ``firm_id``, ``type`` (事项类型), the event fields every event has (``date``, ``level``,
``subject``, ``first_time``) and every event field of the vocabulary.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from huiqi.errors import FieldProblem, ProfileError
from huiqi.vocab.catalogue import EVENT_BASE, Fact, Vocabulary

Kind = Literal["firms", "events"]
TABLE_LABELS: dict[str, str] = {"firms": "企业表", "events": "事项表"}


@dataclass(frozen=True)
class Column:
    """One column of an input table. ``label`` is its Chinese header; ``type`` a vocabulary fact type."""

    name: str
    label: str
    type: str
    description: str = ""
    unit: str | None = None
    required: bool = False
    values: tuple[str, ...] = ()  # allowed values (enumerations); empty = any
    value_labels: tuple[str, ...] = ()  # Chinese labels of ``values`` where they differ (event types)
    fact: str = ""  # the vocabulary name; for a per-year figure the name without the year
    year: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    blank_means_no: bool = False  # an empty cell counts as 否 (facts whose ordinary state is "no")


FIRM_ID = Column(
    name="firm_id",
    label="企业编号",
    type="string",
    description="本表中企业的编号，自编且不得重复；事项表用它关联企业",
    required=True,
)


def _column(fact: Fact, vocab: Vocabulary, *, year: int | None = None) -> Column:
    values = vocab.regions if fact.values_from == "regions" else (fact.values or ())
    return Column(
        name=f"{fact.name}_{year}" if year is not None else fact.name,
        label=f"{year}年{fact.label}" if year is not None else fact.label,
        type=fact.type,
        description=fact.description or "",
        unit=fact.unit,
        required=fact.required and year is None,
        values=tuple(values),
        fact=fact.name,
        year=year,
        minimum=fact.min,
        maximum=fact.max,
        blank_means_no=fact.has_default and fact.default is False,
    )


def firm_columns(vocab: Vocabulary, years: Sequence[int]) -> list[Column]:
    """``firm_id``, the firm facts, then for each year (ascending) its per-year figures."""
    out = [FIRM_ID, *(_column(f, vocab) for f in vocab.firm)]
    out.extend(_column(f, vocab, year=y) for y in sorted(set(years)) for f in vocab.years)
    return out


def all_levels(vocab: Vocabulary) -> tuple[str, ...]:
    """Every level of every event type, in vocabulary order, once each."""
    return tuple(dict.fromkeys(level for e in vocab.events for level in e.levels))


def event_columns(vocab: Vocabulary) -> list[Column]:
    """``firm_id``, ``type``, ``date``, ``level``, ``subject``, ``first_time``, then the event fields."""
    type_column = Column(
        name="type",
        label="事项类型",
        type="enum",
        description="事项类型：填中文名称（如“制造业单项冠军企业”）或英文名称（如 manufacturing_champion）",
        required=True,
        values=tuple(e.name for e in vocab.events),
        value_labels=tuple(e.label for e in vocab.events),
        fact="type",
    )
    base = []
    for fact in EVENT_BASE:
        column = _column(fact, vocab)
        if fact.name == "level":
            column = replace(column, values=all_levels(vocab))
        base.append(column)
    fields = [_column(f, vocab) for f in vocab.event_fields]
    return [FIRM_ID, type_column, *base, *fields]


_QUOTES = str.maketrans("", "", "\"'“”‘’「」『』")


def fold(text: str) -> str:
    """A header (or value) for matching: NFKC (full-width → half-width), no spaces or quotes, case-folded."""
    text = unicodedata.normalize("NFKC", text.replace("\ufeff", ""))
    return "".join(text.split()).translate(_QUOTES).casefold()


_YEAR_FIRST = re.compile(r"^(?P<year>(?:19|20)\d\d)年?[_\-]?(?P<base>.+)$")
_YEAR_LAST = re.compile(r"^(?P<base>.+?)[_\-]?\(?(?P<year>(?:19|20)\d\d)年?\)?$")
_UNIT = re.compile(r"^(?P<base>.+)\((?P<unit>[^()]+)\)$")


def split_year(key: str) -> tuple[str, int] | None:
    """``(base, year)`` of a folded header that carries a year (``2025年营业收入``, ``revenue_2025``, …)."""
    for pattern in (_YEAR_FIRST, _YEAR_LAST):
        m = pattern.match(key)
        if m:
            return m["base"], int(m["year"])
    return None


def years_in(headers: Iterable[str], vocab: Vocabulary) -> list[int]:
    """The years of the per-year figure columns among ``headers``."""
    bases = {fold(k) for f in vocab.years for k in (f.name, f.label)}
    found = set()
    for header in headers:
        split = split_year(fold(header))
        if split and split[0] in bases:
            found.add(split[1])
    return sorted(found)


def _lookups(columns: Sequence[Column]) -> tuple[dict[str, Column], dict[tuple[str, int], Column]]:
    exact: dict[str, Column] = {}
    by_year: dict[tuple[str, int], Column] = {}
    for c in columns:
        exact.setdefault(fold(c.name), c)
        exact.setdefault(fold(c.label), c)
        if c.year is not None:
            base_label = c.label.removeprefix(f"{c.year}年")
            by_year.setdefault((fold(c.fact), c.year), c)
            by_year.setdefault((fold(base_label), c.year), c)
    return exact, by_year


def _match(key: str, exact: dict[str, Column], by_year: dict[tuple[str, int], Column]) -> Column | None:
    if key in exact:
        return exact[key]
    split = split_year(key)
    if split and split in by_year:
        return by_year[split]
    unit = _UNIT.match(key)
    if unit:  # 营业收入(元): the unit may follow the name, but only the column's own unit
        column = _match(unit["base"], exact, by_year)
        if column is not None and column.unit and fold(column.unit) == unit["unit"]:
            return column
    return None


def canonical_headers(
    headers: Sequence[str], columns: Sequence[Column], *, table: str = ""
) -> dict[str, str]:
    """Each given header → its canonical column name.

    A header may be the name (``rd_internal_2025``) or the Chinese label (``2025年研发经费内部支出``,
    ``研发经费内部支出_2025``), with any spacing, full-width or half-width characters and case, optionally
    followed by the column's unit in brackets (``营业收入（元）``). Raises ``ProfileError`` listing every
    header that names no column (with the nearest names as a hint) and every pair naming the same column.
    """
    exact, by_year = _lookups(columns)
    where = TABLE_LABELS.get(table, table or "表格")
    problems: list[FieldProblem] = []
    out: dict[str, str] = {}
    taken: dict[str, str] = {}
    for header in headers:
        column = _match(fold(header), exact, by_year)
        if column is None:
            near = difflib.get_close_matches(fold(header), list(exact), n=3, cutoff=0.6)
            hint = f"；是否指：{'、'.join(exact[k].label for k in near)}" if near else ""
            message = f"未知的列“{header}”：不是{where}的字段名称或中文名称{hint}"
            problems.append(FieldProblem(header, message, header))
        elif header in out or column.name in taken:
            other = taken.get(column.name, header)
            problems.append(
                FieldProblem(header, f"列“{header}”与“{other}”重复（都表示{column.label}）", header)
            )
        else:
            out[header] = column.name
            taken[column.name] = header
    if problems:
        names = "、".join(f"“{p.field}”" for p in problems)
        raise ProfileError(f"{where}的表头有 {len(problems)} 处无法识别或重复：{names}", problems)
    return out
