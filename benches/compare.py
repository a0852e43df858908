#!/usr/bin/env python3
"""Compare moth with mosquitto_pub/mosquitto_sub on one Mosquitto broker, in one run.

Usage: benches/compare.py [--messages 200000] [--runs 3] [--singles 200]

Builds moth in release mode, starts its own Mosquitto on a free loopback port (and a websockets
listener), and measures the CPU time (user+sys of that process alone, from wait4's rusage) and
wall time of, commonest case first:
  * one `pub -t T -m M` at QoS 0 and at QoS 1, process start to exit, moth and mosquitto_pub in
    turn (median of --singles runs each);
  * one `sub -C 1` of a retained message, start to exit: start to SUBACK, plus one message
    (TCP for both; websockets for moth only, as mosquitto_sub 2.0.11 has no websockets), and
    what the broker alone takes to answer a websockets upgrade and a CONNECT from a raw client;
  * pub -l with lines written 5 ms apart: how long each line takes to arrive (a line read from a
    pipe must leave at once, not wait for Nagle's algorithm);
  * sub: receiving N QoS 0 messages into a pipe (moth sub vs mosquitto_sub), fed by one publisher,
    in three regimes: a burst right after subscribing, a burst after half a second idle (also at
    QoS 1), and a stream paced at 50,000 msg/s;
  * pub -l: publishing N stdin lines at QoS 0 and 1 (moth pub vs mosquitto_pub), counting what
    arrived at an independent mosquitto_sub. mosquitto_pub 2.0.11 loses every line past packet
    id 65,535 at QoS 1, so QoS 1 is also measured with 60,000 lines, where both deliver all;
Each figure is the median of --runs runs. Prints a Markdown table for BENCHMARKS.md.
"""

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MOTH = os.path.join(ROOT, "target", "release", "moth")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Broker:
    def __init__(self, workdir):
        self.port = free_port()
        self.ws_port = free_port()
        self.log = os.path.join(workdir, "mosquitto.log")
        conf = os.path.join(workdir, "mosquitto.conf")
        with open(conf, "w") as f:
            if os.geteuid() == 0:
                f.write("user root\n")
            f.write("allow_anonymous true\n")
            f.write(f"listener {self.port} 127.0.0.1\n")
            f.write(f"listener {self.ws_port} 127.0.0.1\nprotocol websockets\n")
            # No broker-side queue limit: a slow counter must not lose what a client sent.
            f.write("max_queued_messages 0\n")
            f.write(f"log_dest file {self.log}\nlog_type subscribe\nlog_type error\n")
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.proc = subprocess.Popen([binary, "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if time.time() > deadline:
                    sys.exit("mosquitto did not start")
                time.sleep(0.02)

    def wait_subscribed(self, client_id):
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                with open(self.log) as f:
                    if any(f": {client_id} " in line for line in f):
                        return
            except FileNotFoundError:
                pass
            time.sleep(0.005)
        sys.exit(f"{client_id} never subscribed")

    def addr(self):
        return ["-h", "127.0.0.1", "-p", str(self.port)]

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def reap(proc):
    """Wait for one child; return (CPU seconds of that process alone, exit code)."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime, proc.returncode


def measure(cmd, stdin=None):
    """Run cmd to completion; return (wall seconds, CPU seconds, exit code)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cpu, code = reap(proc)
    return time.perf_counter() - t0, cpu, code


def publisher(client):
    return [MOTH, "pub"] if client == "moth" else ["mosquitto_pub"]


def subscriber(client):
    return [MOTH, "sub"] if client == "moth" else ["mosquitto_sub"]


def bench_sub(broker, client, n, lines_file, run, extra=(), regime="burst", qos=0):
    """A subscriber receiving n messages into a pipe; returns (wall, CPU, lines received).

    regime: "burst" publishes right after the subscription; "idle" lets the subscriber sit idle
    for half a second first (the usual case: a subscriber waits, then traffic comes); "paced"
    feeds the publisher 50,000 lines a second."""
    cid = f"bsub-{client}-{run}-{len(extra)}-{regime}-{qos}"
    # -W: a subscriber that falls behind loses QoS 0 messages at the broker and would wait forever.
    sub = subprocess.Popen([*subscriber(client), *broker.addr(), "-t", "bench/sub", "-q", str(qos), "-C", str(n), "-W", "30",
                            "-i", cid, *extra],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    broker.wait_subscribed(cid)
    if regime == "idle":
        time.sleep(0.5)
    with open(lines_file, "rb") as f:
        t0 = time.perf_counter()
        cmd = [MOTH, "pub", *broker.addr(), "-t", "bench/sub", "-l", "-q", str(qos)]
        if regime == "paced":
            feeder = subprocess.Popen(cmd, stdin=subprocess.PIPE)
            pacer = threading.Thread(target=pace, args=(f.read().splitlines(keepends=True), feeder.stdin, 50_000))
            pacer.start()
        else:
            feeder = subprocess.Popen(cmd, stdin=f)
            pacer = None
        received = 0
        for chunk in iter(lambda: sub.stdout.read(1 << 16), b""):
            received += chunk.count(b"\n")
        cpu, _ = reap(sub)
        wall = time.perf_counter() - t0
        if pacer:
            pacer.join()
        feeder.wait()
    return wall, cpu, received


def pace(lines, pipe, rate):
    """Write lines at `rate` per second, in 10 ms slices scheduled from the start (no drift)."""
    per_slice = rate // 100
    start = time.perf_counter()
    for i in range(0, len(lines), per_slice):
        due = start + (i // per_slice) * 0.01
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        pipe.write(b"".join(lines[i:i + per_slice]))
        pipe.flush()
    pipe.close()


def bench_pub(broker, client, qos, n, lines_file, run):
    """A publisher sending n lines; returns (wall, CPU, messages that arrived)."""
    cid = f"bcount-{client}-{qos}-{n}-{run}"
    counter = subprocess.Popen(
        ["mosquitto_sub", *broker.addr(), "-t", "bench/pub", "-q", str(qos), "-C", str(n), "-W", "20", "-i", cid],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    broker.wait_subscribed(cid)
    with open(lines_file, "rb") as f:
        wall, cpu, _ = measure([*publisher(client), *broker.addr(), "-t", "bench/pub", "-l", "-q", str(qos)], stdin=f)
    out, _ = counter.communicate()
    return wall, cpu, out.count(b"\n")


def bench_one_shot(broker, qos, count):
    """One publish per process, moth and mosquitto_pub in turn so that drift hits both alike;
    returns {client: (median wall, median CPU)}."""
    cmds = {client: [*publisher(client), *broker.addr(), "-t", "bench/one", "-m", "hello", "-q", str(qos)]
            for client in ("mosquitto", "moth")}
    samples = {client: ([], []) for client in cmds}
    for _ in range(count):
        for client, cmd in cmds.items():
            wall, cpu, code = measure(cmd)
            if code != 0:
                sys.exit(f"{cmd} failed")
            samples[client][0].append(wall)
            samples[client][1].append(cpu)
    return {c: (statistics.median(w), statistics.median(u)) for c, (w, u) in samples.items()}


def bench_first_message(broker, count):
    """`sub -C 1` of a retained message, start to exit; returns rows (case, client, wall, CPU)."""
    subprocess.run([MOTH, "pub", *broker.addr(), "-t", "bench/retained", "-m", "r", "-r"], check=True)
    cmds = (
        ("TCP", "mosquitto", ["mosquitto_sub", *broker.addr(), "-t", "bench/retained", "-C", "1"]),
        ("TCP", "moth", [MOTH, "sub", *broker.addr(), "-t", "bench/retained", "-C", "1"]),
        ("websockets", "moth", [MOTH, "sub", "--ws", "-h", "127.0.0.1", "-p", str(broker.ws_port),
                                "-t", "bench/retained", "-C", "1"]),
    )
    samples = {i: ([], []) for i in range(len(cmds))}
    for _ in range(count):
        for i, (_, _, cmd) in enumerate(cmds):
            wall, cpu, code = measure(cmd)
            if code != 0:
                sys.exit(f"{cmd} failed")
            samples[i][0].append(wall)
            samples[i][1].append(cpu)
    return [(f"sub -C 1 of a retained message over {transport}, start to exit (median of {count})", client,
             statistics.median(samples[i][0]), statistics.median(samples[i][1]), None)
            for i, (transport, client, _) in enumerate(cmds)]


def websocket_handshake(broker, count):
    """A raw client's websockets upgrade and CONNECT to CONNACK, in ms (medians of `count`): what
    the broker alone takes, the floor under any client's start-to-SUBACK over websockets."""
    upgrades, connacks = [], []
    for i in range(count):
        start = time.perf_counter()
        with socket.create_connection(("127.0.0.1", broker.ws_port)) as s:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            s.sendall(b"GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                      b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n")
            got = b""
            while b"\r\n\r\n" not in got:
                got += s.recv(4096)
            upgraded = time.perf_counter()
            cid = f"raw-ws-{i}".encode()
            connect = b"\x00\x04MQTT\x04\x02\x00\x3c" + len(cid).to_bytes(2, "big") + cid
            packet = bytes([0x10, len(connect)]) + connect
            mask = os.urandom(4)
            s.sendall(bytes([0x82, 0x80 | len(packet)]) + mask
                      + bytes(b ^ mask[j % 4] for j, b in enumerate(packet)))
            rest = got.split(b"\r\n\r\n", 1)[1]
            while len(rest) < 6:  # a 2-byte frame header and the 4-byte CONNACK
                rest += s.recv(4096)
            upgrades.append(upgraded - start)
            connacks.append(time.perf_counter() - upgraded)
    return statistics.median(upgrades) * 1000, statistics.median(connacks) * 1000


def bench_line_latency(broker, client, lines=100, gap=0.005):
    """pub -l fed one line every `gap` seconds; returns the median and largest time from writing a
    line to its arrival at a moth subscriber (which acknowledges at once, so the broker's Nagle
    does not hold the next message)."""
    cid = f"blat-{client}"
    sub = subprocess.Popen([MOTH, "sub", *broker.addr(), "-t", "bench/lat", "-C", str(lines), "-i", cid],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    broker.wait_subscribed(cid)
    pub = subprocess.Popen([*publisher(client), *broker.addr(), "-t", "bench/lat", "-l"],
                           stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    written = {}
    arrived = {}

    def read():
        for line in sub.stdout:
            arrived[int(line)] = time.perf_counter()

    reader = threading.Thread(target=read)
    reader.start()
    time.sleep(0.3)  # both connected
    for i in range(lines):
        written[i] = time.perf_counter()
        pub.stdin.write(f"{i}\n".encode())
        pub.stdin.flush()
        time.sleep(gap)
    pub.stdin.close()
    pub.wait()
    reader.join(timeout=10)
    sub.kill()
    delays = [arrived[i] - written[i] for i in written if i in arrived]
    if len(delays) != lines:
        sys.exit(f"{client}: {len(delays)} of {lines} lines arrived")
    return statistics.median(delays), max(delays)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--singles", type=int, default=200)
    args = parser.parse_args()
    for tool in ("mosquitto_pub", "mosquitto_sub"):
        if not shutil.which(tool):
            sys.exit("install mosquitto-clients: apt-get install -y mosquitto mosquitto-clients")
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    n = args.messages
    short = min(n, 60_000)
    rows = []
    latency = []
    with tempfile.TemporaryDirectory() as work:
        lines_file = os.path.join(work, "lines")
        short_file = os.path.join(work, "short")
        with open(lines_file, "w") as f, open(short_file, "w") as g:
            for i in range(n):
                line = f"message {i:07d} with some payload text\n"
                f.write(line)
                if i < short:
                    g.write(line)
        broker = Broker(work)
        try:
            # The commonest case first: one message from a shell.
            for qos in (0, 1):
                result = bench_one_shot(broker, qos, args.singles)
                for client in ("mosquitto", "moth"):
                    rows.append((f"one `pub -t T -m M` at QoS {qos}, start to exit (median of {args.singles})",
                                 client, *result[client], None))
            rows.extend(bench_first_message(broker, args.singles))
            handshake = websocket_handshake(broker, 20)
            for client in ("mosquitto", "moth"):
                median, worst = bench_line_latency(broker, client)
                latency.append((client, median, worst))
            for client in ("mosquitto", "moth"):
                runs = [bench_sub(broker, client, n, lines_file, r) for r in range(args.runs)]
                rows.append((f"sub, {n} QoS 0 msgs into a pipe", client, *medians(runs)))
            # The usual case: the subscriber has been waiting when traffic starts.
            for case, regime, qos in (("idle first", "idle", 0), ("idle first, QoS 1", "idle", 1),
                                      ("paced at 50,000 msg/s", "paced", 0)):
                for client in ("mosquitto", "moth"):
                    runs = [bench_sub(broker, client, n, lines_file, r, regime=regime, qos=qos) for r in range(args.runs)]
                    rows.append((f"sub {case}, {n} msgs", client, *medians(runs)))
            # Output formats, each against the same client's plain run above.
            formats = (
                ("sub -F '%t %p'", ("-F", "%t %p"), ("-F", "%t %p")),
                ("sub JSON (moth --json, mosquitto -F %j)", ("--json",), ("-F", "%j")),
            )
            for case, moth_args, mosquitto_args in formats:
                for client, extra in (("mosquitto", mosquitto_args), ("moth", moth_args)):
                    runs = [bench_sub(broker, client, n, lines_file, r, extra) for r in range(args.runs)]
                    rows.append((f"{case}, {n} msgs", client, *medians(runs)))
            for qos, count, path in ((0, n, lines_file), (1, n, lines_file), (1, short, short_file)):
                for client in ("mosquitto", "moth"):
                    runs = [bench_pub(broker, client, qos, count, path, r) for r in range(args.runs)]
                    rows.append((f"pub -l, {count} lines, QoS {qos}", client, *medians(runs)))
        finally:
            broker.stop()
    report(rows)
    print()
    print(f"- the broker alone, a raw websockets client: upgrade {handshake[0]:.2f} ms, "
          f"CONNECT to CONNACK {handshake[1]:.2f} ms (medians of 20)")
    for client, median, worst in latency:
        print(f"- pub -l, a line every 5 ms ({client}): write to arrival median {median * 1000:.2f} ms, "
              f"largest {worst * 1000:.2f} ms")


def medians(runs):
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs), min(r[2] for r in runs)


def report(rows):
    plain = {client: cpu for case, client, _, cpu, _ in rows if case.startswith("sub, ")}
    print("| case | client | wall | CPU | CPU per arrived msg | arrived |")
    print("|---|---|---:|---:|---:|---:|")
    for case, client, wall, cpu, got in rows:
        if got is None:
            print(f"| {case} | {client} | {wall * 1000:.2f} ms | {cpu * 1000:.2f} ms | - | - |")
        else:
            per = f"{cpu / got * 1e6:.2f} µs" if got else "-"
            print(f"| {case} | {client} | {wall:.3f} s | {cpu:.3f} s | {per} | {got} |")
    print()
    pairs = {}
    for case, client, wall, cpu, got in rows:
        pairs.setdefault(case, {})[client] = (wall, cpu, got)
    for case, v in pairs.items():
        if len(v) < 2:
            continue
        (mw, mc, mg), (qw, qc, qg) = v["moth"], v["mosquitto"]
        if case.startswith("sub ") and not case.startswith("sub, ") and ("-F" in case or "JSON" in case):
            print(f"- {case}: moth's CPU is {mc / plain['moth']:.2f}x its plain output "
                  f"(mosquitto_sub: {qc / plain['mosquitto']:.2f}x its own, {qg} of {mg} messages arrived)")
            continue
        if mg and qg:
            ratio = (mc / mg) / (qc / qg)
            print(f"- {case}: moth/mosquitto CPU per arrived message {ratio:.2f}x, wall {mw / qw:.2f}x")
        else:
            print(f"- {case}: moth/mosquitto CPU {mc / qc:.2f}x, wall {mw / qw:.2f}x")


if __name__ == "__main__":
    main()
