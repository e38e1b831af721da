"""Search latency at a million segments: the embedded index, the scale-out backend, plain FTS5.

    python -m bench.search [--segments 1000000] [--episodes 2000] [--queries 1000] [--rounds 3]
                           [--postgres postgresql://postgres@127.0.0.1:5432/postgres | --no-postgres]

A corpus of transcript segments (about 15 words each, drawn by real English word frequencies;
bench/_search_corpus.py) is loaded into a fresh roomcast database, indexed by the embedded
backend (tantivy) and, in a fresh PostgreSQL database, by the scale-out backend. The same
queries (single words, very common words, 2-3-word ANDs, phrases, prefixes) run through
``search.service.search`` as the API calls it: top 10, snippets, rows read back from the database.
The anchor, in the same run: a plain SQLite FTS5 table of the same text, ranked by bm25() with
snippet(). Each round runs every query once; per-round percentiles, medians over the rounds.
Last line: JSON with segments, build_s, index_mb, p50_ms, p99_ms, anchor_p50_ms, anchor_p99_ms,
scaleout_build_s, scaleout_p50_ms, scaleout_p99_ms, cpu_ms_per_query (and more).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench._search_corpus import Corpus

POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
BENCH_DATABASE = "roomcast_bench_search"
DAY0 = datetime(2024, 1, 1, tzinfo=timezone.utc)


def load(url: str, corpus: Corpus) -> float:
    """Shows, published episodes and segments, straight into the tables; returns seconds."""
    from sqlalchemy import insert

    from roomcast.db import engine_for, migrate
    from roomcast.models import Episode, EpisodeStatus, Room, RoomStatus, Show, TranscriptSegment

    started = time.perf_counter()
    migrate(url)
    engine = engine_for(url)
    with engine.begin() as connection:
        connection.execute(insert(Show), [{"id": 1, "slug": "bench", "title": "Bench", "author": "Bench",
                                           "description": "", "feed_version": 1}])
        connection.execute(insert(Room), [{"id": n, "show_id": 1, "title": f"Room {n}", "status": RoomStatus.ended}
                                          for n in range(1, corpus.episodes + 1)])
        connection.execute(insert(Episode), [
            {"id": n, "show_id": 1, "room_id": n, "title": f"Episode {n}", "status": EpisodeStatus.published,
             "published_at": DAY0 + timedelta(hours=6 * n), "language": "en"}
            for n in range(1, corpus.episodes + 1)])
    batch: list[dict] = []
    with engine.begin() as connection:
        for segment in corpus:
            batch.append({"id": segment.id, "episode_id": segment.episode, "speaker": segment.speaker,
                          "start_s": segment.start_s, "end_s": segment.start_s + 5.5, "text": segment.text,
                          "language": "en", "words": [], "indexed": False})
            if len(batch) == 20_000:
                connection.execute(insert(TranscriptSegment), batch)
                batch = []
        if batch:
            connection.execute(insert(TranscriptSegment), batch)
    return time.perf_counter() - started


def measure(run: Callable[[str], object], queries: list[str], rounds: int) -> dict:
    p50s, p99s, cpu = [], [], []
    for query in queries[:20]:  # warm the caches, as a running server's would be
        run(query)
    for _ in range(rounds):
        latencies = []
        cpu_start = time.process_time()
        for query in queries:
            started = time.perf_counter()
            run(query)
            latencies.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_start) * 1000 / len(queries))
        latencies.sort()
        p50s.append(latencies[len(latencies) // 2])
        p99s.append(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))])
    return {"p50_ms": round(statistics.median(p50s), 3), "p99_ms": round(statistics.median(p99s), 3),
            "cpu_ms_per_query": round(statistics.median(cpu), 3), "max_p99_ms": round(max(p99s), 3)}


def searcher(url: str) -> Callable[[str], object]:
    from roomcast.db import engine_for
    from search.backends import Filters
    from search.service import search
    from sqlalchemy.orm import Session

    session = Session(engine_for(url))
    return lambda query: search(session, query, Filters(), 10)


def anchor_build(sqlite_path: Path) -> float:
    import sqlite3

    started = time.perf_counter()
    with sqlite3.connect(sqlite_path) as db:
        db.execute("CREATE VIRTUAL TABLE anchor_fts USING fts5(text, tokenize='porter unicode61 remove_diacritics 2')")
        db.execute("INSERT INTO anchor_fts(rowid, text) SELECT id, text FROM transcript_segments")
    return time.perf_counter() - started


def anchor_searcher(sqlite_path: Path) -> Callable[[str], object]:
    import sqlite3

    from search.query import parse

    db = sqlite3.connect(sqlite_path)

    def run(text: str) -> list:
        query = parse(text)
        parts = [f'"{w}"' for w in query.words] + [f'"{p}"*' for p in query.prefixes]
        parts += ['"' + " ".join(phrase) + '"' for phrase in query.phrases]
        return db.execute(
            "SELECT rowid, snippet(anchor_fts, 0, '<mark>', '</mark>', '…', 24) FROM anchor_fts "
            "WHERE anchor_fts MATCH ? ORDER BY bm25(anchor_fts) LIMIT 10", (" AND ".join(parts),)).fetchall()

    return run


def fresh_postgres_database(admin_url: str) -> str:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {BENCH_DATABASE}")
    return admin_url.rsplit("/", 1)[0] + "/" + BENCH_DATABASE


def drop_database(admin_url: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")


def reindex(url: str) -> float:
    from sqlalchemy.orm import Session

    from roomcast.db import engine_for
    from search.backends import backend_for

    started = time.perf_counter()
    with Session(engine_for(url)) as session:
        backend_for(session).reindex(session)
        session.commit()
    return time.perf_counter() - started


def vacuum(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")


def directory_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--segments", type=int, default=1_000_000)
    parser.add_argument("--episodes", type=int, default=2_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", default=POSTGRES_ADMIN, help="An admin URL; a database is made for the run.")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()

    corpus = Corpus(args.segments, args.episodes)
    queries = corpus.queries(args.queries)
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        data = Path(tmp)
        os.environ["ROOMCAST_DATA_DIR"] = str(data)
        sqlite_path = data / "roomcast.sqlite3"
        url = f"sqlite:///{sqlite_path}"
        result: dict = {"segments": args.segments, "episodes": args.episodes, "queries": len(queries), "rounds": args.rounds}
        result["load_s"] = round(load(url, corpus), 1)
        print(f"loaded {args.segments} segments in {result['load_s']} s", flush=True)
        result["build_s"] = round(reindex(url), 1)
        result["index_mb"] = directory_mb(data / "search-index")  # the index and nothing else is in there
        print(f"embedded index built in {result['build_s']} s, {result['index_mb']} MB", flush=True)
        embedded = measure(searcher(url), queries, args.rounds)
        result.update(embedded)
        print(f"embedded: {embedded}", flush=True)
        result["anchor_build_s"] = round(anchor_build(sqlite_path), 1)
        anchor = measure(anchor_searcher(sqlite_path), queries, args.rounds)
        result.update({f"anchor_{key}": value for key, value in anchor.items()})
        print(f"anchor (FTS5): {anchor}", flush=True)
    if not args.no_postgres:
        pg_url = fresh_postgres_database(args.postgres)
        load(pg_url, corpus)
        result["scaleout_build_s"] = round(reindex(pg_url), 1)
        vacuum(pg_url)
        try:
            scaleout = measure(searcher(pg_url), queries, args.rounds)
        finally:
            from roomcast.db import engine_for

            engine_for(pg_url).dispose()
            drop_database(args.postgres)
        result.update({f"scaleout_{key}": value for key, value in scaleout.items()})
        print(f"scale-out (PostgreSQL): {scaleout}", flush=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
