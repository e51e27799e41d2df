"""Money is whole 元. Amounts are computed exactly (Decimal) and rounded once, here, half up."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

WAN = Decimal(10_000)
_ONE = Decimal(1)


def round_yuan(amount: Decimal) -> int:
    """The one rounding step: an exact amount to whole 元, half up (0.5 元 → 1 元)."""
    return int(amount.quantize(_ONE, rounding=ROUND_HALF_UP))


def wan(yuan: int | Decimal) -> str:
    """元 as 万元 for display, without trailing zeros: 2000000 → "200", 25000 → "2.5", 1 → "0.0001"."""
    value = (Decimal(yuan) / WAN).normalize()
    text = format(value, "f")
    return text


def yuan(value: int | Decimal) -> str:
    """元 with thousands separators: 2500000 → "2,500,000"."""
    return f"{int(value):,}"
