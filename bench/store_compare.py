#!/usr/bin/env python3
"""The durable store against its target: 20,000 execs/s written, disk per event, restart time.

    python3 bench/store_compare.py [--build-dir build] [--dir /var/tmp/procaudit-bench/store-bench]
        [--repetitions 3] [--output bench/results/latest.md]

Runs build/bench/store_bench once (every figure comes from that one run, side by side) with
--repetitions repetitions of each benchmark, and reports the medians over the repetitions:

  - the sustained write rate: 1,000,000 rows into a fresh store file, one Append (one
    transaction) per 20,000 rows, as the daemon's store thread writes one second of the target;
    for exec rows only (big-exec.log) and for the recorded storm's mix of forks, execs and
    exits (storm.log), whose execs/s is its rows/s times the share of exec rows;
  - the same with a thread filling the ring at the rate that carries 20,000 execs/s, the store
    writing once a second: the share of the time the store thread is busy, and that no row is
    evicted before it is written;
  - the disk per event: the file after a final checkpoint (main file + WAL) over its rows;
  - the load of 1,000,000 rows at a restart (EventDb::Open + LoadInto), from the page cache and
    with the file dropped from it first;
  - retention by size deleting the oldest 30% of that store.

The logs are those of bench/record_storm.py and bench/ring_memory.py, under
/var/tmp/procaudit-bench; without them store_bench falls back to the test fixtures (the report
says so). Writes the "store" section of --output. Exit status 0 whatever the targets say; 1 when
store_bench fails or a row went unstored.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import code_version, find_built, write_section  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
TARGET_EXECS = 20_000
SOURCES = {
    "exec": "exec rows only (`big-exec.log`)",
    "storm": "the storm's mix (`storm.log`)",
    "fixtures": "the test fixtures' rows",
}


def run_bench(bench: Path, store_dir: str, repetitions: int, out: Path) -> dict:
    argv = [str(bench), f"--dir={store_dir}", f"--benchmark_repetitions={repetitions}",
            f"--benchmark_out={out}", "--benchmark_out_format=json"]
    print("store_compare: " + " ".join(argv), file=sys.stderr)
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    if proc.returncode != 0:
        sys.exit(f"store_compare: store_bench failed ({proc.returncode})")
    return json.loads(out.read_text())


def medians(data: dict) -> dict[str, dict]:
    """The median aggregate of each benchmark (the only run when there is one repetition), by
    its name without the /iterations:N/manual_time suffixes, with the range of the
    repetitions' rows/s added as rate_min and rate_max."""
    out: dict[str, dict] = {}
    rates: dict[str, list[float]] = {}
    for b in data["benchmarks"]:
        name = b["run_name"].split("/iterations:")[0]
        if b.get("error_occurred"):
            sys.exit(f"store_compare: {name}: {b.get('error_message')}")
        if b.get("run_type") == "iteration":
            rates.setdefault(name, []).append(b["items_per_second"])
            out.setdefault(name, b)
        elif b.get("aggregate_name") == "median":
            out[name] = b
    for name, b in out.items():
        b["rate_min"], b["rate_max"] = min(rates[name]), max(rates[name])
    return out


def fmt(n: float) -> str:
    return f"{n:,.0f}"


def report(data: dict, m: dict[str, dict], commit: str, loads: tuple[float, float],
           repetitions: int) -> tuple[str, bool]:
    ctx = data["context"]
    sources = [s for s in SOURCES if f"BM_StoreAppend/{s}" in m]
    lines = ["# procaudit durable store: write path, disk, restart\n"]
    lines.append(
        f"{datetime.datetime.now().isoformat(timespec='seconds')}, {platform.node()}, Linux "
        f"{platform.release()}, {ctx.get('num_cpus', os.cpu_count())} CPUs, procaudit {commit}, "
        f"SQLite {ctx.get('sqlite', '?')}. `bench/store_compare.py`: one run of "
        f"`build/bench/store_bench`, {repetitions} repetition{'s' if repetitions != 1 else ''} of "
        f"each benchmark, medians. Store "
        f"files in `{ctx.get('store_dir')}` ({ctx.get('store_fs')}), WAL mode, "
        f"synchronous=NORMAL, as `EventDb::Open` makes them. Load average {loads[0]:.2f} before, "
        f"{loads[1]:.2f} after.\n")
    lines.append("Rows: replayed through the real pipeline once, then copied into a ring batch by "
                 "batch (not timed):\n")
    for s in sources:
        share = m[f"BM_StoreAppend/{s}"]["exec_share"]
        lines.append(f"- {s}: `{ctx.get('source_' + s)}`, {share * 100:.1f}% exec rows")
    lines.append("")

    ok = True
    rows = []
    for s in sources:
        a = m[f"BM_StoreAppend/{s}"]
        execs = a["execs_per_second"]
        ratio = execs / TARGET_EXECS
        rows.append(f"| a. sustained write, {SOURCES[s]}: execs/s (rows/s) | {fmt(execs)} "
                    f"({fmt(a['items_per_second'])}) | >= {fmt(TARGET_EXECS)} execs/s | "
                    f"{ratio:.1f}x the target | {'yes' if ratio >= 1 else 'NO'} |")
    for s in sources:
        f = m.get(f"BM_StoreAppendWhileFilling/{s}")
        if not f:
            continue
        unstored = int(f["unstored"])
        ok &= unstored == 0
        rows.append(f"| b. ring filled at 20,000 execs/s ({fmt(f['fill_rows_per_s'])} rows/s), "
                    f"{SOURCES[s]}: store thread busy, batch ms median / max, rows unstored | "
                    f"{f['busy'] * 100:.0f}%, {f['batch_ms_median']:.0f} / "
                    f"{f['batch_ms_max']:.0f} ms, {unstored} | < 100%, 0 unstored | - | "
                    f"{'yes' if f['busy'] < 1 and unstored == 0 else 'NO'} |")
    for s in sources:
        a = m[f"BM_StoreAppend/{s}"]
        rows.append(f"| c. disk per event, {SOURCES[s]}: bytes, = MB per million events | "
                    f"{a['bytes_per_event']:.0f} | reported | - | - |")
    for s in sources:
        warm, cold = m.get(f"BM_StoreLoad/{s}/cold:0"), m.get(f"BM_StoreLoad/{s}/cold:1")
        if warm and cold:
            n = warm["rows_loaded"]
            rows.append(f"| d. restart: load {fmt(n)} rows, {SOURCES[s]}: rows/s (s), file cached "
                        f"/ not | {fmt(warm['items_per_second'])} ({n / warm['items_per_second']:.1f}"
                        f" s) / {fmt(cold['items_per_second'])} "
                        f"({n / cold['items_per_second']:.1f} s) | reported | - | - |")
    for s in sources:
        r = m.get(f"BM_StoreRetention/{s}/percent:30")
        if r:
            rows.append(f"| e. retention by size, oldest 30% of that store ({fmt(r['rows_deleted'])}"
                        f" rows), {SOURCES[s]}: s (rows/s) | "
                        f"{r['rows_deleted'] / r['items_per_second']:.1f} "
                        f"({fmt(r['items_per_second'])}) | reported | - | - |")
    lines.append("| measure | procaudit | target | ratio | met |")
    lines.append("|---|---:|---|---|---|")
    lines += rows
    lines.append("")

    lines.append("Every benchmark (medians; batch = one Append of 20,000 rows, one transaction; "
                 "CPU: Append's own, on its thread; the rest of a batch's time waits for the "
                 "disk):\n")
    lines.append("| benchmark | rows/s | rows/s min - max | batch ms median | batch ms max | "
                 "CPU µs/row | bytes/row | WAL peak MB | file MB |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")

    def cell(b: dict, key: str, digits: int = 1) -> str:
        return f"{b[key]:.{digits}f}" if key in b else "-"
    for name, b in m.items():
        file_mb = b.get("file_MB", b.get("file_MB_after"))
        lines.append(f"| `{name}` | {fmt(b['items_per_second'])} | {fmt(b['rate_min'])} - "
                     f"{fmt(b['rate_max'])} | {cell(b, 'batch_ms_median')} "
                     f"| {cell(b, 'batch_ms_max')} | {cell(b, 'cpu_us_per_event', 2)} | "
                     f"{cell(b, 'bytes_per_event', 0)} | {cell(b, 'wal_peak_MB')} | "
                     f"{f'{file_mb:.0f}' if file_mb is not None else '-'} |")
    cpu = [m[f"BM_StoreAppend/{s}"]["cpu_us_per_event"] for s in sources]
    lines.append(f"\nAppend's own CPU is {min(cpu):.2f}-{max(cpu):.2f} µs a row, a ceiling of "
                 f"{fmt(1e6 / max(cpu))} rows/s on one core; the rest of a batch's time is the "
                 "WAL's writes and the checkpoints' fsync, which vary with the disk from run to "
                 "run (the min - max column). \"Not cached\" drops the file from this kernel's "
                 "page cache (posix_fadvise); a VM's host may still cache it.")
    return "\n".join(lines) + "\n", ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build-dir", default="build",
                    help="CMake build dir (relative to the current dir, else the repo)")
    ap.add_argument("--dir", default="/var/tmp/procaudit-bench/store-bench",
                    help="where the store files go: a real disk, not tmpfs")
    ap.add_argument("--repetitions", type=int, default=3,
                    help="repetitions of each benchmark; the report takes medians (3)")
    ap.add_argument("--output", default=str(REPO / "bench" / "results" / "latest.md"),
                    help="markdown file whose 'store' section gets the report")
    args = ap.parse_args()

    bench = find_built("store_compare.py", args.build_dir, "bench/store_bench") / "bench/store_bench"
    Path(args.dir).mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()[0]
    t0 = time.monotonic()
    data = run_bench(bench, args.dir, args.repetitions, Path(args.dir) / "store_bench.json")
    load_after = os.getloadavg()[0]
    print(f"store_compare: store_bench took {time.monotonic() - t0:.0f} s", file=sys.stderr)
    text, ok = report(data, medians(data), code_version(REPO), (load_before, load_after),
                      args.repetitions)
    print(text)
    write_section(Path(args.output), "store", text)
    print(f"written to {args.output} (section 'store')", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
