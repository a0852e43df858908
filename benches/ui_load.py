#!/usr/bin/env python3
"""moth ui under load, beside moth sub on the same broker in the same run.

Usage: benches/ui_load.py [--rate 20000] [--seconds 10]

Builds moth in release mode, starts its own Mosquitto on a free loopback port, and for each
viewer (moth sub -t 'load/#' | cat > /dev/null, then moth ui -t 'load/#' in a tmux terminal of its
own, 150x40) publishes --rate msg/s for --seconds with `moth bench pub -c 4`, each message on
a topic of its own (load/CLIENT/SEQ: rate x seconds distinct topics), then the same again (the
same topics, now known), and reports the viewer's CPU seconds in each pass and its resident
memory after. The ui is measured twice: with its tree closed (the commonest case) and with one
level of a quarter of all topics open and sorted by rate (the heaviest frame it draws).
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from broker_load import MOTH, ROOT, cpu_seconds  # noqa: E402
from compare import Broker  # noqa: E402


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def load(broker, rate, seconds):
    subprocess.run(
        [MOTH, "bench", "pub", *broker.addr(), "-c", "4", "--rate", str(rate), "--duration", str(seconds),
         "-t", "load/%i/%s", "--quiet"],
        check=True, stdout=subprocess.DEVNULL)


def passes(broker, args, pid, before_open=None):
    """CPU seconds of `pid` in a pass of new topics and in a pass of the same topics again."""
    cpu = []
    for n in range(2):
        if n == 0 and before_open:
            before_open()
        start = cpu_seconds(pid)
        load(broker, args.rate, args.seconds)
        time.sleep(1)
        cpu.append(cpu_seconds(pid) - start)
    return cpu, rss_mib(pid)


def measure_sub(broker, args):
    # To a pipe, as scripts read it: cat takes the lines; only moth's CPU is counted.
    reader = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    proc = subprocess.Popen([MOTH, "sub", *broker.addr(), "-t", "load/#", "-i", "viewer-sub"],
                            stdout=reader.stdin)
    try:
        broker.wait_subscribed("viewer-sub")
        return passes(broker, args, proc.pid)
    finally:
        proc.terminate()
        proc.wait()
        reader.stdin.close()
        reader.wait()


def measure_ui(broker, args, workdir, open_tree):
    socket = os.path.join(workdir, f"tmux-{open_tree}.sock")
    tmux = ["tmux", "-S", socket]
    client = f"viewer-ui-{int(open_tree)}"
    command = f"{MOTH} ui {' '.join(broker.addr())} -t 'load/#' -i {client}; sleep 600"
    subprocess.run([*tmux, "new-session", "-d", "-x", "150", "-y", "40", command], check=True)
    try:
        broker.wait_subscribed(client)
        pid = int(subprocess.run(["pgrep", "-f", "--", f"-i {client}$"], capture_output=True, text=True,
                                 check=True).stdout.split()[0])

        def open_a_quarter():
            # A first second of load makes the tree; open load and load/0 and sort by rate.
            load(broker, args.rate, 1)
            subprocess.run([*tmux, "send-keys", "Enter", "j", "Enter", "s"], check=True)
            time.sleep(1)

        return passes(broker, args, pid, open_a_quarter if open_tree else None)
    finally:
        subprocess.run([*tmux, "kill-server"], stderr=subprocess.DEVNULL)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=20000)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    if not shutil.which("tmux"):
        sys.exit("tmux is not installed: apt-get install -y tmux")
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    messages = args.rate * args.seconds
    print(f"{messages} messages at {args.rate} msg/s, each on its own topic")
    print(f"{'viewer':<48} {'new topics':>21} {'known topics':>21} {'RSS MiB':>8}")
    print(f"{'':<48} {'CPU s':>10} {'µs/msg':>10} {'CPU s':>10} {'µs/msg':>10}")
    with tempfile.TemporaryDirectory() as workdir:
        broker = Broker(workdir)
        try:
            for name, run in [
                ("moth sub | cat > /dev/null", lambda: measure_sub(broker, args)),
                ("moth ui, tree closed", lambda: measure_ui(broker, args, workdir, False)),
                ("moth ui, a quarter of the topics open, by rate", lambda: measure_ui(broker, args, workdir, True)),
            ]:
                (new, known), rss = run()
                print(f"{name:<48} {new:>10.2f} {new / messages * 1e6:>10.2f} {known:>10.2f}"
                      f" {known / messages * 1e6:>10.2f} {rss:>8.1f}", flush=True)
        finally:
            broker.proc.terminate()
            broker.proc.wait()


if __name__ == "__main__":
    main()
