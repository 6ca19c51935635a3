#!/usr/bin/env python3
"""Whole-process benchmark of acct_exits: procaudit against dump-acct on 1,000,000 records.

Times, on one BSD process accounting v3 file of --records (1,000,000) records (64,000,000
bytes), side by side in the same run, interleaved round by round (the order rotates each
round), medians:

    procaudit "SELECT count(*), sum(signal IS NOT NULL) FROM acct_exits('FILE')"
    dump-acct FILE                       (acct's record dumper; target: >= 10x slower)

and, for information, `procaudit "SELECT * FROM acct_exits('FILE')"` and `lastcomm -f FILE`
(skipped when its warm-up run takes over --lastcomm-limit, 30 s). Every command writes to
/dev/null.

    sudo python3 bench/acct_compare.py [--build-dir build] [--rounds 7] [--regenerate]
        [--file /var/tmp/procaudit-bench/acct-1m.pacct] [--output bench/results/latest.md]

The file is derived from real kernel records: a seed of a few hundred records is recorded
under scripts/acct_sandbox.py's PrivateAccounting (children that exit 0, 1 and 42, exec'd and
fork-only, and children killed by SIGKILL, SIGTERM and SIGSEGV, plus whatever else exits on
the host meanwhile), then the seed is repeated until the file holds --records records, each
copy with its pids moved on (as a busy host's pids advance, wrapping at pid_max) and its start
times moved later by the seed's span plus a minute. The records stay byte-for-byte the
kernel's otherwise. The file (and the seed, and a .json of how it was made) is kept and reused;
it is made again only when missing or with --regenerate (which needs root and accounting off).

Before timing it checks the file: `dump-acct FILE` prints one line per record, procaudit's
count(*) is --records, and its signal count equals the records whose wait status says "killed
by a signal", counted here in Python. Prints a markdown report and writes it as the "acct"
section of --output (bench/report.py). Exit status 0 whatever the target says (1 when a
command fails or a check does not hold), so that a slow run still produces its report.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import shutil
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare import Command, capture, measure_peak_rss, run_timed  # noqa: E402
from report import code_version, command_table, find_built, write_section  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))

RECORD = 64  # sizeof(struct acct_v3)
# struct acct_v3 (<linux/acct.h>): the fields the derivation moves, and the ones checked.
OFF_FLAG, OFF_VERSION, OFF_EXITCODE, OFF_PID, OFF_PPID, OFF_BTIME = 0, 1, 4, 16, 20, 24
AFORK = 0x01


def killed_by_signal(status: int) -> bool:
    """The wait status says the process died of a signal (what <sys/wait.h>'s WIFSIGNALED
    says: low 7 bits neither 0, exited, nor 0x7f, stopped)."""
    return os.WIFSIGNALED(status)


# ---------------------------------------------------------------------------------------------
# The seed: real records from the kernel.

def _wait_exec(pid: int, comm: str, timeout: float = 2.0) -> None:
    """Until the child runs `comm` (so the kill lands on the exec'd program, not the fork)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == comm:
                return
        except OSError:
            return
        time.sleep(0.002)


def _fork_child(action) -> None:
    """A fork-only child (AFORK in its record): runs action() and never returns."""
    pid = os.fork()
    if pid == 0:
        try:
            action()
        finally:
            os._exit(99)
    os.waitpid(pid, 0)


def _self_signal(sig: int):
    def action():
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
        time.sleep(5)
    return action


def seed_workload(rounds: int) -> dict:
    """Children of every kind, `rounds` times; returns how many of each ran."""
    kinds: dict[str, int] = {}

    def note(kind: str) -> None:
        kinds[kind] = kinds.get(kind, 0) + 1

    true, false, sleep = (shutil.which(x) or f"/bin/{x}" for x in ("true", "false", "sleep"))
    for _ in range(rounds):
        subprocess.run([true]); note("exec exit 0")
        subprocess.run([false]); note("exec exit 1")
        subprocess.run(["/bin/sh", "-c", "exit 42"]); note("exec exit 42")
        for sig in (signal.SIGKILL, signal.SIGTERM):
            p = subprocess.Popen([sleep, "30"])
            _wait_exec(p.pid, "sleep")
            p.send_signal(sig)
            p.wait()
            note(f"exec killed by {sig.name}")
        subprocess.run(["/bin/sh", "-c", "kill -SEGV $$"]); note("exec killed by SIGSEGV")
        for code in (0, 1, 42):
            _fork_child(lambda c=code: os._exit(c)); note(f"fork exit {code}")
        for sig in (signal.SIGTERM, signal.SIGSEGV):
            _fork_child(_self_signal(sig)); note(f"fork killed by {sig.name}")
    return kinds


def record_seed(seed: Path, rounds: int) -> dict:
    """Records the workload's exits under a private accounting file; returns what ran."""
    from acct_sandbox import PrivateAccounting, SandboxUnavailable
    if os.geteuid() != 0:
        sys.exit("acct_compare.py: recording the seed needs root (process accounting)")
    seed.parent.mkdir(parents=True, exist_ok=True)
    seed.unlink(missing_ok=True)
    # No core files from the SIGSEGV children (core_pattern may name the current directory).
    resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))
    started = time.time()
    try:
        with PrivateAccounting(str(seed)):
            kinds = seed_workload(rounds)
            time.sleep(0.2)  # the last exits' records
    except SandboxUnavailable as e:
        sys.exit(f"acct_compare.py: cannot record the seed: {e}")
    return {"kinds": kinds, "recorded": datetime.datetime.fromtimestamp(started)
            .isoformat(timespec="seconds"), "seconds": round(time.time() - started, 2)}


# ---------------------------------------------------------------------------------------------
# The big file: the seed, repeated with its pids and times moved on.

def read_seed(seed: Path) -> bytes:
    data = seed.read_bytes()
    data = data[:len(data) - len(data) % RECORD]
    records = [data[i:i + RECORD] for i in range(0, len(data), RECORD)]
    valid = [r for r in records if r[OFF_VERSION] == 3]
    if not valid:
        sys.exit(f"acct_compare.py: the seed {seed} holds no v3 record")
    return b"".join(valid)


def derive(seed_bytes: bytes, records: int, pid_max: int) -> bytearray:
    """seed_bytes repeated to `records` records. Copy k moves every pid (and every ppid that
    is one of the seed's pids: parent and child stay linked) on by k times the seed's pid span,
    wrapping within [2, pid_max), and every start time on by k times the seed's time span plus
    60 s, so copies follow one another in time like a longer recording."""
    n = len(seed_bytes) // RECORD
    u32 = struct.Struct("<I")  # acct_v3 is native-endian; x86_64/aarch64 are little-endian
    if sys.byteorder != "little":
        u32 = struct.Struct(">I")
    pids = [u32.unpack_from(seed_bytes, i * RECORD + OFF_PID)[0] for i in range(n)]
    ppids = [u32.unpack_from(seed_bytes, i * RECORD + OFF_PPID)[0] for i in range(n)]
    btimes = [u32.unpack_from(seed_bytes, i * RECORD + OFF_BTIME)[0] for i in range(n)]
    seed_pids = set(pids)
    span = pid_max - 2
    # The pids the seed's recording went through; the record count when they wrapped in it.
    pid_step = max(pids) - min(pids) + 1
    if pid_step > span // 2:
        pid_step = n
    time_step = max(btimes) - min(btimes) + 60

    def move(pid: int, k: int) -> int:
        return 2 + (pid - 2 + k * pid_step) % span

    out = bytearray(seed_bytes * (records // n + 1))
    del out[records * RECORD:]
    for k in range(1, records // n + 1):
        base = k * n
        for i in range(min(n, records - base)):
            off = (base + i) * RECORD
            u32.pack_into(out, off + OFF_PID, move(pids[i], k))
            if ppids[i] in seed_pids:
                u32.pack_into(out, off + OFF_PPID, move(ppids[i], k))
            u32.pack_into(out, off + OFF_BTIME, btimes[i] + k * time_step)
    return out


def make_file(path: Path, records: int, rounds: int) -> dict:
    seed = path.with_name(path.stem + "-seed.pacct")
    meta = record_seed(seed, rounds)
    seed_bytes = read_seed(seed)
    pid_max = int(Path("/proc/sys/kernel/pid_max").read_text())
    data = derive(seed_bytes, records, pid_max)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    seed_flags = seed_bytes[OFF_FLAG::RECORD]
    meta.update({
        "seed": str(seed), "seed_records": len(seed_bytes) // RECORD,
        "seed_fork_only": sum(1 for f in seed_flags if f & AFORK),
        "seed_signalled": sum(killed_by_signal(s) for s in exit_statuses(seed_bytes)),
        "records": records, "bytes": len(data), "pid_max": pid_max,
    })
    path.with_suffix(".json").write_text(json.dumps(meta, indent=1) + "\n")
    return meta


# ---------------------------------------------------------------------------------------------
# Checks.

def exit_statuses(data: bytes):
    """ac_exitcode, the wait status, of every whole record."""
    n = len(data) // RECORD
    return memoryview(data)[:n * RECORD].cast("I")[OFF_EXITCODE // 4::RECORD // 4]


def python_counts(path: Path) -> tuple[int, int, int]:
    """(records, valid v3 records, records killed by a signal), read here without procaudit."""
    data = path.read_bytes()
    valid = sum(1 for v in data[OFF_VERSION::RECORD] if v == 3)
    return (len(data) // RECORD, valid,
            sum(1 for s in exit_statuses(data) if killed_by_signal(s)))


def count_lines(argv: list[str]) -> int:
    """Lines a command prints (streamed, not kept); RuntimeError when it fails."""
    lines = 0
    with subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL) as proc:
        assert proc.stdout is not None
        while chunk := proc.stdout.read(1 << 20):
            lines += chunk.count(b"\n")
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited with {proc.returncode}")
    return lines


def checks(procaudit: Path, dump_acct: str, path: Path, records: int) -> tuple[bool, list[str]]:
    lines = []
    n, valid, signalled = python_counts(path)
    size = path.stat().st_size
    ok_py = n == valid == records and size == records * RECORD
    lines.append(f"the file: {size:,} bytes, {n:,} records, {valid:,} of them v3 "
                 f"({'ok' if ok_py else 'MISMATCH'}: want {records:,} records, "
                 f"{records * RECORD:,} bytes)")
    dump_lines = count_lines([dump_acct, str(path)])
    ok_dump = dump_lines == records
    lines.append(f"`dump-acct FILE | wc -l`: {dump_lines:,} ({'ok' if ok_dump else 'MISMATCH'})")
    out = capture([str(procaudit), "--list", "--no-header",
                   f"SELECT count(*), sum(signal IS NOT NULL) FROM acct_exits('{path}')"])
    got_n, got_sig = (int(x) for x in out.strip().split("|"))
    ok_pa = got_n == records and got_sig == signalled
    lines.append(f"procaudit count(*) {got_n:,}, signal IS NOT NULL {got_sig:,}; killed by a "
                 f"signal by the wait status, counted in Python: {signalled:,} "
                 f"({'ok' if ok_pa else 'MISMATCH'})")
    return ok_py and ok_dump and ok_pa, lines


# ---------------------------------------------------------------------------------------------

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build-dir", default="build",
                    help="CMake build dir (relative to the current dir, else the repo)")
    ap.add_argument("--file", default="/var/tmp/procaudit-bench/acct-1m.pacct",
                    help="the accounting file (made when missing)")
    ap.add_argument("--records", type=int, default=1_000_000, help="records in it (1,000,000)")
    ap.add_argument("--seed-rounds", type=int, default=30,
                    help="rounds of the seed workload, 11 exits each (30)")
    ap.add_argument("--regenerate", action="store_true", help="record the seed and make the file "
                    "again even when it is there")
    ap.add_argument("--rounds", type=int, default=7, help="timed runs of each command (7)")
    ap.add_argument("--lastcomm-limit", type=float, default=30.0,
                    help="leave lastcomm out when its warm-up run takes longer (30 s)")
    ap.add_argument("--output", default=str(REPO / "bench" / "results" / "latest.md"),
                    help="markdown file whose 'acct' section gets the report")
    args = ap.parse_args()

    procaudit = find_built("acct_compare.py", args.build_dir, "procaudit") / "procaudit"
    sbin_path = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
    dump_acct = shutil.which("dump-acct", path=sbin_path)
    lastcomm = shutil.which("lastcomm", path=sbin_path)
    if not dump_acct:
        sys.exit("acct_compare.py: needs dump-acct (apt-get install acct, or scripts/install-deps)")

    path = Path(args.file).resolve()
    meta_path = path.with_suffix(".json")
    if args.regenerate or not path.is_file():
        print(f"making {path} ({args.records:,} records) from a recorded seed", file=sys.stderr)
        meta = make_file(path, args.records, args.seed_rounds)
    else:
        meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}

    ok, check_lines = checks(procaudit, dump_acct, path, args.records)
    for line in check_lines:
        print("check: " + line, file=sys.stderr)

    q_count = f"SELECT count(*), sum(signal IS NOT NULL) FROM acct_exits('{path}')"
    q_all = f"SELECT * FROM acct_exits('{path}')"
    pa = str(procaudit)
    commands = {
        "pa_count": Command("pa_count", [pa, q_count]),
        "pa_all": Command("pa_all", [pa, q_all]),
        "dump_acct": Command("dump_acct", [dump_acct, str(path)]),
    }
    lastcomm_note = ""
    if lastcomm:
        probe = Command("lastcomm", [lastcomm, "-f", str(path)])
        run_timed(probe)  # also its warm-up
        if probe.wall[0] <= args.lastcomm_limit:
            probe.reset()
            commands["lastcomm"] = probe
        else:
            lastcomm_note = (f" `lastcomm -f FILE` left out: its warm-up run took "
                             f"{probe.wall[0]:.1f} s (over {args.lastcomm_limit:g} s).")
    else:
        lastcomm_note = " `lastcomm` not installed: left out."
    # (label, procaudit key, other key, target speedup = other/procaudit; None: information)
    comparisons = [
        ("`SELECT count(*), sum(signal IS NOT NULL) FROM acct_exits(FILE)` vs `dump-acct FILE`",
         "pa_count", "dump_acct", 10.0),
        ("info: `SELECT * FROM acct_exits(FILE)` (every column of every row) vs "
         "`dump-acct FILE`", "pa_all", "dump_acct", None),
    ]
    if "lastcomm" in commands:
        comparisons += [
            ("info: the count query vs `lastcomm -f FILE`", "pa_count", "lastcomm", None),
            ("info: `SELECT * FROM acct_exits(FILE)` vs `lastcomm -f FILE`", "pa_all",
             "lastcomm", None),
        ]

    load_before = os.getloadavg()[0]
    order = list(commands.values())
    try:
        for cmd in order:  # warm-up: page cache, binaries (lastcomm's was its probe)
            if cmd.key != "lastcomm":
                run_timed(cmd)
                cmd.reset()
        for r in range(args.rounds):
            shift = r % len(order)  # rotate so no command always runs right after the same one
            for cmd in order[shift:] + order[:shift]:
                run_timed(cmd)
            print(f"round {r + 1}/{args.rounds}: " + ", ".join(
                f"{c.key} {c.wall[-1] * 1000:.0f}" for c in order) + " ms", file=sys.stderr)
    except RuntimeError as e:
        print(f"acct_compare.py: {e}", file=sys.stderr)
        return 1
    load_after = os.getloadavg()[0]
    with_rss = measure_peak_rss(order)

    commit = code_version(REPO)
    version = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "acct"], capture_output=True,
                             text=True).stdout.strip() or "?"
    lines = ["# procaudit process accounting benchmark\n"]
    if meta:
        kinds = ", ".join(f"{k} x{v}" for k, v in meta.get("kinds", {}).items())
        made = (f"derived from a seed of {meta.get('seed_records', '?')} real kernel records "
                f"(recorded {meta.get('recorded', '?')} under `scripts/acct_sandbox.py`'s "
                f"PrivateAccounting: {kinds}; plus whatever else exited on the host meanwhile; "
                f"{meta.get('seed_fork_only', '?')} fork-only, {meta.get('seed_signalled', '?')} "
                f"killed by a signal), repeated with pids moved on (wrapping at pid_max "
                f"{meta.get('pid_max', '?')}) and start times moved later, copy by copy")
    else:
        made = "an accounting file (no .json beside it says how it was made)"
    lines.append(
        f"{datetime.datetime.now().isoformat(timespec='seconds')}, {platform.node()}, Linux "
        f"{platform.release()}, {os.cpu_count()} CPUs, procaudit {commit}, acct {version}. "
        f"FILE: `{path}`, {path.stat().st_size:,} bytes, {made}. {args.rounds} interleaved "
        f"rounds per command after one warm-up; medians of wall time; output to /dev/null. "
        f"Load average {load_before:.2f} before, {load_after:.2f} after."
        + (" Peak RSS: one more run of each under `/usr/bin/time -f %M`." if with_rss else "")
        + f"{lastcomm_note}\n")
    lines.append("Checks:\n")
    lines += [f"- {line}" for line in check_lines]
    lines.append("")
    lines.append("| comparison | procaudit median ms | other median ms | ratio | target | met |")
    lines.append("|---|---:|---:|---|---|---|")
    for label, a, b, target in comparisons:
        pa_ms, other_ms = commands[a].median_ms(), commands[b].median_ms()
        ratio = other_ms / pa_ms
        target_text = f">= {target:g}x faster" if target is not None else "-"
        met_text = ("yes" if ratio >= target else "NO") if target is not None else "-"
        lines.append(f"| {label} | {pa_ms:.1f} | {other_ms:.1f} | {ratio:.2f}x faster | "
                     f"{target_text} | {met_text} |")
    lines.append("")
    lines.extend(command_table(commands.values(), with_rss=with_rss,
                               shorten=lambda text: text.replace(str(path), "FILE")))
    report = "\n".join(lines) + "\n"
    print(report)
    out = Path(args.output)
    write_section(out, "acct", report)
    print(f"written to {out} (section 'acct')", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
