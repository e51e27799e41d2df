"""The batch plan on Spark: the same Ibis expressions on PySpark (local mode here, a cluster by master URL).

Spark is set for exact decimals (no precision loss in decimal arithmetic) and a fixed time zone, so its results
equal DuckDB's to the yuan."""

from __future__ import annotations

import os
from typing import Any

SPARK_CONF = {
    "spark.sql.decimalOperations.allowPrecisionLoss": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "false",
    "spark.sql.shuffle.partitions": "8",
    "spark.ui.enabled": "false",
    "spark.driver.memory": "2g",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}


def spark_backend(master: str | None = None) -> Any:
    import ibis
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", os.environ.get("PYSPARK_PYTHON", "python3"))
    builder = SparkSession.builder.appName("huiqi-batch").master(
        master or os.environ.get("HUIQI_SPARK_MASTER", "local[2]")
    )
    for key, value in SPARK_CONF.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return ibis.pyspark.connect(session)
