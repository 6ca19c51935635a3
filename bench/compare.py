#!/usr/bin/env python3
"""Whole-process benchmarks: procaudit against lsof, ps and a bare-C floor.

Starts bench/spawn_holders (N processes x M descriptors), then times every
command in the same run, interleaved round by round (the order rotates each
round), and compares medians. Every command writes to /dev/null.

    cmake --build build && python3 bench/compare.py [--build-dir build]
        [--procs 2000] [--fds 20] [--rounds 15] [--output bench/results/latest.md]

Prints a markdown table and writes it as the "proc" section of --output (bench/report.py;
compare_audit.py writes the "audit" section of the same file). Exit status 0 whatever the
targets say (1 only when a command fails or the sanity check does not hold), so
that a slow run still produces its report.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from report import command_table, find_built, write_section

REPO = Path(__file__).resolve().parent.parent

Q_PATHS = "SELECT pid, fd, path FROM open_files"
Q_ALL = "SELECT * FROM open_files"
Q_TREE = "SELECT * FROM process_tree"
# The same information as the other side prints, for the informational rows.
Q_FLOOR_INFO = "SELECT pid, fd, path, pos, flags FROM open_files"
Q_PS_INFO = "SELECT pid, ppid, uid, cmdline FROM process_tree"


@dataclass
class Command:
    key: str
    argv: list[str]
    ok_codes: tuple[int, ...] = (0,)
    wall: list[float] = field(default_factory=list)  # seconds
    cpu: list[float] = field(default_factory=list)  # user + sys seconds
    rss: list[float] = field(default_factory=list)  # peak resident set, MB (measure_peak_rss)

    def median_ms(self) -> float:
        return statistics.median(self.wall) * 1000

    def min_ms(self) -> float:
        return min(self.wall) * 1000

    def cpu_ms(self) -> float:
        return statistics.median(self.cpu) * 1000

    def rss_mb(self) -> float:
        return statistics.median(self.rss)

    def reset(self) -> None:
        self.wall.clear()
        self.cpu.clear()
        self.rss.clear()


def run_timed(cmd: Command) -> None:
    """One run, output to /dev/null; wall time from fork to reap, CPU from wait4."""
    with open(os.devnull, "wb") as null:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd.argv, stdin=subprocess.DEVNULL, stdout=null, stderr=null)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in cmd.ok_codes:
        raise RuntimeError(f"{' '.join(cmd.argv)} exited with {proc.returncode}")
    cmd.wall.append(elapsed)
    cmd.cpu.append(usage.ru_utime + usage.ru_stime)


def peak_rss_mb(argv: list[str]) -> float | None:
    """Peak RSS of one run, from GNU time (None without it). Not wait4's ru_maxrss of a child
    Python starts: the kernel carries the pre-exec memory's high-water mark into it, so that
    counts the peak of Python's own memory (/bin/true from a 200 MB Python reports 213 MB)."""
    gnu_time = Path("/usr/bin/time")
    if not os.access(gnu_time, os.X_OK):
        return None
    r, w = os.pipe()
    with open(os.devnull, "wb") as null:
        proc = subprocess.run([str(gnu_time), "-f", "%M", "-o", f"/dev/fd/{w}", *argv],
                              stdin=subprocess.DEVNULL, stdout=null, stderr=subprocess.DEVNULL,
                              pass_fds=(w,))
    os.close(w)
    with os.fdopen(r) as f:
        out = f.read().strip()
    if proc.returncode != 0 or not out.isdigit():
        return None
    return int(out) / 1024


def measure_peak_rss(commands) -> bool:
    """One more run of each command under GNU time, for its peak RSS. False without it."""
    rss = {id(cmd): peak_rss_mb(cmd.argv) for cmd in commands}
    if any(v is None for v in rss.values()):
        return False
    for cmd in commands:
        cmd.rss[:] = [rss[id(cmd)]]
    return True


class Holders:
    """bench/spawn_holders, always stopped (and its temp dir removed) on exit."""

    def __init__(self, binary: Path, procs: int, fds: int):
        self.proc = subprocess.Popen(
            [str(binary), "--procs", str(procs), "--fds", str(fds)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.tmpdir: str | None = None
        self.ready = 0

    def wait_ready(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"spawn_holders exited ({self.proc.wait()}) before ready")
            word, _, rest = line.strip().partition(" ")
            if word == "tmpdir":
                self.tmpdir = rest
            elif word == "ready":
                self.ready = int(rest)
                return
        raise RuntimeError("spawn_holders not ready in time")

    def stop(self) -> None:
        """EOF on its stdin; then SIGTERM, then SIGKILL, always to its own pid only.
        Its children die with it (PR_SET_PDEATHSIG) if it cannot clean up itself."""
        proc = self.proc
        if proc.poll() is None:
            try:
                if proc.stdin:
                    proc.stdin.close()
            except OSError:
                pass
            for sig in (None, signal.SIGTERM, signal.SIGKILL):
                if sig is not None and proc.poll() is None:
                    os.kill(proc.pid, sig)
                try:
                    proc.wait(timeout=60)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if proc.stdout:
            proc.stdout.close()
        if self.tmpdir and "/spawn_holders." in self.tmpdir and os.path.isdir(self.tmpdir):
            shutil.rmtree(self.tmpdir, ignore_errors=True)


def capture(argv: list[str]) -> str:
    return subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True, errors="replace").stdout


def sanity(procaudit: Path, floor: Path) -> tuple[bool, str]:
    """open_files and the floor must list the same (pid, fd) pairs, up to the few
    descriptors of the processes running the check (procaudit and the floor
    themselves, this script)."""
    ours = {tuple(line.split("|", 2)[:2]) for line in capture(
        [str(procaudit), "--list", Q_PATHS]).splitlines() if line}
    theirs = {tuple(line.split(" ", 2)[:2]) for line in capture(
        [str(floor)]).splitlines() if line}
    only_ours, only_floor = len(ours - theirs), len(theirs - ours)
    diff = only_ours + only_floor
    ok = diff <= max(50, len(theirs) // 200)  # 0.5%
    text = (f"open_files rows {len(ours)}, proc_floor lines {len(theirs)}; "
            f"only in open_files {only_ours}, only in floor {only_floor} "
            f"({'ok' if ok else 'MISMATCH'})")
    return ok, text


def tool_version(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    for line in out.splitlines():
        if "revision" in line or "procps" in line:
            return line.strip()
    return out.splitlines()[0].strip() if out else "?"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build-dir", default="build",
                    help="CMake build dir (relative to the current dir, else the repo)")
    ap.add_argument("--procs", type=int, default=2000, help="holder processes (2000)")
    ap.add_argument("--fds", type=int, default=20, help="descriptors per holder (20)")
    ap.add_argument("--rounds", type=int, default=15, help="timed runs of each command (15)")
    ap.add_argument("--output", default=str(REPO / "bench" / "results" / "latest.md"),
                    help="where to write the markdown report")
    args = ap.parse_args()

    build = find_built("compare.py", args.build_dir, "procaudit", "bench/proc_floor",
                       "bench/spawn_holders")
    procaudit = build / "procaudit"
    floor = build / "bench" / "proc_floor"
    holders_bin = build / "bench" / "spawn_holders"
    lsof, ps = shutil.which("lsof"), shutil.which("ps")
    if not lsof or not ps:
        sys.exit("compare.py: needs lsof and ps (apt-get install lsof procps)")

    # Every holder needs --fds descriptors; lsof and this script need a few more.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < args.fds + 64 and hard > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    pa = str(procaudit)
    commands = {
        "pa_paths": Command("pa_paths", [pa, "--list", Q_PATHS]),
        "pa_all": Command("pa_all", [pa, "--list", Q_ALL]),
        "pa_tree": Command("pa_tree", [pa, "--list", Q_TREE]),
        "pa_floor_info": Command("pa_floor_info", [pa, "--list", Q_FLOOR_INFO]),
        "pa_ps_info": Command("pa_ps_info", [pa, "--list", Q_PS_INFO]),
        # lsof exits 1 when some process could not be read (pid 1 here, say).
        "lsof": Command("lsof", [lsof, "-n", "-P", "-w"], ok_codes=(0, 1)),
        "floor": Command("floor", [str(floor)]),
        "floor_fdinfo": Command("floor_fdinfo", [str(floor), "--fdinfo"]),
        "ps": Command("ps", [ps, "-eo", "pid,ppid,user,args"]),
    }
    # (label, procaudit key, other key, "speedup" = other/procaudit or "overhead" =
    # procaudit/other, target; None: informational, like-for-like columns)
    comparisons = [
        (f"a. `{Q_PATHS}` vs `lsof -n -P -w`", "pa_paths", "lsof", "speedup", 4.0),
        (f"b. `{Q_ALL}` vs `lsof -n -P -w`", "pa_all", "lsof", "speedup", 2.0),
        (f"c1. `{Q_PATHS}` vs `proc_floor`", "pa_paths", "floor", "overhead", 1.5),
        (f"c2. `{Q_ALL}` vs `proc_floor --fdinfo`", "pa_all", "floor_fdinfo", "overhead", 1.5),
        (f"d. `{Q_TREE}` vs `ps -eo pid,ppid,user,args`", "pa_tree", "ps", "speedup", 1.0),
        (f"info: `{Q_FLOOR_INFO}` vs `proc_floor --fdinfo` (same information)",
         "pa_floor_info", "floor_fdinfo", "overhead", None),
        (f"info: `{Q_PS_INFO}` vs `ps -eo pid,ppid,user,args` (same information)",
         "pa_ps_info", "ps", "speedup", None),
    ]

    holders = Holders(holders_bin, args.procs, args.fds)
    try:
        t0 = time.monotonic()
        holders.wait_ready()
        print(f"spawn_holders: {holders.ready} processes x {args.fds} fds ready in "
              f"{time.monotonic() - t0:.1f}s (pid {holders.proc.pid})", file=sys.stderr)
        ok, sanity_text = sanity(procaudit, floor)
        print("sanity: " + sanity_text, file=sys.stderr)
        nprocs = sum(1 for d in os.listdir("/proc") if d.isdigit())
        load_before = os.getloadavg()[0]

        order = list(commands.values())
        for cmd in order:  # warm-up: page cache, dentries, binaries
            run_timed(cmd)
            cmd.reset()
        for r in range(args.rounds):
            # Rotate so no command always runs right after the same one.
            shift = r % len(order)
            for cmd in order[shift:] + order[:shift]:
                run_timed(cmd)
            print(f"round {r + 1}/{args.rounds}: " + ", ".join(
                f"{c.key} {c.wall[-1] * 1000:.0f}" for c in order) + " ms", file=sys.stderr)
        load_after = os.getloadavg()[0]
    finally:
        holders.stop()

    lines = []
    lines.append("# procaudit whole-process benchmarks\n")
    lines.append(f"{datetime.datetime.now().isoformat(timespec='seconds')}, "
                 f"{platform.node()}, Linux {platform.release()}, {os.cpu_count()} CPUs. "
                 f"spawn_holders: {args.procs} processes x {args.fds} descriptors "
                 f"({nprocs} processes in /proc). {args.rounds} interleaved rounds per "
                 f"command after one warm-up; medians of wall time; output to /dev/null. "
                 f"Load average {load_before:.2f} before, {load_after:.2f} after (other "
                 f"load skews both sides alike, interleaved, but adds noise). "
                 f"{tool_version([lsof, '-v'])}; {tool_version([ps, '--version'])}.\n")
    lines.append(f"Sanity: {sanity_text}\n")
    lines.append("| comparison | procaudit median ms | other median ms | ratio | target | met |")
    lines.append("|---|---:|---:|---|---|---|")
    for label, a, b, kind, target in comparisons:
        pa_ms, other_ms = commands[a].median_ms(), commands[b].median_ms()
        target_text, met_text = "-", "-"
        if kind == "speedup":
            ratio = other_ms / pa_ms
            ratio_text = f"{ratio:.2f}x faster"
            if target is not None:
                target_text = f">= {target:g}x faster" if target > 1 else "no slower (>= 1x)"
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
    lines.extend(command_table(commands.values(), with_rss=False))
    report = "\n".join(lines) + "\n"
    print(report)
    out = Path(args.output)
    write_section(out, "proc", report)
    print(f"written to {out} (section 'proc')", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
