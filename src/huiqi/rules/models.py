"""The rule-file format, as typed models. ``docs/reference/rule-files.md`` is generated from these
field descriptions (``huiqi reference``); a rule file is validated into them on load.

A rule file holds one document's rules: award rules (one per award a sentence grants), the document's
general provisions (exclusions, halving, their exemptions), its 从高不重复 groups, and annotations for
every amount or rate of the text that is not an award (so coverage can reach 100%).
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class Basis(StrEnum):
    exact = "exact"
    up_to = "up_to"
    at_least = "at_least"
    unquantified = "unquantified"
    non_monetary = "non_monetary"

    @property
    def label(self) -> str:
        return BASIS_LABELS[self]

    @property
    def has_amount(self) -> bool:
        return self in (Basis.exact, Basis.up_to, Basis.at_least)


BASIS_LABELS = {
    Basis.exact: "定额",
    Basis.up_to: "最高",
    Basis.at_least: "不低于",
    Basis.unquantified: "支持",
    Basis.non_monetary: "非资金",
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


Quotes = Annotated[
    tuple[str, ...],
    Field(min_length=1, description="one or more sentences of the article, verbatim (whitespace may differ)"),
]


class Trigger(_Model):
    event: str = Field(description="the event type (vocabulary `events`) that triggers the award")
    where: str | None = Field(
        None,
        description="condition on the event, e.g. `event.level == '国家级'`; rule language",
    )
    first_time: bool = Field(False, description="only a first-time event counts (首次入选 / 首次取得)")


class Tranche(_Model):
    """One payment of an award paid in parts (nb-2020-mfg art 3: 30% at 开工, 70% at 竣工投产)."""

    share: Decimal = Field(gt=0, le=1, description="share of the award, e.g. 0.3")
    milestone: str = Field(description="when it is paid, in the text's words: 开工, 竣工投产, 第一年 …")
    on: str | None = Field(
        None,
        description="the date it falls due, rule language (`event.start_date`, `years_after(event.date, 1)`)",
    )


class CumulativeCap(_Model):
    """A cap that holds across events and years (三年内最高30万元; 单个企业累计奖励不超过50万元; 不超过5个)."""

    amount: str | None = Field(None, description="the cap on the sum, rule language (e.g. `30万`)")
    years: int | None = Field(None, description="window in years counted back from the event; None = ever")
    per: Literal["firm", "subject"] = Field("firm", description="the cap holds per firm or per subject")
    max_items: int | None = Field(
        None, gt=0, description="at most this many awarded items (art 13: 5 products)"
    )
    key: str | None = Field(
        None,
        pattern=r"^[a-z0-9_]+$",
        description="rules of the document with the same key share one cap (art 22: 认证, 自我声明, 新增产品)",
    )

    @model_validator(mode="after")
    def _something_to_cap(self) -> CumulativeCap:
        if self.amount is None and self.max_items is None:
            raise ValueError("累计上限须给出 amount 或 max_items")
        return self


class Amount(_Model):
    """What the award pays, and what the number means."""

    basis: Basis = Field(
        description="exact 定额 / up_to 最高 / at_least 不低于 / unquantified 支持 / non_monetary 非资金"
    )
    formula: str | None = Field(
        None,
        description="the amount in yuan, rule language (`200万`, `min(15% * event.sales, 200万)`); "
        "required for exact / up_to / at_least, absent otherwise",
    )
    support: str | None = Field(
        None, description="what the support is, in the text's words (分档奖励, 不增收土地价款, 配套支持 …)"
    )
    fund_form: str | None = Field(
        None, description="the form of money where it is not a grant: 基金支持, 贴息"
    )


class Rule(_Model):
    id: str = Field(pattern=r"^[a-z0-9-]+/\d+(\.\d+)?/[a-z0-9_]+$", description="<document>/<article>/<slug>")
    article: str = Field(description="the article number within the document (`11`, `1.1`)")
    title: str = Field(description="a short Chinese name of the award, shown to users")
    trigger: Trigger
    when: str | None = Field(None, description="conditions on the firm and the year's figures; rule language")
    amount: Amount
    department: str | None = Field(None, description="responsible department, where the text names it")
    group: str | None = Field(None, description="the 从高不重复 group this award belongs to (see groups)")
    schedule: tuple[Tranche, ...] = Field((), description="payment tranches where the text sets them")
    cumulative_cap: CumulativeCap | None = None
    once: bool = Field(False, description="a one-time award: paid once per firm (and subject)")
    quote: Quotes
    note: str | None = Field(None, description="a reading the encoder chose, and why (Chinese or English)")

    @field_validator("schedule")
    @classmethod
    def _shares_sum_to_one(cls, v: tuple[Tranche, ...]) -> tuple[Tranche, ...]:
        if v and sum(t.share for t in v) != 1:
            raise ValueError("各期比例之和须为 1")
        return v


class Effect(StrEnum):
    exclude = "exclude"
    halve = "halve"


class Provision(_Model):
    """A general provision applied to every award of the document (nb-2025-35 arts 36–38)."""

    id: str = Field(pattern=r"^[a-z0-9-]+/\d+/[a-z0-9_]+$", description="<document>/<article>/<slug>")
    article: str = Field(description="the article number")
    title: str = Field(description="a short Chinese name, shown with every line it changes")
    effect: Effect = Field(description="exclude 不予享受 / halve 减半享受")
    when: str = Field(description="when the provision bites; rule language over firm, year and event")
    unless: str | None = Field(None, description="exemption (初创型企业 …); rule language")
    quote: Quotes


class Group(_Model):
    """Awards that are alternative titles or levels of one kind of recognition: only the highest is paid."""

    id: str = Field(pattern=r"^[a-z0-9_]+$", description="referred to by rules' `group`")
    label: str = Field(description="a short Chinese name, shown with every award set aside")
    per: Literal["firm", "subject"] = Field(
        description="compete per firm, or only among awards for the same subject (product, project, site)"
    )
    quote: Quotes = Field(description="the sentence of the document that makes it one group")
    reason: str = Field(description="why these awards are the same kind (Chinese)")
    members: tuple[str, ...] = Field(
        (),
        description="rules of OTHER documents that compete in this group (a county document's 从高不重复 "
        "with city-level awards for the same thing); their own document's groups apply first",
    )


class AnnotationKind(StrEnum):
    statistic = "statistic"
    threshold = "threshold"
    fund_size = "fund_size"
    target = "target"
    list_name = "list_name"
    not_an_award = "not_an_award"
    described_elsewhere = "described_elsewhere"


class Annotation(_Model):
    """An amount or rate in the text that no rule pays, and why."""

    article: str = Field(description="the article number")
    amount: str = Field(description="the amount as written, e.g. `80%`, `4 亿元` (whitespace may differ)")
    kind: AnnotationKind = Field(description="why it is not an award")
    note: str = Field(description="a sentence for the reader (Chinese)")
    basis_of: str | None = Field(None, description="for a reply letter: the article that is the legal basis")


class ArticleNote(_Model):
    """Why an article grants nothing a firm can claim (a mechanism, a duty of government …)."""

    article: str = Field(description="the article number")
    note: str = Field(description="why (Chinese)")


class RuleFile(_Model):
    """One document's rules."""

    document: str = Field(description="the document id (`nb-2025-35`)")
    rules: tuple[Rule, ...] = Field((), description="award rules, one per award a sentence grants")
    provisions: tuple[Provision, ...] = Field((), description="general provisions applied to every award")
    groups: tuple[Group, ...] = Field((), description="从高不重复 groups")
    annotations: tuple[Annotation, ...] = Field((), description="amounts and rates that are not awards")
    article_notes: tuple[ArticleNote, ...] = Field(
        (), description="articles that grant nothing a firm can claim"
    )
