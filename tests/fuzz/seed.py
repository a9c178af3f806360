#!/usr/bin/env python3
"""seed.py - rebuilds the raw seed inputs of the fuzz targets.

    tests/fuzz/seed.py [--bin build/fuzz/bin] [--trace F.jsonl]... OUT

Runs every scenario (BIN/imstb run --keep --seed 7 scenarios) unless
--trace files are given, and writes raw inputs to OUT/<target>/:
  sip   SIP messages of the traces (udp, tcp, wss), pairs of them as one
        stream with CRLF keep-alives, and the unit-test vectors
        (tests/unit/vectors/sip, through seed_vectors.c)
  diam  Diameter messages (base64 in the trace), pairs as one stream
  http  HTTP requests and responses (the WWS and WSF traffic), pipelined
        pairs, a chunked body, an upgrade request
  ws    the SIP messages of the wss traces framed as a browser sends them
        (masked text frames, one fragmented, pings, CRLF, close)
  auth  Authorization / WWW-Authenticate values, Bearer headers, the JWTs
        and the JWK Sets that crossed the wire
  conf  every process's --print-config, wws/enterprise.conf, and the
        `config NODE k=v` lines of each scenario
  scn   the scenario files and the runner's test scenarios
tests/fuzz/README.md says how to minimise them into tests/fuzz/corpus/.
"""
import argparse
import base64
import glob
import hashlib
import json
import os
import re
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))


def put(out, target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def ws_frame(payload, op=1, fin=True, mask=b"\x37\xfa\x21\x3d"):
    """A client frame (RFC 6455 §5.2: masked)."""
    b0 = (0x80 if fin else 0) | op
    n = len(payload)
    if n < 126:
        hdr = struct.pack("!BB", b0, 0x80 | n)
    elif n < 65536:
        hdr = struct.pack("!BBH", b0, 0x80 | 126, n)
    else:
        hdr = struct.pack("!BBQ", b0, 0x80 | 127, n)
    return hdr + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(payload))


def run_scenarios(bindir):
    out = subprocess.run(
        [os.path.join(bindir, "imstb"), "run", "--keep", "--seed", "7",
         "--no-ladder", "--color=never", os.path.join(ROOT, "scenarios")],
        capture_output=True, text=True, cwd=tempfile.gettempdir())
    dirs = re.findall(r"^kept: (\S+)", out.stdout + out.stderr, re.M)
    return [os.path.join(d, "trace.jsonl") for d in dirs]


def header_values(raw, names):
    head = raw.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    for line in head.split("\r\n")[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() in names:
            yield v.strip()


def jwts(text):
    return re.findall(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*",
                      text)


def from_traces(out, traces):
    sip, diam, http = [], [], []
    for t in traces:
        with open(t) as f:
            for line in f:
                e = json.loads(line)
                raw = base64.b64decode(e.get("raw", ""))
                if not raw:
                    continue
                if e["proto"] == "sip":
                    sip.append((e["transport"], raw))
                elif e["proto"] == "diameter":
                    diam.append(raw)
                elif e["proto"] == "http":
                    http.append(raw)
    for _, raw in sip:
        put(out, "sip", raw)
    for a, b in zip(sip[::7], sip[1::7]):
        put(out, "sip", b"\r\n\r\n" + a[1] + b"\r\n" + b[1])
    for raw in diam:
        put(out, "diam", raw)
    for a, b in zip(diam[::5], diam[1::5]):
        put(out, "diam", a + b)
    for raw in http:
        put(out, "http", raw)
    reqs = [r for r in http if not r.startswith(b"HTTP/")]
    for a, b in zip(reqs[::5], reqs[1::5]):
        put(out, "http", a + b)
    wss = [raw for tr, raw in sip if tr in ("ws", "wss")]
    for i, raw in enumerate(wss):
        put(out, "ws", ws_frame(raw))
        if i % 5 == 0:  # fragmented, with a ping in between (§5.4)
            h = len(raw) // 2
            put(out, "ws", ws_frame(raw[:h], 1, False) +
                ws_frame(b"imstb", 9) + ws_frame(raw[h:], 0, True))
        if i % 7 == 0:  # keep-alive, message, close
            put(out, "ws", ws_frame(b"\r\n\r\n") + ws_frame(raw, 2) +
                ws_frame(struct.pack("!H", 1000) + b"bye", 8))
    for _, raw in sip:
        for v in header_values(raw, ("authorization", "www-authenticate",
                                     "proxy-authorization",
                                     "proxy-authenticate")):
            put(out, "auth", v)
    for raw in http:
        text = raw.decode("latin-1")
        for v in header_values(raw, ("authorization",)):
            put(out, "auth", v)
        for tok in jwts(text):
            put(out, "auth", tok)
            put(out, "auth", "Bearer " + tok)
            put(out, "auth", 'Bearer access_token="%s"' % tok)
        body = raw.split(b"\r\n\r\n", 1)[-1]
        if b'"keys"' in body:
            put(out, "auth", body)


def handmade(out):
    put(out, "http", b"POST /introspect HTTP/1.1\r\nHost: a\r\n"
        b"Transfer-Encoding: chunked\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n\r\n"
        b"6\r\ntoken=\r\n3\r\nabc\r\n0\r\n\r\n")
    put(out, "http", b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sip\r\n"
        b"Origin: https://wws.fuzz.test\r\n\r\n")
    put(out, "http", b"GET /?token=a%20b+c HTTP/1.1\r\nHost: a\r\n"
        b"Cookie: session=1; imstb=2\r\n\r\n")
    put(out, "ws", ws_frame(b"x" * 2000))
    put(out, "ws", ws_frame(b"ping", 9) + ws_frame(b"", 10))
    put(out, "auth", 'Digest username="alice@ims.example.com", '
        'realm="ims.example.com", nonce="", uri="sip:ims.example.com", '
        'response=""')
    put(out, "auth", 'Digest username="a", realm="r", nonce="n", '
        'uri="sip:r", response="0123456789abcdef0123456789abcdef", '
        'algorithm=SHA-256-sess, qop=auth-int, nc=00000001, '
        'cnonce="c", opaque="o", integrity-protected="auth-done"')
    put(out, "auth", 'Digest realm="r", nonce="n", algorithm=MD5, '
        'qop="auth,auth-int", stale=TRUE, domain="sip:r", opaque="o"')


def conf_and_scn(out, bindir):
    for prog in ("hss-sim", "scscf-sim", "pcscf-sim", "wsf", "wws",
                 "client-sim"):
        p = os.path.join(bindir, prog)
        if os.access(p, os.X_OK):
            r = subprocess.run([p, "--print-config"], capture_output=True)
            if r.returncode == 0 and r.stdout:
                put(out, "conf", r.stdout)
    for f in glob.glob(os.path.join(ROOT, "*", "*.conf")):
        with open(f, "rb") as fh:
            put(out, "conf", fh.read())
    scns = glob.glob(os.path.join(ROOT, "scenarios", "*", "*.scn")) + \
        glob.glob(os.path.join(ROOT, "tests", "scn", "*.scn"))
    for f in scns:
        with open(f, "rb") as fh:
            text = fh.read()
        put(out, "scn", text)
        kv = re.findall(rb"^\s*config\s+\S+\s+(\S+=.*)$", text, re.M)
        if kv:
            put(out, "conf", b"\n".join(kv) + b"\n")


def vectors(out):
    with tempfile.TemporaryDirectory() as tmp:
        exe = os.path.join(tmp, "seed_vectors")
        subprocess.run(["cc", "-D_GNU_SOURCE", "-I" + os.path.join(ROOT, "lib"),
                        "-o", exe,
                        os.path.join(ROOT, "tests/fuzz/seed_vectors.c")],
                       check=True)
        d = os.path.join(out, "sip")
        os.makedirs(d, exist_ok=True)
        subprocess.run([exe, d], check=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "build/fuzz/bin"))
    ap.add_argument("--trace", action="append", default=[])
    ap.add_argument("out")
    a = ap.parse_args()
    traces = a.trace or run_scenarios(a.bin)
    if not traces:
        sys.exit("seed.py: no trace (did the scenarios run?)")
    from_traces(a.out, traces)
    handmade(a.out)
    conf_and_scn(a.out, a.bin)
    vectors(a.out)
    for t in sorted(os.listdir(a.out)):
        print("%-5s %4d inputs" % (t, len(os.listdir(os.path.join(a.out, t)))))


if __name__ == "__main__":
    main()
