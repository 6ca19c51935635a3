#!/usr/bin/env python3
"""file_events under an open storm: procaudit's live capture with --watch-pid against a private
auditd with the same rules, side by side.

    sudo python3 bench/file_storm.py [--build-dir build] [--count 200000] [--rounds 3]
        [--backlog 8192] [--only auditd|procaudit] [--workdir /var/tmp/procaudit-file-storm]
        [--output bench/results/latest.md]

The storm is one process (bench/open_storm) doing --count open(FILE, O_RDONLY) + close pairs,
started paused (it waits for a byte on its stdin) so that rules naming its pid can be loaded
before it opens anything. Each round runs it three ways, the order alternating round by round:

    procaudit   `procaudit --watch-pid PID` live (unicast; script mode, SQL on its stdin):
                its process rules, a never-rule for itself, and the file rules of the watch
    auditd      scripts/audit_sandbox.py's private auditd (RAW log) with the rules procaudit
                loads, as `auditctl -l` lists them while it runs (found once at the start, by a
                procaudit run watching a paused storm), with the storm's pid instead, the
                never-rule for procaudit's own pid left out, and the sandbox's key instead
    none        no capture (informational: the storm's rate with no rules)

backlog_limit is --backlog for both captures (procaudit's default, 8192). procaudit also sets
backlog_wait_time 0 while it owns the audit pid (a full backlog drops and counts, the storm is
not held up); the sandbox leaves the host's (the kernel default, 60 s: the storm sleeps when the
backlog is full, so auditd loses nothing but slows the storm). Both are reported.

Per run: the kernel's `lost` counter before the release and after the capture caught up; the
storm's opens found (procaudit: `SELECT count(*) FROM file_events WHERE pid = PID AND path =
'FILE' AND operation = 'open_read'`; auditd: successful openat SYSCALL records of the storm's pid
with flags O_RDONLY whose PATH item 0 names FILE, counted here in Python), which must be exactly
--count; and the capturing process's CPU time (utime+stime of all its threads, /proc/PID/stat)
from just before the release until it has caught up (procaudit: the count reached --count, the
polls included; auditd: its log stopped growing for a second), per open. A count that stops
short is waited for until it has not grown for 15 s and the kernel or procaudit counted a loss,
else until the hang guard (300 s) ends the run with an error: a shortfall is never hidden.

Each round holds scripts/audit_sandbox.host_lock(), requires a free kernel (no auditd, audit pid
0, no rules with our keys), and checks that the audit state (auditctl -s, -l) is the same after
as before. Writes WORKDIR/file_storm.json and the "file" section of --output; prints the report.
Exit status 0 when every run found every open and lost nothing; 1 otherwise, or when the audit
state differs or a run failed; 77 when the audit sandbox is unavailable.
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
from audit_sandbox import (PrivateAuditd, SandboxUnavailable, check_available,  # noqa: E402
                           host_lock, read_state, read_status, rules_with_key)
from live_procaudit import SessionError, ShellSession, cpu_seconds  # noqa: E402
from report import code_version, find_built, write_section  # noqa: E402

KEY = "procaudit_bench_file"  # the private auditd's rules
PROCAUDIT_KEY = "procaudit"   # procaudit's own
HANG = 300.0                  # hang guard of every wait, seconds
STALL = 15.0                  # a count that stopped growing this long, with a loss counted: done
SYSCALL_RE = re.compile(rb"^type=SYSCALL msg=audit\([0-9.]+:(\d+)\): arch=c000003e syscall=257 "
                        rb"success=yes exit=\d+ a0=\S+ a1=\S+ a2=([0-9a-f]+) .* pid=(\d+) ")
PATH_RE = re.compile(rb"^type=PATH msg=audit\([0-9.]+:(\d+)\): item=0 name=\"([^\"]*)\" ")


def lost() -> int:
    return int(read_status()["lost"])


class Storm:
    """bench/open_storm, paused on its stdin until release(); ended by its pid if need be."""

    def __init__(self, exe: Path, target: str, count: int):
        self.count = count
        self.proc = subprocess.Popen([str(exe), "--count", str(count), target],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.pid = self.proc.pid
        self.seconds: float | None = None

    def release(self) -> dict:
        """Lets it run and waits for it: its rate and outcome."""
        t0 = time.monotonic()
        out, err = self.proc.communicate(b"g", timeout=HANG)
        self.seconds = time.monotonic() - t0
        words = out.decode().split()[1:]  # "open_storm pid P count N ok K failed F"
        info = {words[i]: words[i + 1] for i in range(0, len(words) - 1, 2)}
        if self.proc.returncode != 0 or int(info.get("pid", 0)) != self.pid \
                or int(info.get("ok", -1)) != self.count:
            raise SystemExit(f"file_storm: open_storm exited {self.proc.returncode}: "
                             f"{out.decode().strip()} {err.decode().strip()}")
        return {"storm_pid": self.pid, "storm_s": round(self.seconds, 3),
                "opens_per_s": round(self.count / self.seconds, 1)}

    def end(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()  # by pid: the one we started
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                stream.close()
            except OSError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.end()
        return False


def count_in_log(log: Path, pid: int, target: str) -> int:
    """The storm's successful openat(..., O_RDONLY) of target, in a RAW log: SYSCALL records
    of its pid and PATH item 0 records naming target, matched by serial."""
    want_pid, want_name = str(pid).encode(), target.encode()
    opens, named = set(), set()
    with open(log, "rb") as f:
        for line in f:
            if line.startswith(b"type=SYSCALL"):
                m = SYSCALL_RE.match(line)
                if m and m.group(3) == want_pid and int(m.group(2), 16) & 0o3 == 0:
                    opens.add(m.group(1))
            elif line.startswith(b"type=PATH"):
                m = PATH_RE.match(line)
                if m and m.group(2) == want_name:
                    named.add(m.group(1))
    return len(opens & named)


def procaudit_argv(args, pid: int) -> list[str]:
    # --no-acct: the storm compares audit capture with auditd; accounting would add its own
    # per-exit cost to procaudit's side only.
    return ["--audit-backlog", str(args.backlog), "--no-acct", "--watch-pid", str(pid)]


def start_procaudit(args, pid: int) -> ShellSession:
    """procaudit capturing (unicast) with the watch's rules loaded."""
    session = ShellSession(str(args.build / "procaudit"), procaudit_argv(args, pid))
    try:
        deadline = time.monotonic() + HANG
        while True:
            state = read_state()
            ours = rules_with_key(PROCAUDIT_KEY, state.rules)
            if state.status["pid"] == str(session.pid) and \
                    any(f"pid={pid}" in r.split() for r in ours):
                break
            if session.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"file_storm: procaudit did not start capturing with the watch "
                                 f"of pid {pid}: {state!r}; stderr: {session.stderr.strip()}")
            time.sleep(0.05)
        session.poll("SELECT file_rules FROM audit_status WHERE mode = 'unicast'",
                     lambda rows: rows and f"pid={pid}" in (rows[0]["file_rules"] or ""),
                     timeout=HANG)
    except BaseException:
        session.end()
        raise
    return session


def finish_procaudit(session: ShellSession) -> int:
    """End of its script: it stops capturing, restores and exits by itself."""
    session.close_input()
    code = session.wait(timeout=HANG)
    session.end()
    return code


def generic_rules(loaded: list[str], procaudit_pid: int, storm_pid: int) -> list[str]:
    """procaudit's rules as auditctl -l listed them, without its never-rule for its own pid and
    with the watched pid written {STORM}: what the auditd side gets, and the same every run."""
    out = []
    for rule in rules_with_key(PROCAUDIT_KEY, loaded):
        words = rule.split()
        if words[1].startswith("never,") and f"pid={procaudit_pid}" in words:
            continue
        out.append(" ".join("pid={STORM}" if w == f"pid={storm_pid}" else w for w in words))
    return out


def auditd_rules(rules: list[str], storm_pid: int) -> list[list[str]]:
    """generic_rules for a private auditd: the storm's pid, and without procaudit's key (the
    sandbox adds its own)."""
    out = []
    for rule in rules:
        words, kept, i = rule.split(), [], 0
        while i < len(words):
            if words[i] in ("-F", "-k") and i + 1 < len(words) and \
                    words[i + 1] in (f"key={PROCAUDIT_KEY}", PROCAUDIT_KEY):
                i += 2
                continue
            kept.append(f"pid={storm_pid}" if words[i] == "pid={STORM}" else words[i])
            i += 1
        out.append(kept)
    return out


def discover_rules(args, exe: Path, target: str) -> list[str]:
    """procaudit's rules with a --watch-pid watch (generic_rules), from a run watching a paused
    storm that is never released."""
    with host_lock(timeout=HANG):
        before = check_available(KEY)
        with Storm(exe, target, 1) as storm:
            session = start_procaudit(args, storm.pid)
            try:
                rules = generic_rules(read_state().rules, session.pid, storm.pid)
            finally:
                code = finish_procaudit(session)
        check_restored(before, f"procaudit (exit status {code}) finding its rules")
    return rules


def check_restored(before, what: str) -> None:
    after = read_state()
    if after != before:
        raise SystemExit(f"file_storm: the audit state differs after {what}: "
                         f"{before.diff(after)}")


def run_procaudit(args, exe: Path, target: str, rules: list[str]) -> dict:
    sql = (f"SELECT count(*) AS n FROM file_events WHERE pid = {{pid}} AND path = '{target}' "
           "AND operation = 'open_read'")
    with host_lock(timeout=HANG):
        before = check_available(KEY)
        with Storm(exe, target, args.count) as storm:
            session = start_procaudit(args, storm.pid)
            try:
                loaded = generic_rules(read_state().rules, session.pid, storm.pid)
                if loaded != rules:
                    raise SystemExit(f"file_storm: procaudit's rules changed since the start: "
                                     f"{loaded} != {rules}")
                query = sql.format(pid=storm.pid)
                lost0, cpu0 = lost(), cpu_seconds(session.pid)
                s = storm.release()
                found, polls = wait_counted(session, query, args.count, lost0)
                cpu1, lost1 = cpu_seconds(session.pid), lost()
                # What one poll costs, to tell the polls' share of the CPU time.
                q0 = cpu_seconds(session.pid)
                session.query(query)
                poll_cpu = cpu_seconds(session.pid) - q0
                health = session.query(
                    "SELECT queue_drops, socket_overruns, serial_gaps, late_events, "
                    "ring_evicted, lost_since_start, backlog_limit, backlog_wait_time "
                    "FROM audit_status WHERE mode = 'unicast'")
            finally:
                code = finish_procaudit(session)
        check_restored(before, f"procaudit (exit status {code})")
    return {**s, "capture": "procaudit", "found": found, "lost": lost1 - lost0,
            "cpu_s": round(cpu1 - cpu0, 3), "polls": polls, "poll_cpu_s": round(poll_cpu, 3),
            "exit_status": code, **(health[0] if health else {})}


def wait_counted(session: ShellSession, sql: str, want: int, lost0: int) -> tuple[int, int]:
    """Polls sql (one row, n) until n reaches want; a shortfall ends the wait only when the
    count has stopped growing for STALL seconds and a loss was counted (kernel lost, or
    procaudit's drops and gaps), else the hang guard raises."""
    deadline = time.monotonic() + HANG
    last, since, polls = -1, time.monotonic(), 0
    time.sleep(2.0)  # the file tracker holds events 2 s for reordering: fewer polls
    while True:
        n = session.query(sql)[0]["n"]
        polls += 1
        if n >= want:
            return n, polls
        now = time.monotonic()
        if n != last:
            last, since = n, now
        elif now - since > STALL:
            st = session.query("SELECT queue_drops, serial_gaps FROM audit_status "
                               "WHERE mode = 'unicast'")
            dropped = st and (st[0]["queue_drops"] or st[0]["serial_gaps"])
            if lost() > lost0 or dropped:
                return n, polls
        if now > deadline:
            raise SystemExit(f"file_storm: after {HANG:.0f} s procaudit shows {n} of {want} "
                             f"opens and counted no loss; stderr: {session.stderr.strip()}")
        time.sleep(1.0)


def run_auditd(args, exe: Path, target: str, rules: list[str]) -> dict:
    workdir = Path(args.workdir) / "auditd"
    with host_lock(timeout=HANG):
        with Storm(exe, target, args.count) as storm:
            with PrivateAuditd(workdir, key=KEY, log_format="RAW",
                               rules=auditd_rules(rules, storm.pid),
                               backlog_limit=args.backlog, lock_timeout=HANG) as audit:
                before = audit.saved_state
                wait_time = read_status()["backlog_wait_time"]
                lost0, cpu0 = lost(), cpu_seconds(audit.auditd_pid)
                s = storm.release()
                audit.wait_flushed(settle=1.0, timeout=HANG)
                cpu1, lost1 = cpu_seconds(audit.auditd_pid), lost()
        check_restored(before, "the private auditd")
    found = count_in_log(Path(audit.log_path), storm.pid, target)
    size = os.path.getsize(audit.log_path)
    os.unlink(audit.log_path)  # ~200 MB a round
    return {**s, "capture": "auditd", "found": found, "lost": lost1 - lost0,
            "cpu_s": round(cpu1 - cpu0, 3), "log_bytes": size,
            "backlog_wait_time": int(wait_time)}


def run_none(args, exe: Path, target: str, rules: list[str]) -> dict:
    with Storm(exe, target, args.count) as storm:
        lost0 = lost()
        s = storm.release()
    return {**s, "capture": "none", "found": None, "lost": lost() - lost0, "cpu_s": None}


def med(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def per_open_us(run: dict, count: int) -> float:
    return run["cpu_s"] / count * 1e6


def report(meta: dict, runs: list[dict]) -> str:
    count = meta["count"]
    by = {c: [r for r in runs if r["capture"] == c] for c in ("procaudit", "auditd", "none")}
    pa, ad, no = by["procaudit"], by["auditd"], by["none"]
    lines = [
        "# file_events under an open storm",
        "",
        f"{meta['date']}, {meta['host']}, Linux {meta['kernel']}, {meta['cpus']} CPUs, "
        f"procaudit {meta['version']} (shell), {meta['auditd']}. Storm: one process "
        f"(`bench/open_storm`) doing {count} open(FILE, O_RDONLY) + close pairs, FILE = "
        f"`{meta['target']}`; captured by `procaudit --watch-pid PID` (unicast) and by a "
        "private auditd (RAW log, `scripts/audit_sandbox.py`) with the same rules (procaudit's, "
        "as `auditctl -l` lists them, below); backlog_limit "
        f"{meta['backlog']} for both; rounds: {meta['rounds']}, each runs procaudit, auditd and "
        "no capture, the order alternating; medians. CPU: utime+stime of the capturing process "
        "(all threads) from just before the storm's release until it had caught up (procaudit: "
        "every open in file_events, its count polls included; auditd: its log still for 1 s). "
        f"`bench/file_storm.py`. Load average {meta['load_before']:.2f} before, "
        f"{meta['load_after']:.2f} after.",
        "",
        "| | procaudit | auditd | ratio | target (procaudit) | met |",
        "|---|---:|---:|---|---|---|",
    ]
    every = " / ".join
    if pa:
        ok_found = all(r["found"] == count for r in pa)
        ok_lost = all(r["lost"] == 0 for r in pa)
        lines.append(f"| opens in file_events (auditd: in its log), every round | "
                     f"{every(str(r['found']) for r in pa)} | "
                     f"{every(str(r['found']) for r in ad) or '-'} | - | all {count} | "
                     f"{'yes' if ok_found else 'no'} |")
        lines.append(f"| kernel `lost` during the storm, every round | "
                     f"{every(str(r['lost']) for r in pa)} | "
                     f"{every(str(r['lost']) for r in ad) or '-'} | - | 0 | "
                     f"{'yes' if ok_lost else 'no'} |")
    if pa and ad:
        p_cpu = statistics.median(per_open_us(r, count) for r in pa)
        a_cpu = statistics.median(per_open_us(r, count) for r in ad)
        lines.append(f"| CPU time of the capturing process per open, µs, median | {p_cpu:.2f} | "
                     f"{a_cpu:.2f} | {p_cpu / a_cpu:.2f}x auditd's | reported | - |")
        lines.append(f"| storm rate, opens/s, median | {med(pa, 'opens_per_s'):.0f} | "
                     f"{med(ad, 'opens_per_s'):.0f} | - | - | - |")
    if no:
        lines.append(f"| info: storm rate with no capture, opens/s | - | - | "
                     f"{med(no, 'opens_per_s'):.0f} | - | - |")
    lines += ["", "procaudit sets backlog_wait_time 0 while it owns the audit pid (a full backlog "
                  "drops and counts); the auditd side runs with the host's, under which the storm "
                  "sleeps whenever the backlog is full: auditd's storm rate is held down to what "
                  "auditd keeps up with, procaudit's is not."]
    lines += ["", "Every run (in order); procaudit's own losses from its audit_status (chunks its "
                  "reader dropped, serials it never saw); `polls`: count queries until caught up, "
                  "each about `poll ms` of procaudit's CPU:", "",
              "| round | capture | storm s | opens/s | opens found | kernel lost | "
              "backlog_wait_time | queue_drops | serial_gaps | polls | poll ms | CPU s | "
              "CPU µs/open |",
              "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in runs:
        cpu = "-" if r["cpu_s"] is None else f"{r['cpu_s']:.2f}"
        per = "-" if r["cpu_s"] is None else f"{per_open_us(r, count):.2f}"
        poll = f"{r['poll_cpu_s'] * 1e3:.0f}" if "poll_cpu_s" in r else "-"
        lines.append(
            f"| {r['round']} | {r['capture']} | {r['storm_s']:.2f} | {r['opens_per_s']:.0f} | "
            f"{'-' if r['found'] is None else r['found']} | {r['lost']} | "
            f"{r.get('backlog_wait_time', '-')} | {r.get('queue_drops', '-')} | "
            f"{r.get('serial_gaps', '-')} | {r.get('polls', '-')} | {poll} | {cpu} | {per} |")
    lines += ["", "The rules (procaudit's with `--watch-pid`; auditd got the same with the storm's "
                  f"pid for {{STORM}} and key `{KEY}`; procaudit's never-rule for its own pid is "
                  "left out):", "", "```", *meta["rules"], "```"]
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build-dir", default="build",
                    help="CMake build dir (relative to the current dir, else the repo)")
    ap.add_argument("--count", type=int, default=200000, help="open/close pairs (200000)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds (3)")
    ap.add_argument("--backlog", type=int, default=8192, help="backlog_limit for both (8192)")
    ap.add_argument("--only", choices=("auditd", "procaudit"),
                    help="run one capture (and no capture) only")
    ap.add_argument("--workdir", default="/var/tmp/procaudit-file-storm",
                    help="the storm's file, auditd's logs, file_storm.json")
    ap.add_argument("--output", default=str(REPO / "bench" / "results" / "latest.md"),
                    help="markdown file whose 'file' section gets the report")
    args = ap.parse_args()

    args.build = find_built("file_storm", args.build_dir, "procaudit", "bench/open_storm")
    exe = args.build / "bench" / "open_storm"
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    target = os.path.realpath(workdir / "target")
    Path(target).write_text("open_storm opens this file\n")

    kinds = {"procaudit": run_procaudit, "auditd": run_auditd, "none": run_none}
    if args.only:
        kinds = {k: v for k, v in kinds.items() if k in (args.only, "none")}
    runs: list[dict] = []
    try:
        load_before = os.getloadavg()[0]
        rules = discover_rules(args, exe, target)
        print("file_storm: procaudit's rules:\n  " + "\n  ".join(rules), file=sys.stderr)
        for r in range(args.rounds):
            order = list(kinds) if r % 2 == 0 else list(reversed(kinds))
            for kind in order:
                print(f"file_storm: round {r + 1}/{args.rounds}: {kind}...", file=sys.stderr,
                      flush=True)
                run = {"round": r + 1, **kinds[kind](args, exe, target, rules)}
                runs.append(run)
                print(f"file_storm:   {json.dumps(run)}", file=sys.stderr, flush=True)
        load_after = os.getloadavg()[0]
    except SandboxUnavailable as e:
        print(f"file_storm: audit sandbox unavailable: {e.reason}", file=sys.stderr)
        return 77
    except SessionError as e:
        print(f"file_storm: procaudit failed: {e}", file=sys.stderr)
        return 1

    auditd_version = subprocess.run(["auditctl", "-v"], capture_output=True,
                                    text=True).stdout.strip()
    meta = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "host": platform.node(), "kernel": platform.release(), "cpus": os.cpu_count(),
        "version": code_version(REPO), "auditd": auditd_version, "count": args.count,
        "rounds": args.rounds, "backlog": args.backlog, "target": target, "rules": rules,
        "load_before": load_before, "load_after": load_after,
    }
    Path(workdir, "file_storm.json").write_text(
        json.dumps({"meta": meta, "runs": runs}, indent=2) + "\n")
    text = report(meta, runs)
    print(text)
    write_section(Path(args.output), "file", text)
    bad = [r for r in runs if r["capture"] != "none" and (r["found"] != args.count or r["lost"])]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
