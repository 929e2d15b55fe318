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
import re
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
               .config("spark.ui.showConsoleProgress", "false")
               # Any frame pandas receives comes in Arrow batches, not row by row.
               .config("spark.sql.execution.arrow.pyspark.enabled", "true"))
    # The adaptive planner on (Spark's default since 3.2, said here because
    # the plan below relies on it): it merges the shuffle partitions a small
    # practice leaves nearly empty and turns a join with a small side into a
    # broadcast once it has seen the side's real size.
    builder = (builder.config("spark.sql.adaptive.enabled", "true")
               .config("spark.sql.adaptive.coalescePartitions.enabled", "true"))
    if master.startswith("local"):
        # One machine: everything on loopback (Spark would otherwise pick the
        # first network interface).
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        builder = (builder.config("spark.driver.host", "127.0.0.1")
                   .config("spark.driver.bindAddress", "127.0.0.1"))
        for key, value in local_conf(_cores(master)).items():
            builder = builder.config(key, value)
    spark_ui = os.getenv("STILLHERE_SPARK_UI", "false")
    builder = builder.config("spark.ui.enabled", spark_ui)
    if spark_ui == "true" and os.getenv("STILLHERE_SPARK_UI_PORT"):
        builder = builder.config("spark.ui.port", os.environ["STILLHERE_SPARK_UI_PORT"])
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def local_conf(cores: int) -> dict[str, str]:
    """How a local Spark is sized for a practice's snapshot on one machine.

    - The driver is the only executor, and it collects the scan's rows (one
      per open episode) and the columns the no-show score reads: its heap is
      STILLHERE_SPARK_DRIVER_MEMORY (default 6g, against Spark's own 1g: a
      1.71M-client practice has 20 million appointments). It can only be set before
      the JVM starts, so a process sizes it with its first session.
    - Each snapshot table is one Parquet file in row groups of about 120,000
      rows, long-closed episodes first. Spark cuts a file into splits at row
      group boundaries, by default into as many as there are cores; the
      splits over long-closed episodes are skipped unread, so with two
      splits one core did all the work. At least 8 splits per core's worth
      (STILLHERE_SPARK_SPLITS_PER_CORE) and at most 16 MB each keep both
      cores busy on the open episodes at the end of each file.
    - Shuffle partitions: STILLHERE_SPARK_PARTITIONS (default 4 per core),
      merged by the adaptive planner when a practice is small.
    - What the tasks hand back to the driver may total half its heap
      (spark.driver.maxResultSize, Spark's own default 1g): at 1.71M clients
      the no-show copy alone is about 1 GB of Arrow batches, and the scan
      failed on the 1g limit.
    """
    memory = os.getenv("STILLHERE_SPARK_DRIVER_MEMORY", "6g")
    return {
        "spark.driver.memory": memory,
        "spark.driver.maxResultSize": os.getenv("STILLHERE_SPARK_MAX_RESULT", _half(memory)),
        "spark.sql.files.maxPartitionBytes": "16m",
        "spark.sql.files.minPartitionNum": str(cores * int(os.getenv("STILLHERE_SPARK_SPLITS_PER_CORE", "8"))),
        "spark.sql.shuffle.partitions": os.getenv("STILLHERE_SPARK_PARTITIONS", str(4 * cores)),
    }


def _half(memory: str) -> str:
    """Half of a JVM memory setting such as "6g" (in megabytes), or "0" (no limit) if unreadable."""
    m = re.fullmatch(r"(\d+)([kmgt]?)b?", memory.strip().lower())
    if m is None:
        return "0"
    mb = int(m.group(1)) * {"k": 1 / 1024, "m": 1, "g": 1024, "t": 1024 ** 2, "": 1 / 1024 ** 2}[m.group(2)]
    return f"{max(1, int(mb // 2))}m"


def _cores(master: str) -> int:
    m = re.fullmatch(r"local\[(\d+|\*)(?:,\d+)?\]", master)
    if m is None:
        return 1
    return (os.cpu_count() or 1) if m.group(1) == "*" else int(m.group(1))


def connect(master: str | None = None):
    return ibis.pyspark.connect(session(master))


def from_snapshot_spark(folder: Path, con=None) -> Sources:
    """A snapshot's canonical tables, read by Spark (snapshot.py checks them)."""
    return from_snapshot(folder, con or connect())


__all__ = ["session", "connect", "local_conf", "from_snapshot_spark", "LOCAL"]
