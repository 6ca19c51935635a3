"""Live BSD process accounting on this machine's kernel: procaudit turns accounting on into its
own file when it is off (own mode) and off again however it ends (end of input, SIGTERM, SIGINT,
SIGHUP, --follow, a one-shot query, the extension's connection closing), reads the file
accounting already writes without changing anything (shared mode), is cleaned up after by the
next start (or by `procaudit --clean-up`) when killed with SIGKILL, never touches accounting with
--no-acct or PROCAUDIT_ACCT=off, and says in one line what it lacks when unprivileged.

Needs root, fanotify and acct(2), and kernel audit (procaudit's live capture runs beside by
default); elsewhere every test is skipped with the reason printed. Each test holds the host lock
(audit_sandbox.host_lock) and checks, in a cleanup that runs even when the test failed, that
accounting writes where it did before (acct_sandbox.accounting_target: nowhere, on an idle host)
and that the audit state is as found. If not, the cleanup says so (the test fails) and puts
things back itself (accounting off again, the dead runs' state and files removed), so the next
test starts clean.
"""
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import time
import unittest

from procaudit_e2e import EXTENSION, SHELL, end_sessions, run, skip_for

from acct_sandbox import PrivateAccounting, SandboxUnavailable, accounting_target, set_accounting
from audit_sandbox import check_prerequisites, host_lock, read_state, restore_state
from live_procaudit import ExtensionSession, ShellSession

STATE_DIR = "/run/procaudit"    # where a run keeps what it must restore
OWN_DIR = "/var/lib/procaudit"  # procaudit's own accounting files
KEY = "procaudit"               # the key of the audit rules the live capture installs
HANG = 120.0                    # hang guard of every wait, seconds
ACCT_ROW = "SELECT acct_mode, acct_file FROM audit_status WHERE acct_mode IS NOT NULL"


def accounting_key():
    """(st_dev, st_ino) of the file accounting writes to now, or None when it is off."""
    target = accounting_target()
    if target is None:
        return None
    try:
        return target.key()
    finally:
        target.close()


def file_key(path):
    st = os.stat(path)
    return (st.st_dev, st.st_ino)


def own_file(pid):
    return os.path.join(OWN_DIR, f"acct.{pid}.pacct")


def state_file(pid):
    return os.path.join(STATE_DIR, f"acct.{pid}.state")


def pid_gone(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class AccountingKept:
    """Holds the host lock; on leaving, checks that accounting writes where it did on entering
    (also after a failure). When not, turns it off again if it was off, removes what the
    procaudit pids in `pids` (ours, dead by then) left in STATE_DIR and OWN_DIR, and returns
    the problem (None when all was kept). For suites that start procaudit as root."""

    def __init__(self):
        self.pids = []

    def __enter__(self):
        self.lock = host_lock(600)
        self.lock.__enter__()
        self.before = accounting_key()
        return self

    def check(self):
        after = accounting_key()
        problem = None
        if after != self.before:
            problem = f"process accounting writes to {after}, not {self.before} as before"
            if self.before is None:
                set_accounting(None)
        for pid in self.pids:
            if pid_gone(pid) and os.path.exists(state_file(pid)):
                problem = problem or f"procaudit pid {pid} left {state_file(pid)}"
                for path in (own_file(pid), state_file(pid)):
                    if os.path.exists(path):
                        os.unlink(path)
        return problem

    def __exit__(self, *exc):
        try:
            problem = self.check()
        finally:
            self.lock.__exit__(*exc)
        if problem and exc[0] is None:
            raise AssertionError(problem)
        return False


def skip_reason():
    try:
        check_prerequisites()
        accounting_key()
    except SandboxUnavailable as e:
        return e.reason
    except OSError as e:
        return f"cannot probe process accounting: {e}"
    if not os.path.exists(SHELL):
        return f"{SHELL} is not built"
    return None


class AcctTestCase(unittest.TestCase):
    """Holds the host lock; at the end (also after a failure): our procaudit processes are gone,
    accounting writes where it did, and the audit state is what it was."""

    @classmethod
    def setUpClass(cls):
        skip_for(skip_reason(), "skipping the live accounting tests")

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="procaudit-acct-")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.kept = AccountingKept()
        self.kept.__enter__()
        self.addCleanup(self.kept.__exit__, None, None, None)
        self.before = self.kept.before
        self.audit_before = read_state()
        self.addCleanup(self.check_audit_restored)
        self.sessions = []
        self.addCleanup(end_sessions, self.sessions)  # runs first: cleanups go last in, first out

    def shell(self, *args, env=None):
        session = ShellSession(SHELL, args, env=env)
        self.sessions.append(session)
        self.kept.pids.append(session.pid)
        return session

    def extension(self, env=None):
        session = ExtensionSession(EXTENSION, env=env)
        self.sessions.append(session)
        self.kept.pids.append(session.pid)
        return session

    def spawn(self, *args):
        proc = subprocess.Popen([SHELL, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        self.sessions.append(proc)
        self.kept.pids.append(proc.pid)
        return proc

    def check_audit_restored(self):
        after = read_state()
        if after == self.audit_before:
            return
        left = restore_state(self.audit_before, (KEY,))
        for pid in self.kept.pids:
            path = os.path.join(STATE_DIR, f"live.{pid}.state")
            if pid_gone(pid) and os.path.exists(path):
                os.unlink(path)
        self.fail(f"the audit state differs from before the test: {self.audit_before.diff(after)}"
                  + (f"; the cleanup could not restore it either: {left}" if left else ""))

    def assertOwnMode(self, session):
        """session's procaudit turned accounting on into its own file; returns the file."""
        path = own_file(session.pid)
        self.assertEqual(session.query(ACCT_ROW), [{"acct_mode": "own", "acct_file": path}])
        self.assertEqual(accounting_key(), file_key(path), "accounting does not write its file")
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(OWN_DIR).st_mode), 0o700)
        self.assertTrue(os.path.exists(state_file(session.pid)), "no state file while it runs")
        return path

    def assertGivenBack(self, pid, what):
        self.assertEqual(accounting_key(), self.before, f"accounting after {what}")
        self.assertFalse(os.path.exists(own_file(pid)), f"its file is left after {what}")
        self.assertFalse(os.path.exists(state_file(pid)), f"its state is left after {what}")

    def requireAccountingOff(self):
        if self.before is not None:
            self.skipTest(f"process accounting is on (into {self.before}): not borrowing it")


class OwnModeTest(AcctTestCase):
    """Accounting off: procaudit turns it on into /var/lib/procaudit/acct.PID.pacct and off again."""

    def setUp(self):
        super().setUp()
        self.requireAccountingOff()

    def test_every_way_out_gives_accounting_back(self):
        for way, status in (("end of input", 0), ("SIGTERM", 143), ("SIGINT", 130),
                            ("SIGHUP", 129)):
            with self.subTest(way=way):
                s = self.shell()
                self.assertOwnMode(s)
                if way == "end of input":
                    s.close_input()
                    self.assertEqual(s.wait(HANG), status, s.stderr)
                else:
                    self.assertEqual(s.stop(getattr(signal, way), HANG), status, s.stderr)
                self.assertGivenBack(s.pid, way)
                self.assertNotIn("accounting", s.stderr)

    def test_exits_of_the_session_are_in_acct_exits(self):
        s = self.shell()
        self.assertOwnMode(s)
        sleeper = subprocess.Popen(["/bin/sleep", "1000"])
        self.addCleanup(lambda: sleeper.poll() is None and sleeper.kill())
        sleeper.send_signal(signal.SIGKILL)  # by pid: the one we started
        sleeper.wait()
        three = subprocess.Popen(["/bin/sh", "-c", "exit 3"])
        self.assertEqual(three.wait(), 3)
        self.assertEqual(s.query(f"SELECT pid, signal, exit_code FROM acct_exits "
                                 f"WHERE pid = {sleeper.pid}"),
                         [{"pid": sleeper.pid, "signal": 9, "exit_code": None}])
        rows = s.query(f"SELECT pid, signal, exit_code FROM acct_exits WHERE pid = {three.pid}")
        self.assertEqual(rows, [{"pid": three.pid, "signal": None, "exit_code": 3}])
        s.stop(signal.SIGTERM, HANG)
        self.assertGivenBack(s.pid, "SIGTERM")

    def test_one_shot_starts_on_first_use_and_gives_back(self):
        looking = self.spawn("--json", ACCT_ROW)
        out, err = looking.communicate(timeout=HANG)
        self.assertEqual((looking.returncode, json.loads(out), err), (0, [], ""),
                         "audit_status started live accounting")
        proc = self.spawn("--json", "SELECT count(*) >= 0 AS ok FROM acct_exits", ACCT_ROW)
        out, err = proc.communicate(timeout=HANG)
        self.assertEqual((proc.returncode, err), (0, ""))
        results = [json.loads(part) for part in re.split(r"(?<=\])\s*(?=\[)", out.strip())]
        self.assertEqual(results, [[{"ok": 1}], [{"acct_mode": "own",
                                                  "acct_file": own_file(proc.pid)}]])
        self.assertGivenBack(proc.pid, "a one-shot query")

    def test_follow_starts_it_at_once_and_gives_back_on_sigterm(self):
        proc = self.spawn("--follow", "--json", "SELECT pid, signal FROM acct_exits")
        deadline = time.monotonic() + HANG
        while not os.path.exists(own_file(proc.pid)) or accounting_key() != file_key(
                own_file(proc.pid)):
            if proc.poll() is not None:
                self.fail(f"--follow ended ({proc.returncode}): {proc.stderr.read()}")
            self.assertLess(time.monotonic(), deadline, "--follow did not turn accounting on")
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=HANG)
        self.assertEqual(proc.returncode, 0, err)
        self.assertGivenBack(proc.pid, "--follow ended with SIGTERM")

    def test_extension_starts_on_first_use_and_gives_back_at_close(self):
        e = self.extension()
        self.assertEqual(e.query(ACCT_ROW), [])
        self.assertEqual(accounting_key(), self.before, "loading the extension changed it")
        e.query("SELECT count(*) FROM acct_exits")
        self.assertOwnMode(e)
        e.close()
        self.assertIsNone(e.proc.poll(), "the process ended at close")
        self.assertGivenBack(e.pid, "conn.close(), the process still running")
        e.close_input()
        self.assertEqual(e.wait(HANG), 0, e.stderr)

    def test_audit_mode_off_with_acct_runs_it_without_the_capture(self):
        s = self.shell("--audit-mode", "off", "--acct")
        self.assertOwnMode(s)
        self.assertEqual(s.query("SELECT role, mode FROM audit_status"),
                         [{"role": "kernel", "mode": "kernel"}])
        self.assertEqual(read_state(), self.audit_before, "the audit state changed")
        s.close_input()
        self.assertEqual(s.wait(HANG), 0, s.stderr)
        self.assertGivenBack(s.pid, "end of input")


class CrashTest(AcctTestCase):
    """A run killed with SIGKILL leaves accounting on into its file; the next start turns it off
    (saying so in one line), removes the file and the state, and starts afresh."""

    def test_next_start_after_sigkill_turns_the_dead_runs_accounting_off(self):
        self.requireAccountingOff()
        # Without the live capture: what a killed capture leaves is test_audit_live's.
        first = self.shell("--audit-mode", "off", "--acct")
        killed = self.assertOwnMode(first)
        self.assertEqual(first.stop(signal.SIGKILL), -signal.SIGKILL)
        self.assertEqual(accounting_key(), file_key(killed), "accounting after SIGKILL")
        self.assertTrue(os.path.exists(state_file(first.pid)))

        second = self.shell("--audit-mode", "off", "--acct")
        self.assertOwnMode(second)
        self.assertFalse(os.path.exists(killed), "the killed run's file is left")
        self.assertFalse(os.path.exists(state_file(first.pid)), "the killed run's state is left")
        second.close_input()
        self.assertEqual(second.wait(HANG), 0, second.stderr)
        self.assertEqual(second.stderr,
                         f"procaudit: warning: cleaned up after procaudit pid {first.pid}, which "
                         f"was killed: turned process accounting off (it was writing to "
                         f"{killed})\n")
        self.assertGivenBack(second.pid, "the second run's end")


    def test_clean_up_undoes_a_killed_run_without_starting_one(self):
        """`procaudit --clean-up`: what the next start would undo (accounting, rules, audit pid,
        settings, state files), done at once, the run named; a second one finds nothing."""
        self.requireAccountingOff()
        first = self.shell()  # the live capture and live accounting
        killed = self.assertOwnMode(first)
        self.assertEqual(first.stop(signal.SIGKILL), -signal.SIGKILL)
        self.assertEqual(accounting_key(), file_key(killed), "accounting after SIGKILL")
        live_state = os.path.join(STATE_DIR, f"live.{first.pid}.state")
        self.assertTrue(os.path.exists(live_state), "the killed capture left no state")

        r = run([SHELL, "--clean-up"], timeout=HANG)
        self.assertEqual((r.returncode, r.stdout),
                         (0, f"cleaned up: killed procaudit pid {first.pid}\n"), r.stderr)
        self.assertIn(f"procaudit: warning: cleaned up after procaudit pid {first.pid}, which "
                      f"was killed: turned process accounting off (it was writing to {killed})\n",
                      r.stderr)
        self.assertEqual(read_state(), self.audit_before, "the audit state after --clean-up")
        self.assertGivenBack(first.pid, "--clean-up")
        self.assertFalse(os.path.exists(live_state), "the killed capture's state is left")

        again = run([SHELL, "--clean-up"], timeout=HANG)
        self.assertEqual((again.returncode, again.stdout, again.stderr),
                         (0, "nothing to clean up: no killed procaudit run left anything\n", ""))


class SharedModeTest(AcctTestCase):
    """Accounting on into a file (here a private one, acct_sandbox.PrivateAccounting): procaudit
    reads it and never changes accounting, on exit or when killed."""

    def test_reads_the_file_accounting_writes_and_leaves_it_on(self):
        self.requireAccountingOff()  # the sandbox borrows accounting only when it is off
        pacct = os.path.join(self.tmp, "pacct")
        with PrivateAccounting(pacct):
            on = accounting_key()
            self.assertEqual(on, file_key(pacct))
            # SIGKILL without the live capture: what a killed capture leaves is
            # test_audit_live's.
            for end, args in (("SIGTERM", ()), ("SIGKILL", ("--audit-mode", "off", "--acct"))):
                with self.subTest(end=end):
                    s = self.shell(*args)
                    # Not a well-known path: read through the descriptor the probe received.
                    rows = s.query(ACCT_ROW)
                    self.assertEqual(len(rows), 1, rows)
                    self.assertEqual(rows[0]["acct_mode"], "shared")
                    self.assertRegex(rows[0]["acct_file"], rf"^/proc/{s.pid}/fd/\d+$")
                    self.assertEqual(file_key(rows[0]["acct_file"]), on)
                    self.assertFalse(os.path.exists(state_file(s.pid)), "a state in shared mode")
                    sleeper = subprocess.Popen(["/bin/sleep", "1000"])
                    sleeper.kill()
                    sleeper.wait()
                    self.assertEqual(s.query(f"SELECT pid, signal FROM acct_exits WHERE pid = "
                                             f"{sleeper.pid}"), [{"pid": sleeper.pid, "signal": 9}])
                    s.stop(getattr(signal, end), HANG)
                    self.assertEqual(accounting_key(), on, f"accounting after {end}")
            # The next start has nothing of the killed one's to clean up.
            s = self.shell()
            self.assertEqual(s.query(ACCT_ROW)[0]["acct_mode"], "shared")
            s.close_input()
            self.assertEqual(s.wait(HANG), 0, s.stderr)
            self.assertEqual(s.stderr, "")
            self.assertEqual(accounting_key(), on)
        self.assertEqual(accounting_key(), self.before)


class NoAcctTest(AcctTestCase):
    """--no-acct and PROCAUDIT_ACCT=off: accounting is never touched, off or on."""

    def check_untouched(self, expected):
        s = self.shell("--no-acct")
        self.assertEqual(s.query(ACCT_ROW), [])
        subprocess.run(["/bin/true"])
        self.assertEqual(accounting_key(), expected)
        s.close_input()
        self.assertEqual(s.wait(HANG), 0, s.stderr)
        e = self.extension(env=dict(os.environ, PROCAUDIT_ACCT="off"))
        if not os.path.exists("/var/log/account/pacct"):
            with self.assertRaisesRegex(AssertionError, "no accounting file"):
                e.query("SELECT count(*) FROM acct_exits")
        self.assertEqual(e.query(ACCT_ROW), [])
        self.assertEqual(accounting_key(), expected)
        e.close_input()
        self.assertEqual(e.wait(HANG), 0, e.stderr)
        self.assertEqual(accounting_key(), expected)

    def test_off_stays_off(self):
        self.requireAccountingOff()
        self.check_untouched(None)

    def test_on_stays_on_into_its_file(self):
        self.requireAccountingOff()
        pacct = os.path.join(self.tmp, "pacct")
        with PrivateAccounting(pacct):
            self.check_untouched(file_key(pacct))


class UnprivilegedTest(AcctTestCase):
    """As nobody, live accounting is refused in one line naming the capability it needs, and
    only when asked for: by default it is root's."""

    def as_nobody(self, *args, **kwargs):
        return run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", SHELL, *args],
                   timeout=HANG, **kwargs)

    def setUp(self):
        super().setUp()
        if shutil.which("setpriv") is None:
            self.skipTest("setpriv (util-linux) is not installed")

    def test_acct_names_the_missing_capability_in_one_line(self):
        for args, kwargs in (((), {"input": "SELECT 1;\n"}),
                             (("SELECT count(*) FROM acct_exits",), {})):
            with self.subTest(args=args):
                r = self.as_nobody("--acct", "--audit-mode", "off", *args, **kwargs)
                self.assertEqual(r.returncode, 1, r.stdout)
                self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
                self.assertRegex(r.stderr, r"CAP_SYS_(ADMIN|PACCT)")
                self.assertEqual(r.stdout, "")
        self.assertEqual(accounting_key(), self.before)

    def test_clean_up_names_what_is_missing_in_one_line(self):
        r = self.as_nobody("--clean-up")
        self.assertEqual((r.returncode, r.stdout), (1, ""))
        self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
        self.assertRegex(r.stderr, r"^procaudit: cleaning up the audit state: .*CAP_AUDIT_CONTROL")
        self.assertEqual(accounting_key(), self.before)

    def test_by_default_it_is_not_tried(self):
        r = self.as_nobody("--audit-mode", "off", input="SELECT 1;\n")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "1\n", ""))
        self.assertEqual(accounting_key(), self.before)


if __name__ == "__main__":
    unittest.main()
