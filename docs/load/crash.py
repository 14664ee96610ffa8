#!/usr/bin/env python3
"""Crash test: enrolment and payment under load while the server is killed with SIGKILL.

Usage: python3 docs/load/crash.py [sqlite|postgres] [kills] [clients]
       (needs target/release/server: bash .ci/demo or .ci/test builds it)

Clients (threads) each enrol a new person in 离石区 as the demo cadre with an
Idempotency-Key, then send the provider's signed paid callback for its order; any answer
lost to a crash is retried with the same key or the same callback until one arrives. Every
few seconds the server is killed with SIGKILL mid-load and started again on the same
database. At the end the provider re-sends every callback once more. Then, from the
database itself:

- every enrolment a client saw acknowledged (201) exists exactly once, one person per ID;
- every payment a client saw acknowledged ("applied" or "duplicate") is recorded exactly
  once and its enrolment is paid; every order is paid at most once;
- the report counters (report_roster, report_enrolled) equal a recount of their tables.

It prints the counts and exits 1 on any violation. The short version runs in the Rust tests
(server/tests/suite/security.rs, `a_killed_server_loses_nothing_acknowledged`).
"""
import hashlib, hmac, json, os, random, signal, sqlite3, subprocess, sys, tempfile
import threading, time, urllib.error, urllib.request, uuid
from datetime import date, timedelta, datetime, timezone

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BACKEND = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
KILLS = int(sys.argv[2]) if len(sys.argv) > 2 else 5
CLIENTS = int(sys.argv[3]) if len(sys.argv) > 3 else 8
SECRET = b"crash-test-payment-secret-0123456789"
BIN = os.environ.get("CANBAO_SERVER_BIN", os.path.join(ROOT, "target/release/server"))
PORT = 3931
BASE = f"http://127.0.0.1:{PORT}"
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def id_number(n):
    day = date(1950, 1, 1) + timedelta(days=n // 1000)
    body = f"141102{day:%Y%m%d}{n % 1000:03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, WEIGHTS)) % 11]


workdir = tempfile.mkdtemp()
if BACKEND == "postgres":
    dbname = f"canbao_crash_{os.getpid()}"
    subprocess.run(["psql", "postgres://postgres@127.0.0.1:5432/postgres", "-qc", f"CREATE DATABASE {dbname}"], check=True)
    url = f"postgres://postgres@127.0.0.1:5432/{dbname}"
else:
    url = f"sqlite://{workdir}/canbao.db?mode=rwc"
env = dict(os.environ, CANBAO_DEMO="on", CANBAO_TODAY="2022-10-08", LEPTOS_SITE_ADDR=f"127.0.0.1:{PORT}",
           LEPTOS_SITE_ROOT=os.path.join(ROOT, "target/site"), DATABASE_URL=url,
           CANBAO_PAYMENT_SECRET=SECRET.decode(), RUST_LOG="warn")
server = None


def start():
    global server
    server = subprocess.Popen([BIN], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open(f"{workdir}/server.log", "a"))
    for _ in range(300):
        try:
            if urllib.request.urlopen(f"{BASE}/api/v1/health", timeout=1).status == 200:
                return
        except Exception:
            time.sleep(0.1)
    sys.exit("the server did not start: " + open(f"{workdir}/server.log").read()[-2000:])


def call(method, path, body, headers):
    """One request; None when the connection failed (the server was killed)."""
    req = urllib.request.Request(BASE + path, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")
    except Exception:
        return None


def until_answered(method, path, body, headers):
    while True:
        got = call(method, path, body, headers)
        if got is not None and got[0] not in (502, 503):
            return got
        time.sleep(0.2)


start()
_, session = until_answered("POST", "/api/v1/sessions", json.dumps({"username": "cadre_dongguan", "password": "Canbao@2022"}).encode(),
                            {"content-type": "application/json"})
auth = "Bearer " + session["token"]
lock = threading.Lock()
acked_enrolments = []   # (id_number, enrolment id, order_no)
acked_payments = []     # (order_no, transaction id)
sent_callbacks = []     # (order_no, transaction id, amount): every callback ever sent
next_n = [random.randrange(0, 10_000_000)]
stop = threading.Event()


def callback(order_no, txn, amount):
    body = json.dumps({"order_no": order_no, "transaction_id": txn, "status": "paid", "amount": amount,
                       "paid_at": datetime.now(timezone.utc).isoformat()}).encode()
    ts = str(int(time.time()))
    sig = hmac.new(SECRET, ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return until_answered("POST", "/api/v1/payments/callback", body,
                          {"content-type": "application/json", "x-canbao-timestamp": ts, "x-canbao-signature": sig})


def client():
    while not stop.is_set():
        with lock:
            n = next_n[0]; next_n[0] += 1
        idn, key = id_number(n), str(uuid.uuid4())
        body = json.dumps({"area_code": "141102001001",
                           "members": [{"id_number": idn, "name": "压测居民", "hospitals": ["H141102001"]}]}).encode()
        status, sub = until_answered("POST", "/api/v1/enrollments", body,
                                     {"content-type": "application/json", "Authorization": auth, "Idempotency-Key": key})
        if status != 201:
            print("enrolment refused:", status, sub); continue
        order = sub["order"]
        with lock:
            acked_enrolments.append((idn, sub["enrollments"][0]["id"], order["order_no"]))
            sent_callbacks.append((order["order_no"], f"CRASH{n}", order["amount"]))
        status, res = callback(order["order_no"], f"CRASH{n}", order["amount"])
        if status == 200 and res["result"] in ("applied", "duplicate"):
            with lock:
                acked_payments.append((order["order_no"], f"CRASH{n}"))
        else:
            print("callback answer:", status, res)


threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
for t in threads:
    t.start()
for k in range(KILLS):
    time.sleep(random.uniform(2, 4))
    server.send_signal(signal.SIGKILL); server.wait()
    print(f"kill {k + 1}: SIGKILL with {len(acked_enrolments)} enrolments and {len(acked_payments)} payments acknowledged so far")
    time.sleep(0.3)
    start()
time.sleep(2)
stop.set()
for t in threads:
    t.join()
# The provider re-sends every callback once more.
resent = [callback(o, t, a) for (o, t, a) in sent_callbacks]
server.send_signal(signal.SIGTERM); server.wait()


def query(sql):
    if BACKEND == "postgres":
        out = subprocess.run(["psql", url, "-AtF", "\t", "-c", sql], capture_output=True, text=True, check=True).stdout
        return [tuple(line.split("\t")) for line in out.splitlines() if line]
    con = sqlite3.connect(f"{workdir}/canbao.db")
    rows = [tuple("" if v is None else str(int(v) if isinstance(v, bool) else v) for v in r) for r in con.execute(sql)]
    con.close()
    return rows


def one(sql):
    return int(query(sql)[0][0])


problems = []
# A few whole-table reads, compared here (one query per row would take minutes on psql).
people = {}
for (idn, n) in query("SELECT id_number, COUNT(*) FROM people WHERE id_number LIKE '141102%' GROUP BY id_number"):
    people[idn] = int(n)
enrolment_ids = {int(r[0]) for r in query("SELECT id FROM enrolments")}
payments = {}
for (txn, n) in query("SELECT transaction_id, COUNT(*) FROM payments GROUP BY transaction_id"):
    payments[txn] = int(n)
paid_orders = {r[0] for r in query("SELECT o.order_no FROM enrolments e JOIN payment_orders o ON o.id = e.order_id "
                                     "WHERE e.status = 'paid'")}
for idn, eid, order_no in acked_enrolments:
    if people.get(idn) != 1:
        problems.append(f"{idn}: not exactly one person")
    if eid not in enrolment_ids:
        problems.append(f"enrolment {eid} acknowledged but missing")
for order_no, txn in acked_payments:
    if payments.get(txn) != 1:
        problems.append(f"payment {txn} acknowledged but not recorded once")
    if order_no not in paid_orders:
        problems.append(f"order {order_no}: its enrolment is not paid")
twice = query("SELECT order_id FROM payments WHERE order_id IS NOT NULL GROUP BY order_id HAVING COUNT(*) > 1")
problems += [f"order id {r[0]} paid twice" for r in twice]
people_per_id = query("SELECT id_number FROM people GROUP BY id_number HAVING COUNT(*) > 1")
problems += [f"{r[0]}: two people" for r in people_per_id]
norm = lambda rows: sorted(tuple(str(v).lower().replace("true", "1").replace("false", "0") for v in r) for r in rows)
roster = norm(query("SELECT report_area, hukou_local, n FROM report_roster WHERE n <> 0"))
recount = norm(query("SELECT report_area, hukou_local, COUNT(*) FROM people GROUP BY 1, 2"))
if roster != recount:
    problems.append("report_roster differs from a recount of people")
enrolled = norm(query("SELECT insurance_year, report_area, hukou_local, category, paid_on, n FROM report_enrolled WHERE n <> 0"))
recount = norm(query("SELECT insurance_year, report_area, hukou_local, "
                     "CASE WHEN subsidy_fen > 0 THEN COALESCE(applied_category, '') ELSE '' END, paid_on, COUNT(*) "
                     "FROM enrolments WHERE status IN ('paid', 'ended') AND paid_on IS NOT NULL GROUP BY 1, 2, 3, 4, 5"))
if enrolled != recount:
    problems.append("report_enrolled differs from a recount of enrolments")

print(f"{BACKEND}: {KILLS} kills, {CLIENTS} clients")
print(f"  enrolments acknowledged {len(acked_enrolments)}, in the database {one('SELECT COUNT(*) FROM enrolments')}"
      f", people (the demo's included) {one('SELECT COUNT(*) FROM people')}")
print(f"  payments acknowledged {len(acked_payments)}, callbacks sent {len(sent_callbacks)} + {len(resent)} re-sent,"
      f" payments recorded {one('SELECT COUNT(*) FROM payments')},"
      f" payment exceptions {one('SELECT COUNT(*) FROM payment_exceptions')}")
print(f"  report counters: roster {len(roster)} keys, enrolled {len(enrolled)} keys, equal to a recount: "
      f"{'yes' if not any('report_' in p for p in problems) else 'NO'}")
if BACKEND == "postgres":
    subprocess.run(["psql", "postgres://postgres@127.0.0.1:5432/postgres", "-qc", f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)"])
if problems:
    print(f"{len(problems)} problems:"); [print("  " + p) for p in problems[:20]]
    sys.exit(1)
print("  nothing acknowledged was lost or applied twice")
