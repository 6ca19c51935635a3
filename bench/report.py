"""Shared by the comparison scripts: find the built programs, and write one script's report as
a section of a markdown file.

bench/results/latest.md holds the report of compare.py (section "proc") and of
compare_audit.py (section "audit"); each script replaces only its own section, between
`<!-- NAME: begin -->` and `<!-- NAME: end -->`, and appends it when it is not there yet.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# What the measured binaries are built from; bench/results/ and the scripts do not count.
CODE_PATHS = ("CMakeLists.txt", "src", "tables", "include", "specs", "bench/CMakeLists.txt",
              "bench/*.c", "bench/*.cc")


def find_built(script: str, build_dir: str, *programs: str) -> Path:
    """The resolved build directory holding programs (paths relative to it): build_dir relative
    to the current directory, else to the repository. Exits with one line naming the first
    program missing."""
    build = Path(build_dir)
    if not build.is_absolute() and not (build / programs[0]).exists():
        build = REPO / build_dir
    build = build.resolve()
    for program in programs:
        if not os.access(build / program, os.X_OK):
            sys.exit(f"{script}: {build / program} missing: cmake --build {build_dir}")
    return build


def code_version(repo: Path) -> str:
    """The commit, plus "+uncommitted" when the code the binaries are built from differs."""
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", "-C", str(repo), *args], capture_output=True,
                                  text=True, timeout=30).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return ""
    commit = git("rev-parse", "--short", "HEAD") or "?"
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", *CODE_PATHS)
    return commit + ("+uncommitted" if dirty else "")


def write_section(path: Path, name: str, text: str) -> None:
    begin, end = f"<!-- {name}: begin -->", f"<!-- {name}: end -->"
    block = f"{begin}\n{text.rstrip()}\n{end}\n"
    old = path.read_text() if path.exists() else ""
    start, stop = old.find(begin), old.find(end)
    if start >= 0 and stop > start:
        rest = old[stop + len(end):].lstrip("\n")
        new = old[:start] + block + ("\n" + rest if rest else "")
    else:
        new = (old.rstrip("\n") + "\n\n" if old.strip() else "") + block
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new)


def command_table(commands, with_rss: bool, shorten=lambda text: text) -> list[str]:
    """The "every command" table of a report: wall median and min, CPU, and peak RSS if asked.
    shorten rewrites each shown command line (e.g. a long log path to LOG)."""
    rss_head = "; peak RSS MB: median" if with_rss else ""
    lines = [f"Every command (wall ms: median, min; CPU ms user+sys: median{rss_head}):\n",
             "| command | median ms | min ms | CPU ms |" + (" peak RSS MB |" if with_rss else ""),
             "|---|---:|---:|---:|" + ("---:|" if with_rss else "")]
    for cmd in commands:
        shown = shorten(" ".join(Path(x).name if i == 0 else (f'"{x}"' if " " in x else x)
                                 for i, x in enumerate(cmd.argv)))
        row = f"| `{shown}` | {cmd.median_ms():.1f} | {cmd.min_ms():.1f} | {cmd.cpu_ms():.1f} |"
        lines.append(row + (f" {cmd.rss_mb():.1f} |" if with_rss else ""))
    return lines
