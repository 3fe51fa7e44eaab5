"""Statements from a Parquet archive of news with Spark: one row per statement, as Parquet.

Run on a cluster (or locally with ``--master "local[2]"``); every executor needs
``stance-hedge[spark]`` installed, for example in the image or through ``--py-files``::

    spark-submit --master "local[2]" examples/spark_stance.py news.parquet statements.parquet \\
        --text-column body --id-column id
"""

from __future__ import annotations

import argparse

from pyspark.sql import SparkSession

from stance.spark import statement_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", help="Parquet file or folder with a text column")
    parser.add_argument("output", help="Parquet folder for the statement rows")
    parser.add_argument("--text-column", default="text")
    parser.add_argument("--id-column", default=None)
    args = parser.parse_args()

    spark = SparkSession.builder.appName("stance").getOrCreate()
    news = spark.read.parquet(args.input)
    rows = statement_rows(news, text_column=args.text_column, id_column=args.id_column)
    rows.write.mode("overwrite").parquet(args.output)
    spark.stop()


if __name__ == "__main__":
    main()
