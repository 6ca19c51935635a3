#!/usr/bin/env python3
"""Soak: the daemon under mixed load for a long run, its memory, CPU and losses sampled.

    sudo python3 bench/soak.py [--minutes 30] [--build build] [--ring-rows 500000]

What runs, for --minutes:
  - `procaudit --daemon` live (it becomes the audit pid, or reads beside auditd), with a small
    ring (--ring-rows) so that it fills and wraps early: memory must then stay flat;
    its store and logs in a temporary directory; --watch-dir on a directory of the soak's own;
  - every --every seconds, an exec storm burst (bench/exec_storm: --burst execs of a copy of
    /bin/true that only the soak runs) and a file burst (bench/open_storm: --opens opens of a file
    in the watched directory);
  - scheduled queries every second: the new execs and file events (event queries: each event
    logged once, so their sums count what the daemon captured), process_lifecycle and processes
    (the /proc join); and every second a reader on the store file beside the daemon (the stock
    sqlite3, WAL);
  - every --sample seconds: the daemon's RSS and CPU time (/proc), the kernel's lost counter.

It then stops the daemon with SIGTERM and checks: every exec and every open captured (the sums of
the event queries equal what the bursts did), the kernel lost nothing, the audit state is exactly
as found, and reports RSS over the run (after the first minutes, once the ring is full: flat or
not), CPU per event, and the store's size, as the 'soak' section of bench/results/latest.md.
Holds the host lock (scripts/audit_sandbox.py) throughout: no other audit user runs meanwhile.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
from audit_sandbox import host_lock, read_state, read_status, restore_state  # noqa: E402
from report import REPO, code_version, find_built, write_section  # noqa: E402

HANG = 300.0
TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * PAGE / 1e6


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def burst(args: list[str]) -> int:
    """Runs a storm program; returns its `ok` count ("... ok K ..."). open_storm waits for a
    byte on its input before it starts: it gets one at once."""
    out = subprocess.run(args, input="g", capture_output=True, text=True, timeout=HANG,
                         check=True).stdout
    words = out.split()
    return int(words[words.index("ok") + 1])


def results(log_dir: Path) -> list[dict]:
    rows = []
    for path in sorted(log_dir.glob("procaudit.results.log*"), reverse=True):
        with open(path) as f:
            rows.extend(json.loads(line) for line in f)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--build", default="build")
    parser.add_argument("--ring-rows", type=int, default=200_000)
    parser.add_argument("--burst", type=int, default=5000, help="execs per burst")
    parser.add_argument("--opens", type=int, default=5000, help="opens per burst")
    parser.add_argument("--every", type=float, default=10, help="seconds between bursts")
    parser.add_argument("--sample", type=float, default=5, help="seconds between samples")
    parser.add_argument("--results", default=str(REPO / "bench/results/latest.md"))
    args = parser.parse_args()
    build = find_built("soak", args.build, "procaudit", "bench/exec_storm", "bench/open_storm")
    if os.geteuid() != 0:
        sys.exit("soak: run as root (live capture)")

    work = Path(tempfile.mkdtemp(prefix="procaudit-soak-", dir="/var/tmp"))
    files = work / "files"
    files.mkdir()
    true_copy = work / "soak-true"
    shutil.copy("/bin/true", true_copy)
    logs = work / "logs"
    logs.mkdir()
    store = work / "store" / "events.db"
    config = work / "soak.conf"
    config.write_text(json.dumps({"schedule": {
        "execs": {"query": "SELECT count(*) AS n FROM process_events WHERE syscall = 'execve' "
                           f"AND path = '{true_copy}'", "interval": 1},
        "opens": {"query": "SELECT count(*) AS n FROM file_events WHERE operation LIKE 'open%' "
                           f"AND path = '{files / 'f'}'", "interval": 1},
        "lifecycle": {"query": "SELECT count(*) AS n FROM process_lifecycle", "interval": 1},
        "processes": {"query": "SELECT count(*) AS n FROM processes", "interval": 1,
                      "snapshot": True},
        "health": {"query": "SELECT ring_rows, ring_evicted, file_ring_rows, queue_drops, "
                            "socket_overruns, serial_gaps FROM audit_status WHERE mode IN "
                            "('unicast', 'multicast')", "interval": 5, "snapshot": True},
    }}))
    (files / "f").write_text("soak\n")

    samples, launched, opened = [], 0, 0
    store_reads = {"ok": 0, "failed": 0}
    with host_lock(HANG):
        saved = read_state()
        lost0 = int(read_status()["lost"])
        err = open(work / "daemon.err", "w")
        daemon = subprocess.Popen(
            [str(build / "procaudit"), "--daemon", "--config", str(config), "--logger-path",
             str(logs), "--store", str(store), "--no-acct", "--ring-rows", str(args.ring_rows),
             "--watch-dir", str(files), "--host-identifier", "soak"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        try:
            deadline = time.monotonic() + HANG
            while "daemon started" not in (work / "daemon.err").read_text():
                if daemon.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"soak: the daemon did not start: {(work / 'daemon.err').read_text()}")
                time.sleep(0.2)
            stop = threading.Event()

            def read_store():  # a reader beside the daemon, every second
                while not stop.wait(1):
                    proc = subprocess.run(["sqlite3", str(store), "SELECT count(*) FROM "
                                           "process_events"], capture_output=True, timeout=HANG)
                    store_reads["ok" if proc.returncode == 0 else "failed"] += 1

            reader = threading.Thread(target=read_store)
            reader.start()
            t0 = time.monotonic()
            end = t0 + args.minutes * 60
            next_burst = next_sample = t0
            cpu0 = cpu_seconds(daemon.pid)
            while time.monotonic() < end:
                now = time.monotonic()
                if now >= next_burst:
                    launched += burst([str(build / "bench/exec_storm"), "--count",
                                       str(args.burst), "--exe", str(true_copy)])
                    opened += burst([str(build / "bench/open_storm"), "--count",
                                     str(args.opens), str(files / "f")])
                    next_burst += args.every
                if now >= next_sample:
                    samples.append({"t": round(now - t0, 1), "rss_mb": round(rss_mb(daemon.pid), 1),
                                    "cpu_s": round(cpu_seconds(daemon.pid) - cpu0, 2),
                                    "lost": int(read_status()["lost"]) - lost0})
                    next_sample += args.sample
                if daemon.poll() is not None:
                    sys.exit(f"soak: the daemon exited {daemon.returncode}")
                time.sleep(0.05)
            time.sleep(6)  # the last events through the tracker's window and one more run
            stop.set()
            reader.join()
            daemon.send_signal(signal.SIGTERM)
            status = daemon.wait(timeout=HANG)
        finally:
            if daemon.poll() is None:
                daemon.kill()
                daemon.wait()
            after = read_state()
            restored = after == saved
            if not restored:
                restore_state(saved, ["procaudit"])
        lost = int(read_status()["lost"]) - lost0

    rows = results(logs)
    execs = sum(int(r["columns"]["n"]) for r in rows if r["name"] == "execs")
    opens = sum(int(r["columns"]["n"]) for r in rows if r["name"] == "opens")
    # Flat: once both rings are full (well within the first third at the defaults), the last
    # third's peak stays within 10% (and 5 MB) of the middle third's.
    third = args.minutes * 60 / 3
    warm = [s for s in samples if s["t"] >= third]
    rss = [s["rss_mb"] for s in warm] or [s["rss_mb"] for s in samples]
    middle = [s["rss_mb"] for s in warm if s["t"] < 2 * third] or rss
    last = [s["rss_mb"] for s in warm if s["t"] >= 2 * third] or rss
    flat = max(last) <= max(middle) * 1.10 + 5
    cpu = samples[-1]["cpu_s"] if samples else 0
    store_mb = sum(p.stat().st_size for p in store.parent.glob("events.db*")) / 1e6
    ok = (execs == launched and opens >= opened and lost == 0 and restored and status == 0
          and flat)
    text = "\n".join([
        "## soak",
        "",
        f"`sudo python3 bench/soak.py --minutes {args.minutes:g}` at {code_version(REPO)}, "
        f"{time.strftime('%Y-%m-%d')}: the daemon live for {args.minutes:g} minutes, ring of "
        f"{args.ring_rows:,} rows, a burst every {args.every:g} s of {args.burst:,} execs and "
        f"{args.opens:,} opens in a --watch-dir directory, five scheduled queries every 1-5 s "
        f"and a sqlite3 reader on the store every second.",
        "",
        "| measure | value |",
        "|---|---:|",
        f"| execs launched / logged by the event query | {launched:,} / {execs:,} |",
        f"| opens made / logged | {opened:,} / {opens:,} |",
        f"| kernel lost (auditctl -s) | {lost} |",
        f"| RSS after the first third (min / max / last), MB | {min(rss):.1f} / {max(rss):.1f} / {rss[-1]:.1f} |",
        f"| RSS peak, middle third / last third, MB | {max(middle):.1f} / {max(last):.1f} ({'flat' if flat else 'GROWING'}) |",
        f"| RSS first sample, MB | {samples[0]['rss_mb'] if samples else 0:.1f} |",
        f"| daemon CPU, s (per exec+open, µs) | {cpu:.1f} ({1e6 * cpu / max(1, launched + opened):.1f}) |",
        f"| store reads beside the daemon ok / failed | {store_reads['ok']} / {store_reads['failed']} |",
        f"| store file at the end, MB | {store_mb:.1f} |",
        f"| audit state restored, exit status | {'yes' if restored else 'NO'}, {status} |",
        "",
        f"Verdict: {'nothing lost, memory bounded' if ok else 'FAILED: see the figures'}.",
        "",
        "RSS over the run (MB, every " + f"{max(1, len(samples) // 12) * args.sample:g} s): "
        + ", ".join(f"{s['rss_mb']:.0f}" for s in samples[::max(1, len(samples) // 12)]),
    ])
    write_section(Path(args.results), "soak", text)
    print(text)
    shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
