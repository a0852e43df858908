#!/usr/bin/env python3
"""moth ui under load, beside moth sub on the same broker in the same run.

Usage: benches/ui_load.py [--rate 20000] [--seconds 10]

Builds moth in release mode, starts its own Mosquitto on a free loopback port, and for each
viewer (moth sub -t 'load/#' > /dev/null, then moth ui -t 'load/#' in a tmux terminal of its
own, 150x40) publishes --rate msg/s for --seconds with `moth bench pub -c 4`, each message on
a topic of its own (load/CLIENT/SEQ: rate x seconds distinct topics), and reports the viewer's
CPU seconds and resident memory afterwards. The ui is measured twice: with its tree closed
(the commonest case) and with one level of a quarter of all topics open and sorted by rate (the
heaviest frame it draws).
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


def measure_sub(broker, args):
    proc = subprocess.Popen([MOTH, "sub", *broker.addr(), "-t", "load/#", "-i", "viewer-sub"],
                            stdout=subprocess.DEVNULL)
    broker.wait_subscribed("viewer-sub")
    load(broker, args.rate, args.seconds)
    time.sleep(1)
    cpu, rss = cpu_seconds(proc.pid), rss_mib(proc.pid)
    proc.terminate()
    proc.wait()
    return cpu, rss


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
        before = 0.0
        if open_tree:
            # A first second of load makes the tree; open load and load/0 and sort by rate.
            load(broker, args.rate, 1)
            subprocess.run([*tmux, "send-keys", "Enter", "j", "Enter", "s"], check=True)
            time.sleep(1)
            before = cpu_seconds(pid)
        load(broker, args.rate, args.seconds)
        time.sleep(1)
        return cpu_seconds(pid) - before, rss_mib(pid)
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
    print(f"{'viewer':<48} {'CPU s':>7} {'µs/msg':>7} {'RSS MiB':>8}")
    with tempfile.TemporaryDirectory() as workdir:
        broker = Broker(workdir)
        try:
            for name, run in [
                ("moth sub > /dev/null", lambda: measure_sub(broker, args)),
                ("moth ui, tree closed", lambda: measure_ui(broker, args, workdir, False)),
                ("moth ui, a quarter of the topics open, by rate", lambda: measure_ui(broker, args, workdir, True)),
            ]:
                cpu, rss = run()
                print(f"{name:<48} {cpu:>7.2f} {cpu / messages * 1e6:>7.2f} {rss:>8.1f}", flush=True)
        finally:
            broker.proc.terminate()
            broker.proc.wait()


if __name__ == "__main__":
    main()
