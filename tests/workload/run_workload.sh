#!/bin/bash
# run_workload.sh MANIFEST [BINDIR]
#
# Runs every workload case once, in a fixed order, and writes a manifest of what ran to
# MANIFEST, so tests can find each case's rows in an audit log recorded meanwhile (see
# scripts/record-audit-fixtures and scripts/audit_sandbox.py). Quick (well under 2 s) and
# deterministic: no sleeps, every case waits for its processes.
#
# BINDIR holds the built programs (default: $PROCAUDIT_WORKLOAD_BIN, else this script's own
# directory, as in build/workload/). The cases run under $PROCAUDIT_WORKLOAD_DIR (default
# /tmp/procaudit-workload), which is emptied and recreated, and the programs run from a copy in
# its bin/, so paths in recorded logs are stable whatever the build directory.
#
# Manifest: one record per line, space-separated key=value, values never contain spaces.
#   workload=procaudit version=1 runner_pid=N dir=DIR bindir=DIR/bin built=BINDIR
#   case=NAME pid=N status=S [key=value ...]
# pid is the process the case started (its exec is the case's first record); status is its exit
# status as the shell saw it; the other keys come from the program (child pids and the like),
# see each program's comment. A case that cannot run here has skipped=REASON and no status.
# Cases, in order:
#   relative_exec  /bin/sh -c 'cd /usr/bin && exec ./true': pid execs /bin/sh (dash), then
#                  ./true: PATH item name="./true", cwd=/usr/bin
#   argv_torture   argv_echo with hard arguments (see below), cwd "DIR/procaudit dir é";
#                  argv_sha256 is the sha256 of the arguments, each followed by a NUL (argv[0]
#                  included), i.e. the kernel's argument block; cwd_hex is the cwd in hex
#   execveat       execveat_exec: execveat(dirfd, "true") and fexecve(/usr/bin/env)
#   fork_noexec    a child that never execs, exit 3
#   raw_fork       the fork and vfork syscalls, children exit 4 and 5
#   threads_exit   three threads exit (syscall exit), then exit_group(7)
#   deleted_exe    an executable unlinked while it runs
#   memfd_exec     fexecve of a memfd copy of /usr/bin/true
#   static32       a static i386 process: fork, execve /bin/true, exit 5
#   newpidns       births in a new pid namespace (clone returns namespace pids)
#   endings        children that exit 0, 1, 42, 255 and die by SIGKILL, SIGSEGV, SIGINT,
#                  SIGTERM, and a never-exec'd child killed by SIGKILL: NAME_pid=N
#                  NAME_status=S (the wait status) per child, see endings.c
set -u
export LC_ALL=C

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 MANIFEST [BINDIR]" >&2
  exit 2
fi
manifest=$1
bindir=${2:-${PROCAUDIT_WORKLOAD_BIN:-$(dirname "$(readlink -f "$0")")}}
bindir=$(readlink -f "$bindir")
if [ ! -x "$bindir/execveat_exec" ]; then
  echo "$0: no workload programs in $bindir (build the 'workload' target)" >&2
  exit 2
fi

dir=${PROCAUDIT_WORKLOAD_DIR:-/tmp/procaudit-workload}
marker=.procaudit-workload
if [ -e "$dir" ] && [ ! -e "$dir/$marker" ]; then
  echo "$0: $dir exists and is not a workload directory; not touching it" >&2
  exit 2
fi
rm -rf "$dir"
mkdir -p "$dir" && touch "$dir/$marker" || exit 2
dir=$(readlink -f "$dir")
out=$dir/.out
failed=0
# The programs run from a copy in DIR/bin: recorded paths do not depend on the build directory.
programs=()
for program in argv_echo deleted_exe endings execveat_exec fork_noexec memfd_exec newpidns \
               raw_fork static32 threads_exit; do
  [ -e "$bindir/$program" ] && programs+=("$bindir/$program")
done
mkdir "$dir/bin" && cp "${programs[@]}" "$dir/bin/" || exit 2
built=$bindir
bindir=$dir/bin

exec 3>"$manifest" || exit 2
cd "$dir" || exit 2  # every case's cwd is DIR (unless it changes it), whoever called us
echo "workload=procaudit version=1 runner_pid=$$ dir=$dir bindir=$bindir built=$built" >&3

# run_case NAME EXPECTED_STATUS COMMAND...: runs COMMAND in the background (so $! is the pid
# that execs it), waits, and writes the manifest line with the program's key=value output and
# $case_extra.
case_extra=
run_case() {
  local name=$1 expected=$2 pid status extra= line
  shift 2
  "$@" >"$out" &
  pid=$!
  wait "$pid"
  status=$?
  read -r -d '' extra <"$out"  # builtins only: no extra processes in the audit log
  extra=${extra//$'\n'/ }
  extra=${extra% }
  if [[ $extra == skipped=* ]]; then
    echo "case=$name pid=$pid $extra" >&3
    case_extra=
    return
  fi
  line="case=$name pid=$pid status=$status"
  [ -n "$extra" ] && line+=" $extra"
  echo "$line$case_extra" >&3
  case_extra=
  if [ "$status" != "$expected" ]; then
    echo "$0: case $name exited $status, expected $expected" >&2
    failed=1
  fi
}

# dash, not bash: bash's `exec ./true` (and a forked `./true` in a subshell) passes the
# resolved "/usr/bin/true" to execve, dash passes "./true" as written.
run_case relative_exec 0 /bin/sh -c 'cd /usr/bin && exec ./true'

# The argv torture: spaces, both quotes, a newline, a tab, a backslash, non-ASCII, an empty
# argument, one long plain argument (15599 bytes: longer than the kernel's 7500-byte chunk, so
# a1_len=... a1[0]=... a1[1]=...), and one long argument with spaces (8999 bytes, hex-encoded,
# so chunked too). The whole event needs several EXECVE records.
long_plain=$(seq -s, 10000 12599)
long_spaced=$(seq -s ' ' 20000 21499)
args=("$bindir/argv_echo" "$long_plain" "plain" "with space" 'double"quote' "single'quote"
      $'new\nline' $'tab\there' 'back\slash' "café" "日本語" "" "$long_spaced" "--last=1")
cwd="$dir/procaudit dir é"
mkdir -p "$cwd"
argv_sha256=$(printf '%s\0' "${args[@]}" | sha256sum)
cwd_hex=$(printf '%s' "$cwd" | od -An -v -tx1 | tr -d ' \n' | tr a-f A-F)
case_extra=" argv_sha256=${argv_sha256%% *} cwd_hex=$cwd_hex"
argv_torture() { cd "$cwd" && exec "${args[@]}"; }
run_case argv_torture 0 argv_torture

run_case execveat 0 "$bindir/execveat_exec"
run_case fork_noexec 0 "$bindir/fork_noexec"
run_case raw_fork 0 "$bindir/raw_fork"
run_case threads_exit 7 "$bindir/threads_exit"
run_case deleted_exe 0 "$bindir/deleted_exe" "$dir"
run_case memfd_exec 0 "$bindir/memfd_exec"
if [ -x "$bindir/static32" ]; then
  run_case static32 5 "$bindir/static32"
else
  echo "case=static32 skipped=not_built" >&3
fi
if [ "$(id -u)" = 0 ]; then
  run_case newpidns 0 "$bindir/newpidns"
else
  echo "case=newpidns skipped=not_root" >&3
fi
run_case endings 0 "$bindir/endings"

exec 3>&-
rm -f "$out"
exit $failed
