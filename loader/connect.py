"""The warehouse a profile target names: DuckDB and MySQL/MariaDB (loader/warehouse.py) or Spark
(loader/spark_warehouse.py, the optional `spark` extra)."""

from __future__ import annotations

from loader.profiles import Target
from loader.warehouse import DuckDBWarehouse, MySQLWarehouse, Warehouse


def connect(target: Target) -> Warehouse:
    if target.type == "duckdb":
        return DuckDBWarehouse(target)
    if target.type == "spark":
        # Imported here: pyspark / dbt-spark are the optional `spark` extra.
        from loader.spark_warehouse import SparkWarehouse

        return SparkWarehouse(target)
    return MySQLWarehouse(target)
