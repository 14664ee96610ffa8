# Usage: python3 docs/load/sqlite_sync.py
# Commits per second on this disk for one small INSERT per transaction, SQLite WAL,
# synchronous NORMAL vs FULL, alternating runs (the cost of an fsync per commit).
import sqlite3, time, os, shutil, tempfile
DIR = tempfile.mkdtemp()
def run(sync, n=2000):
    path = os.path.join(DIR, f"b_{sync}.db")
    for suf in ("", "-wal", "-shm"):
        try: os.remove(path + suf)
        except FileNotFoundError: pass
    c = sqlite3.connect(path, isolation_level=None)
    c.execute("PRAGMA journal_mode=WAL"); c.execute(f"PRAGMA synchronous={sync}")
    c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    t = time.perf_counter()
    for i in range(n):
        c.execute("BEGIN"); c.execute("INSERT INTO t (v) VALUES (?)", ("x" * 200,)); c.execute("COMMIT")
    dt = time.perf_counter() - t
    c.close()
    return n / dt
for r in range(3):
    a = run("NORMAL"); b = run("FULL")
    print(f"round {r+1}: NORMAL {a:8.0f} commits/s, FULL {b:8.0f} commits/s, FULL/NORMAL {b/a:.2f}")
shutil.rmtree(DIR)
