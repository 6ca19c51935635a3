"""Shared helpers for the end-to-end tests that run the daemon, `procaudit --daemon --config
FILE` (test_daemon.py, test_privilege.py): why they skip here, reading its result logs, and
Daemon, one daemon process with its own logs and store."""
import json
import os
import signal
import subprocess
import time

from procaudit_e2e import HANG, SHELL, audit_skip_reason

KEY = "procaudit"  # the key of procaudit's audit rules
HOST_IDENTIFIER = "e2e-host"  # --host-identifier: every line of the result logs carries it


def keep_host_state(test):
    """Takes the host lock for test and checks, at its end, that process accounting and the audit
    state are as before; puts the audit state back (and fails the test) when they are not. Sets
    test.kept (AccountingKept: append the pids of daemons to it) and test.before."""
    from audit_sandbox import read_state, restore_state
    from test_acct_live import AccountingKept
    test.kept = AccountingKept()
    test.kept.__enter__()  # the host lock, and accounting checked at the end
    test.before = read_state()

    def check_restored():
        try:
            after = read_state()
            if after != test.before:
                errors = restore_state(test.before, [KEY])
                test.fail(f"the audit state was not restored: {test.before.diff(after)}"
                          + (f"; cleanup: {errors}" if errors else ""))
        finally:
            test.kept.__exit__(None, None, None)
    test.addCleanup(check_restored)


def root_skip_reason():
    """Why the daemon cannot be started here (it needs root and kernel audit); None if it can."""
    return audit_skip_reason(SHELL)


def read_log(path):
    """The JSON objects of a result log (every rotated file, oldest first; none before the
    first line is written)."""
    rows = []
    paths = sorted((p for p in os.listdir(os.path.dirname(path))
                    if p.startswith(os.path.basename(path))),
                   key=lambda p: -int(p.rsplit(".", 1)[1]) if p[-1].isdigit() else 0)
    for name in paths:
        with open(os.path.join(os.path.dirname(path), name), encoding="utf-8") as f:
            for line in f:
                rows.append(json.loads(line))
    return rows


class Daemon:
    """One daemon process with config, its own logs (and store) under directory, and its stderr
    in a file there; stopped at the test's end. extra: more options; store=False: --no-store;
    preexec_fn: run in the child before the exec; user: a uid (and gid) to run as instead, given
    the logs directory."""
    count = 0

    def __init__(self, test, directory, config, *extra, store=True, preexec_fn=None, user=None):
        Daemon.count += 1
        self.config = config
        self.logs = os.path.join(directory, "logs")
        self.store_dir = os.path.join(directory, "store")
        self.store = os.path.join(self.store_dir, "events.db")
        self.err_path = os.path.join(directory, f"daemon-{Daemon.count}.err")
        os.makedirs(self.logs, exist_ok=True)
        args = [SHELL, "--daemon", "--config", config, "--logger-path", self.logs,
                "--host-identifier", HOST_IDENTIFIER, *extra]
        args += ["--store", self.store] if store else ["--no-store"]
        if user is not None:
            os.chown(self.logs, user, user)
            args = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", "--",
                    *args]
        with open(self.err_path, "w") as err:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=err,
                                         preexec_fn=preexec_fn)
        test.addCleanup(self.kill)

    @property
    def pid(self):
        return self.proc.pid

    def stderr(self):
        with open(self.err_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def wait_for(self, what, predicate, detail=None):
        """Calls predicate() until it returns something true, and returns that. Fails when the
        daemon exits first, or after the hang guard (saying detail(), by default its stderr)."""
        deadline = time.monotonic() + HANG
        while True:
            value = predicate()
            if value:
                return value
            if self.proc.poll() is not None:
                raise AssertionError(f"the daemon exited {self.proc.returncode} waiting for "
                                     f"{what}: {self.stderr()}")
            if time.monotonic() >= deadline:
                raise AssertionError(f"no {what} in {HANG} s: "
                                     f"{detail() if detail else self.stderr()}")
            time.sleep(0.1)

    def wait_started(self):
        self.wait_for("start", lambda: "daemon started" in self.stderr())

    def results(self, name=None):
        """The lines of the results log so far (only query name's, given name)."""
        return [r for r in read_log(os.path.join(self.logs, "procaudit.results.log"))
                if name is None or r["name"] == name]

    def snapshots(self, name=None):
        """The lines of the snapshots log so far (only query name's, given name)."""
        return [r for r in read_log(os.path.join(self.logs, "procaudit.snapshots.log"))
                if name is None or r["name"] == name]

    def wait_results(self, what, predicate):
        """Re-reads the results log until predicate(its lines) is true; returns those lines."""
        rows = []

        def ready():
            rows[:] = self.results()
            return predicate(rows)
        self.wait_for(what, ready, lambda: f"results: {rows[-5:]!r}")
        return rows

    def privileges_line(self):
        """The one line of its stderr that says which capabilities it kept."""
        lines = [x for x in self.stderr().splitlines() if "privileges:" in x]
        if len(lines) != 1:
            raise AssertionError(f"not one privileges line: {self.stderr()}")
        return lines[0]

    def stop(self, signo=signal.SIGTERM):
        self.proc.send_signal(signo)
        return self.proc.wait(timeout=HANG)

    def kill(self):
        """A test's cleanup: a clean stop first (it restores the audit state), SIGKILL if that
        hangs."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=HANG)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=HANG)
