#!/usr/bin/env python3
"""What a result's commit costs, by the shape of what it writes (issue 16: outbox ≤ 60 µs).

  recordshapes.py --rosterctl PATH [--users 20000] [--rounds 3] [--work DIR] [--fold-every 200]

Not Roster's code: a model of its record on the same SQLite library (Debian's libsqlite3, through
Python's sqlite3 module, with the pragmas Roster's connection sets). It answers one question before
anyone changes the outbox: how much of a message's CPU and system calls would go if each result
were committed as one row of a narrow table, and folded into the outbox and users rows a batch at
a time, instead of today's two UPDATEs in each result's transaction.

The demo organisation is made with `rosterctl demo`, its unconfirmed users queued with
`user reinvite --all-unconfirmed --queue-only`, and every queued message claimed. Then, on fresh
copies, alternating round by round:
  now     each result: BEGIN IMMEDIATE; the two UPDATEs of Outbox::record; COMMIT
  narrow  each result: BEGIN IMMEDIATE; one INSERT into a narrow table; COMMIT; and every
          --fold-every results one transaction applies them to outbox and users
  insert  the narrow shape without the fold (what the per-result commit alone costs)
Each prints the process CPU a message (user + system, the interpreter's share included, the same
in all three), and with strace on the machine, the system calls a message of the run.
"""
import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2ebench  # noqa: E402  (the same demo organisation as the end-to-end bench)

REPLY = "250 2.0.0 Ok: queued as 4Zx9fK3abc"
# Outbox::record's two statements (app/outbox.cpp), as it binds them for a 250.
RECORD_OUTBOX = ("UPDATE outbox SET state = ?, last_reply = ?, next_attempt_at = ?, "
                 "claimed_by = NULL, sent_at = ?, sealed_token = CASE WHEN ? = 1 THEN NULL ELSE "
                 "sealed_token END, bounce_tag = CASE WHEN ? = '' THEN bounce_tag ELSE ? END "
                 "WHERE id = ? AND state = 'sending' AND claimed_by = ?")
RECORD_USER = "UPDATE users SET mail_state = ?, mail_reply = ? WHERE id = ? AND last_outbox_id = ?"


def connect(path):
    c = sqlite3.connect(path, isolation_level=None)
    for p in ("foreign_keys = ON", "journal_mode = WAL", "synchronous = NORMAL",
              "secure_delete = ON"):
        c.execute("PRAGMA " + p)
    return c


def prepare(org):
    """A claimed copy of the demo organisation's queued invitations; returns its path."""
    org.make(2525)  # the port is not used: nothing is sent
    db = org.fresh()
    subprocess.run([org.rosterctl, "--db", db, "user", "reinvite", "--all-unconfirmed",
                    "--queue-only"], env=org.env, check=True, capture_output=True)
    c = connect(db)
    c.execute("UPDATE outbox SET state = 'sending', claimed_by = 'bench', claimed_at = 1, "
              "attempts = attempts + 1 WHERE state = 'queued'")
    c.execute("CREATE TABLE outbox_results (outbox_id INTEGER PRIMARY KEY, state TEXT NOT NULL, "
              "reply TEXT NOT NULL, at INTEGER NOT NULL, claimed_by TEXT NOT NULL)")
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    c.close()
    return db


def run(claimed, copy, shape, fold_every):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(copy + suffix):
            os.remove(copy + suffix)
    shutil.copyfile(claimed, copy)
    c = connect(copy)
    rows = c.execute("SELECT id, user_id FROM outbox WHERE state = 'sending' ORDER BY id").fetchall()

    def fold():
        c.execute("BEGIN IMMEDIATE")
        rs = c.execute("SELECT r.outbox_id, r.state, r.reply, r.at, r.claimed_by, o.user_id "
                       "FROM outbox_results r JOIN outbox o ON o.id = r.outbox_id").fetchall()
        c.executemany(RECORD_OUTBOX, [(st, rp, at, at, 1, "", "", oid, by)
                                      for oid, st, rp, at, by, _ in rs])
        c.executemany(RECORD_USER, [(st, rp, uid, oid) for oid, st, rp, _, _, uid in rs])
        c.execute("DELETE FROM outbox_results")
        c.execute("COMMIT")

    start = os.times()
    for n, (oid, uid) in enumerate(rows):
        c.execute("BEGIN IMMEDIATE")
        if shape == "now":
            c.execute(RECORD_OUTBOX, ("sent", REPLY, 5, 5, 1, "", "", oid, "bench"))
            c.execute(RECORD_USER, ("sent", REPLY, uid, oid))
        else:
            c.execute("INSERT INTO outbox_results VALUES (?, ?, ?, ?, ?)",
                      (oid, "sent", REPLY, 5, "bench"))
        c.execute("COMMIT")
        if (n + 1) % fold_every == 0:
            if shape == "narrow":
                fold()
            elif shape == "insert":
                c.execute("DELETE FROM outbox_results")
    if shape == "narrow":
        fold()
    end = os.times()
    sent = c.execute("SELECT count(*) FROM outbox WHERE state = 'sent'").fetchone()[0]
    expected = len(rows) if shape != "insert" else 0
    if sent != expected:
        sys.exit("%s: %d messages recorded as sent, expected %d" % (shape, sent, expected))
    c.close()
    cpu = (end.user - start.user) + (end.system - start.system)
    return len(rows), cpu / len(rows) * 1e6


def syscalls(args, shape):
    """System calls a message of one run of `shape`, counted by strace (None without it)."""
    if not shutil.which("strace"):
        return None
    with tempfile.NamedTemporaryFile(suffix=".strace") as out:
        cmd = [sys.executable, os.path.abspath(__file__), "--rosterctl", args.rosterctl,
               "--users", str(args.users), "--work", args.work, "--fold-every",
               str(args.fold_every), "--one", shape]
        r = subprocess.run(["strace", "-f", "-c", "-o", out.name, *cmd], capture_output=True,
                           text=True)
        if r.returncode != 0:
            sys.exit("strace run of %s failed: %s" % (shape, r.stderr))
        n = int(r.stdout.split()[0])
        counts = {}
        for line in open(out.name):
            f = line.split()
            if len(f) >= 5 and f[-1] in ("pwrite64", "fcntl", "pread64"):
                counts[f[-1]] = int(f[3])
        return {k: v / n for k, v in counts.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rosterctl", required=True)
    ap.add_argument("--users", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--fold-every", type=int, default=200)
    ap.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "roster-recordshapes"))
    ap.add_argument("--one", help=argparse.SUPPRESS)  # one run of a shape, for strace
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    org = e2ebench.Org(args.rosterctl, args.work, args.users)
    claimed = os.path.join(args.work, "claimed-%d.db" % args.users)
    copy = os.path.join(args.work, "shape-%d.db" % args.users)
    if args.one:
        n, _ = run(claimed, copy, args.one, args.fold_every)
        print(n)
        return
    claimed_made = prepare(org)
    shutil.move(claimed_made, claimed)
    shapes = ("now", "narrow", "insert")
    cpu = {s: [] for s in shapes}
    for _ in range(args.rounds):
        for s in shapes:
            n, per = run(claimed, copy, s, args.fold_every)
            cpu[s].append(per)
    print("%d results, %d rounds, load average %.1f" % (n, args.rounds, os.getloadavg()[0]))
    print("%-7s %28s  %s" % ("shape", "CPU a message (median, µs)", "system calls a message"))
    for s in shapes:
        med = sorted(cpu[s])[len(cpu[s]) // 2]
        calls = syscalls(args, s)
        shown = ", ".join("%s %.1f" % kv for kv in sorted(calls.items())) if calls else "-"
        print("%-7s %28.1f  %s" % (s, med, shown))
    now = sorted(cpu["now"])[args.rounds // 2]
    print("narrow / now: %.2f   insert / now: %.2f" % (
        sorted(cpu["narrow"])[args.rounds // 2] / now, sorted(cpu["insert"])[args.rounds // 2] / now))


if __name__ == "__main__":
    main()
