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
    sql = expr if isinstance(expr, str) else con.compile(expr)
    if not is_spark(con):  # plain CREATE TABLE AS: Ibis's own route describes the query first, a second plan
        con.raw_sql(f'CREATE OR REPLACE TABLE "{name}" AS {sql}')
        return con.table(name)
    frame = con._session.sql(sql).localCheckpoint(eager=True)
    frame.createOrReplaceTempView(name)
    return con.table(name)


def view(con: Any, name: str, expr: ir.Table) -> ir.Table:
    """``expr`` under ``name`` without copying it (a view, computed where it is read). On Spark it is
    materialised instead: a lazy view there would fold validation into the plan's one query, whose generated
    code is too large for the JVM."""
    if is_spark(con):
        return materialize(con, name, expr)
    return con.create_view(name, expr, overwrite=True)
