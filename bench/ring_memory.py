#!/usr/bin/env python3
"""Peak memory of the event ring: a million exec events through the real pipeline.

    python3 bench/ring_memory.py [--build-dir build] [--storm /var/tmp/procaudit-bench/storm.log]
        [--execs 1000000] [--mode exec|storm|both] [--output bench/results/latest.md]

Derives a big log from the recorded storm (bench/record_storm.py) and runs
`procaudit "SELECT count(*) FROM process_events('BIG') WHERE syscall = 'execve'"` under
`/usr/bin/time -v`, which reports the peak resident set ("Maximum resident set size", the
kernel's VmHWM). The same procaudit process then reads audit_status for the ring's rows and
interned strings.

The derived logs (never committed; a GB or more, next to the storm log, regenerated when the
storm log is newer):
  exec   big-exec.log: the storm log's execve events (its 20,000 /bin/true and the few hundred
         other execs recorded alongside, each with its SYSCALL, EXECVE, CWD, PATH, PROCTITLE...
         records), repeated until there are --execs of them. Only exec rows in the ring: the
         target "1,000,000 exec events in under 400 MB".
  storm  big-storm.log: the whole storm repeated (forks, execs, exits, and the other processes'
         events), until it holds --execs execve events, so about three times as many rows.
Each copy shifts every serial by the span of the storm's serials and every timestamp by the
storm's duration plus one second, so each copy is a distinct, later stretch of events; pids are
kept (pid reuse, which a 32768-pid host sees anyway). auditd's own DAEMON_START/DAEMON_END
records (which carry auditd's serials, not the kernel's) are left out.

Writes the table as the "memory" section of --output. Exit status 0 whatever the target says;
1 when a command fails or the row count is not what was derived.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import code_version, find_built, write_section  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
HEADER_RE = re.compile(r"^(type=(\S+) msg=audit\()(\d+)\.(\d{3}):(\d+)(\).*)$", re.S)
EXEC_SYSCALL_RE = re.compile(r" arch=(c000003e syscall=(?:59|322)|40000003 syscall=(?:11|358)) ")
SKIP_TYPES = {"DAEMON_START", "DAEMON_END"}
TARGET_MB = 400


def parse_storm(path: Path):
    """Every record as (head, time_ms, serial, tail), in log order, and the serials of exec
    events."""
    records, exec_serials = [], set()
    with open(path, encoding="utf-8", errors="surrogateescape", newline="\n") as f:
        for line in f:
            m = HEADER_RE.match(line)
            if not m or m.group(2) in SKIP_TYPES:
                continue
            serial = int(m.group(5))
            records.append((m.group(1), int(m.group(3)) * 1000 + int(m.group(4)), serial,
                            m.group(6) if m.group(6).endswith("\n") else m.group(6) + "\n"))
            if m.group(2) == "SYSCALL" and EXEC_SYSCALL_RE.search(line):
                exec_serials.add(serial)
    return records, exec_serials


def derive(storm: Path, out: Path, mode: str, execs: int) -> dict:
    records, exec_serials = parse_storm(storm)
    if mode == "exec":
        # Each exec event's records together, in the order the events first appear.
        by_serial: dict[int, list] = {}
        for r in records:
            if r[2] in exec_serials:
                by_serial.setdefault(r[2], []).append(r)
        unit = [r for recs in by_serial.values() for r in recs]
    else:
        unit = records
    per_copy = len(exec_serials)
    serial_span = max(r[2] for r in unit) - min(r[2] for r in unit) + 1
    time_span = max(r[1] for r in unit) - min(r[1] for r in unit) + 1000
    copies = -(-execs // per_copy)
    # The exec events in the order they first appear: the last copy keeps only the first
    # ones it needs to make --execs (its other events are all kept).
    exec_order = list(dict.fromkeys(r[2] for r in unit if r[2] in exec_serials))
    tmp = out.with_suffix(".tmp")
    written_execs = 0
    with open(tmp, "w", encoding="utf-8", errors="surrogateescape", newline="\n") as f:
        for k in range(copies):
            ds, dt = k * serial_span, k * time_span
            take = min(per_copy, execs - written_execs)
            dropped = set(exec_order[take:])
            f.write("".join(f"{head}{(t + dt) // 1000}.{(t + dt) % 1000:03d}:{s + ds}{tail}"
                            for head, t, s, tail in unit if s not in dropped))
            written_execs += take
    tmp.rename(out)
    return {"copies": copies, "execs_per_copy": per_copy, "execs": written_execs,
            "serial_span": serial_span, "time_span_ms": time_span}


def run_measured(procaudit: Path, big: Path) -> dict:
    sql_count = f"SELECT count(*) FROM process_events('{big}') WHERE syscall = 'execve'"
    sql_ring = ("SELECT ring_rows, ring_strings, ring_string_bytes, bad_records, events "
                "FROM audit_status WHERE role = 'argument'")
    t0 = time.monotonic()
    proc = subprocess.run(["/usr/bin/time", "-v", str(procaudit), "--list", "--no-header",
                           sql_count, sql_ring], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True)
    wall = time.monotonic() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"procaudit failed ({proc.returncode}): {proc.stderr[-2000:]}")
    out = [line for line in proc.stdout.splitlines() if line]
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    ring = out[1].split("|")
    return {"execve_rows": int(out[0]), "ring_rows": int(ring[0]), "strings": int(ring[1]),
            "string_bytes": int(ring[2]), "bad_records": int(ring[3]), "events": int(ring[4]),
            "rss_mb": rss_kb / 1024, "wall_s": wall,
            "warnings": [line for line in proc.stderr.splitlines()
                         if line.startswith("procaudit:")]}


def baseline_rss(procaudit: Path) -> float:
    proc = subprocess.run(["/usr/bin/time", "-v", str(procaudit), "--list", "SELECT 1"],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    return int(re.search(r"Maximum resident set size \(kbytes\): (\d+)",
                         proc.stderr).group(1)) / 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build-dir", default="build",
                    help="CMake build dir (relative to the current dir, else the repo)")
    ap.add_argument("--storm", default="/var/tmp/procaudit-bench/storm.log",
                    help="the recorded storm log (bench/record_storm.py)")
    ap.add_argument("--execs", type=int, default=1_000_000, help="exec events (1000000)")
    ap.add_argument("--mode", choices=("exec", "storm", "both"), default="both")
    ap.add_argument("--output", default=str(REPO / "bench" / "results" / "latest.md"),
                    help="markdown file whose 'memory' section gets the report")
    args = ap.parse_args()

    procaudit = find_built("ring_memory.py", args.build_dir, "procaudit") / "procaudit"
    if not os.access("/usr/bin/time", os.X_OK):
        sys.exit("ring_memory.py: needs /usr/bin/time (apt-get install time)")
    storm = Path(args.storm).resolve()
    if not storm.is_file():
        sys.exit(f"ring_memory.py: no {storm}: record it with `sudo python3 "
                 "bench/record_storm.py`")

    ok = True
    results = []
    for mode in (("exec", "storm") if args.mode == "both" else (args.mode,)):
        big = storm.with_name(f"big-{mode}.log")
        marker = big.with_suffix(".params")
        params = f"{storm} {storm.stat().st_mtime_ns} {args.execs}\n"
        info = None
        if not (big.is_file() and marker.is_file() and marker.read_text() == params):
            t0 = time.monotonic()
            info = derive(storm, big, mode, args.execs)
            marker.write_text(params)
            print(f"ring_memory: derived {big} ({big.stat().st_size / 1e6:.0f} MB, "
                  f"{info['copies']} copies) in {time.monotonic() - t0:.0f} s", file=sys.stderr)
        r = run_measured(procaudit, big)
        r["mode"], r["log"], r["log_mb"] = mode, big, big.stat().st_size / 1e6
        good = r["execve_rows"] == args.execs and r["bad_records"] == 0
        ok &= good
        r["count_ok"] = good
        print(f"ring_memory: {mode}: {r['execve_rows']} execve rows of {r['ring_rows']} rows, "
              f"peak RSS {r['rss_mb']:.0f} MB, {r['wall_s']:.1f} s "
              f"({'ok' if good else 'COUNT MISMATCH'}) {r['warnings']}", file=sys.stderr)
        results.append(r)
    base = baseline_rss(procaudit)

    commit = code_version(REPO)
    lines = ["# procaudit event ring memory\n"]
    lines.append(
        f"{datetime.datetime.now().isoformat(timespec='seconds')}, {platform.node()}, Linux "
        f"{platform.release()}, procaudit {commit}. `procaudit \"SELECT count(*) FROM "
        f"process_events('BIG') WHERE syscall = 'execve'\"` under `/usr/bin/time -v`; BIG "
        f"derived from `{storm}` by `bench/ring_memory.py` (copies with serials and times "
        f"shifted). Peak RSS of `procaudit \"SELECT 1\"`: {base:.1f} MB.\n")
    lines.append("| derived log | size MB | execve rows | ring rows | strings (KB) | peak RSS MB "
                 "| bytes/row | wall s | target | met |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for r in results:
        what = ("`big-exec.log`: the storm's exec events only" if r["mode"] == "exec" else
                "`big-storm.log`: the whole storm (forks, execs, exits)")
        target = f"< {TARGET_MB} MB" if r["mode"] == "exec" else "-"
        met = ("yes" if r["rss_mb"] < TARGET_MB else "NO") if r["mode"] == "exec" else "-"
        if not r["count_ok"]:
            met += " (COUNT MISMATCH)"
        lines.append(f"| {what} | {r['log_mb']:.0f} | {r['execve_rows']} | {r['ring_rows']} | "
                     f"{r['strings']} ({r['string_bytes'] / 1024:.0f}) | {r['rss_mb']:.1f} | "
                     f"{r['rss_mb'] * 1048576 / r['ring_rows']:.0f} | {r['wall_s']:.1f} | "
                     f"{target} | {met} |")
    report = "\n".join(lines) + "\n"
    print(report)
    write_section(Path(args.output), "memory", report)
    print(f"written to {args.output} (section 'memory')", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
