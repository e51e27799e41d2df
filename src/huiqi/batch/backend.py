"""The two things the plan needs from a backend beyond Ibis expressions: load an Arrow table under a name,
and materialise an expression under a name. DuckDB does both through Ibis; on Spark, Arrow goes straight to
a DataFrame (Ibis's route through pandas loses NULL decimals) and results are cached temp views."""

from __future__ import annotations

from typing import Any

import ibis.expr.types as ir
import pyarrow as pa


def is_spark(con: Any) -> bool:
    return str(getattr(con, "name", "")) == "pyspark"


def load(con: Any, name: str, table: pa.Table) -> ir.Table:
    if not is_spark(con):
        return con.create_table(name, table, overwrite=True)
    frame = con._session.createDataFrame(table)
    frame.createOrReplaceTempView(name)
    return con.table(name)


def materialize(con: Any, name: str, expr: ir.Table | str) -> ir.Table:
    """``expr`` (an expression or SQL of this backend) computed once and kept under ``name``."""
    if not is_spark(con):
        return con.create_table(name, con.sql(expr) if isinstance(expr, str) else expr, overwrite=True)
    sql = expr if isinstance(expr, str) else con.compile(expr)
    frame = con._session.sql(sql).localCheckpoint(eager=True)
    frame.createOrReplaceTempView(name)
    return con.table(name)
