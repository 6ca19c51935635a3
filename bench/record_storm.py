#!/usr/bin/env python3
"""Record a large real audit log: an exec storm under a private auditd.

    sudo python3 bench/record_storm.py [--build-dir build] [--workdir /var/tmp/procaudit-bench]
        [--count 20000] [--pause-us 0] [--backlog 65536]

Runs bench/exec_storm (fork + exec /bin/true --count times, waiting for each) inside
scripts/audit_sandbox.py's PrivateAuditd: a private auditd with key-tagged rules for execve,
execveat, fork, vfork, clone, clone3, exit and exit_group (b64 and b32), the kernel backlog
limit raised to --backlog while recording, and the host's audit state restored exactly
afterwards (PrivateAuditd raises if `auditctl -s`/`auditctl -l` differ from before).

Writes WORKDIR/storm.log (the RAW log; tens of MB, never committed) and WORKDIR/storm.json:
the storm's pid and counts, the kernel's `lost` counter before and after, the audit state
before and after, sizes, kernel and auditd versions. Exit status: 0; 77 when the sandbox is
unavailable (not root, no auditd, audit owned by someone else); 3 when the kernel lost records
(the log is still written: raise --backlog or slow the storm with --pause-us and record again).
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))
from audit_sandbox import (PrivateAuditd, SandboxUnavailable, read_state,  # noqa: E402
                           read_status)
from report import find_built  # noqa: E402

KEY = "procaudit_bench"


def auditd_version() -> str:
    try:
        out = subprocess.run(["auditctl", "-v"], capture_output=True, text=True).stdout
        return out.strip() or "?"
    except OSError:
        return "?"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build-dir", default="build",
                    help="CMake build dir (relative to the current dir, else the repo)")
    ap.add_argument("--workdir", default="/var/tmp/procaudit-bench",
                    help="where storm.log and storm.json go (default /var/tmp/procaudit-bench)")
    ap.add_argument("--count", type=int, default=20000, help="execs of /bin/true (20000)")
    ap.add_argument("--pause-us", type=int, default=0,
                    help="sleep between execs, if the kernel loses records (0)")
    ap.add_argument("--backlog", type=int, default=65536,
                    help="kernel backlog_limit while recording (65536)")
    args = ap.parse_args()

    storm = find_built("record_storm.py", args.build_dir, "bench/exec_storm") / "bench/exec_storm"

    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    auditd_dir = workdir / "auditd"
    out_log, out_meta = workdir / "storm.log", workdir / "storm.json"

    try:
        state_before = read_state()
        status_before = read_status()
    except Exception:  # noqa: BLE001 -- no auditctl, not root: the sandbox says why below
        state_before, status_before = None, {}
    print(f"record_storm: audit state before: {state_before!r}", file=sys.stderr)

    t0 = time.monotonic()
    try:
        with PrivateAuditd(auditd_dir, key=KEY, log_format="RAW",
                           backlog_limit=args.backlog) as audit:
            lost_start = int(read_status().get("lost", "0"))
            print(f"record_storm: recording (auditd pid {audit.auditd_pid}, backlog_limit "
                  f"{args.backlog}); {args.count} execs of /bin/true...", file=sys.stderr,
                  flush=True)
            proc = subprocess.run([str(storm), "--count", str(args.count),
                                   "--pause-us", str(args.pause_us)],
                                  stdout=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
            lost_end = int(read_status().get("lost", "0"))
            if proc.returncode != 0:
                raise SystemExit(f"record_storm: exec_storm exited {proc.returncode}: "
                                 f"{proc.stdout.strip()}")
    except SandboxUnavailable as e:
        print(f"record_storm: audit sandbox unavailable: {e.reason}", file=sys.stderr)
        return 77
    elapsed = time.monotonic() - t0
    state_after = read_state()
    status_after = read_status()
    shutil.copyfile(audit.log_path, out_log)

    words = proc.stdout.split()[1:]  # "storm pid P count N ok K failed F seconds S"
    storm_info = {words[i]: words[i + 1] for i in range(0, len(words) - 1, 2)}
    lost_delta = lost_end - lost_start
    meta = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "host": platform.node(),
        "kernel": platform.release(),
        "cpus": os.cpu_count(),
        "auditd": auditd_version(),
        "count": args.count,
        "pause_us": args.pause_us,
        "backlog_limit": args.backlog,
        "storm_pid": int(storm_info.get("pid", 0)),
        "storm_ok": int(storm_info.get("ok", 0)),
        "storm_failed": int(storm_info.get("failed", 0)),
        "storm_seconds": float(storm_info.get("seconds", 0)),
        "recording_seconds": round(elapsed, 3),
        "lost_before": int(status_before.get("lost", 0) or 0),
        "lost_at_start": lost_start,
        "lost_at_end": lost_end,
        "lost_delta": lost_delta,
        "log": str(out_log),
        "log_bytes": out_log.stat().st_size,
        "log_lines": sum(1 for _ in open(out_log, "rb")),
        "state_before": repr(state_before),
        "state_after": repr(state_after),
        "state_restored": state_before == state_after,
        "status_after": status_after,
    }
    out_meta.write_text(json.dumps(meta, indent=2) + "\n")
    print(f"record_storm: {proc.stdout.strip()}", file=sys.stderr)
    print(f"record_storm: {meta['log_bytes']} bytes, {meta['log_lines']} lines to {out_log}; "
          f"kernel lost {lost_delta} records while recording", file=sys.stderr)
    print(f"record_storm: audit state after: {state_after!r} "
          f"({'same as before' if meta['state_restored'] else 'DIFFERENT from before'})",
          file=sys.stderr)
    print(f"record_storm: details in {out_meta}", file=sys.stderr)
    if not meta["state_restored"]:
        return 1
    return 3 if lost_delta > 0 else 0


if __name__ == "__main__":
    sys.exit(main())
