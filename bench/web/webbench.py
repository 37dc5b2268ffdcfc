#!/usr/bin/python3
"""roster-web's speed (issue 14): not a test, a measurement. See docs/performance.md.

  webbench.py --rosterctl PATH --roster-web PATH [--duration 10] [--connections 64]
              [--accepts 24] [--nginx /usr/sbin/nginx] [--wrk /usr/bin/wrk] [--runs 1]
              [--web-threads N] [--compare OTHER-ROSTER-WEB]
  webbench.py --rosterctl PATH --roster-web PATH --profile N [--profile-out FILE]

1. GET of a valid invitation page: roster-web vs the same page's bytes as a static file from nginx
   (a private config on loopback), each with wrk (64 connections, 10 s, --latency): throughput,
   ratio and p99 latency.
2. 200 idle connections held open against roster-web (from 127.0.0.2-5, as other clients would),
   and the latency of normal requests from 127.0.0.1 meanwhile.
3. Accepts per second with roster-web on one core (taskset, --threads 1): POSTs of valid forms,
   each bounded by Argon2id hashing the new password.
Prints a summary block at the end (what docs/performance.md quotes). --runs repeats step 1
(roster-web, then nginx, alternating) and prints each run's ratio. --compare names another
roster-web build (e.g. the one before a change), served from the same organisation on its own
port and measured in the same runs, between the two. --web-threads passes --threads.

--profile N [--profile-tool callgrind|strace|perf]: instead, roster-web under callgrind (or
strace -c, counting system calls, or perf record) serves N GETs of the page over one keep-alive
connection, with --threads 1, then stops; the callgrind file is kept (--profile-out) for
callgrind_annotate. The first request opens the thread's database: take N in the thousands so
that it is noise. Instruction counts hold still on a busy machine, unlike times.
"""

import argparse
import concurrent.futures
import email
import email.policy
import html
import http.client
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

ADMIN_EMAIL = "ada@northwind.example"
ADMIN_PASSWORD = "correct horse battery staple"


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


class Org:
    def __init__(self, rosterctl, tmp):
        self.rosterctl = rosterctl
        self.db = os.path.join(tmp, "org.db")
        self.mail = os.path.join(tmp, "mail")
        self.env = dict(os.environ)
        self.env.update({"XDG_DATA_HOME": os.path.join(tmp, "data"),
                         "XDG_CONFIG_HOME": os.path.join(tmp, "config"),
                         "ROSTER_KEY_FILE": os.path.join(tmp, "sealing.key"),
                         "ROSTER_DB": self.db, "ROSTER_AS": ADMIN_EMAIL,
                         "ROSTER_PASSWORD": ADMIN_PASSWORD})
        self.env.pop("ROSTER_CLOCK_OFFSET_MS", None)

    def ctl(self, *args, stdin=None):
        r = subprocess.run([self.rosterctl, *args], input=stdin, env=self.env, text=True,
                           capture_output=True, timeout=300)
        if r.returncode != 0:
            sys.exit("rosterctl %s: %s%s" % (" ".join(args), r.stdout, r.stderr))
        return r.stdout

    def links(self):
        out = {}
        for f in sorted(os.listdir(self.mail)):
            with open(os.path.join(self.mail, f), "rb") as fh:
                msg = email.message_from_binary_file(fh, policy=email.policy.default)
            text = msg.get_body(preferencelist=("plain",)).get_content()
            m = re.search(r"https?://\S+token=[A-Za-z0-9_-]{43}", text)
            if m:
                out[str(msg["To"])] = m.group(0)
        return out


def wrk(wrk_bin, url, connections, duration, threads):
    r = subprocess.run([wrk_bin, "-t%d" % threads, "-c%d" % connections, "-d%ds" % duration,
                        "--latency", url], capture_output=True, text=True, check=True)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", r.stdout).group(1))

    def ms(text):
        m = re.match(r"([\d.]+)(us|ms|s|m)$", text)
        if not m:
            sys.exit("wrk's latency %r not understood:\n%s" % (text, r.stdout))
        v, unit = m.groups()
        return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]

    # The distribution's own lines: a Stdev column such as "68.50%" also ends in "50%".
    p99 = ms(re.search(r"^\s+99%\s+(\S+)", r.stdout, re.M).group(1))
    p50 = ms(re.search(r"^\s+50%\s+(\S+)", r.stdout, re.M).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", r.stdout)
    errors = re.search(r"Socket errors:.*", r.stdout)
    return {"rps": rps, "p50": p50, "p99": p99, "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "errors": errors.group(0) if errors else "", "raw": r.stdout}


def get(port, path, headers=None, source="127.0.0.1"):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    c.request("GET", path, headers=headers or {})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r, body


def profile(a, org, port, page_path, web_log):
    out = os.path.abspath(a.profile_out)
    tool = {"callgrind": ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out],
            "strace": ["strace", "-f", "-c", "-o", out],
            "perf": ["perf", "record", "-g", "-o", out]}[a.profile_tool]
    web = subprocess.Popen(tool + [a.roster_web, "--db", org.db, "--listen",
                                   "127.0.0.1:%d" % port, "--threads", "1"],
                           env=org.env, stdout=web_log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if web.poll() is not None or time.monotonic() > deadline:
                    sys.exit("roster-web under callgrind did not start")
                time.sleep(0.2)
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        t = time.perf_counter()
        for _ in range(a.profile):
            c.request("GET", page_path)
            r = c.getresponse()
            r.read()
            assert r.status == 200, r.status
        c.close()
        print("%d GETs under %s in %.1f s" % (a.profile, a.profile_tool,
                                               time.perf_counter() - t))
    finally:
        # Under strace or perf, roster-web is the tool's child: the signal goes to it.
        target = web.pid
        if a.profile_tool != "callgrind":
            with open("/proc/%d/task/%d/children" % (web.pid, web.pid)) as f:
                target = int(f.read().split()[0])
        os.kill(target, 15)
        web.wait(timeout=120)
    print("%s output: %s (%s)" % (a.profile_tool, out, {
        "callgrind": "callgrind_annotate --inclusive=yes " + out,
        "strace": "a table of system calls: divide the calls by the GETs",
        "perf": "perf report -i " + out}[a.profile_tool]))
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rosterctl", required=True)
    ap.add_argument("--roster-web", required=True)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--wrk-threads", type=int, default=2)
    ap.add_argument("--idle", type=int, default=200)
    ap.add_argument("--accepts", type=int, default=24)
    ap.add_argument("--nginx", default="/usr/sbin/nginx")
    ap.add_argument("--wrk", default="/usr/bin/wrk")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--web-threads", type=int, default=0)
    ap.add_argument("--compare", default="")
    ap.add_argument("--profile", type=int, default=0)
    ap.add_argument("--profile-out", default="callgrind.roster-web.out")
    ap.add_argument("--profile-tool", choices=["callgrind", "strace", "perf"],
                    default="callgrind")
    a = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="roster-webbench-")
    procs = []
    try:
        org = Org(a.rosterctl, tmp)
        org.ctl("init", "--admin-email", ADMIN_EMAIL, "--admin-name", "Ada Admin", "--org",
                "Northwind Traders", stdin=ADMIN_PASSWORD + "\n")
        port = free_port()
        org.ctl("mail", "configure", "--transport", "file", "--dir", org.mail)
        org.ctl("mail", "configure", "--from", "invitations@northwind.example", "--accept-url",
                "http://127.0.0.1:%d/invitations/accept" % port)
        n = a.accepts + 1
        for i in range(n):
            org.ctl("user", "add", "--email", "user%02d@example.com" % i, "--name",
                    "Bench User %02d" % i)
        links = org.links()
        page_link = links[next(k for k in links if "user00@" in k)]
        accept_links = [v for k, v in links.items() if "user00@" not in k]
        page_path = urllib.parse.urlsplit(page_link)
        page_path = page_path.path + "?" + page_path.query

        web_log = open(os.path.join(tmp, "roster-web.log"), "w")
        if a.profile:
            return profile(a, org, port, page_path, web_log)
        threads = ["--threads", str(a.web_threads)] if a.web_threads else []
        web = subprocess.Popen([a.roster_web, "--db", org.db, "--listen", "127.0.0.1:%d" % port]
                               + threads, env=org.env, stdout=web_log, stderr=subprocess.STDOUT)
        procs.append(web)
        wait_port(port, web, "roster-web")
        # Another build of roster-web (e.g. before a change) on the same organisation: it serves
        # the same link on its own port, measured in the same runs.
        cport = None
        if a.compare:
            cport = free_port()
            other = subprocess.Popen([a.compare, "--db", org.db, "--listen",
                                      "127.0.0.1:%d" % cport] + threads, env=org.env,
                                     stdout=web_log, stderr=subprocess.STDOUT)
            procs.append(other)
            wait_port(cport, other, "roster-web (--compare)")
        r, body = get(port, page_path)
        assert r.status == 200, r.status
        assert b"Bench User 00" in body

        # The same bytes as a static file from nginx.
        static = os.path.join(tmp, "static", "invitations")
        os.makedirs(static)
        with open(os.path.join(static, "accept"), "wb") as f:
            f.write(body)
        # Run as root, nginx's workers are "nobody": let them reach the file.
        os.chmod(tmp, 0o711)
        for d in (os.path.join(tmp, "static"), static):
            os.chmod(d, 0o755)
        os.chmod(os.path.join(static, "accept"), 0o644)
        nport = free_port()
        conf = os.path.join(tmp, "nginx.conf")
        with open(conf, "w") as f:
            f.write("""worker_processes auto;
pid %(tmp)s/nginx.pid;
error_log %(tmp)s/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path %(tmp)s/nginx-body;
  proxy_temp_path %(tmp)s/nginx-proxy;
  fastcgi_temp_path %(tmp)s/nginx-fastcgi;
  uwsgi_temp_path %(tmp)s/nginx-uwsgi;
  scgi_temp_path %(tmp)s/nginx-scgi;
  server {
    listen 127.0.0.1:%(port)d;
    root %(tmp)s/static;
    location / { default_type text/html; add_header Cache-Control no-store; }
  }
}
""" % {"tmp": tmp, "port": nport})
        ngx = subprocess.Popen([a.nginx, "-e", os.path.join(tmp, "nginx-error.log"), "-p", tmp,
                                "-c", conf, "-g", "daemon off;"])
        procs.append(ngx)
        wait_port(nport, ngx, "nginx")
        r2, body2 = get(nport, page_path)
        assert r2.status == 200 and body2 == body, (r2.status, len(body2), len(body))

        print("page: %d bytes; wrk %d connections, %d s, %d threads; load %s" %
              (len(body), a.connections, a.duration, a.wrk_threads,
               " ".join("%.2f" % x for x in os.getloadavg())), flush=True)
        runs = []
        for i in range(a.runs):
            rw = wrk(a.wrk, "http://127.0.0.1:%d%s" % (port, page_path), a.connections,
                     a.duration, a.wrk_threads)
            print("roster-web:", {k: v for k, v in rw.items() if k != "raw"}, flush=True)
            if cport:
                cw = wrk(a.wrk, "http://127.0.0.1:%d%s" % (cport, page_path), a.connections,
                         a.duration, a.wrk_threads)
                print("compared:  ", {k: v for k, v in cw.items() if k != "raw"}, flush=True)
            ng = wrk(a.wrk, "http://127.0.0.1:%d%s" % (nport, page_path), a.connections,
                     a.duration, a.wrk_threads)
            print("nginx:     ", {k: v for k, v in ng.items() if k != "raw"}, flush=True)
            print("run %d: ratio %.2f x nginx%s; load %s" % (
                i + 1, rw["rps"] / ng["rps"],
                "; compared build %.2f x nginx" % (cw["rps"] / ng["rps"]) if cport else "",
                " ".join("%.2f" % x for x in os.getloadavg())), flush=True)
            runs.append((rw, ng, cw if cport else None))
        ngx.terminate()
        ngx.wait()
        procs.remove(ngx)

        # Idle connections from other loopback addresses (roster-web limits connections per
        # address), then normal requests from 127.0.0.1 while they are held.
        idle = []
        for i in range(a.idle):
            s = socket.socket()
            s.bind(("127.0.0.%d" % (2 + i % 4), 0))
            s.connect(("127.0.0.1", port))
            if i % 2:
                s.send(b"GET " + page_path.encode()[:20])  # a slow, unfinished request line
            idle.append(s)
        samples = []
        for _ in range(20):
            t = time.perf_counter()
            r, b = get(port, page_path)
            samples.append((time.perf_counter() - t) * 1000)
            assert r.status == 200
        still_open = 0
        for s in idle:
            s.setblocking(False)
            try:
                still_open += 1 if s.recv(1) != b"" else 0
            except BlockingIOError:
                still_open += 1
            except OSError:
                pass
            s.close()
        print("with %d idle connections (%d still open after the samples): median %.2f ms, "
              "max %.2f ms" % (a.idle, still_open, statistics.median(samples), max(samples)),
              flush=True)
        web.terminate()
        web.wait()
        procs.remove(web)

        # Accepts per second on one core.
        cpu = str(sorted(os.sched_getaffinity(0))[-1])
        web1 = subprocess.Popen(["taskset", "-c", cpu, a.roster_web, "--db", org.db, "--listen",
                                 "127.0.0.1:%d" % port, "--threads", "1"],
                                env=org.env, stdout=web_log, stderr=subprocess.STDOUT)
        procs.append(web1)
        wait_port(port, web1, "roster-web (one core)")
        forms = []
        for link in accept_links:
            u = urllib.parse.urlsplit(link)
            r, b = get(port, u.path + "?" + u.query)
            assert r.status == 200, r.status
            cookie = "; ".join(h.split(";")[0] for k, h in r.getheaders()
                               if k.lower() == "set-cookie")
            fields = dict((html.unescape(m.group(1)), html.unescape(m.group(2))) for m in
                          re.finditer(rb'<input type="hidden" name="([^"]+)" value="([^"]*)"'
                                      .decode(), b.decode()))
            fields.update({"password": "bench password %s" % u.query[-8:],
                           "confirm": "bench password %s" % u.query[-8:]})
            forms.append((u.path, cookie, urllib.parse.urlencode(fields)))

        def post(form):
            path, cookie, data = form
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            c.request("POST", path, body=data, headers={
                "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
            r = c.getresponse()
            r.read()
            c.close()
            return r.status

        t = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as ex:
            statuses = list(ex.map(post, forms))
        elapsed = time.perf_counter() - t
        ok = statuses.count(200)
        print("accepts on one core: %d of %d accepted in %.2f s: %.2f accepts/s (statuses %s)" %
              (ok, len(forms), elapsed, ok / elapsed, sorted(set(statuses))), flush=True)
        left = org.ctl("user", "list", "--view", "unconfirmed", "--format", "csv").count("\n") - 1
        print("unconfirmed after the run: %d (the page's own user)" % left)

        print("\n== summary (%s, %s, %d CPUs, load %s) ==" % (
            time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), platform.processor() or
            platform.machine(), os.cpu_count(), " ".join("%.2f" % x for x in os.getloadavg())))
        for i, (rw, ng, cw) in enumerate(runs):
            print("GET invitation page, run %d: roster-web %.0f req/s (p50 %.2f ms, p99 %.2f ms, "
                  "non-2xx %d)" % (i + 1, rw["rps"], rw["p50"], rw["p99"], rw["non2xx"]))
            if cw:
                print("                            compared   %.0f req/s (p50 %.2f ms, p99 %.2f "
                      "ms, non-2xx %d)" % (cw["rps"], cw["p50"], cw["p99"], cw["non2xx"]))
            print("                            nginx      %.0f req/s (p50 %.2f ms, p99 %.2f ms)"
                  % (ng["rps"], ng["p50"], ng["p99"]))
            print("                            ratio      %.2f x nginx%s" % (
                rw["rps"] / ng["rps"],
                " (compared build %.2f x)" % (cw["rps"] / ng["rps"]) if cw else ""))
        print("%d idle connections: a normal request median %.2f ms, max %.2f ms" %
              (a.idle, statistics.median(samples), max(samples)))
        print("accepts/s on one core: %.2f" % (ok / elapsed))
        return 0
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
