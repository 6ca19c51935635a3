#!/usr/bin/env python3
"""Whole-process benchmarks of process_events: procaudit against ausearch and a libauparse floor.

Times, on one recorded audit log (bench/record_storm.py's storm.log by default), side by side
in the same run, interleaved round by round (the order rotates each round), medians:

    procaudit --csv "SELECT count(*), count(DISTINCT path) FROM process_events('LOG')"
    ausearch -if LOG -i
    auparse_floor LOG        (bench/auparse_floor.c: every field of every record, untouched)

and a few informational commands. Every command writes to /dev/null.

    python3 bench/compare_audit.py [--build-dir build] [--log /var/tmp/procaudit-bench/storm.log]
        [--rounds 15] [--output bench/results/latest.md]

Before timing it checks the counts: the process_events rows per syscall must equal the
SYSCALL records of those syscalls in the log (counted here, in Python), and, when the log has
record_storm.py's storm.json beside it, the execve rows of /usr/bin/true and of the storm's
children must equal the storm's count. Prints a markdown report and writes it as the "audit"
section of --output. Exit status 0 whatever the targets say (1 when a command fails or a count
does not hold), so that a slow run still produces its report.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare import Command, capture, measure_peak_rss, run_timed  # noqa: E402
from report import code_version, command_table, find_built, write_section  # noqa: E402

REPO = Path(__file__).resolve().parent.parent

# Syscall numbers of the process syscalls (x86_64, i386), as the event builder classifies them.
PROCESS_SYSCALLS = {
    "c000003e": {59: "execve", 322: "execveat", 57: "fork", 58: "vfork", 56: "clone",
                 435: "clone3", 60: "exit", 231: "exit_group"},
    "40000003": {11: "execve", 358: "execveat", 2: "fork", 190: "vfork", 120: "clone",
                 435: "clone3", 1: "exit", 252: "exit_group"},
}
SYSCALL_RE = re.compile(rb"^(?:node=\S+ )?type=SYSCALL msg=audit\([0-9.]+:(\d+)\): "
                        rb"arch=([0-9a-f]+) syscall=(\d+) ")


def count_syscall_records(log: Path) -> Counter:
    """SYSCALL records of process syscalls in the log, by name: what process_events must hold
    (one row per event; an event has one SYSCALL record)."""
    counts: Counter = Counter()
    seen: set[bytes] = set()
    with open(log, "rb") as f:
        for line in f:
            m = SYSCALL_RE.match(line)
            if not m or m.group(1) in seen:
                continue
            seen.add(m.group(1))
            name = PROCESS_SYSCALLS.get(m.group(2).decode(), {}).get(int(m.group(3)))
            if name:
                counts[name] += 1
    return counts


def query(procaudit: Path, sql: str) -> list[list[str]]:
    out = capture([str(procaudit), "--list", "--no-header", sql])
    return [line.split("|") for line in out.splitlines() if line]


def sanity(procaudit: Path, log: Path, storm: dict | None) -> tuple[bool, list[str]]:
    lines, ok = [], True
    want = count_syscall_records(log)
    got = Counter({name: int(n) for name, n in query(
        procaudit, f"SELECT syscall, count(*) FROM process_events('{log}') GROUP BY 1")})
    same = want == got
    ok &= same
    lines.append(f"process_events rows by syscall {dict(sorted(got.items()))} "
                 f"({sum(got.values())} rows); SYSCALL records of those syscalls in the log "
                 f"{dict(sorted(want.items()))} ({'same' if same else 'MISMATCH'})")
    true_rows = int(query(procaudit, f"SELECT count(*) FROM process_events('{log}') WHERE "
                                     "path = '/usr/bin/true' AND syscall = 'execve'")[0][0])
    if storm:
        children = int(query(procaudit, f"SELECT count(*) FROM process_events('{log}') WHERE "
                                        f"ppid = {storm['storm_pid']} AND syscall = 'execve' "
                                        "AND path = '/usr/bin/true'")[0][0])
        good = true_rows == children == storm["storm_ok"]
        ok &= good
        lines.append(f"execve rows of /usr/bin/true: {true_rows}, of them children of the storm "
                     f"(pid {storm['storm_pid']}): {children}; the storm exec'd "
                     f"{storm['storm_ok']} ({'ok' if good else 'MISMATCH'}); kernel lost "
                     f"{storm['lost_delta']} records while recording")
    else:
        lines.append(f"execve rows of /usr/bin/true: {true_rows} (no storm.json beside the log "
                     "to compare with)")
    return ok, lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build-dir", default="build",
                    help="CMake build dir (relative to the current dir, else the repo)")
    ap.add_argument("--log", default="/var/tmp/procaudit-bench/storm.log",
                    help="the audit log (default: record_storm.py's)")
    ap.add_argument("--rounds", type=int, default=15, help="timed runs of each command (15)")
    ap.add_argument("--output", default=str(REPO / "bench" / "results" / "latest.md"),
                    help="markdown file whose 'audit' section gets the report")
    args = ap.parse_args()

    build = find_built("compare_audit.py", args.build_dir, "procaudit", "bench/auparse_floor")
    procaudit, floor = build / "procaudit", build / "bench" / "auparse_floor"
    ausearch = shutil.which("ausearch", path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
    if not ausearch:
        sys.exit("compare_audit.py: needs ausearch (apt-get install auditd)")
    log = Path(args.log).resolve()
    if not log.is_file():
        sys.exit(f"compare_audit.py: no log {log}: record one with "
                 "`sudo python3 bench/record_storm.py`")
    meta_path = log.with_suffix(".json")
    storm = json.loads(meta_path.read_text()) if meta_path.is_file() else None

    q_count = f"SELECT count(*), count(DISTINCT path) FROM process_events('{log}')"
    q_all = f"SELECT * FROM process_events('{log}')"
    pa = str(procaudit)
    commands = {
        "pa_count": Command("pa_count", [pa, "--csv", q_count]),
        "pa_all": Command("pa_all", [pa, "--csv", q_all]),
        "ausearch_i": Command("ausearch_i", [ausearch, "-if", str(log), "-i"]),
        "ausearch_raw": Command("ausearch_raw", [ausearch, "-if", str(log)]),
        "floor": Command("floor", [str(floor), str(log)]),
    }
    # (label, procaudit key, other key, "speedup" = other/procaudit or "overhead" =
    # procaudit/other, target; None: informational)
    comparisons = [
        ("a. `SELECT count(*), count(DISTINCT path) FROM process_events(LOG)` vs "
         "`ausearch -if LOG -i`", "pa_count", "ausearch_i", "speedup", 10.0),
        ("b. the same query vs `auparse_floor LOG`", "pa_count", "floor", "overhead", 2.0),
        ("info: `SELECT * FROM process_events(LOG)` (CSV, every row) vs `ausearch -if LOG -i`",
         "pa_all", "ausearch_i", "speedup", None),
        ("info: the count query vs `ausearch -if LOG` (raw records, no interpretation)",
         "pa_count", "ausearch_raw", "speedup", None),
        ("info: `SELECT * FROM process_events(LOG)` vs `auparse_floor LOG`",
         "pa_all", "floor", "overhead", None),
    ]

    ok, sanity_lines = sanity(procaudit, log, storm)
    for line in sanity_lines:
        print("sanity: " + line, file=sys.stderr)
    floor_out = capture([str(floor), str(log)]).split()
    floor_counts = dict(zip(floor_out[::2], floor_out[1::2]))
    load_before = os.getloadavg()[0]
    order = list(commands.values())
    for cmd in order:  # warm-up: page cache, binaries
        run_timed(cmd)
        cmd.reset()
    for r in range(args.rounds):
        shift = r % len(order)  # rotate so no command always runs right after the same one
        for cmd in order[shift:] + order[:shift]:
            run_timed(cmd)
        print(f"round {r + 1}/{args.rounds}: " + ", ".join(
            f"{c.key} {c.wall[-1] * 1000:.0f}" for c in order) + " ms", file=sys.stderr)
    load_after = os.getloadavg()[0]
    with_rss = measure_peak_rss(order)

    commit = code_version(REPO)
    size_mb = log.stat().st_size / 1e6
    lines = ["# procaudit audit-log benchmarks\n"]
    what = (f"a real log recorded by `bench/record_storm.py` ({storm['storm_ok']} execs of "
            f"/bin/true under a private auditd, {storm['date']}; kernel lost "
            f"{storm['lost_delta']} records)" if storm else "a recorded audit log")
    lines.append(
        f"{datetime.datetime.now().isoformat(timespec='seconds')}, {platform.node()}, Linux "
        f"{platform.release()}, {os.cpu_count()} CPUs, procaudit {commit}. Log: `{log}`, "
        f"{what}: {size_mb:.1f} MB, {floor_counts.get('records', '?')} records, "
        f"{floor_counts.get('events', '?')} events. {args.rounds} interleaved rounds per "
        f"command after one warm-up; medians of wall time; output to /dev/null. Load average "
        f"{load_before:.2f} before, {load_after:.2f} after.\n")
    lines.append("Sanity:\n")
    lines += [f"- {line}" for line in sanity_lines]
    lines.append("")
    lines.append("| comparison | procaudit median ms | other median ms | ratio | target | met |")
    lines.append("|---|---:|---:|---|---|---|")
    for label, a, b, kind, target in comparisons:
        pa_ms, other_ms = commands[a].median_ms(), commands[b].median_ms()
        target_text, met_text = "-", "-"
        if kind == "speedup":
            ratio = other_ms / pa_ms
            ratio_text = f"{ratio:.2f}x faster"
            if target is not None:
                target_text = f">= {target:g}x faster"
                met_text = "yes" if ratio >= target else "NO"
        else:
            ratio = pa_ms / other_ms
            ratio_text = f"{ratio:.2f}x the floor"
            if target is not None:
                target_text = f"<= {target:g}x the floor"
                met_text = "yes" if ratio <= target else "NO"
        lines.append(f"| {label} | {pa_ms:.1f} | {other_ms:.1f} | {ratio_text} | "
                     f"{target_text} | {met_text} |")
    lines.append("")
    lines.extend(command_table(commands.values(), with_rss=with_rss,
                               shorten=lambda text: text.replace(str(log), "LOG")))
    report = "\n".join(lines) + "\n"
    print(report)
    out = Path(args.output)
    write_section(out, "audit", report)
    print(f"written to {out} (section 'audit')", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
