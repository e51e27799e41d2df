"""Cell values going out to spreadsheets: the OWASP CSV-injection rule, for one value and for a column."""

from __future__ import annotations

import re
from typing import TypeVar

import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]

T = TypeVar("T")

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
_NUMBER_RE = re.compile(_NUMBER)
_RISKY = r"^[=+\-@\t\r]"
_ESCAPED = r"^'([=+\-@\t\r])"


def safe_cell(value: T) -> T | str:
    """``value``, with a leading ``'`` if it is text a spreadsheet would run as a formula.

    Text starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return is escaped, except a plain number
    (``-5``, ``+3.2``, ``-1e3``), which stays as it is. Anything that is not text is returned unchanged.
    """
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER_RE.match(value):
        return "'" + value
    return value


def escape_array(array: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """``safe_cell`` over a string column, vectorised."""
    risky = pc.and_(
        pc.match_substring_regex(array, _RISKY), pc.invert(pc.match_substring_regex(array, _NUMBER))
    )
    return pc.if_else(risky, pc.binary_join_element_wise("'", array, ""), array)


def unescape_array(array: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Undo ``safe_cell`` on text read back (``'=1+1`` → ``=1+1``): a written table reads back unchanged."""
    return pc.replace_substring_regex(array, _ESCAPED, r"\1")
