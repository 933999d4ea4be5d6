"""PostgreSQL side of scripts/bench-postgres.sh: load the exported corpus,
index it with the `french` full-text configuration (GIN), time the same
typical queries as `acta bench search`, print p50/p99 and the ratio to tantivy.

A "typical query" is answered like acta answers it: the 20 best hits by rank
with a snippet (ts_headline), the total and the facet counts (kind, status,
matière, year, collectivité), all restricted to one collectivité and a year range.
"""
import argparse
import re
import statistics
import time

import psycopg

SCHEMA = """
DROP TABLE IF EXISTS acts;
CREATE TABLE acts (
  id text, siren text, collectivite text, template text, kind text, matiere text,
  status text, number text, title text, body text, person text, year int,
  tsv tsvector GENERATED ALWAYS AS (to_tsvector('french', title || ' ' || body)) STORED
);
"""

HITS = """
SELECT id, title, ts_rank(tsv, q) AS r,
       ts_headline('french', body, q, 'MaxFragments=1, MaxWords=20, MinWords=5')
FROM acts, websearch_to_tsquery('french', %(q)s) q
WHERE tsv @@ q AND siren = %(siren)s AND year BETWEEN %(yf)s AND %(yt)s
ORDER BY r DESC LIMIT 20
"""

FACETS = """
SELECT kind, status, matiere, year, siren, count(*)
FROM acts, websearch_to_tsquery('french', %(q)s) q
WHERE tsv @@ q AND siren = %(siren)s AND year BETWEEN %(yf)s AND %(yt)s
GROUP BY GROUPING SETS ((), (kind), (status), (matiere), (year), (siren))
"""


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dsn", required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--tantivy", required=True)
    a = p.parse_args()
    with psycopg.connect(a.dsn, autocommit=True) as conn:
        cur = conn.cursor()
        cur.execute(SCHEMA)
        t = time.perf_counter()
        cols = "id, siren, collectivite, template, kind, matiere, status, number, title, body, person, year"
        with open(f"{a.dir}/acts.tsv", "rb") as f, cur.copy(f"COPY acts ({cols}) FROM STDIN") as copy:
            while chunk := f.read(1 << 20):
                copy.write(chunk)
        load = time.perf_counter() - t
        t = time.perf_counter()
        cur.execute("CREATE INDEX acts_tsv ON acts USING gin (tsv)")
        cur.execute("CREATE INDEX acts_siren_year ON acts (siren, year)")
        cur.execute("VACUUM ANALYZE acts")
        index = time.perf_counter() - t
        cur.execute("SELECT count(*), pg_total_relation_size('acts') FROM acts")
        count, size = cur.fetchone()
        cur.execute("SELECT pg_relation_size('acts_tsv')")
        gin = cur.fetchone()[0]
        times, hits = [], 0
        for line in open(f"{a.dir}/queries.tsv", encoding="utf-8"):
            phase, q, siren, yf, yt = line.rstrip("\n").split("\t")
            args = {"q": q, "siren": siren, "yf": int(yf), "yt": int(yt)}
            t = time.perf_counter()
            cur.execute(HITS, args)
            cur.fetchall()
            cur.execute(FACETS, args)
            rows = cur.fetchall()
            elapsed = time.perf_counter() - t
            if phase == "timed":
                times.append(elapsed * 1000)
                hits += next((r[5] for r in rows if r[:5] == (None,) * 5), 0)
    times.sort()
    pct = lambda x: times[int((len(times) - 1) * x)]
    pg50, pg99 = pct(0.5), pct(0.99)
    print(f"acts                    {count}")
    print(f"load (COPY + tsvector)  {load:.1f} s ({count / load:.0f} acts/s)")
    print(f"GIN + btree + analyze   {index:.1f} s")
    print(f"table + indexes size    {size / 1e6:.0f} MB (GIN {gin / 1e6:.0f} MB)")
    label = "two words + collectivité + years + facets"
    print(f"{label:<45} p50 {pg50:>7.2f} ms   p99 {pg99:>7.2f} ms   ({len(times)} queries, "
          f"{hits / max(len(times), 1):.0f} hits on average)")
    m = None
    for line in open(a.tantivy, encoding="utf-8"):
        if line.startswith(label):
            m = re.search(r"p50\s+([\d.]+) ms\s+p99\s+([\d.]+) ms", line)
    if m:
        t50, t99 = float(m.group(1)), float(m.group(2))
        print(f"tantivy (acta)                                p50 {t50:>7.2f} ms   p99 {t99:>7.2f} ms")
        print(f"ratio PostgreSQL / tantivy                    p50 {pg50 / t50:>7.1f} x    p99 {pg99 / t99:>7.1f} x")
    print("note: PostgreSQL's `french` configuration stems and drops stop words but does not fold "
          "accents nor know acta's synonyms; hit counts may differ slightly.")


if __name__ == "__main__":
    main()
