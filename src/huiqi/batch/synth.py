"""A synthetic 宁波 population: ``firms.parquet`` and ``events.parquet`` in the batch input schema
(``huiqi.tabular``), reproducible for a seed (one numpy Generator), vectorised (a million firms in seconds).

Parquet types: text, enum and credit code → string; bool → bool; integer → int64; money → int64 (whole 元);
decimal → decimal128(18, 2) (a ratio, unit 比率 → decimal128(18, 4)); date → date32. Facts or event fields
the vocabulary adds later get plausible values by their type.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]
import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]

from huiqi.batch.synth_rates import (
    CALIBRATED,
    CATEGORY_WORDS,
    DEFAULT_RATE,
    END,
    INDUSTRIES,
    LEVEL_COMPANIONS,
    LEVEL_SHARES,
    MONEY,
    MONEY_BY_EVENT,
    MUJUN_EVENT,
    NAME_CHARS,
    ONCE,
    PAIRS,
    QUANTITY,
    RATES,
    REGIONS,
    ROW_GROUP_ROWS,
    START,
    SUBJECTS,
    TIERS,
    UNIQUE_TEXT,
)
from huiqi.corpus import get_corpus
from huiqi.vocab import get_vocabulary
from huiqi.vocab.catalogue import EventType, Fact, Vocabulary
from huiqi.vocab.credit_code import ALPHABET, WEIGHTS


def synthesize(
    n_firms: int, out_dir: Path, *, seed: int = 2025, years: Sequence[int] = (2024, 2025, 2026, 2027)
) -> tuple[Path, Path]:
    """Write ``firms.parquet`` and ``events.parquet`` for ``n_firms`` synthetic firms; their paths."""
    rng = np.random.default_rng(seed)
    vocab = get_vocabulary()
    firms, ctx = _firms(rng, n_firms, sorted(years), vocab)
    events = _events(rng, vocab, ctx, firms.column("firm_id"))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = out_dir / "firms.parquet", out_dir / "events.parquet"
    for table, path in zip((firms, events), paths, strict=True):
        # dictionary pages only for the repetitive text columns: smaller and faster than for every column
        repetitive = [c.name for c in table.schema if c.type == pa.string() and c.name not in UNIQUE_TEXT]
        pq.write_table(
            table, path, compression="zstd", use_dictionary=repetitive, row_group_size=ROW_GROUP_ROWS
        )
    return paths


def _lognormal(rng: np.random.Generator, median: float, sigma: float, size: int) -> np.ndarray:
    return np.asarray(median * np.exp(rng.normal(0.0, sigma, size)))


def _arrow(values: np.ndarray, valid: np.ndarray | None, fact: Fact) -> pa.Array:
    """A column of ``fact``'s Parquet type from numpy values (enum: index into its values; decimal: float)."""
    mask = None if valid is None or valid.all() else ~valid
    if fact.type in ("money", "integer"):
        return pa.array(values.astype(np.int64), mask=mask)
    if fact.type == "decimal":
        scale = 4 if fact.unit == "比率" else 2
        words = np.zeros((len(values), 2), dtype=np.int64)  # little-endian 128-bit: low word, high word 0
        words[:, 0] = np.round(values * 10**scale).astype(np.int64)
        buffers = [None, pa.py_buffer(words.tobytes())]
        data = pa.Array.from_buffers(pa.decimal128(18, scale), len(values), buffers)
        return data if mask is None else pc.if_else(pa.array(mask), pa.scalar(None, data.type), data)
    if fact.type == "date":
        return pa.array(values.astype(np.int32), mask=mask).cast(pa.date32())
    if fact.type == "bool":
        return pa.array(values.astype(bool), mask=mask)
    if fact.values:
        return _text(fact.values, np.where(mask if mask is not None else False, -1, values.astype(np.int64)))
    return pa.nulls(len(values), pa.string())


def _by_type(
    rng: np.random.Generator, fact: Fact, k: int, dates: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(values, valid) for a fact by its type alone: facts and event fields the vocabulary adds later."""
    valid = (rng.random(k) < 0.9) if dates is None and not fact.has_default else np.ones(k, dtype=bool)
    if fact.type == "money":
        return np.round(_lognormal(rng, 1e6, 1.2, k)), valid
    if fact.type == "decimal":
        return _lognormal(rng, 0.1 if fact.unit == "比率" else 100, 1.0, k), valid
    if fact.type == "date":
        around = dates if dates is not None else rng.integers(START, END + 1, k)
        return around - rng.integers(0, 365, k), valid
    if fact.type == "bool":
        return rng.random(k) < 0.1, valid
    if fact.type == "enum":
        return rng.integers(0, max(len(fact.values or ()), 1), k), valid & bool(fact.values)
    if fact.type == "integer":
        low, high = fact.min or 0, fact.max if fact.max is not None else 100
        return rng.integers(low, high + 1, k), valid
    return np.zeros(k), np.zeros(k, dtype=bool)  # free text: left empty


def _credit_codes(rng: np.random.Generator, region_digits: np.ndarray) -> pa.Array:
    """Valid, unique 统一社会信用代码: 9 1 (企业), the region's 6 digits (one column per firm), MA… or two
    digits, a unique tail (an affine bijection of the firm's number), and the check character."""
    n = region_digits.shape[1]
    digits = np.empty((17, n), dtype=np.int64)  # one row per position: contiguous
    digits[0], digits[1], digits[2:8] = 9, 1, region_digits
    new_style = rng.random(n) < 0.75
    digits[8] = np.where(new_style, ALPHABET.index("M"), rng.integers(0, 10, n))
    digits[9] = np.where(new_style, ALPHABET.index("A"), rng.integers(0, 10, n))
    space = 31**7
    multiplier = int(rng.integers(1, space // 31)) * 31 + 1  # coprime with 31
    tail = (np.arange(n, dtype=np.int64) * multiplier + int(rng.integers(0, space))) % space
    for position in range(16, 9, -1):
        digits[position], tail = tail % 31, tail // 31
    check = (31 - (np.asarray(WEIGHTS) @ digits) % 31) % 31
    alphabet = np.frombuffer(ALPHABET.encode(), dtype=np.uint8)
    chars = np.ascontiguousarray(alphabet[np.vstack([digits, check]).astype(np.uint8)].T)
    raw = pa.FixedSizeBinaryArray.from_buffers(pa.binary(18), n, [None, pa.py_buffer(chars.tobytes())])
    return raw.cast(pa.binary()).cast(pa.string())


def _text(pool: Sequence[str], index: np.ndarray) -> pa.Array:
    """``pool[index]`` as an Arrow string column (null where ``index`` < 0)."""
    return pa.array(list(pool), pa.string()).take(pa.array(index, pa.int64(), mask=index < 0))


def _firms(
    rng: np.random.Generator, n: int, years: list[int], vocab: Vocabulary
) -> tuple[pa.Table, dict[str, Any]]:
    regions = [r.name for r in get_corpus().regions if r.kind != "市"]
    region = _pick(rng, np.array([REGIONS.get(r, (0.5, ""))[0] for r in regions], float), n)
    codes = [REGIONS.get(r, (0, "330200"))[1] for r in regions]
    region_digits = np.array([[int(c) for c in code] for code in codes]).T[:, region]
    mfg = rng.random(n) < 0.35
    above = mfg & (rng.random(n) < 0.043)  # 规上 ≈ 1.5% of all firms
    n_mfg = sum(1 for x in INDUSTRIES if x[2])
    industry = np.where(
        mfg,
        _pick(rng, np.array([x[3] for x in INDUSTRIES[:n_mfg]], float), n),
        n_mfg + _pick(rng, np.array([x[3] for x in INDUSTRIES[n_mfg:]], float), n),
    )
    it = [x[0] for x in INDUSTRIES].index("信息传输、软件和信息技术服务业")
    software = (industry == it) & (rng.random(n) < 0.6)
    startup = rng.random(n) < 0.10
    small = np.where(mfg, np.minimum(_lognormal(rng, 3e6, 1.2, n), 1.99e7), _lognormal(rng, 1.2e6, 1.6, n))
    base = np.where(above, 2e7 + _lognormal(rng, 4e7, 1.2, n), small)  # 规上: 主营业务收入 ≥ 2000万
    base *= np.where(startup & ~above, 0.2, 1.0) * ((rng.random(n) > 0.05) | above)  # 5% dormant
    evaluated = mfg & ((rng.random(n) < 0.85) | above)
    digital = (
        np.where(
            mfg,
            _pick(rng, np.array([40.0, 25, 17, 10, 5, 3]), n),
            _pick(rng, np.array([60.0, 20, 10, 6, 3, 1]), n),
        )
        + above
    )  # 0–5, skewed low
    outside = np.array([r == "宁波以外" for r in regions])[region]
    name_parts = (
        _text(("宁波", "杭州"), outside.astype(np.int64)),
        _text(list(NAME_CHARS), rng.integers(0, len(NAME_CHARS), n)),
        _text(list(NAME_CHARS), rng.integers(0, len(NAME_CHARS), n)),
        _text([x[1] for x in INDUSTRIES], industry),
        _text(("有限公司", "股份有限公司"), (above & (rng.random(n) < 0.3)).astype(np.int64)),
    )
    given = {
        "manufacturing": mfg,
        "above_scale": above,
        "startup": startup,
        "software_enterprise": software,
        "sme": ~((above & (base > 4e8)) | (~mfg & (base > 1e9))),
        "testing_institution": ~mfg & (rng.random(n) < 0.001),
        "talent_project": rng.random(n) < 0.003,
        "in_mu_jun_evaluation": evaluated,
        "digital_level": np.minimum(digital, 5),
        "green_transformation": rng.random(n) < np.where(above, 0.6, np.where(mfg, 0.25, 0.05)),
        "serious_dishonesty": rng.random(n) < 0.003,
        "digital_economy_core_manufacturing": mfg & (rng.random(n) < 0.1),
    }
    number = pc.utf8_lpad(pa.array(np.arange(1, n + 1)).cast(pa.string()), max(7, len(str(n))), "0")
    columns: dict[str, pa.Array] = {
        "firm_id": pc.binary_join_element_wise("F", number, ""),
        "name": pc.binary_join_element_wise(*name_parts, ""),
        "region": _text(regions, region),
        "industry": _text([x[0] for x in INDUSTRIES], industry),
    }
    for fact in vocab.firm:
        if fact.name == "credit_code":
            columns[fact.name] = _credit_codes(rng, region_digits)
        elif fact.name == "major_accident_date":
            days = rng.integers(np.datetime64("2018-01-01", "D").astype(int), END + 1, n)
            columns[fact.name] = _arrow(days, rng.random(n) < np.where(mfg, 0.005, 0.001), fact)
        elif fact.name in given:
            columns[fact.name] = _arrow(given[fact.name], None, fact)
        elif fact.name not in columns:
            columns[fact.name] = _arrow(*_by_type(rng, fact, n), fact)
    columns = {"firm_id": columns["firm_id"], **{f.name: columns[f.name] for f in vocab.firm}}
    grades = _years(rng, columns, vocab, years, base, mfg, above, software, evaluated)
    ctx = {"n": n, "mfg": mfg, "above": above, "sme": given["sme"], "software": software, "grades": grades}
    return pa.table(columns), ctx


def _pick(rng: np.random.Generator, shares: np.ndarray, size: int) -> np.ndarray:
    return np.searchsorted(np.cumsum(shares) / np.sum(shares), rng.random(size), side="right")


def _years(
    rng: np.random.Generator,
    columns: dict[str, pa.Array],
    vocab: Vocabulary,
    years: list[int],
    base: np.ndarray,
    mfg: np.ndarray,
    above: np.ndarray,
    software: np.ndarray,
    evaluated: np.ndarray,
) -> dict[int, np.ndarray]:
    """Per-year figures (``<name>_<year>``); returns each year's 亩均 grade index (-1 = not evaluated)."""
    n = len(base)
    growth = rng.normal(0.05, 0.10, n)
    has_rd = rng.random(n) < np.where(above, 0.85, np.where(software, 0.8, np.where(mfg, 0.3, 0.05)))
    intensity = np.minimum(_lognormal(rng, 0.03, 0.7, n), 0.6) * has_rd
    grade_shares = np.array([0.15, 0.50, 0.25, 0.10])
    grade = np.where(evaluated, _pick(rng, grade_shares, n), -1)
    rd_before = np.where(has_rd, base * intensity / np.exp(rng.normal(0.08, 0.25, n)), 0.0)
    grades: dict[int, np.ndarray] = {}
    for step, year in enumerate(years):
        revenue = np.round(base * np.exp(growth * step + rng.normal(0, 0.12, n)))
        sales = np.round(revenue * rng.uniform(0.85, 1.0, n))
        rd = np.round(revenue * intensity * np.exp(rng.normal(0, 0.25, n)))
        if step:
            grade = np.where(evaluated & (rng.random(n) < 0.3), _pick(rng, grade_shares, n), grade)
        grades[year] = grade
        values = {
            "revenue": (revenue, rng.random(n) > 0.02),
            "sales": (sales, rng.random(n) > 0.02),
            "industrial_sales": (np.round(sales * rng.uniform(0.75, 1.0, n)), mfg & (rng.random(n) > 0.02)),
            "rd_internal": (rd, rng.random(n) > 0.02),
            "rd_internal_growth": (np.maximum(0, rd / np.maximum(rd_before, 1) - 1), rd_before > 0),
            "mu_jun_grade": (np.maximum(grade, 0), grade >= 0),
        }
        rd_before = rd
        for fact in vocab.years:
            name = f"{fact.name}_{year}"
            if fact.name in values:
                columns[name] = _arrow(*values[fact.name], fact)
            else:
                columns[name] = _arrow(*_by_type(rng, fact, n), fact)
    return grades


class _Sampler:
    """Firms for an event type: from a population, weighted by tier, with or without repeats."""

    def __init__(self, rng: np.random.Generator, ctx: dict[str, Any]) -> None:
        self.rng, self.ctx = rng, ctx
        self.cdfs: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}

    def draw(self, population: str, tier: str, k: int, once: bool) -> np.ndarray:
        key = (population, tier)
        if key not in self.cdfs:
            n = self.ctx["n"]
            mask = self.ctx.get(population, np.ones(n, dtype=bool))
            index = np.flatnonzero(mask) if mask.any() else np.arange(n)
            cdf = np.cumsum(np.where(self.ctx["above"][index], TIERS[tier], 1.0))
            self.cdfs[key] = index, cdf / cdf[-1]
        index, cdf = self.cdfs[key]
        picks = np.minimum(np.searchsorted(cdf, self.rng.random(3 * k + 10 if once else k)), len(index) - 1)
        if once:
            _, first = np.unique(picks, return_index=True)
            picks = picks[np.sort(first)][:k]
        return np.asarray(index[picks])


def _category(event: EventType) -> str | None:
    """Which subject pool an event type draws from: none for a firm title or a plain firm-level event."""
    if event.name in ONCE:
        return None
    found = next((c for c, words in CATEGORY_WORDS if any(w in event.name for w in words)), None)
    return found or ("project" if event.levels or event.fields else None)


def _block(
    rng: np.random.Generator,
    event: EventType,
    t: int,
    firms: np.ndarray,
    dates: np.ndarray,
    levels: np.ndarray,
    subjects: np.ndarray,
    vocab: Vocabulary,
) -> dict[str, Any]:
    """One event type's rows: first_time and the type's fields drawn here."""
    k = len(firms)
    first = np.where(rng.random(k) < 0.85, rng.random(k) < 0.82, -1).astype(np.int8)  # ≈ 70% / 15% / 15% null
    block: dict[str, Any] = {
        "firm": firms,
        "type": np.full(k, t),
        "date": dates,
        "level": levels,
        "subject": subjects,
        "first": first,
        "fields": {},
    }
    order = sorted(event.fields, key=lambda f: f not in ("sales", "quantity", "contract_amount", "principal"))
    for name in order:
        fact = vocab.event_field_by_name[name]
        block["fields"][name] = _field(rng, event.name, fact, dates, block["fields"])
    return block


def _field(
    rng: np.random.Generator,
    event: str,
    fact: Fact,
    dates: np.ndarray,
    done: dict[str, tuple[np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray]:
    k, name = len(dates), fact.name
    every = np.ones(k, dtype=bool)
    if name == "quantity":
        median, sigma, _, _ = QUANTITY.get(event, (100.0, 1.0, 0.0, 0.0))
        return np.maximum(1, np.round(_lognormal(rng, median, sigma, k))), every
    if name == "amount" and event in QUANTITY and "quantity" in done:
        low, high = QUANTITY[event][2:]
        return np.round(done["quantity"][0] * rng.uniform(low, high, k)), every
    if name == "non_own_compute_amount" and "contract_amount" in done:
        return np.round(done["contract_amount"][0] * rng.uniform(0, 0.7, k)), rng.random(k) < 0.6
    if name == "interest_paid" and "principal" in done:
        return np.round(done["principal"][0] * rng.uniform(0.02, 0.045, k)), rng.random(k) < 0.9
    if name == "rd_investment" and "sales" in done:
        return np.round(done["sales"][0] * rng.uniform(0.02, 0.15, k)), every
    if name == "saving_tce":
        return np.round(_lognormal(rng, 800, 1.0, k), 2), every
    if name == "start_date":
        return dates - rng.integers(0, 540, k), every
    if name == "completion_date":
        start = done["start_date"][0] if "start_date" in done else dates
        end = start + rng.integers(180, 900, k)
        return end, (end <= END) & (rng.random(k) < 0.75)
    if fact.type == "money":
        median, sigma = MONEY_BY_EVENT.get((event, name), MONEY.get(name, (1e6, 1.2)))
        return np.round(_lognormal(rng, median, sigma, k)), every
    return _by_type(rng, fact, k, dates)


def _subjects(rng: np.random.Generator, event: EventType, offsets: dict[str, int], k: int) -> np.ndarray:
    category = _category(event)
    if category is None:
        return np.full(k, -1)
    picks = offsets[category] + rng.integers(0, len(SUBJECTS[category]), k)
    return np.where(rng.random(k) < 0.9, picks, -1)


def _events(
    rng: np.random.Generator, vocab: Vocabulary, ctx: dict[str, Any], firm_ids: pa.ChunkedArray
) -> pa.Table:
    n, scale = ctx["n"], ctx["n"] / 1e6
    sampler = _Sampler(rng, ctx)
    levels = list(dict.fromkeys(level for e in vocab.events for level in e.levels))
    offsets: dict[str, int] = {}
    subjects: list[str] = []
    for category, pool in SUBJECTS.items():
        offsets[category] = len(subjects)
        subjects.extend(pool)
    blocks: list[dict[str, Any]] = []
    by_type: dict[str, tuple[int, EventType, np.ndarray, np.ndarray, np.ndarray]] = {}
    for t, event in enumerate(vocab.events):
        global_levels = np.array([levels.index(x) for x in event.levels] + [-1], dtype=np.int64)
        if event.name == "mujun_result" and set(event.levels) >= {"A", "B", "C", "D"}:
            firms, dates, level, subject = _mujun(rng, ctx, [levels.index(x) for x in "ABCD"])
        else:
            count, population, tier = RATES.get(event.name, DEFAULT_RATE)
            k = round(count * scale) if event.name in CALIBRATED else int(rng.poisson(count * scale))
            firms = sampler.draw(population, tier, max(k, 1) if n >= 1000 else k, event.name in ONCE)
            k = len(firms)
            dates = _spread(rng, k)
            shares = LEVEL_SHARES.get(event.name, [2.0**i for i in range(len(event.levels))])
            local = _pick(rng, np.asarray(shares, float), k) if event.levels else np.full(k, -1)
            level, subject = global_levels[local], _subjects(rng, event, offsets, k)
        if len(event.levels) > 1 and event.name not in ONCE and event.name != "mujun_result":
            again, m = np.flatnonzero(rng.random(k) < LEVEL_COMPANIONS), len(event.levels)
            fallback = offsets[_category(event) or "project"]  # a companion needs a subject to share
            subject[again] = np.where(subject[again] < 0, fallback, subject[again])
            other = global_levels[(local[again] + rng.integers(1, m, len(again))) % m]
            when = np.clip(dates[again] + rng.integers(-700, 700, len(again)), START, END)
            firms, subject = np.concatenate([firms, firms[again]]), np.concatenate([subject, subject[again]])
            level, dates = np.concatenate([level, other]), np.concatenate([dates, when])
        by_type[event.name] = (t, event, firms, dates, subject)
        blocks.append(_block(rng, event, t, firms, dates, level, subject, vocab))
    for source, target, share in PAIRS:
        if source in by_type and target in by_type:
            _, _, firms, dates, subject = by_type[source]
            t, event, holders, *_ = by_type[target]
            pick = np.flatnonzero((rng.random(len(firms)) < share) & ~np.isin(firms, holders))
            level = np.full(len(pick), levels.index(event.levels[-1]) if event.levels else -1)
            earlier = np.clip(dates[pick] - rng.integers(30, 700, len(pick)), START, END)
            blocks.append(_block(rng, event, t, firms[pick], earlier, level, subject[pick], vocab))
    return _event_table(blocks, vocab, firm_ids, levels, subjects)


def _spread(rng: np.random.Generator, k: int) -> np.ndarray:
    """``k`` dates evenly spread over 2020–2027 (stratified, then shuffled): each year gets its share."""
    return rng.permutation(
        START + ((np.arange(k) + rng.random(k)) * (END + 1 - START) / max(k, 1)).astype(int)
    )


def _mujun(rng: np.random.Generator, ctx: dict[str, Any], grade_levels: list[int]) -> tuple[np.ndarray, ...]:
    """mujun_result events: a share of the graded firm-years, with that year's grade, dated in the year."""
    firms, dates, level = [], [], []
    for year, grade in ctx["grades"].items():
        chosen = np.flatnonzero((grade >= 0) & (rng.random(len(grade)) < MUJUN_EVENT))
        first = np.datetime64(f"{year}-01-01", "D").astype(int)
        firms.append(chosen)
        dates.append(np.clip(first + rng.integers(0, 365, len(chosen)), START, END))
        level.append(np.asarray(grade_levels)[grade[chosen]])
    firm = np.concatenate(firms)
    return firm, np.concatenate(dates), np.concatenate(level), np.full(len(firm), -1)


def _event_table(
    blocks: list[dict[str, Any]],
    vocab: Vocabulary,
    firm_ids: pa.ChunkedArray,
    levels: list[str],
    subjects: list[str],
) -> pa.Table:
    def joined(key: str) -> np.ndarray:
        return np.concatenate([b[key] for b in blocks])

    firm, date = joined("firm"), joined("date")
    order = np.lexsort((date, firm))
    total = len(order)
    first = joined("first")[order]
    columns = {
        "firm_id": firm_ids.take(pa.array(firm[order])),
        "type": _text([e.name for e in vocab.events], joined("type")[order]),
        "date": pa.array(date[order].astype(np.int32)).cast(pa.date32()),
        "level": _text(levels, joined("level")[order]),
        "subject": _text(subjects, joined("subject")[order]),
        "first_time": pa.array(first == 1, mask=first < 0),
    }
    row = np.empty(total, dtype=np.int64)
    row[order] = np.arange(total)  # where each generated event lands in the sorted table
    ends = np.cumsum([len(b["firm"]) for b in blocks])
    for fact in vocab.event_fields:
        values, valid = np.zeros(total), np.zeros(total, dtype=bool)
        for b, end in zip(blocks, ends, strict=True):
            if fact.name in b["fields"]:
                at = row[end - len(b["firm"]) : end]
                values[at], valid[at] = b["fields"][fact.name]
        columns[fact.name] = _arrow(values, valid, fact)
    return pa.table(columns)
