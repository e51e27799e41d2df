"""统一社会信用代码 (GB 32100-2015): 18 characters, the last a check character over the first 17."""

from __future__ import annotations

import operator

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ALLOWED = frozenset(ALPHABET)
# ``check_character`` as tables, for codes already known to use only ``ALPHABET``: position i's character → its
# value times WEIGHTS[i], and the sum's remainder mod 31 → the check character
_TERMS = tuple({ch: value * weight for value, ch in enumerate(ALPHABET)} for weight in WEIGHTS)
_CHECK = tuple(ALPHABET[(31 - r) % 31] for r in range(31))


def check_character(first17: str) -> str:
    if len(first17) != len(WEIGHTS):
        raise ValueError(f"check_character needs 17 characters, not {len(first17)}")
    total = sum(map(operator.mul, map(ALPHABET.index, first17), WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def _check(code: str) -> str:
    """``check_character(code[:17])`` for a code of 18 characters of ``ALPHABET`` (``map`` stops at 17)."""
    return _CHECK[sum(map(operator.getitem, _TERMS, code)) % 31]


def is_valid(code: str) -> bool:
    """``problem(code) is None``, without wording anything."""
    return len(code) == 18 and _ALLOWED.issuperset(code) and code[17] == _check(code)


def problem(code: str) -> str | None:
    """None if ``code`` is a valid 统一社会信用代码, else what is wrong with it (Chinese)."""
    if len(code) != 18:
        return f"应为18位，实为{len(code)}位"
    if not _ALLOWED.issuperset(code):
        bad = sorted({ch for ch in code if ch not in ALPHABET})
        return f"含有不允许的字符：{'、'.join(bad)}（不使用 I、O、S、V、Z 和小写字母）"
    expected = _check(code)
    if code[17] != expected:
        return f"校验位错误：第18位应为 {expected}"
    return None


def complete(first17: str) -> str:
    """The full code for 17 given characters (for demos, tests and synthetic firms)."""
    return first17 + check_character(first17)
