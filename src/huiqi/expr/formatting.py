"""Number formatting shared by ``render`` and ``render_filled``: plain positional decimals, no exponents."""

from __future__ import annotations

from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, ROUND_HALF_UP, Context, Decimal

_WIDE = Context(prec=1000, Emax=999_999, Emin=-999_999)
# ``scaleb`` in this context only moves the exponent: never rounds, never overflows (as ``shift``)
_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)


def shift(value: Decimal, places: int) -> Decimal:
    """``value × 10**places``, exactly (no context rounding, unlike ``Decimal.scaleb``)."""
    sign, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int):
        raise ValueError(f"cannot shift non-finite decimal {value}")
    return Decimal((sign, digits, exponent + places))


def format_decimal(value: Decimal, *, thousands: bool = False, places: int | None = None) -> str:
    """``Decimal`` → text without exponent and without trailing fractional zeros.

    >>> format_decimal(Decimal("2.00E+6"), thousands=True)
    '2,000,000'
    >>> format_decimal(Decimal("0.150"))
    '0.15'

    ``places`` rounds half-up to at most that many fractional digits first.
    """
    if not value.is_finite():
        raise ValueError(f"cannot format non-finite decimal {value}")
    if places is not None:
        value = value.quantize(shift(Decimal(1), -places), rounding=ROUND_HALF_UP, context=_WIDE)
    if not value:  # every zero (-0, 0E+3, 0.000) is "0"
        return "0"
    # Positional digits, grouped by ``format`` itself; a non-zero coefficient has no leading zeros, so only
    # trailing fractional zeros (and a bare point) go.
    text = format(value, ",f" if thousands else "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_money(value: Decimal) -> str:
    """Yuan with thousands separators: ``1,500,000元``."""
    return format_decimal(value, thousands=True) + "元"


def format_percent(value: Decimal) -> str:
    """A fraction as a percentage: ``Decimal("0.035")`` → ``3.5%``."""
    if not value.is_finite():
        raise ValueError(f"cannot shift non-finite decimal {value}")
    return format_decimal(value.scaleb(2, _EXACT)) + "%"
