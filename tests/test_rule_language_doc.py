"""Every ```expr example in docs/reference/rule-language.md parses and uses only known names."""

from __future__ import annotations

import re

import pytest

from huiqi.expr import check_names, parse
from huiqi.vocab import get_vocabulary

from .conftest import ROOT

DOC = (ROOT / "docs" / "reference" / "rule-language.md").read_text(encoding="utf-8")
EXAMPLES = re.findall(r"```expr\n(.*?)\n```", DOC, flags=re.S)


def test_the_doc_has_examples() -> None:
    assert len(EXAMPLES) >= 6


@pytest.mark.parametrize("text", EXAMPLES)
def test_example_parses(text: str) -> None:
    check_names(parse(text), get_vocabulary().names, text=text)
