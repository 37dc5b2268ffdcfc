#!/usr/bin/python3
"""End-to-end delivery speed (issue 16): not a test, a measurement. See docs/performance.md.

  e2ebench.py --rosterctl PATH [--users 20000,100000] [--runs 2] [--work DIR]
              [--smtp-sink /usr/sbin/smtp-sink] [--smtp-source /usr/sbin/smtp-source]
              [--compare OTHER_ROSTERCTL [--compare-runs 5]]

For each demo size (rosterctl demo --users N: ~10 % of the users are unconfirmed), in one run and
against one Postfix smtp-sink on loopback:

a. `rosterctl user reinvite --all-unconfirmed` end to end (sign-in, the database phase, delivery
   of every message to the sink): wall and CPU (user + system of the process);
b. `smtp-source -s 1 -m N -l SIZE` sending as many messages of the same size (the size of one
   rendered invitation) over one session to the same sink;
c. the outbox path alone: `--queue-only`, then `outbox deliver` of the queued mail; its CPU less
   that of an `outbox deliver` with nothing queued (start-up, sign-in), per message.

Prints each figure, the ratio Roster / smtp-source speed (= smtp-source wall / Roster wall) and
the CPU microseconds per message of the outbox path, and the load average when each size began.
Each run starts from a fresh copy of the demo database (made once per size and kept in --work).

--compare OTHER: then, per size, c. alone for --rosterctl and OTHER alternating (--compare-runs
rounds; both binaries must read the demo database's schema), each run's CPU a message split into
user and system time, and the medians side by side: on a noisy machine the comparison that holds.
"""

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ADMIN_EMAIL = "ada@northwind.example"
ADMIN_PASSWORD = "correct horse battery staple"
ACCEPT_URL = "https://crm.northwind.example/accept"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, what):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit("%s exited with %d" % (what, proc.returncode))
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit("%s did not listen on %d" % (what, port))


def timed(argv, env=None, stdin=None):
    """Runs argv to its end: (wall s, stdout text). Its CPU is read with Child.take()."""
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    out, err = p.communicate(stdin)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit("%s exited with %d:\n%s%s" % (" ".join(argv[:4]), p.returncode, out, err))
    return wall, out


class Child:
    """CPU of the children reaped since the last call (user + system, seconds)."""

    def __init__(self):
        self.last = self.now()

    @staticmethod
    def now():
        r = os.times()
        return r.children_user + r.children_system

    def take(self):
        n = self.now()
        d, self.last = n - self.last, n
        return d


class Org:
    def __init__(self, rosterctl, work, users):
        self.rosterctl = rosterctl
        self.work = work
        self.users = users
        self.pristine = os.path.join(work, "demo-%d.db" % users)
        self.db = os.path.join(work, "run-%d.db" % users)
        self.env = dict(os.environ)
        self.env.update({"XDG_DATA_HOME": os.path.join(work, "data"),
                         "XDG_CONFIG_HOME": os.path.join(work, "config"),
                         "ROSTER_AS": ADMIN_EMAIL, "ROSTER_PASSWORD": ADMIN_PASSWORD})
        for hook in ("ROSTER_CLOCK_OFFSET_MS", "ROSTER_KEY_FILE", "ROSTER_DB"):
            self.env.pop(hook, None)

    def ctl(self, db, *args, stdin=None):
        r = subprocess.run([self.rosterctl, "--db", db, *args], input=stdin, env=self.env,
                           text=True, capture_output=True, timeout=3600)
        if r.returncode != 0:
            sys.exit("rosterctl %s: exit %d: %s%s" % (" ".join(args), r.returncode, r.stdout,
                                                     r.stderr))
        return r.stdout

    def make(self, port):
        if not os.path.exists(self.pristine):
            print("making %s (rosterctl demo --users %d) ..." % (self.pristine, self.users),
                  flush=True)
            self.ctl(self.pristine, "demo", "--users", str(self.users), "--admin-email",
                     ADMIN_EMAIL, "--admin-name", "Ada Admin", stdin=ADMIN_PASSWORD + "\n")
            self.ctl(self.pristine, "mail", "configure", "--accept-url", ACCEPT_URL,
                     "--cooldown-minutes", "0")
        # The sink's port changes from run to run.
        self.ctl(self.pristine, "mail", "configure", "--transport", "smtp", "--host",
                 "127.0.0.1", "--port", str(port), "--security", "none", stdin="\n")
        # Every WAL frame folded into the file, so that a plain copy is the whole database.
        subprocess.run(["sqlite3", self.pristine, "PRAGMA wal_checkpoint(TRUNCATE);"],
                       capture_output=True)

    def fresh(self):
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(self.db + suffix):
                os.remove(self.db + suffix)
        shutil.copyfile(self.pristine, self.db)
        return self.db

    def message_size(self):
        """Octets of one rendered invitation, through the file transport on a scratch copy."""
        db = self.fresh()
        mail = os.path.join(self.work, "mail-%d" % self.users)
        shutil.rmtree(mail, ignore_errors=True)
        os.makedirs(mail)
        self.ctl(db, "mail", "configure", "--transport", "file", "--dir", mail)
        out = self.ctl(db, "user", "list", "--view", "unconfirmed", "--format", "csv")
        email = out.splitlines()[1].split(",")[0].strip('"')
        self.ctl(db, "user", "reinvite", email)
        files = [os.path.join(mail, f) for f in os.listdir(mail) if f.endswith(".eml")]
        with open(files[0], "rb") as f:
            return len(f.read())


def cpu_of(argv, env):
    """Runs argv to its end with its output discarded: (user s, system s) of the process."""
    with open(os.devnull, "w") as null:
        p = subprocess.Popen(argv, env=env, stdout=null, stderr=subprocess.PIPE, text=True)
        _, err = p.communicate()
    r = os.times()
    return p.returncode, err, r.children_user, r.children_system


def compare(org, binaries, n, runs):
    """The outbox path alone (c.), the binaries alternating: CPU a message, user and system."""
    per = {b: [] for b in binaries}
    for _ in range(runs):
        for b in binaries:
            db = org.fresh()
            subprocess.run([b, "--db", db, "user", "reinvite", "--all-unconfirmed",
                            "--queue-only"], env=org.env, capture_output=True, check=True)
            marks = []
            for _pass in ("deliver", "idle"):
                before = os.times()
                rc, err, user, system = cpu_of([b, "--db", db, "outbox", "deliver"], org.env)
                if rc != 0:
                    sys.exit("%s outbox deliver exited with %d: %s" % (b, rc, err))
                marks.append((user - before.children_user, system - before.children_system))
            (du, ds), (iu, isy) = marks
            per[b].append(((du - iu) / n * 1e6, (ds - isy) / n * 1e6))
    print("  outbox path, the binaries alternating (%d runs each, medians; µs a message):" % runs)
    for b in binaries:
        users = [u for u, _ in per[b]]
        systems = [s for _, s in per[b]]
        totals = [u + s for u, s in per[b]]
        print("    %-44s CPU %5.1f (user %5.1f, system %5.1f)  runs: %s"
              % (b, statistics.median(totals), statistics.median(users),
                 statistics.median(systems), " ".join("%.0f" % t for t in totals)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rosterctl", required=True)
    ap.add_argument("--users", default="20000,100000",
                    help="demo sizes, comma-separated (default 20000,100000: ~2,000 and ~10,000 "
                         "unconfirmed)")
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "roster-e2e"))
    ap.add_argument("--smtp-sink", default="/usr/sbin/smtp-sink")
    ap.add_argument("--smtp-source", default="/usr/sbin/smtp-source")
    ap.add_argument("--compare", help="another rosterctl: the outbox path of both, alternating")
    ap.add_argument("--compare-runs", type=int, default=5)
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)

    port = free_port()
    sink_args = [args.smtp_sink]
    if os.geteuid() == 0:
        sink_args += ["-u", "nobody"]
    sink = subprocess.Popen(sink_args + ["127.0.0.1:%d" % port, "256"])
    try:
        wait_port(port, sink, "smtp-sink")
        child = Child()
        summary = []
        for users in [int(u) for u in args.users.split(",")]:
            org = Org(args.rosterctl, args.work, users)
            org.make(port)
            size = org.message_size()
            child.take()
            load = os.getloadavg()
            rows = {"e2e": [], "e2e_cpu": [], "src": [], "queue": [], "deliver": [],
                    "deliver_cpu": [], "idle_cpu": []}
            n = 0
            for run in range(args.runs):
                # a. the whole command.
                db = org.fresh()
                child.take()
                wall, out = timed([org.rosterctl, "--db", db, "user", "reinvite",
                                   "--all-unconfirmed"], env=org.env)
                cpu = child.take()
                sent = sum(1 for line in out.splitlines() if line.startswith("sent "))
                others = [line for line in out.splitlines()
                          if not line.startswith(("sent ", "skipped "))]
                if others or sent == 0:
                    sys.exit("not every message was sent: %s" % others[:3])
                n = sent
                rows["e2e"].append(wall)
                rows["e2e_cpu"].append(cpu)
                # b. smtp-source, as many messages of the same size, one session.
                wall, _ = timed([args.smtp_source, "-s", "1", "-m", str(n), "-l", str(size),
                                 "-f", "invitations@northwind.example", "-t",
                                 "user@example.net", "127.0.0.1:%d" % port])
                child.take()
                rows["src"].append(wall)
                # c. the outbox path alone.
                db = org.fresh()
                wall, out = timed([org.rosterctl, "--db", db, "user", "reinvite",
                                   "--all-unconfirmed", "--queue-only"], env=org.env)
                child.take()
                rows["queue"].append(wall)
                wall, out = timed([org.rosterctl, "--db", db, "outbox", "deliver"], env=org.env)
                cpu = child.take()
                if sum(1 for line in out.splitlines() if line.startswith("sent ")) != n:
                    sys.exit("outbox deliver did not send %d messages" % n)
                rows["deliver"].append(wall)
                rows["deliver_cpu"].append(cpu)
                timed([org.rosterctl, "--db", db, "outbox", "deliver"], env=org.env)
                rows["idle_cpu"].append(child.take())
            med = {k: statistics.median(v) for k, v in rows.items()}
            ratio = med["src"] / med["e2e"]
            per_msg = (med["deliver_cpu"] - med["idle_cpu"]) / n * 1e6
            print("\n%d demo users: %d unconfirmed re-invited, %d octets a message "
                  "(load average %.2f %.2f %.2f at the start)" % (users, n, size, *load))
            print("  reinvite --all-unconfirmed, end to end : wall %.3f s, CPU %.3f s  (runs: %s)"
                  % (med["e2e"], med["e2e_cpu"], ", ".join("%.3f" % w for w in rows["e2e"])))
            print("  smtp-source -s 1 -m %d -l %d         : wall %.3f s  (runs: %s)"
                  % (n, size, med["src"], ", ".join("%.3f" % w for w in rows["src"])))
            print("  ratio Roster / smtp-source speed        : %.2fx (target >= 1.0x)" % ratio)
            print("  --queue-only (sign-in + database phase) : wall %.3f s" % med["queue"])
            print("  outbox deliver of the queued mail       : wall %.3f s, CPU %.3f s "
                  "(idle run %.3f s)" % (med["deliver"], med["deliver_cpu"], med["idle_cpu"]))
            print("  outbox path CPU per message             : %.0f us (target <= 60 us)" % per_msg)
            summary.append((users, n, size, med, ratio, per_msg, load))
            if args.compare:
                compare(org, [org.rosterctl, args.compare], n, args.compare_runs)
        print("\n| users | messages | octets | end to end wall / CPU | smtp-source wall | ratio "
              "| queue-only wall | deliver wall / CPU | µs CPU a message | load |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for users, n, size, med, ratio, per_msg, load in summary:
            print("| %d | %d | %d | %.3f s / %.3f s | %.3f s | %.2f× | %.3f s | %.3f s / %.3f s "
                  "| %.0f | %.2f |" % (users, n, size, med["e2e"], med["e2e_cpu"], med["src"],
                                       ratio, med["queue"], med["deliver"], med["deliver_cpu"],
                                       per_msg, load[0]))
    finally:
        sink.terminate()
        sink.wait(10)


if __name__ == "__main__":
    main()
