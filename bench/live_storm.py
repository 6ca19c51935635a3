#!/usr/bin/env python3
"""Live capture under an exec storm: procaudit against a private auditd, side by side.

    sudo python3 bench/live_storm.py [--build-dir build] [--count 20000] [--workers 2]
        [--rounds 3] [--idle-seconds 20] [--backlog 8192] [--via shell|extension]
        [--only auditd|procaudit] [--workdir /var/tmp/procaudit-live]
        [--output bench/results/latest.md]

One storm is --count fork+exec of /bin/true (bench/exec_storm) split over --workers processes
running at once. Each round runs it three ways, the order alternating round by round:

    auditd      under scripts/audit_sandbox.py's private auditd (RAW log), with the rules
                procaudit installs: b64 and b32 always,exit for execve, execveat, fork, vfork,
                clone, clone3, exit, exit_group (PrivateAuditd(rules=...), key-tagged)
    procaudit   under `procaudit` live capture, unicast (nobody else owns the audit pid):
                script mode, SQL on its stdin, so the capture runs from its start; or with
                --via extension, libprocaudit in a child Python (the same engine)
    none        no capture at all (informational: what the rules and a reader cost)

backlog_limit is --backlog for both captures (procaudit's default, 8192). Per run it records
the kernel's `lost` counter before and after, the storm's wall time and rate, the storm execs
captured (auditd: SYSCALL records of execve in its log with exe=/usr/bin/true whose ppid is a
worker, counted here in Python; procaudit: `SELECT count(*) FROM process_events WHERE
syscall = 'execve' AND path = '/usr/bin/true' AND ppid IN (workers)`), and the capturing
process's CPU time (utime+stime of all its threads, /proc/PID/stat) once it has caught up, just
before it is stopped. Then the idle cost: --idle-seconds with the capture running and no load
of ours, CPU time of procaudit and of auditd over the same span, one after the other.

Writes WORKDIR/live_storm.json (every run) and the "live" section of --output; prints the
report. The host's audit state (auditctl -s, -l) must be the same at the end as at the start.
Exit status 0 (whatever the targets say); 1 when a storm failed, a count could not be taken or
the audit state differs; 77 when the audit sandbox is unavailable (not root, no auditd, the
audit pid owned by someone).
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(REPO / "scripts"))
from audit_sandbox import (DEFAULT_RULES, PrivateAuditd, SandboxUnavailable,  # noqa: E402
                           check_available, host_lock, read_state, read_status)
from live_procaudit import (ExtensionSession, SessionError, ShellSession,  # noqa: E402
                            cpu_seconds)
from report import code_version, find_built, write_section  # noqa: E402

KEY = "procaudit_bench_live"
TRUE = os.path.realpath("/bin/true")
HANG = 300.0  # hang guard of every wait, seconds
EXECVE_RE = re.compile(rb"^type=SYSCALL msg=audit\([0-9.]+:\d+\): arch=c000003e syscall=59 "
                       rb"success=yes .* ppid=(\d+) .* exe=\"([^\"]*)\"")


def lost() -> int:
    return int(read_status()["lost"])


def storm(exe: Path, count: int, workers: int) -> dict:
    """count execs of /bin/true over `workers` exec_storm processes started together."""
    shares = [count // workers + (1 if i < count % workers else 0) for i in range(workers)]
    t0 = time.monotonic()
    procs = [subprocess.Popen([str(exe), "--count", str(n)], stdout=subprocess.PIPE, text=True,
                              stdin=subprocess.DEVNULL) for n in shares]
    outs = [p.communicate(timeout=HANG)[0] for p in procs]
    wall = time.monotonic() - t0
    ok = failed = 0
    for p, out in zip(procs, outs):
        words = out.split()[1:]  # "storm pid P count N ok K failed F seconds S"
        info = {words[i]: words[i + 1] for i in range(0, len(words) - 1, 2)}
        if p.returncode != 0 or int(info.get("pid", 0)) != p.pid:
            raise SystemExit(f"live_storm: exec_storm exited {p.returncode}: {out.strip()}")
        ok += int(info["ok"])
        failed += int(info["failed"])
    return {"pids": [p.pid for p in procs], "ok": ok, "failed": failed,
            "seconds": round(wall, 3), "rate": round(ok / wall, 1)}


def count_in_log(log: Path, pids: list[int]) -> int:
    """Successful execve records of /usr/bin/true by a child of the storm, in a RAW log."""
    want = {str(p).encode() for p in pids}
    n = 0
    with open(log, "rb") as f:
        for line in f:
            m = EXECVE_RE.match(line)
            if m and m.group(1) in want and m.group(2) == TRUE.encode():
                n += 1
    return n


def storm_sql(pids: list[int]) -> str:
    return ("SELECT count(*) AS n FROM process_events WHERE syscall = 'execve' AND "
            f"path = '{TRUE}' AND ppid IN ({', '.join(map(str, pids))})")


def run_auditd(args, exe: Path, round_no: int) -> dict:
    workdir = Path(args.workdir) / f"auditd-{round_no}"
    with PrivateAuditd(workdir, key=KEY, log_format="RAW", rules=DEFAULT_RULES,
                       backlog_limit=args.backlog) as audit:
        lost0 = lost()
        s = storm(exe, args.count, args.workers)
        audit.wait_flushed(settle=1.0, timeout=HANG)
        cpu = cpu_seconds(audit.auditd_pid)
        lost1 = lost()
    captured = count_in_log(Path(audit.log_path), s["pids"])
    size = os.path.getsize(audit.log_path)
    os.unlink(audit.log_path)  # tens of MB a round
    return {**s, "capture": "auditd", "captured": captured, "lost": lost1 - lost0,
            "cpu_s": round(cpu, 3), "log_bytes": size}


def start_procaudit(args):
    """procaudit capturing (unicast), and caught up: its own warm-up exec is in the ring."""
    if args.via == "extension":
        session = ExtensionSession(str(args.build / "libprocaudit"), python="/usr/bin/python3",
                                   env={**os.environ, "PROCAUDIT_ACCT": "off"})
        session.query("SELECT count(*) FROM process_events")  # starts the capture
    else:
        # --no-acct: the storm compares audit capture with auditd; accounting would add its own
        # per-exit cost to procaudit's side only.
        session = ShellSession(str(args.build / "procaudit"),
                               ["--audit-backlog", str(args.backlog), "--no-acct"])
    try:
        deadline = time.monotonic() + HANG
        while read_status()["pid"] != str(session.pid):
            if session.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"live_storm: procaudit did not become the audit pid: "
                                 f"{session.stderr.strip()}")
            time.sleep(0.05)
        warm = subprocess.Popen([TRUE, "live-storm-warm-up"])
        warm.wait()
        session.poll(f"SELECT count(*) AS n FROM process_events WHERE pid = {warm.pid}",
                     lambda rows: rows[0]["n"] > 0, timeout=HANG)
    except BaseException:
        session.end()
        raise
    return session


def run_procaudit(args, exe: Path, round_no: int) -> dict:
    with start_procaudit(args) as session:
        lost0 = lost()
        s = storm(exe, args.count, args.workers)
        # Caught up: every storm exec counted, or the count stopped growing (records lost).
        sql, last, since = storm_sql(s["pids"]), -1, time.monotonic()
        while True:
            n = session.query(sql)[0]["n"]
            if n >= s["ok"] or time.monotonic() - since > 10:
                break
            if n != last:
                last, since = n, time.monotonic()
            time.sleep(0.5)
        cpu = cpu_seconds(session.pid)
        lost1 = lost()
        captured = session.query(sql)[0]["n"]
        full = session.query("SELECT count(*) AS n FROM process_events WHERE syscall = 'execve' "
                             f"AND path = '{TRUE}'")[0]["n"]
        health = session.query(
            "SELECT queue_drops, socket_overruns, serial_gaps, late_events, ring_evicted "
            "FROM audit_status WHERE mode IN ('unicast', 'multicast')")
        session.end()
    return {**s, "capture": "procaudit", "captured": captured, "true_execs": full,
            "lost": lost1 - lost0, "cpu_s": round(cpu, 3), **(health[0] if health else {})}


def run_none(args, exe: Path, round_no: int) -> dict:
    lost0 = lost()
    s = storm(exe, args.count, args.workers)
    return {**s, "capture": "none", "captured": None, "lost": lost() - lost0, "cpu_s": None}


def idle(args) -> dict:
    """CPU of each capture over --idle-seconds with nothing of ours running."""
    out = {}
    with start_procaudit(args) as session:
        n0 = session.query("SELECT count(*) AS n FROM process_events")[0]["n"]
        c0, t0 = cpu_seconds(session.pid), time.monotonic()
        time.sleep(args.idle_seconds)
        c1, t1 = cpu_seconds(session.pid), time.monotonic()
        n1 = session.query("SELECT count(*) AS n FROM process_events")[0]["n"]
        out["procaudit"] = {"cpu_s": round(c1 - c0, 3), "seconds": round(t1 - t0, 2),
                            "events": n1 - n0, "percent": round(100 * (c1 - c0) / (t1 - t0), 3)}
    with PrivateAuditd(Path(args.workdir) / "auditd-idle", key=KEY, log_format="RAW",
                       rules=DEFAULT_RULES, backlog_limit=args.backlog) as audit:
        audit.wait_flushed(settle=1.0, timeout=HANG)
        size0 = os.path.getsize(audit.log_path)
        c0, t0 = cpu_seconds(audit.auditd_pid), time.monotonic()
        time.sleep(args.idle_seconds)
        c1, t1 = cpu_seconds(audit.auditd_pid), time.monotonic()
        size1 = os.path.getsize(audit.log_path)
    out["auditd"] = {"cpu_s": round(c1 - c0, 3), "seconds": round(t1 - t0, 2),
                     "log_bytes": size1 - size0,
                     "percent": round(100 * (c1 - c0) / (t1 - t0), 3)}
    return out


def med(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def report(meta: dict, runs: list[dict], idle_cost: dict | None) -> tuple[str, bool]:
    by = {c: [r for r in runs if r["capture"] == c] for c in ("procaudit", "auditd", "none")}
    pa, ad, no = by["procaudit"], by["auditd"], by["none"]
    count = meta["count"]
    lines = [
        "# procaudit live capture: exec storm",
        "",
        f"{meta['date']}, {meta['host']}, Linux {meta['kernel']}, {meta['cpus']} CPUs, "
        f"procaudit {meta['version']} ({meta['via']}), {meta['auditd']}. Storm: {count} "
        f"fork+exec of /bin/true from {meta['workers']} workers at once (`bench/exec_storm`), "
        "under a private auditd (RAW log, `scripts/audit_sandbox.py`) and under `procaudit` "
        "live capture (unicast), with the same rules (b64 and b32 always,exit: execve, "
        f"execveat, fork, vfork, clone, clone3, exit, exit_group), backlog_limit "
        f"{meta['backlog']} for both; {meta['rounds']} rounds, each runs auditd, procaudit and "
        "no capture, the order alternating; medians. CPU: utime+stime of the capturing "
        "process (all threads) from its start until it has caught up with the storm. "
        f"`bench/live_storm.py`. Load average {meta['load_before']:.2f} before, "
        f"{meta['load_after']:.2f} after.",
        "",
        "| comparison | procaudit | auditd | ratio | target | met |",
        "|---|---:|---:|---|---|---|",
    ]
    met_all = True

    def row(name, p, a, ratio, target, met):
        nonlocal met_all
        met_all &= met in ("yes", "-")
        lines.append(f"| {name} | {p} | {a} | {ratio} | {target} | {met} |")

    if pa:
        every = all(r["captured"] == count for r in pa)
        row("a. storm execs captured with their full path, every round",
            " / ".join(str(r["captured"]) for r in pa),
            " / ".join(str(r["captured"]) for r in ad) or "-", "-",
            f"all {count}", "yes" if every else "no")
        row("b. kernel `lost` during the storm, every round",
            " / ".join(str(r["lost"]) for r in pa), " / ".join(str(r["lost"]) for r in ad) or "-",
            "-", "0", "yes" if all(r["lost"] == 0 for r in pa) else "no")
    if pa and ad:
        p_rate, a_rate = med(pa, "rate"), med(ad, "rate")
        row("c. storm rate, execs/s", f"{p_rate:.0f}", f"{a_rate:.0f}",
            f"{p_rate / a_rate:.2f}x auditd's", ">= 1x auditd's",
            "yes" if p_rate >= a_rate else "no")
        p_cpu = statistics.median(r["cpu_s"] / r["ok"] * 1e6 for r in pa)
        a_cpu = statistics.median(r["cpu_s"] / r["ok"] * 1e6 for r in ad)
        row("d. CPU time per exec, µs", f"{p_cpu:.1f}", f"{a_cpu:.1f}",
            f"{p_cpu / a_cpu:.2f}x auditd's", "<= 1x auditd's", "yes" if p_cpu <= a_cpu else "no")
    if idle_cost:
        p, a = idle_cost["procaudit"], idle_cost["auditd"]
        row(f"e. idle CPU over {p['seconds']:.0f} s, % of one core", f"{p['percent']:.2f}%",
            f"{a['percent']:.2f}%", "-", "< 0.5% (procaudit)",
            "yes" if p["percent"] < 0.5 else "no")
    if no:
        lines.append(f"| info: storm rate with no capture, execs/s | - | - | "
                     f"{med(no, 'rate'):.0f} | - | - |")
    lines += ["", "Every run (in order); procaudit's own losses from its audit_status: chunks "
                  "of records its reader dropped (queue_drops) and the serials it never saw:", "",
              "| round | capture | storm s | execs/s | storm execs captured | kernel lost | "
              "queue_drops | serial_gaps | CPU s | CPU µs/exec |",
              "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in runs:
        cpu = "-" if r["cpu_s"] is None else f"{r['cpu_s']:.2f}"
        per = "-" if r["cpu_s"] is None else f"{r['cpu_s'] / r['ok'] * 1e6:.1f}"
        cap = "-" if r["captured"] is None else str(r["captured"])
        lines.append(f"| {r['round']} | {r['capture']} | {r['seconds']:.2f} | {r['rate']:.0f} | "
                     f"{cap} | {r['lost']} | {r.get('queue_drops', '-')} | "
                     f"{r.get('serial_gaps', '-')} | {cpu} | {per} |")
    if idle_cost:
        p, a = idle_cost["procaudit"], idle_cost["auditd"]
        lines += ["", f"Idle: procaudit {p['cpu_s']:.2f} s CPU in {p['seconds']:.1f} s "
                      f"({p['events']} process events from the rest of the host meanwhile); "
                      f"auditd {a['cpu_s']:.2f} s CPU in {a['seconds']:.1f} s ({a['log_bytes']} "
                      "bytes of log meanwhile)."]
    return "\n".join(lines) + "\n", met_all


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build-dir", default="build",
                    help="CMake build dir (relative to the current dir, else the repo)")
    ap.add_argument("--count", type=int, default=20000, help="execs per storm (20000)")
    ap.add_argument("--workers", type=int, default=2, help="exec_storm processes (2)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds (3)")
    ap.add_argument("--idle-seconds", type=float, default=20.0, help="idle span (20; 0: skip)")
    ap.add_argument("--backlog", type=int, default=8192, help="backlog_limit for both (8192)")
    ap.add_argument("--via", choices=("shell", "extension"), default="shell",
                    help="run procaudit's capture in the shell (default) or the extension")
    ap.add_argument("--only", choices=("auditd", "procaudit"),
                    help="run one capture (and no capture) only")
    ap.add_argument("--workdir", default="/var/tmp/procaudit-live",
                    help="auditd's logs and live_storm.json (/var/tmp/procaudit-live)")
    ap.add_argument("--output", default=str(REPO / "bench" / "results" / "latest.md"),
                    help="markdown file whose 'live' section gets the report")
    args = ap.parse_args()

    args.build = find_built("live_storm", args.build_dir, "procaudit", "bench/exec_storm")
    exe = args.build / "bench" / "exec_storm"
    Path(args.workdir).mkdir(parents=True, exist_ok=True)

    kinds = {"auditd": run_auditd, "procaudit": run_procaudit, "none": run_none}
    if args.only:
        kinds = {k: v for k, v in kinds.items() if k in (args.only, "none")}
    runs: list[dict] = []
    idle_cost = None
    try:
        with host_lock(timeout=HANG):
            before = check_available(KEY)
            load_before = os.getloadavg()[0]
            for r in range(args.rounds):
                order = list(kinds) if r % 2 == 0 else list(reversed(kinds))
                for kind in order:
                    print(f"live_storm: round {r + 1}/{args.rounds}: {kind}...", file=sys.stderr,
                          flush=True)
                    run = {"round": r + 1, **kinds[kind](args, exe, r + 1)}
                    runs.append(run)
                    print(f"live_storm:   {json.dumps(run)}", file=sys.stderr, flush=True)
            if args.idle_seconds > 0 and not args.only:
                print(f"live_storm: idle, {args.idle_seconds:.0f} s each...", file=sys.stderr,
                      flush=True)
                idle_cost = idle(args)
            load_after = os.getloadavg()[0]
            after = read_state()
    except SandboxUnavailable as e:
        print(f"live_storm: audit sandbox unavailable: {e.reason}", file=sys.stderr)
        return 77
    except SessionError as e:
        print(f"live_storm: procaudit failed: {e}", file=sys.stderr)
        return 1

    auditd_version = subprocess.run(["auditctl", "-v"], capture_output=True,
                                    text=True).stdout.strip()
    meta = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "host": platform.node(), "kernel": platform.release(), "cpus": os.cpu_count(),
        "version": code_version(REPO), "auditd": auditd_version, "via": args.via,
        "count": args.count, "workers": args.workers, "rounds": args.rounds,
        "backlog": args.backlog, "load_before": load_before, "load_after": load_after,
        "state_before": repr(before), "state_after": repr(after),
        "state_restored": after == before,
    }
    Path(args.workdir, "live_storm.json").write_text(
        json.dumps({"meta": meta, "runs": runs, "idle": idle_cost}, indent=2) + "\n")
    text, _ = report(meta, runs, idle_cost)
    print(text)
    write_section(Path(args.output), "live", text)
    if after != before:
        print(f"live_storm: the audit state differs from before: {before.diff(after)}",
              file=sys.stderr)
        return 1
    bad = [r for r in runs if r["failed"] or (r["captured"] is not None and r["captured"] < 0)]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
