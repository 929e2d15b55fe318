"""The same feature definitions on Apache Spark, through Ibis.

A platform whose practices outgrow one machine runs the scan on a Spark
cluster it already has, over the same Parquet snapshot DuckDB reads: Ibis
compiles the expressions of episode.py (and the scan's, engagement/query.py)
to Spark SQL; nothing here restates a feature. In tests and on a laptop it is
a local Spark in this process (`local[2]`); in production the cluster's URL
(`--spark-master spark://host:7077`, or STILLHERE_SPARK_MASTER) and a folder
every executor can read (a shared or object-store path).

Spark needs Java (Debian's default-jre-headless) and starts a JVM: seconds
to a minute on a busy machine, paid once per process.
"""

import os
from pathlib import Path

import ibis

from .snapshot import from_snapshot
from .sources import Sources

LOCAL = "local[2]"


def session(master: str | None = None):
    """A SparkSession for `master` (default STILLHERE_SPARK_MASTER, else a
    local Spark on two cores), reused if this process already has one."""
    from pyspark.sql import SparkSession

    master = master or os.getenv("STILLHERE_SPARK_MASTER") or LOCAL
    builder = (SparkSession.builder.master(master).appName("stillhere-scan")
               # Integer epoch seconds everywhere, but any time Spark shows is UTC.
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.ui.showConsoleProgress", "false"))
    if master.startswith("local"):
        # One machine: everything on loopback (Spark would otherwise pick the
        # first network interface), a few shuffle partitions, not 200.
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        builder = (builder.config("spark.driver.host", "127.0.0.1")
                   .config("spark.driver.bindAddress", "127.0.0.1"))
        builder = builder.config("spark.sql.shuffle.partitions", os.getenv("STILLHERE_SPARK_PARTITIONS", "4"))
        builder = builder.config("spark.ui.enabled", os.getenv("STILLHERE_SPARK_UI", "false"))
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def connect(master: str | None = None):
    return ibis.pyspark.connect(session(master))


def from_snapshot_spark(folder: Path, con=None) -> Sources:
    """A snapshot's canonical tables, read by Spark (snapshot.py checks them)."""
    return from_snapshot(folder, con or connect())


__all__ = ["session", "connect", "from_snapshot_spark", "LOCAL"]
