#!/usr/bin/python3
"""A recording SMTP server for Roster's tests, on aiosmtpd (Debian: python3-aiosmtpd).

Run with /usr/bin/python3. Listens on 127.0.0.1 on a free port and prints "READY <port>" on
stdout once it accepts connections. Each message is stored in --dir as NNNN.eml (the data as
received, dot-stuffing already undone) and NNNN.json (envelope, connection number, whether the
session was encrypted / authenticated). Stops on SIGTERM or when stdin closes.

Modes: plain (default), --starttls (offer STARTTLS, require it before MAIL), --tls (implicit
TLS). --auth USER:PASS requires AUTH (PLAIN and LOGIN, or only --auth-mechs). Faults on
demand: --rcpt-reply ADDR=REPLY, --data-reply SUBSTRING=REPLY. A slow server on demand:
--hold-after N holds the reply to the final dot of connection 1's message N+1 (and stores nothing
of it) until a file named "release" appears in --dir; the other connections are not held.
"""
import argparse
import asyncio
import json
import os
import signal
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--starttls", action="store_true")
    p.add_argument("--tls", action="store_true")
    p.add_argument("--auth")
    p.add_argument("--auth-mechs", default="PLAIN,LOGIN")
    p.add_argument("--auth-plaintext", action="store_true", help="allow AUTH without STARTTLS")
    p.add_argument("--rcpt-reply", action="append", default=[])
    p.add_argument("--data-reply", action="append", default=[])
    p.add_argument("--hold-after", type=int, default=-1)
    a = p.parse_args()

    os.makedirs(a.dir, exist_ok=True)
    rcpt_replies = dict(x.split("=", 1) for x in a.rcpt_reply)
    data_replies = [x.split("=", 1) for x in a.data_reply]
    state = {"connections": 0, "messages": 0}

    ctx = None
    if a.starttls or a.tls:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.cert, a.key)

    class Handler:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address in rcpt_replies:
                return rcpt_replies[address]
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            data = envelope.original_content or b""
            if a.hold_after >= 0 and server.connection_number == 1:
                server.roster_count = getattr(server, "roster_count", 0) + 1
                if server.roster_count == a.hold_after + 1:
                    release = os.path.join(a.dir, "release")
                    while not os.path.exists(release):
                        await asyncio.sleep(0.02)
            for needle, reply in data_replies:
                if needle.encode() in data:
                    return reply
            state["messages"] += 1
            n = state["messages"]
            base = os.path.join(a.dir, "%04d" % n)
            with open(base + ".eml.tmp", "wb") as f:
                f.write(data)
            meta = {
                "mail_from": envelope.mail_from,
                "mail_options": envelope.mail_options,
                "rcpt_tos": envelope.rcpt_tos,
                "connection": server.connection_number,
                "tls": bool(session.ssl) or a.tls,
                "authenticated": bool(session.authenticated),
                "login": getattr(server, "roster_login", None),
            }
            with open(base + ".json", "w") as f:
                json.dump(meta, f)
            os.replace(base + ".eml.tmp", base + ".eml")
            return "250 2.0.0 stored as %04d" % n

    def authenticator(server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user, _, password = a.auth.partition(":")
        ok = auth_data.login == user.encode() and auth_data.password == password.encode()
        # Every attempt, right or wrong, one line (never the password): auth.log
        with open(os.path.join(a.dir, "auth.log"), "a") as f:
            f.write("%s %s\n" % (auth_data.login.decode(errors="replace"), "ok" if ok else "refused"))
        if ok:
            server.roster_login = user
        return AuthResult(success=ok, handled=False)

    excluded = [m for m in ("PLAIN", "LOGIN") if m not in a.auth_mechs.split(",")]

    def factory():
        state["connections"] += 1
        s = SMTP(
            Handler(),
            hostname="roster-test",
            tls_context=ctx if a.starttls else None,
            require_starttls=a.starttls,
            authenticator=authenticator if a.auth else None,
            auth_required=bool(a.auth),
            # With implicit TLS aiosmtpd does not know the channel is encrypted.
            auth_require_tls=not (a.tls or a.auth_plaintext),
            auth_exclude_mechanism=excluded,
        )
        s.connection_number = state["connections"]
        return s

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(
        loop.create_server(factory, host=a.host, port=a.port, ssl=ctx if a.tls else None))
    port = server.sockets[0].getsockname()[1]
    print("READY %d" % port, flush=True)

    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    loop.add_signal_handler(signal.SIGINT, loop.stop)
    loop.add_reader(sys.stdin.fileno(),
                    lambda: loop.stop() if not os.read(sys.stdin.fileno(), 4096) else None)
    loop.run_forever()
    server.close()


if __name__ == "__main__":
    main()
