#!/usr/bin/env python3
"""moth bench against one Mosquitto, in one run: the numbers BENCHMARKS.md records for bench.

Usage: benches/broker_load.py [--seconds 5]
       benches/broker_load.py --against OTHER_MOTH [--part rate|lag] [--rounds 5] [--seconds 4]

Builds moth in release mode, starts its own Mosquitto on a free loopback port and measures,
commonest case first:
  * `moth bench -c 20 --duration 2`, no rate (what a new user runs first), at QoS 0 and 1: its
    wall time against the 2 s asked for, what arrived, the reported receive rate against
    received / receive window, and loss;
  * the highest publish rate moth sustains (closed loop, as fast as acknowledgements allow) at
    QoS 0 and 1 with 1 and 100 connections, with moth's CPU beside the broker's (from /proc);
  * RSS per idle connection for 1,000 and 10,000 connections (bench conn);
  * end-to-end latency percentiles of `moth bench` at 100 msg/s, QoS 1, against a QoS 1
    ping-pong measured independently: a minimal MQTT 3.1.1 client written here on raw sockets
    publishes one message, waits until its subscriber socket receives it, and repeats.

With --against, it compares two moth binaries instead (say, one built from an earlier commit),
in rounds that alternate the binaries so that a machine's drift hits both alike:
  * rate: 100 connections at QoS 1, closed loop, once as the OS places the processes and once
    with the broker on CPU 1 and moth (one thread) on CPU 0; medians per binary and placement;
  * lag: open-loop QoS 0 schedules from 100 to 100,000 msg/s, send lag and moth's CPU.
"""

import argparse
import json
import os
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import Broker  # noqa: E402  (one broker set-up for both scripts)
TARGET = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
MOTH = os.path.join(TARGET, "release", "moth")
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def settle(broker):
    """Wait until the broker has worked off what earlier runs left in its sockets: a closed-loop
    QoS 0 run ends with megabytes still queued towards it, and the next run would pay for them."""
    last = cpu_seconds(broker.proc.pid)
    for _ in range(240):
        time.sleep(0.5)
        now = cpu_seconds(broker.proc.pid)
        if now - last < 0.02:
            return
        last = now


def bench(broker, args, moth=MOTH, prefix=()):
    """Run moth bench; return (summary, wall s, broker CPU s)."""
    settle(broker)
    cmd = [*prefix, moth, "bench", *args[:1], "-h", "127.0.0.1", "-p", str(broker.port), "--quiet", "--json", "-", *args[1:]]
    broker_cpu = cpu_seconds(broker.proc.pid)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out, _ = proc.communicate()
    wall = time.perf_counter() - t0
    # Popen.communicate reaped it; its CPU comes from the parent's children rusage delta.
    return json.loads(out), wall, cpu_seconds(broker.proc.pid) - broker_cpu


def no_rate_runs(broker):
    rows = []
    for qos in (0, 1):
        summary, wall, broker_cpu = bench(broker, ["pubsub", "-c", "20", "-q", str(qos), "--duration", "2"])
        window = summary["receive_window_s"]
        rows.append((qos, wall, summary["received"], summary["receive_rate"], summary["received"] / window,
                     summary["lost"], summary["drain_s"], broker_cpu / wall))
    return rows


def rate_runs(broker, seconds):
    rows = []
    for qos in (0, 1):
        for clients in (1, 100):
            before = os.times()
            summary, wall, broker_cpu = bench(broker, ["pub", "-c", str(clients), "-q", str(qos), "-R", "1000",
                                                       "--duration", str(seconds), "--warmup", "1"])
            after = os.times()
            moth_cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
            rows.append((qos, clients, summary["send_rate"], summary["ack_rate"], moth_cpu / wall, broker_cpu / wall))
    return rows


def lag_run(broker, seconds):
    """Open loop at 10,000 msg/s, QoS 0, 10 publishers: how late sends are against the schedule."""
    summary, _, _ = bench(broker, ["pub", "-c", "10", "--rate", "10000", "-q", "0", "--duration", str(seconds),
                                   "--warmup", "1"])
    return summary


def rss_runs(broker, most):
    rows = []
    for clients in (1000, 10000, most):
        summary, _, _ = bench(broker, ["conn", "-c", str(clients), "-R", "5000", "--duration", "2"])
        rows.append((clients, summary["connected"], summary["rss_per_connection_bytes"]))
    return rows


# --- a minimal MQTT 3.1.1 client on raw sockets, for the independent ping-pong ---

def remaining_length(n):
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def mqtt_string(s):
    data = s.encode()
    return struct.pack("!H", len(data)) + data


def packet(kind, body):
    return bytes([kind]) + remaining_length(len(body)) + body


def read_packet(sock, buf):
    while True:
        if len(buf) >= 2:
            mult, length, i = 1, 0, 1
            while i < len(buf):
                length += (buf[i] & 0x7F) * mult
                if buf[i] & 0x80 == 0:
                    break
                mult *= 128
                i += 1
            else:
                i = None
            if i is not None and len(buf) >= i + 1 + length:
                kind, body = buf[0], bytes(buf[i + 1:i + 1 + length])
                del buf[:i + 1 + length]
                return kind, body
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        buf.extend(chunk)


def connect(port, client_id):
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    body = mqtt_string("MQTT") + bytes([4, 0x02]) + struct.pack("!H", 60) + mqtt_string(client_id)
    sock.sendall(packet(0x10, body))
    buf = bytearray()
    kind, _ = read_packet(sock, buf)
    assert kind == 0x20, "no CONNACK"
    return sock, buf


def pingpong(port, count):
    sub, sub_buf = connect(port, "pingpong-sub")
    sub.sendall(packet(0x82, struct.pack("!H", 1) + mqtt_string("pingpong") + b"\x01"))
    kind, _ = read_packet(sub, sub_buf)
    assert kind == 0x90, "no SUBACK"
    pub, pub_buf = connect(port, "pingpong-pub")
    samples = []
    for i in range(count):
        mid = i % 65535 + 1
        body = mqtt_string("pingpong") + struct.pack("!H", mid) + b"x" * 32
        t0 = time.perf_counter()
        pub.sendall(packet(0x32, body))
        while True:
            kind, body = read_packet(sub, sub_buf)
            if kind & 0xF0 == 0x30:
                break
        samples.append((time.perf_counter() - t0) * 1e6)
        # Acknowledge on both sides before the next round.
        if kind & 0x06:
            sub_mid = body[2 + struct.unpack("!H", body[:2])[0]:][:2]
            sub.sendall(packet(0x40, sub_mid))
        read_packet(pub, pub_buf)
        time.sleep(0.01)
    samples.sort()
    pick = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))]
    return {"p50": pick(0.5), "p90": pick(0.9), "p99": pick(0.99), "max": samples[-1]}


def pin(pid, cpus):
    subprocess.run(["taskset", "-pc", cpus, str(pid)], check=True, stdout=subprocess.DEVNULL)


LAG_RUNS = ((1, 100), (10, 10_000), (100, 10_000), (10, 50_000), (100, 100_000))


def against(other, part, rounds, seconds):
    """Interleaved rounds of this build and `other`."""
    binaries = (("this build", MOTH), (other, other))
    with tempfile.TemporaryDirectory() as work:
        broker = Broker(work)
        try:
            if part == "rate":
                rate_against(broker, binaries, rounds, seconds)
            else:
                lag_against(broker, binaries, rounds, seconds)
        finally:
            broker.stop()


def lag_against(broker, binaries, rounds, seconds):
    runs = {}
    for _ in range(rounds):
        for clients, rate in LAG_RUNS:
            for label, moth in binaries:
                before = os.times()
                summary, wall, _ = bench(broker, ["pub", "-c", str(clients), "--rate", str(rate), "-q", "0",
                                                  "--duration", str(seconds), "--warmup", "1"], moth=moth)
                after = os.times()
                cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
                runs.setdefault((clients, rate, label), []).append(
                    (summary["send_lag_us_p50"], summary["send_lag_us_p99"], summary["send_lag_us_p999"], cpu / wall))
    print("| publishers | msg/s | moth | send lag p50 µs | p99 | p99.9 | moth CPU |")
    print("|---:|---:|---|---:|---:|---:|---:|")
    for (clients, rate, label), rows in runs.items():
        median = lambda i: statistics.median(r[i] for r in rows)
        print(f"| {clients} | {rate:,} | {label} | {median(0):.0f} | {median(1):.0f} | {median(2):.0f} | {median(3) * 100:.0f}% |")


def rate_against(broker, binaries, rounds, seconds):
    runs = {}
    for round_ in range(rounds):
        for placement in ("OS-placed", "pinned"):
            pinned = placement == "pinned"
            pin(broker.proc.pid, "1" if pinned else "0-" + str(os.cpu_count() - 1))
            # The first run after the broker moved pays for the move: take turns at being first.
            for label, moth in binaries[::-1] if round_ % 2 else binaries:
                before = os.times()
                summary, wall, broker_cpu = bench(
                    broker, ["pub", "-c", "100", "-q", "1", "--duration", str(seconds), "--warmup", "1",
                             *(["--threads", "1"] if pinned else [])],
                    moth=moth, prefix=("taskset", "-c", "0") if pinned else ())
                after = os.times()
                moth_cpu = (after.children_user - before.children_user) + \
                    (after.children_system - before.children_system)
                runs.setdefault((placement, label), []).append(
                    (summary["ack_rate"], moth_cpu / wall, broker_cpu / wall))
    print("| placement | moth | acked/s, median | each round | moth CPU | broker CPU |")
    print("|---|---|---:|---|---:|---:|")
    for (placement, label), rows in runs.items():
        median = lambda i: statistics.median(r[i] for r in rows)
        each = ", ".join(f"{r[0] / 1000:.0f}k" for r in rows)
        print(f"| {placement} | {label} | {median(0):,.0f} | {each} | {median(1) * 100:.0f}% | {median(2) * 100:.0f}% |")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--idle", type=int, default=19000, help="the largest idle-connection count")
    parser.add_argument("--against", help="another moth binary to compare with (100 connections, QoS 1)")
    parser.add_argument("--part", choices=("rate", "lag"), default="rate")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    print("command: python3 benches/broker_load.py " + " ".join(sys.argv[1:]))
    if args.against:
        against(args.against, args.part, args.rounds, args.seconds)
        return
    with tempfile.TemporaryDirectory() as work:
        broker = Broker(work)
        try:
            no_rate = no_rate_runs(broker)
            rates = rate_runs(broker, args.seconds)
            lag = lag_run(broker, args.seconds)
            rss = rss_runs(broker, args.idle)
            latency, _, _ = bench(broker, ["pubsub", "-c", "1", "--rate", "100", "-q", "1", "--duration", "10", "--warmup", "1"])
            latency2, _, _ = bench(broker, ["pubsub", "-c", "1", "--rate", "100", "-q", "1", "--duration", "10", "--warmup", "1", "--threads", "2"])
            hand = pingpong(broker.port, 1000)
        finally:
            broker.stop()

    print("| `bench -c 20 --duration 2`, no rate | wall | received | reported rate | received / window | lost | drain | broker CPU |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for qos, wall, received, rate, own, lost, drain, brk in no_rate:
        print(f"| QoS {qos} | {wall:.2f} s | {received:,} | {rate:,.0f}/s | {own:,.0f}/s | {lost} | {drain:.3f} s | {brk * 100:.0f}% |")
    print()
    print("| QoS | connections | sent/s | acked/s | moth CPU | broker CPU | moth / broker |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for qos, clients, sent, acked, moth, brk in rates:
        print(f"| {qos} | {clients} | {sent:,.0f} | {acked:,.0f} | {moth * 100:.0f}% | {brk * 100:.0f}% | {moth / brk:.2f} |")
    print()
    print("| open loop, 10 publishers | sent/s | send lag p50 | p90 | p99 | p99.9 | max |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    print(f"| 10,000 msg/s, QoS 0 | {lag['send_rate']:,.0f} | {lag['send_lag_us_p50']} | {lag['send_lag_us_p90']} | "
          f"{lag['send_lag_us_p99']} | {lag['send_lag_us_p999']} | {lag['send_lag_us_max']} |")
    print()
    print("| idle connections | connected | RSS per connection |")
    print("|---:|---:|---:|")
    for clients, connected, per in rss:
        print(f"| {clients:,} | {connected:,} | {per:,} bytes |")
    print()
    print("| QoS 1 latency, µs | p50 | p90 | p99 | max |")
    print("|---|---:|---:|---:|---:|")
    for label, run in (("1 thread", latency), ("2 threads", latency2)):
        print(f"| moth bench, 100 msg/s, {label}, from schedule | {run['latency_us_p50']} | {run['latency_us_p90']} | "
              f"{run['latency_us_p99']} | {run['latency_us_max']} |")
        print(f"| moth bench, 100 msg/s, {label}, from actual send | {run['service_latency_us_p50']} | "
              f"{run['service_latency_us_p90']} | {run['service_latency_us_p99']} | {run['service_latency_us_max']} |")
    print(f"| ping-pong by hand (raw sockets, Python) | {hand['p50']:.0f} | {hand['p90']:.0f} | {hand['p99']:.0f} | {hand['max']:.0f} |")


if __name__ == "__main__":
    main()
