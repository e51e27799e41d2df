"""Rules as data: rule-file models, loading (with file:line errors), checking (quotes, coverage)."""

from huiqi.rules.load import (
    CompiledProvision,
    CompiledRule,
    DocumentRules,
    Rulebook,
    get_rulebook,
    load_rulebook,
)
from huiqi.rules.models import Basis, Group, Provision, Rule, RuleFile

__all__ = [
    "Basis",
    "CompiledProvision",
    "CompiledRule",
    "DocumentRules",
    "Group",
    "Provision",
    "Rule",
    "RuleFile",
    "Rulebook",
    "get_rulebook",
    "load_rulebook",
]
