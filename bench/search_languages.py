#!/usr/bin/env python3
"""Benchmark of the two ways to find a Chinese word inside a sentence on PostgreSQL
(issue 18): the bigram tokens of submissions/search.py in the existing `tsvector`, and
a pg_trgm index on the stored text. Prints, per approach, the build time and size of
the index and, per query, how many documents it found (against the true count, taken
in Python), the median and 95th-percentile time and the plan; then one JSON line.

    .venv/bin/python bench/search_languages.py [--docs 20000] [--runs 15] [--keep]

Needs PostgreSQL (BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/postgres:
a role that may create databases and the pg_trgm extension). It creates the database
`iscm_bench_search_languages`, generates DOCS Chinese documents of about 1,600
characters (words drawn from a 200-word vocabulary with Zipf weights, punctuation
between clauses, a year now and then; 蝴蝶 planted in 1 % of them, 樱花盛开 in 5 %),
and builds, each in its own table:
  - "runs": `to_tsvector('simple', text)`, what the portal did before: the parser takes
    a run between punctuation marks as one word;
  - "bigrams": `to_tsvector('simple', search.indexed_text(text))`, GIN-indexed; queried
    exactly as the portal does, `search.query_text` parsed in every configuration of
    `search.QUERY_CONFIGS`, OR-ed;
  - "trigrams": the text itself with `gin (text gin_trgm_ops)`, queried with LIKE.
The database is dropped at the end unless --keep.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
from psycopg2.extras import execute_values

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# submissions.search imports the models: Django must be set up, with any database
# (the benchmark talks to its own through psycopg2).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iscm_portal.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
os.environ.setdefault("SITE_URL", "http://bench.invalid")
import django  # noqa: E402

django.setup()
from submissions import search  # noqa: E402

ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DATABASE = "iscm_bench_search_languages"
SEED = 18
# Words of migration reports; none uses a character of the planted or absent words.
# (SQL below is built from these constants and the configuration names, never from
# outside input: hence the S608 exceptions.)
WORDS = (
    "移民 国家 政府 工作 报告 发展 社会 经济 政策 保护 权利 劳工 安全 合作 管理 信息 数据 "
    "服务 支持 进展 问题 措施 地区 成员国 组织 儿童 妇女 家庭 边境 难民 融合 招聘 渠道 正规 "
    "公平 脆弱 处境 方面 取得 以及 关于 加强 促进 确保 提供 实施 建立 参与 相关 包括 通过 "
    "进行 方案 计划 机制 框架 协议 对话 伙伴 国际 区域 全球 契约 目标 原则 审查 会议 代表 "
    "秘书处 文件 意见 建议 结论 挑战 风险 机会 能力 资源 资金 技术 培训 教育 健康 医疗 "
    "住房 就业 工资 条件 待遇 歧视 暴力 贩运 走私 偷渡 拘留 遣返 返回 重新 接纳 证件 签证 "
    "居留 入境 出境 过境 口岸 海关 警察 司法 法律 法规 条例 标准 指标 统计 调查 研究 分析 "
    "评估 监测 报道 媒体 公众 社区 地方 城市 农村 农业 工业 建筑 家政 季节性 临时 长期 "
    "短期 永久 公民 身份 登记 出生 死亡 失踪 搜救 海上 陆路 沙漠 气候 变化 灾害 干旱 洪水 "
    "冲突 和平 稳定 可持续 包容 平等 尊重 人权 尊严 价值 文化 语言 宗教 青年 老人 残疾 "
    "汇款 金融 银行 成本 降低 提高 增加 减少 改善 扩大 推动 落实 承诺 责任 义务 透明 "
    "问责 协调 一致 有效 安排 程序 步骤 阶段 年度 期间 最近 目前 未来 今后 方向 重点"
)
VOCABULARY = WORDS.split()
RARE, FOUR, ABSENT, APART = "蝴蝶", "樱花盛开", "鲸鱼", "劳移"
QUERIES = {
    "common two-character word": "移民",
    "rare two-character word (1 %)": RARE,
    "four-character word (5 %)": FOUR,
    "two words, both required": f"移民 {RARE}",
    "absent word": ABSENT,
    "two characters never side by side": APART,
}


def database_url(name: str) -> str:
    return urlunsplit(urlsplit(ADMIN_URL)._replace(path=f"/{name}"))


def admin(sql: str) -> None:
    connection = psycopg2.connect(ADMIN_URL)
    connection.autocommit = True  # CREATE / DROP DATABASE refuse to run in a transaction
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
    finally:
        connection.close()


def documents(count: int) -> list[str]:
    planted = set("".join([RARE, FOUR, ABSENT]))
    assert not planted & set("".join(VOCABULARY)), "the vocabulary must not hold them"
    rng = random.Random(SEED)  # noqa: S311 — reproducible text, not a secret
    weights = [1 / rank for rank in range(1, len(VOCABULARY) + 1)]
    docs = []
    for n in range(count):
        words = rng.choices(VOCABULARY, weights, k=700)
        if n % 100 == 0:
            words.insert(rng.randrange(len(words)), RARE)
        if n % 20 == 7:
            words.insert(rng.randrange(len(words)), FOUR)
        clauses, text = 0, []
        for i, word in enumerate(words):
            text.append(word)
            if i % 9 == 8:
                clauses += 1
                text.append("。" if clauses % 3 == 0 else "，")
            if i % 97 == 50:
                text.append(f"{2000 + i % 30}年")
        docs.append("".join(text)[:1600])
    return docs


def truth(docs: list[str], query: str) -> int:
    words = query.split()
    return sum(all(w in doc for w in words) for doc in docs)


def timed(cursor, sql: str, params=()) -> float:
    started = time.perf_counter()
    cursor.execute(sql, params)
    return time.perf_counter() - started


def size(cursor, relation: str) -> int:
    cursor.execute("SELECT pg_total_relation_size(%s)", [relation])
    return cursor.fetchone()[0]


def measure(cursor, sql: str, params, runs: int) -> dict:
    """Count, median and 95th percentile (ms) of `sql`, and its plan's node types."""
    cursor.execute(sql, params)  # warm-up
    count = cursor.fetchone()[0]
    times = []
    for _ in range(runs):
        times.append(timed(cursor, sql, params) * 1000)
        cursor.fetchone()
    cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
    plan = cursor.fetchone()[0][0]["Plan"]
    nodes = []

    def walk(node):
        label = node["Node Type"]
        if node.get("Rows Removed by Index Recheck"):
            label += f" (recheck removed {node['Rows Removed by Index Recheck']})"
        nodes.append(label)
        for child in node.get("Plans", []):
            walk(child)

    walk(plan)
    times.sort()
    return {
        "found": count,
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[min(len(times) - 1, int(len(times) * 0.95))], 2),
        "plan": " / ".join(nodes),
    }


def parsed() -> str:
    """The portal's query: one parameter parsed in every configuration, OR-ed."""
    return (
        "(" + " || ".join(f"websearch_to_tsquery('{c}', %s)" for c in search.QUERY_CONFIGS) + ")"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()

    started = time.perf_counter()
    docs = documents(args.docs)
    chars = sum(len(d) for d in docs)
    print(
        f"{len(docs)} documents, {chars / len(docs):.0f} characters on average, "
        f"generated in {time.perf_counter() - started:.1f} s"
    )
    started = time.perf_counter()
    prepared = [search.indexed_text(d) for d in docs]
    prepare_s = time.perf_counter() - started
    print(f"search.indexed_text over all of them: {prepare_s:.1f} s")

    admin(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    admin(f"CREATE DATABASE {DATABASE}")
    result = {"docs": len(docs), "chars_per_doc": round(chars / len(docs)), "queries": {}}
    try:
        connection = psycopg2.connect(database_url(DATABASE))
        connection.autocommit = True
        cursor = connection.cursor()
        cursor.execute("SET statement_timeout = '120s'")
        cursor.execute("CREATE TABLE docs (id int PRIMARY KEY, body text, prepared text)")
        execute_values(
            cursor,
            "INSERT INTO docs VALUES %s",
            list(zip(range(len(docs)), docs, prepared, strict=True)),
        )
        cursor.execute("VACUUM ANALYZE docs")

        build = {}
        for name, expression in (
            ("runs", "to_tsvector('simple', body)"),
            ("bigrams", "to_tsvector('simple', prepared)"),
        ):
            vectors = timed(
                cursor,
                f"CREATE TABLE {name} AS SELECT id, {expression} AS v FROM docs",  # noqa: S608
            )
            index = timed(cursor, f"CREATE INDEX {name}_gin ON {name} USING gin (v)")
            cursor.execute(f"VACUUM ANALYZE {name}")
            build[name] = {
                "vectors_s": round(vectors, 1),
                "index_s": round(index, 1),
                "vectors_mb": round(
                    size(cursor, name) / 2**20 - size(cursor, f"{name}_gin") / 2**20, 1
                ),
                "index_mb": round(size(cursor, f"{name}_gin") / 2**20, 1),
            }
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        index = timed(cursor, "CREATE INDEX docs_trgm ON docs USING gin (body gin_trgm_ops)")
        cursor.execute("VACUUM ANALYZE docs")
        build["trigrams"] = {
            "index_s": round(index, 1),
            "index_mb": round(size(cursor, "docs_trgm") / 2**20, 1),
        }
        result["build"] = build
        print("\nbuild (vectors: the tsvector column without its index)")
        for name, figures in build.items():
            print(f"  {name:9} " + ", ".join(f"{k} {v}" for k, v in figures.items()))

        configs = len(search.QUERY_CONFIGS)
        print(f"\nqueries: found / true count, p50 and p95 over {args.runs} runs, plan")
        for label, query in QUERIES.items():
            expected = truth(docs, query)
            prepared_query = search.query_text(query)
            like = " AND ".join("body LIKE %s" for _ in query.split())
            figures = {
                "runs": measure(
                    cursor,
                    f"SELECT count(*) FROM runs WHERE v @@ {parsed()}",  # noqa: S608
                    [query] * configs,
                    args.runs,
                ),
                "bigrams": measure(
                    cursor,
                    f"SELECT count(*) FROM bigrams WHERE v @@ {parsed()}",  # noqa: S608
                    [prepared_query] * configs,
                    args.runs,
                ),
                "trigrams": measure(
                    cursor,
                    f"SELECT count(*) FROM docs WHERE {like}",  # noqa: S608
                    [f"%{w}%" for w in query.split()],
                    args.runs,
                ),
            }
            result["queries"][label] = {"query": query, "true": expected, **figures}
            print(f"  {label}: {query!r} → {prepared_query.strip()!r}, true count {expected}")
            for name, f in figures.items():
                flag = "" if f["found"] == expected else "  (WRONG)"
                print(
                    f"    {name:9} {f['found']:6}{flag:9} p50 {f['p50_ms']:9.2f} ms  "
                    f"p95 {f['p95_ms']:9.2f} ms  {f['plan']}"
                )

        # What the results page adds for a common word: the 20 best by rank.
        common = search.query_text("移民")
        ranked = measure(
            cursor,
            f"SELECT count(*) FROM (SELECT id FROM bigrams WHERE v @@ {parsed()} "  # noqa: S608
            f"ORDER BY ts_rank(v, {parsed()}) DESC LIMIT 20) AS page",
            [common] * configs * 2,
            args.runs,
        )
        result["bigrams_top20_by_rank_common_word"] = ranked
        print(
            f"\nbigrams, the 20 best-ranked for 移民: p50 {ranked['p50_ms']} ms, "
            f"p95 {ranked['p95_ms']} ms"
        )
        connection.close()
    finally:
        if args.keep:
            print(f"\nkept: {DATABASE}")
        else:
            admin(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
