#!/usr/bin/env python3
"""Record real kernel audit logs with a private auditd, and leave the audit state as found.

The kernel audit subsystem is machine-wide: one enabled flag, one backlog limit, one rule list
and one "audit pid" (the process the kernel unicasts records to). PrivateAuditd borrows it for a
while, only when nobody owns it, and gives it back exactly as it was:

    from audit_sandbox import PrivateAuditd, SandboxUnavailable
    try:
        with PrivateAuditd("/tmp/work", key="procaudit_test", log_format="RAW") as audit:
            subprocess.run([...])             # everything matching the rules is recorded
        log = open(audit.log_path).read()     # complete: auditd flushed and stopped
    except SandboxUnavailable as e:
        raise unittest.SkipTest(e.reason)

What it does, in order:
  1. takes the host lock (host_lock(): an flock; a second PrivateAuditd on this host waits up
     to lock_timeout seconds, then SandboxUnavailable);
  2. refuses (SandboxUnavailable) when not root, when auditctl/auditd are missing, when the
     kernel has no audit (or we may not control it), when the configuration is locked
     (enabled 2), when another process owns the audit pid, when rules tagged with our key are
     already loaded (a killed run's; the message says how to delete them) or when an auditd
     runs;
  3. saves `auditctl -s` and `auditctl -l` (and /var/run/auditd.pid, .state, which auditd
     writes and removes);
  4. starts a guard process (see below), writes a private auditd.conf into the work directory
     (log never rotated, no plugins, no disk-space actions) and starts `auditd -n -c WORKDIR`
     as a child, waiting until the kernel shows its pid as the audit pid;
  5. raises the backlog limit and adds the rules, each tagged with the key.
On leaving (normally, by an exception, or by SIGINT/SIGTERM/SIGHUP, whose handlers raise so that
the cleanup runs; further signals wait until it is done) it removes exactly its rules (one
`auditctl -d RULE -k KEY` each: `auditctl -D -k KEY` also deletes rules whose key only starts
with KEY), restores the backlog limit and the enabled flag, waits until the log
stops growing, stops its auditd by pid (SIGTERM, then SIGKILL), and checks that `auditctl -s`
and `auditctl -l` equal what it saved: SandboxRestoreError if not (even when the body raised;
the body's exception is chained).

If the recording process dies without cleaning up (SIGKILL, a crash), auditd gets SIGTERM from
the kernel (PR_SET_PDEATHSIG) and the guard -- a child in its own session that ignores
SIGINT/SIGTERM/SIGHUP and holds the host lock too -- sees its stdin close and does the same
restore, writing WORKDIR/guard.log.

check_prerequisites() raises SandboxUnavailable for what no waiting changes (not root, no
auditd, no kernel audit): tests call it to skip.

Also a command line:
    audit_sandbox.py --out FILE [--format raw|enriched] [--key K] [--workdir DIR] -- CMD ARGS...
records while CMD runs, copies the log to FILE and exits with CMD's status (77 when the sandbox
is unavailable, with the reason on stderr).

Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import ctypes
import errno
import fcntl
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

__all__ = [
    "PrivateAuditd", "SandboxUnavailable", "SandboxError", "SandboxRestoreError",
    "DEFAULT_KEY", "DEFAULT_SYSCALLS", "DEFAULT_RULES", "AuditState", "read_state",
    "check_prerequisites", "check_available", "host_lock", "LOCK_FD_ENV", "rules_with_key",
    "restore_state", "FILE_SYSCALLS", "file_syscalls", "file_rules",
]

DEFAULT_KEY = "procaudit_test"
# Process events: every exec, every birth, every end. Names auditctl accepts for both arches on
# x86_64 (clone3 and execveat exist in the i386 table too).
DEFAULT_SYSCALLS = ("execve", "execveat", "fork", "vfork", "clone", "clone3", "exit",
                    "exit_group")
# Rules without the key: PrivateAuditd appends `-k KEY` to each.
DEFAULT_RULES = tuple(
    ("-a", "always,exit", "-F", f"arch={arch}", "-S", ",".join(DEFAULT_SYSCALLS))
    for arch in ("b64", "b32"))

# File events (file_events): every call that opens, creates, truncates, renames, links or
# removes a file, or changes its mode or owner. The first group exists on x86_64 only (arm64
# and the other newer ABIs have just the *at forms), and auditctl refuses a name the arch lacks.
FILE_SYSCALLS_LEGACY = ("open", "creat", "rename", "link", "symlink", "unlink", "mkdir", "rmdir",
                        "mknod", "chmod", "chown", "lchown")
FILE_SYSCALLS = FILE_SYSCALLS_LEGACY + (
    "openat", "openat2", "truncate", "ftruncate", "renameat", "renameat2", "linkat",
    "symlinkat", "unlinkat", "mkdirat", "mknodat", "fchmod", "fchmodat", "fchown", "fchownat")


def file_syscalls(machine: str | None = None) -> tuple[str, ...]:
    """FILE_SYSCALLS that the 64-bit ABI of this machine (platform.machine()) has."""
    if (machine or platform.machine()) == "x86_64":
        return FILE_SYSCALLS
    return tuple(s for s in FILE_SYSCALLS if s not in FILE_SYSCALLS_LEGACY)


def file_rules(exe: str) -> list[list[str]]:
    """Rules (without the key) for the file syscalls of one executable, 64-bit ABI only."""
    return [["-a", "always,exit", "-F", "arch=b64", "-S", ",".join(file_syscalls()),
             "-F", f"exe={exe}"]]


# `auditctl -s` fields that are state (the others are counters the kernel moves by itself).
STATE_FIELDS = ("enabled", "failure", "pid", "rate_limit", "backlog_limit", "backlog_wait_time",
                "loginuid_immutable")
BACKLOG_LIMIT = 8192
# auditd writes and removes these itself; they are put back as found.
AUDITD_RUN_FILES = ("/var/run/auditd.pid", "/var/run/auditd.state")
LOCK_PATH = "/run/lock/procaudit-audit-sandbox.lock" if os.path.isdir("/run/lock") \
    else os.path.join(tempfile.gettempdir(), "procaudit-audit-sandbox.lock")
# A child process handed the lock descriptor (pass_fds) finds its number here and shares it.
LOCK_FD_ENV = "PROCAUDIT_AUDIT_LOCK_FD"
HANDLED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
PR_SET_PDEATHSIG = 1


class SandboxError(RuntimeError):
    """Recording failed (auditd would not start, a rule was refused, ...)."""


class SandboxUnavailable(SandboxError):
    """The sandbox cannot run here; `reason` says why. Callers skip."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class SandboxRestoreError(SandboxError):
    """The audit state after cleanup differs from the state saved before."""


class AuditState:
    """What `auditctl -s` (state fields only) and `auditctl -l` said."""

    def __init__(self, status: dict[str, str], rules: list[str]):
        self.status = status
        self.rules = rules

    def comparable(self) -> tuple:
        return tuple(self.status.get(f) for f in STATE_FIELDS), tuple(self.rules)

    def __eq__(self, other) -> bool:
        return isinstance(other, AuditState) and self.comparable() == other.comparable()

    def __repr__(self) -> str:
        fields = " ".join(f"{f}={self.status.get(f)!r}" for f in STATE_FIELDS)
        return f"AuditState({fields}, rules={self.rules!r})"

    def diff(self, other: "AuditState") -> str:
        out = [f"{f}: {self.status.get(f)!r} -> {other.status.get(f)!r}"
               for f in STATE_FIELDS if self.status.get(f) != other.status.get(f)]
        if self.rules != other.rules:
            out.append(f"rules: {self.rules!r} -> {other.rules!r}")
        return "; ".join(out) or "no difference"


def _auditctl(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(["auditctl", *args], capture_output=True, text=True, timeout=30,
                          check=False, stdin=subprocess.DEVNULL)
    if check and proc.returncode != 0:
        raise SandboxError(f"auditctl {' '.join(args)} failed ({proc.returncode}): "
                           f"{(proc.stderr or proc.stdout).strip()}")
    return proc


def read_status() -> dict[str, str]:
    """`auditctl -s` as a dict (loginuid_immutable keeps its whole value, e.g. '0 unlocked')."""
    proc = _auditctl("-s", check=False)
    if proc.returncode != 0:
        raise SandboxError(f"auditctl -s failed: {(proc.stderr or proc.stdout).strip()}")
    status = {}
    for line in proc.stdout.splitlines():
        name, _, value = line.strip().partition(" ")
        if name:
            status[name] = value.strip()
    if "enabled" not in status or "pid" not in status:
        raise SandboxError(f"cannot parse auditctl -s output: {proc.stdout!r}")
    return status


def read_rules() -> list[str]:
    proc = _auditctl("-l")
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    return [] if lines == ["No rules"] else lines


def read_state() -> AuditState:
    return AuditState(read_status(), read_rules())


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return "?"


def _rule_has_key(rule: str, key: str) -> bool:
    words = rule.split()
    return f"key={key}" in words or any(
        w == "-k" and i + 1 < len(words) and words[i + 1] == key for i, w in enumerate(words))


def rules_with_key(key: str, rules: list[str] | None = None) -> list[str]:
    """The rules (as `auditctl -l` prints them; the loaded ones by default) tagged with exactly
    `key` (not those whose key only starts with it)."""
    return [r for r in (read_rules() if rules is None else rules) if _rule_has_key(r, key)]


def restore_state(saved: AuditState, keys, timeout: float = 10.0) -> list[str]:
    """Best effort, for a test's cleanup when the program under test did not put the audit
    state back itself (its own restore is what the test checks; this only keeps the host clean
    for the next test). Deletes, each exactly, the loaded rules tagged with one of `keys` that
    `saved` does not list; sets backlog_limit, backlog_wait_time, rate_limit and failure back;
    waits up to `timeout` seconds for the kernel to drop an audit pid whose owner is gone (only
    the kernel resets it: when sending the next record fails, so each try logs a CONFIG_CHANGE);
    restores the enabled flag last. Returns what still differs from `saved` (empty: restored).
    The caller holds host_lock() and has ended the processes it started."""
    errors: list[str] = []
    now = read_state()
    for rule in now.rules:
        if rule not in saved.rules and any(_rule_has_key(rule, k) for k in keys):
            proc = _auditctl(*_delete_args(rule.split()), check=False)
            if proc.returncode != 0:
                errors.append(f"cannot delete {rule!r}: {(proc.stderr or proc.stdout).strip()}")
    for field, flag in (("backlog_limit", "-b"), ("backlog_wait_time", "--backlog_wait_time"),
                        ("rate_limit", "-r"), ("failure", "-f")):
        if read_status()[field] != saved.status[field]:
            _auditctl(flag, saved.status[field], check=False)
    deadline = time.monotonic() + timeout
    while True:
        pid = read_status()["pid"]
        if pid == saved.status["pid"] or time.monotonic() >= deadline:
            break
        if pid != "0" and not _process_gone(int(pid)):
            errors.append(f"the audit pid is {pid} ({_comm(int(pid))}), which still runs")
            break
        _auditctl("-r", saved.status["rate_limit"], check=False)  # a record to send
        time.sleep(0.1)
    if read_status()["enabled"] != saved.status["enabled"]:
        _auditctl("-e", saved.status["enabled"], check=False)
    after = read_state()
    if after != saved:
        errors.append(f"audit state differs: {saved.diff(after)}")
    return errors


def check_prerequisites() -> None:
    """What no waiting can change: root, the tools, a kernel with audit we may control, a
    configuration that is not locked. Raises SandboxUnavailable with the reason. Tests call
    this to decide whether to skip."""
    if os.geteuid() != 0:
        raise SandboxUnavailable("not root: recording kernel audit logs needs root")
    for tool in ("auditctl", "auditd"):
        if shutil.which(tool, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin") is None:
            raise SandboxUnavailable(f"{tool} is not installed (apt-get install auditd)")
    if not os.path.exists("/proc/self/loginuid"):
        raise SandboxUnavailable("the kernel has no audit support (no /proc/self/loginuid)")
    proc = _auditctl("-s", check=False)
    if proc.returncode != 0:
        msg = (proc.stderr or proc.stdout).strip()
        raise SandboxUnavailable(f"kernel audit not usable here (auditctl -s: {msg})")
    status = read_status()
    if status["enabled"] == "2":
        raise SandboxUnavailable("the audit configuration is locked (enabled 2, immutable)")


def check_available(key: str = DEFAULT_KEY) -> AuditState:
    """check_prerequisites(), and nobody owns the audit pid, no rules carry our key, no auditd
    runs. Raises SandboxUnavailable with the reason, or returns the current state."""
    check_prerequisites()
    status = read_status()
    pid = int(status["pid"])
    if pid != 0:
        if _pid_alive(pid):
            raise SandboxUnavailable(
                f"the audit pid is owned by pid {pid} ({_comm(pid)}); not taking it over")
        raise SandboxUnavailable(f"the audit pid is set to {pid}, which is gone; the kernel "
                                 "still holds it, not taking it over")
    rules = read_rules()
    ours = [r for r in rules if _rule_has_key(r, key)]
    if ours:
        raise SandboxUnavailable(
            f"rules tagged with key {key!r} are already loaded (a killed earlier run?): "
            f"{ours}; delete each with: "
            + "; ".join(f"auditctl {r.replace('-a ', '-d ', 1)}" for r in ours))
    for path in AUDITD_RUN_FILES[:1]:
        try:
            with open(path) as f:
                other = int(f.read().strip() or 0)
        except (OSError, ValueError):
            continue
        if other and _pid_alive(other) and _comm(other) == "auditd":
            raise SandboxUnavailable(f"an auditd is running (pid {other}, {path})")
    return AuditState(status, rules)


_host_lock_mutex = threading.Lock()
_host_lock_fd: int | None = None
_host_lock_depth = 0


def _acquire_host_lock(timeout: float) -> int:
    inherited = os.environ.get(LOCK_FD_ENV)
    if inherited:
        # Handed down by a parent that holds the lock: the same open file description, so
        # flock succeeds at once; a descriptor that is not the lock file is ignored.
        try:
            fd = int(inherited)
            st, want = os.fstat(fd), os.stat(LOCK_PATH)
            if (st.st_dev, st.st_ino) == (want.st_dev, want.st_ino):
                fd = os.dup(fd)
                os.set_inheritable(fd, False)
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
        except (ValueError, OSError):
            pass
    fd = os.open(LOCK_PATH, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except OSError as e:
                if e.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
            if time.monotonic() >= deadline:
                raise SandboxUnavailable(f"another PrivateAuditd holds {LOCK_PATH} for over "
                                         f"{timeout:.0f} s")
            time.sleep(0.1)
    except BaseException:
        os.close(fd)
        raise


@contextlib.contextmanager
def host_lock(timeout: float = 120.0):
    """Serializes the users of the audit state on this host (an flock on LOCK_PATH); yields
    the descriptor. Reentrant within a process, so a test can hold it around a PrivateAuditd to
    compare the state before and after without another recorder running in between. To share
    it with a child process (e.g. the audit_sandbox.py command line), pass the descriptor in
    pass_fds and its number in the environment variable PROCAUDIT_AUDIT_LOCK_FD."""
    global _host_lock_fd, _host_lock_depth
    with _host_lock_mutex:
        if _host_lock_depth == 0:
            _host_lock_fd = _acquire_host_lock(timeout)
        _host_lock_depth += 1
        fd = _host_lock_fd
    try:
        yield fd
    finally:
        with _host_lock_mutex:
            _host_lock_depth -= 1
            if _host_lock_depth == 0:
                os.close(_host_lock_fd)  # releases the flock unless a child shares it
                _host_lock_fd = None


def _auditd_preexec():
    # In the auditd child, before exec: SIGTERM it when the parent (thread) dies, and unblock
    # the signals the parent blocks around the fork (a blocked mask survives exec).
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, HANDLED_SIGNALS)


class _Interrupted(SystemExit):
    """Raised by our signal handlers so that `finally` blocks run; exits 128+signal."""


def _process_gone(pid: int) -> bool:
    """True when pid no longer runs (absent, or a zombie nobody reaped yet)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return True


def _delete_args(rule: list[str]) -> list[str]:
    """The auditctl arguments that delete exactly `rule` (add form: -a/-A LIST,ACTION or -w)."""
    flag = {"-a": "-d", "-A": "-d", "-w": "-W"}.get(rule[0]) if rule else None
    if flag is None:
        raise ValueError(f"rule {rule} must start with -a, -A or -w")
    return [flag, *rule[1:]]


def _remove_rules(key: str, rules: list[list[str]]) -> None:
    """Deletes exactly the rules we added, one by one. Not `auditctl -D -k KEY`: auditctl 3.0.9
    also deletes rules whose key merely starts with KEY (-D -k procaudit_test takes
    procaudit_test_other with it)."""
    for rule in rules:
        # Fails when the rule is already gone (a second pass by the guard): checked below.
        _auditctl(*_delete_args(rule), "-k", key, check=False)
    left = [r for r in read_rules() if _rule_has_key(r, key)]
    if left:
        raise SandboxError(f"rules with key {key!r} remain: {left}")


def _restore(key: str, rules: list[list[str]], saved: AuditState,
             run_files: dict[str, bytes | None], auditd_pid: int | None, stop_auditd,
             flush=None) -> list[str]:
    """Puts the audit state back as `saved`; returns what could not be restored.

    Every step runs even when an earlier one failed, and every step is idempotent: the guard
    may run it again after the recording process died halfway through its own cleanup.
    """
    errors: list[str] = []

    def step(what, fn):
        try:
            fn()
        except Exception as e:  # noqa: BLE001 -- keep restoring the rest
            errors.append(f"{what}: {e}")

    def restore_field(field: str, flag: str):
        want = saved.status[field]
        if read_status()[field] != want:
            _auditctl(flag, want)

    def wait_audit_pid():
        want = saved.status["pid"]
        deadline = time.monotonic() + 5
        while (now := read_status()["pid"]) != want:
            if time.monotonic() >= deadline:
                raise SandboxError(f"audit pid is {now}, not {want}, after auditd stopped")
            time.sleep(0.05)

    def restore_run_files():
        ours = f"{auditd_pid}\n".encode() if auditd_pid else None
        for path, content in run_files.items():
            try:
                with open(path, "rb") as f:
                    now = f.read()
            except FileNotFoundError:
                now = None
            if now == content:
                continue
            if content is None:
                if path.endswith(".pid") and now != ours:
                    raise SandboxError(f"{path} now holds {now!r}, not our auditd; left alone")
                os.unlink(path)
            else:
                with open(path, "wb") as f:
                    f.write(content)

    # Rules first: nothing more is recorded. Backlog and enabled while auditd still runs, so
    # their CONFIG_CHANGE records land in our log rather than in the kernel's printk buffer.
    step("remove rules", lambda: _remove_rules(key, rules))
    step("restore backlog_limit", lambda: restore_field("backlog_limit", "-b"))
    step("restore enabled", lambda: restore_field("enabled", "-e"))
    if flush is not None:
        step("wait for the log to settle", flush)
    if auditd_pid is not None:
        step("stop auditd", stop_auditd)
    # auditd 3.0.9 leaves the enabled flag as it is when it exits; check again anyway.
    step("restore enabled", lambda: restore_field("enabled", "-e"))
    step("wait for the audit pid", wait_audit_pid)
    step("restore auditd run files", restore_run_files)
    try:
        now = read_state()
        if now != saved:
            errors.append(f"audit state differs after cleanup: {saved.diff(now)}")
    except Exception as e:  # noqa: BLE001
        errors.append(f"cannot read the audit state after cleanup: {e}")
    return errors


def _stop_pid(pid: int, wait) -> None:
    """SIGTERM, then SIGKILL after 10 s; `wait(timeout)` returns True once pid has exited."""
    if wait(0):
        return
    os.kill(pid, signal.SIGTERM)
    if not wait(10):
        os.kill(pid, signal.SIGKILL)
        if not wait(10):
            raise SandboxError(f"auditd pid {pid} survives SIGKILL")


def _encode_files(files: dict[str, bytes | None]) -> dict[str, str | None]:
    return {k: None if v is None else base64.b64encode(v).decode() for k, v in files.items()}


def _decode_files(files: dict[str, str | None]) -> dict[str, bytes | None]:
    return {k: None if v is None else base64.b64decode(v) for k, v in files.items()}


def _guard_main() -> int:
    """The guard: a process in its own session that restores the state if the recording
    process dies without doing it (SIGKILL, a crash). It reads JSON lines on stdin: the saved
    state, then the auditd pid, then {"done": true} when the recorder has restored everything
    itself. End of input without "done" means the recorder is gone: restore. It holds a copy of
    the lock descriptor, so no other PrivateAuditd starts before it has finished."""
    for sig in HANDLED_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    config, auditd_pid = None, None
    for line in sys.stdin:
        msg = json.loads(line)
        if msg.get("done"):
            return 0
        if "saved" in msg:
            config = msg
        if "auditd_pid" in msg:
            auditd_pid = msg["auditd_pid"]
    if config is None:
        return 0
    saved = AuditState(config["saved"]["status"], config["saved"]["rules"])

    def wait(timeout):
        deadline = time.monotonic() + timeout
        while not _process_gone(auditd_pid):
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True

    def stop_auditd():
        # It got SIGTERM from PR_SET_PDEATHSIG when the recorder died; give it time first.
        if not wait(5) and _comm(auditd_pid) == "auditd":
            _stop_pid(auditd_pid, wait)

    errors = _restore(config["key"], config["rules"], saved, _decode_files(config["run_files"]),
                      auditd_pid, stop_auditd)
    report = (f"audit_sandbox guard: the recorder (key {config['key']}) died; restored the "
              f"audit state" + (f" except: {'; '.join(errors)}" if errors else "") + "\n")
    try:
        with open(os.path.join(config["workdir"], "guard.log"), "a") as f:
            f.write(report)
    except OSError:
        pass
    try:
        sys.stderr.write(report)
    except OSError:
        pass
    return 1 if errors else 0


class PrivateAuditd:
    """Context manager: a private auditd writing workdir/audit.log while the body runs.

    workdir: an existing or new directory (it gets auditd.conf, plugins.d/ and audit.log).
    key: the rule key; every rule gets `-k key`, and exactly those rules are removed at the end.
    log_format: "RAW" or "ENRICHED" (auditd.conf log_format).
    rules: sequence of auditctl argument lists without the key (default DEFAULT_RULES).
    backlog_limit: set while recording, the old value is restored.
    lock_timeout: seconds to wait for another PrivateAuditd on this host to finish.

    Attributes: log_path (workdir/audit.log; complete after the with block), auditd_pid,
    saved_state (AuditState). wait_flushed() waits until the log stops growing, to read it
    inside the block.
    """

    def __init__(self, workdir, key: str = DEFAULT_KEY, log_format: str = "RAW",
                 rules=DEFAULT_RULES, backlog_limit: int = BACKLOG_LIMIT,
                 lock_timeout: float = 120.0, start_timeout: float = 10.0):
        if log_format.upper() not in ("RAW", "ENRICHED"):
            raise ValueError(f"log_format must be RAW or ENRICHED, not {log_format!r}")
        if not key or any(c.isspace() or c in "\"'" for c in key) or len(key) > 31:
            raise ValueError(f"bad key {key!r}")
        self.workdir = os.path.abspath(os.fspath(workdir))
        self.key = key
        self.log_format = log_format.upper()
        self.rules = [[str(w) for w in r] for r in rules]
        for r in self.rules:
            if "-k" in r or any(w.startswith("key=") for w in r):
                raise ValueError(f"rule {r} carries its own key; PrivateAuditd adds -k {key}")
            _delete_args(r)  # ValueError unless it is a form we can delete exactly
        self.backlog_limit = backlog_limit
        self.lock_timeout = lock_timeout
        self.start_timeout = start_timeout
        self.log_path = os.path.join(self.workdir, "audit.log")
        self.conf_path = os.path.join(self.workdir, "auditd.conf")
        self.saved_state: AuditState | None = None
        self.auditd: subprocess.Popen | None = None
        self._guard: subprocess.Popen | None = None
        self._lock = None
        self._lock_fd: int | None = None
        self._run_files: dict[str, bytes | None] = {}
        self._old_handlers: dict[int, object] = {}

    # --- context manager ------------------------------------------------------------------
    def __enter__(self) -> "PrivateAuditd":
        self._install_signal_handlers()
        try:
            self._start()
        except BaseException:
            self._cleanup()
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        self._cleanup()
        return False

    @property
    def auditd_pid(self) -> int | None:
        return self.auditd.pid if self.auditd else None

    # --- start ----------------------------------------------------------------------------
    def _start(self):
        if os.geteuid() != 0:
            raise SandboxUnavailable("not root: recording kernel audit logs needs root")
        lock = host_lock(self.lock_timeout)  # others on this host finish first
        self._lock_fd = lock.__enter__()
        self._lock = lock
        self.saved_state = check_available(self.key)  # the state we restore
        self._save_run_files()
        self._write_config()
        self._start_guard()
        self._start_auditd()
        self._tell_guard({"auditd_pid": self.auditd.pid})
        _auditctl("-b", str(self.backlog_limit))
        for rule in self.rules:
            _auditctl(*rule, "-k", self.key)

    def _save_run_files(self):
        for path in AUDITD_RUN_FILES:
            try:
                with open(path, "rb") as f:
                    self._run_files[path] = f.read()
            except FileNotFoundError:
                self._run_files[path] = None

    def _write_config(self):
        os.makedirs(self.workdir, exist_ok=True)
        plugins = os.path.join(self.workdir, "plugins.d")
        os.makedirs(plugins, exist_ok=True)  # empty: no af_unix, no syslog plugin
        conf = {
            "local_events": "yes",
            "write_logs": "yes",
            "log_file": self.log_path,
            "log_group": "root",
            "log_format": self.log_format,
            "flush": "INCREMENTAL_ASYNC",
            "freq": "1",
            "max_log_file": "4096",            # MB; and never rotated anyway:
            "num_logs": "0",
            "max_log_file_action": "IGNORE",
            "priority_boost": "0",
            "name_format": "NONE",
            "space_left": "2",
            "space_left_action": "IGNORE",
            "admin_space_left": "1",
            "admin_space_left_action": "IGNORE",
            "disk_full_action": "IGNORE",
            "disk_error_action": "IGNORE",
            "distribute_network": "no",
            "q_depth": "2000",
            "overflow_action": "IGNORE",
            "max_restarts": "0",
            "plugin_dir": plugins,
            "end_of_event_timeout": "2",
        }
        if os.path.exists(self.log_path):
            os.unlink(self.log_path)  # a fresh log for each recording
        fd = os.open(self.conf_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
        with os.fdopen(fd, "w") as f:
            f.write("# written by scripts/audit_sandbox.py; private to one recording\n")
            for k, v in conf.items():
                f.write(f"{k} = {v}\n")
        os.chmod(self.conf_path, 0o640)  # auditd refuses a group/world-writable config

    def _start_guard(self):
        self._guard = subprocess.Popen(
            [sys.executable, "-I", os.path.abspath(__file__), "--guard"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
            start_new_session=True, pass_fds=(self._lock_fd,))
        self._tell_guard({"saved": {"status": self.saved_state.status,
                                    "rules": self.saved_state.rules},
                          "key": self.key, "rules": self.rules, "workdir": self.workdir,
                          "run_files": _encode_files(self._run_files)})

    def _tell_guard(self, msg: dict):
        self._guard.stdin.write(json.dumps(msg) + "\n")
        self._guard.stdin.flush()

    def _start_auditd(self):
        auditd = shutil.which("auditd", path="/usr/sbin:/sbin:" + os.environ.get("PATH", ""))
        stderr_path = os.path.join(self.workdir, "auditd.stderr")
        # No signal between the fork and self.auditd being set: we could not stop it then.
        on_main = threading.current_thread() is threading.main_thread()
        if on_main:
            old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, HANDLED_SIGNALS)
        try:
            with open(stderr_path, "wb") as err:
                self.auditd = subprocess.Popen(
                    [auditd, "-n", "-c", self.workdir], stdin=subprocess.DEVNULL,
                    stdout=err, stderr=err, close_fds=True, preexec_fn=_auditd_preexec)
        finally:
            if on_main:
                signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
        deadline = time.monotonic() + self.start_timeout
        while True:
            code = self.auditd.poll()
            if code is not None:
                owner = int(read_status()["pid"])
                with open(stderr_path, errors="replace") as f:
                    detail = f.read().strip()
                if owner != 0 and owner != self.auditd.pid:
                    raise SandboxUnavailable(f"pid {owner} ({_comm(owner)}) took the audit pid "
                                             "first; not taking it over")
                raise SandboxError(f"auditd exited with status {code} at start"
                                   + (f": {detail}" if detail else
                                      " (its messages go to syslog; 6 means a bad auditd.conf)"))
            if int(read_status()["pid"]) == self.auditd.pid:
                return
            if time.monotonic() >= deadline:
                raise SandboxError(f"auditd (pid {self.auditd.pid}) did not register as the "
                                   f"audit pid within {self.start_timeout} s")
            time.sleep(0.02)

    # --- while running --------------------------------------------------------------------
    def wait_flushed(self, settle: float = 0.3, timeout: float = 10.0) -> int:
        """Waits until the log has not grown for `settle` seconds; returns its size."""
        deadline = time.monotonic() + timeout
        last, since = -1, time.monotonic()
        while time.monotonic() < deadline:
            try:
                size = os.stat(self.log_path).st_size
            except FileNotFoundError:
                size = 0
            now = time.monotonic()
            if size != last:
                last, since = size, now
            elif now - since >= settle:
                break
            time.sleep(0.05)
        return last

    # --- cleanup --------------------------------------------------------------------------
    def _install_signal_handlers(self):
        if threading.current_thread() is not threading.main_thread():
            return  # signal handlers can only be set from the main thread

        def handler(signum, _frame):
            raise _Interrupted(128 + signum)

        for sig in HANDLED_SIGNALS:
            self._old_handlers[sig] = signal.signal(sig, handler)

    def _restore_signal_handlers(self):
        for sig, old in self._old_handlers.items():
            signal.signal(sig, old if old is not None else signal.SIG_DFL)
        self._old_handlers.clear()

    def _cleanup(self):
        # Signals wait until the state is restored (a second Ctrl-C must not cut the cleanup
        # short); they reach the caller's handlers at the end.
        on_main = threading.current_thread() is threading.main_thread()
        if on_main:
            old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, HANDLED_SIGNALS)
        errors: list[str] = []
        try:
            if self.saved_state is not None:
                errors = _restore(self.key, self.rules, self.saved_state, self._run_files,
                                  self.auditd_pid, self._stop_auditd,
                                  flush=self.wait_flushed if self.auditd else None)
            self._dismiss_guard(errors)
            if self._lock is not None:
                self._lock.__exit__(None, None, None)  # the guard's copy is closed by now
                self._lock, self._lock_fd = None, None
        finally:
            self._restore_signal_handlers()
            if on_main:
                signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
        if errors:
            # Raised even when the body (or the start) failed: a machine left in another audit
            # state matters more; the original exception is chained as __context__.
            raise SandboxRestoreError("; ".join(errors))

    def _stop_auditd(self):
        def wait(timeout):
            try:
                self.auditd.wait(timeout=timeout)
                return True
            except subprocess.TimeoutExpired:
                return False
        _stop_pid(self.auditd.pid, wait)

    def _dismiss_guard(self, errors: list[str]):
        if self._guard is None:
            return
        try:
            self._tell_guard({"done": True})
        except OSError:
            pass
        try:
            self._guard.stdin.close()
        except OSError:
            pass
        try:
            self._guard.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._guard.kill()  # by pid: our own child
            self._guard.wait()
            errors.append("the guard process did not exit")
        self._guard = None


# --- command line ---------------------------------------------------------------------------
def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--guard"]:
        return _guard_main()
    parser = argparse.ArgumentParser(
        description="Record the kernel audit log while CMD runs, with a private auditd, and "
                    "restore the audit state exactly. Exit status: CMD's; 77 if unavailable.",
        usage="%(prog)s --out FILE [--format raw|enriched] [--key K] [--workdir DIR] "
              "-- CMD ARGS...")
    parser.add_argument("--out", required=True, help="where to copy the recorded log")
    parser.add_argument("--format", choices=("raw", "enriched"), default="raw")
    parser.add_argument("--key", default=DEFAULT_KEY)
    parser.add_argument("--workdir", help="auditd's directory (default: a temporary one)")
    parser.add_argument("cmd", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        parser.error("no command given after --")

    workdir = args.workdir or tempfile.mkdtemp(prefix="procaudit-auditd.")
    child = None
    try:
        try:
            with PrivateAuditd(workdir, key=args.key, log_format=args.format.upper()) as audit:
                print(f"audit_sandbox: recording (auditd pid {audit.auditd_pid}, key "
                      f"{args.key}, log {audit.log_path})", file=sys.stderr, flush=True)
                try:
                    child = subprocess.Popen(cmd)
                    status = child.wait()
                finally:
                    if child is not None and child.poll() is None:
                        child.terminate()  # by pid: the one we started
                        try:
                            child.wait(timeout=5)
                        except subprocess.TimeoutExpired:
                            child.kill()
                            child.wait()
        except SandboxUnavailable as e:
            print(f"audit_sandbox: unavailable: {e.reason}", file=sys.stderr)
            return 77
        shutil.copyfile(audit.log_path, args.out)
        print(f"audit_sandbox: {os.path.getsize(args.out)} bytes to {args.out}",
              file=sys.stderr)
        return status if status >= 0 else 128 - status
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
