"""The compiled rules on Spark SQL, for registries past one machine.

`make test` checks the generated Spark SQL text without a JVM: every statement parses as Spark SQL
(sqlglot's Spark dialect) and calls only functions Spark has, and the queries are the very text DuckDB
runs. `make test-spark` installs PySpark (the `spark` extra, about 450 MB) and runs the same statements
on a local Spark session (Java 17), comparing every row with the engine.
"""
from __future__ import annotations

import json
import os
import random
from datetime import date

import pytest

from rules.engine import evaluate_program
from rules.facts import FACTS
from rules.model import load_programs
from rules.sql import DUCKDB, SPARK, CompiledProgram, sql_type

DATES = [date(2021, 3, 1), date(2024, 6, 1), date(2026, 11, 27)]
REGIONS = ["140100", "140105", "310151", "310104", "330213", "330400", "230111", "110105"]


def _statements(program, as_of, dialect):
    compiled = CompiledProgram(program, as_of, REGIONS, dialect)
    prepare, results = compiled.steps("people", "plan", "FALSE", "z")
    return prepare, results


@pytest.mark.parametrize("as_of", DATES, ids=str)
def test_generated_sql_is_spark_sql(as_of):
    sqlglot = pytest.importorskip("sqlglot")
    from sqlglot import exp

    for program in load_programs().values():
        prepare, results = _statements(program, as_of, SPARK)
        duck_prepare, duck_results = _statements(program, as_of, DUCKDB)
        # the same queries on both engines; only how a step's table is kept differs
        assert results == duck_results
        assert [s.split(" AS ", 1)[1] for s in prepare] == [s.split(" AS ", 1)[1] for s in duck_prepare]
        assert all(s.startswith("CACHE TABLE ") for s in prepare)
        for statement in [*prepare, results]:
            tree = sqlglot.parse_one(statement, read="spark", error_level=sqlglot.ErrorLevel.RAISE)
            unknown = {f.name for f in tree.find_all(exp.Anonymous)}
            assert not unknown, f"{program.id}: functions Spark does not have: {unknown}"
            assert tree.sql(dialect="spark")  # and it reads back as Spark SQL


def _profiles(n: int) -> list[dict]:
    rng = random.Random(5)
    values = {f: list(spec.domain()) or [spec.low, 5, 6, 7, 11, 12, 17, 18, 40] for f, spec in FACTS.items()
              if f != "region"}
    values["region"] = REGIONS
    return [{f: rng.choice(v) for f, v in values.items() if rng.random() < 0.6} for _ in range(n)]


@pytest.mark.skipif(os.environ.get("ZHUCAN_TEST_SPARK") != "1", reason="needs PySpark and Java: make test-spark")
def test_compiled_rules_on_a_local_spark_session_give_the_engines_answer():
    pyspark = pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession
    from pyspark.sql.types import BooleanType, IntegerType, StringType, StructField, StructType

    spark = (SparkSession.builder.master("local[2]").appName("zhucan-test")
             .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.shuffle.partitions", "4").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    types = {"INTEGER": IntegerType(), "STRING": StringType(), "BOOLEAN": BooleanType()}
    profiles = _profiles(4000)
    try:
        for as_of in DATES:
            for program in load_programs().values():
                compiled = CompiledProgram(program, as_of, REGIONS, SPARK)
                schema = StructType([StructField("line", IntegerType()), StructField("person", StringType()),
                                     StructField("plan", IntegerType())]
                                    + [StructField(f, types[sql_type(f)]) for f in FACTS])
                rows = [(i, str(i), compiled.plan_of(p.get("region")), *[p.get(f) for f in FACTS])
                        for i, p in enumerate(profiles)]
                spark.createDataFrame(rows, schema).createOrReplaceTempView("people")
                prepare, results = compiled.steps("people", "plan", "FALSE", f"z_{program.id}")
                for statement in prepare:
                    spark.sql(statement)
                got = {r["line"]: (r["verdict"], r["missing"], r["rule"], r["source_status"])
                       for r in spark.sql(results).collect()}
                assert len(got) == len(profiles)
                for i, profile in enumerate(profiles):
                    r = evaluate_program(program, profile, as_of)
                    assert got[i] == (r.verdict, json.dumps(r.missing), r.rule, r.source_status), (program.id, profile)
                for statement in prepare:
                    spark.catalog.dropTempView(statement.split()[2])
    finally:
        spark.stop()
    assert pyspark.__version__
