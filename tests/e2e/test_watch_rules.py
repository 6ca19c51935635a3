"""File rules on this machine's kernel: --watch-pid, --watch-exe, --watch-dir, --watch-all (and
PROCAUDIT_WATCH in the extension) load exactly their rules while procaudit runs, and every way out
leaves the audit state as it was: end of input, SIGTERM, and SIGKILL followed by the next start's
cleanup. Also: a watched directory removed mid-run, a capture beside another, beside auditd.

Needs root and kernel audit; elsewhere the live tests are skipped with the reason printed. Every
test holds the host lock and checks the audit state (auditctl -s state fields and auditctl -l)
at its end, even after a failure (test_audit_live.LiveTestCase). Waits have a hang guard only.
"""
import os
import signal
import subprocess
import sys
import time
import unittest

from procaudit_e2e import EXTENSION, SHELL, end_children, run
from test_audit_live import HANG, KEY, STATE_DIR, CoexistenceTest, LiveTestCase, real

from audit_sandbox import read_state, rules_with_key
from live_procaudit import ExtensionSession

# The file_events syscalls as auditctl -l names them; i386 adds its 32-bit-uid and large-file
# variants, which its C library calls instead.
FILE_SYSCALLS = frozenset((
    "open", "openat", "openat2", "creat", "truncate", "ftruncate", "rename", "renameat",
    "renameat2", "unlink", "unlinkat", "link", "linkat", "symlink", "symlinkat", "mkdir",
    "mkdirat", "rmdir", "mknod", "mknodat", "chmod", "fchmod", "fchmodat", "chown", "fchown",
    "lchown", "fchownat"))
B32_EXTRA = frozenset(("chown32", "fchown32", "lchown32", "truncate64", "ftruncate64"))


def libaudit_knows(name, arch):
    try:
        return run(["ausyscall", arch, name]).returncode == 0
    except OSError:  # no auditd package: the live tests skip
        return False


# Linux 6.6's fchmodat2, in the rules where this libaudit knows it.
B64_CALLS = FILE_SYSCALLS | {n for n in ("fchmodat2",) if libaudit_knows(n, "x86_64")}
B32_CALLS = FILE_SYSCALLS | B32_EXTRA | {n for n in ("fchmodat2",) if libaudit_knows(n, "i386")}


def parse_rule(line):
    """An auditctl -l line as (action, arch, syscalls, fields, key); fields: the -F fields
    other than arch and key, in order, as 'name=value' or 'name!=value'."""
    words = line.split()
    arch, syscalls, fields, key = None, frozenset(), [], None
    for flag, value in zip(words, words[1:]):
        if flag == "-S":
            syscalls = frozenset(value.split(","))
        elif flag == "-F" and value.startswith("arch="):
            arch = value[5:]
        elif flag == "-F" and value.startswith("key="):
            key = value[4:]
        elif flag == "-F":
            fields.append(value)
    return words[1], arch, syscalls, tuple(fields), key


def file_rules(rules):
    """Our loaded file rules (procaudit's key, an open in their syscalls), parsed."""
    return [parse_rule(r) for r in rules_with_key(KEY, rules)
            if {"open", "openat"} & parse_rule(r)[2]]


def expected(*fields):
    """The two rules (b64, b32) of one watch whose narrowing fields are `fields`."""
    return [("always,exit", "b64", B64_CALLS, fields, KEY),
            ("always,exit", "b32", B32_CALLS, fields, KEY)]


class WatchTestCase(LiveTestCase):
    """LiveTestCase with the helpers of file rules."""

    def setUp(self):
        super().setUp()
        self.children = []
        self.addCleanup(end_children, self.children)

    def shell(self, *args):
        """The shell without live accounting: these tests are about audit rules (test_acct_live
        covers accounting, SIGKILL included)."""
        return super().shell("--no-acct", *args)

    def sleeper(self):
        proc = subprocess.Popen(["/bin/sleep", "1000"])
        self.children.append(proc)
        return proc

    def capturing(self, session, mode="unicast"):
        """Waits (query round trip: a script-mode shell answers once its capture is set up)
        and returns the live audit_status row and the kernel's state read after it."""
        rows = session.query("SELECT mode, owner_pid, rules_installed, file_rules, process_rules "
                             f"FROM audit_status WHERE mode = '{mode}'")
        self.assertEqual(len(rows), 1, f"{rows}; stderr: {session.stderr!r}")
        return rows[0], read_state()

    def assertFileRules(self, state, want, others=()):
        """Exactly want (in any order) are our file rules; others: more expected besides."""
        got = file_rules(state.rules)
        self.assertCountEqual(got, [*want, *others], "\n".join(state.rules))

    def wait_killed_owner_released(self, pid):
        """The kernel drops a dead audit pid when sending it the next record fails."""
        deadline = time.monotonic() + HANG
        while read_state().status["pid"] == str(pid):
            self.assertLess(time.monotonic(), deadline, "the kernel kept the dead audit pid")
            subprocess.run(["/bin/true"])
            time.sleep(0.1)


class WatchRulesTest(WatchTestCase):
    """Each watch alone, its rules while procaudit runs, the state after each way out."""

    def test_watch_pid_until_end_of_input(self):
        target = self.sleeper()
        s = self.shell("--watch-pid", str(target.pid))
        row, state = self.capturing(s)
        self.assertFileRules(state, expected(f"pid={target.pid}"))
        self.assertEqual(row["file_rules"], f"pid={target.pid}")
        self.assertEqual(row["rules_installed"], len(rules_with_key(KEY, state.rules)))
        self.assertEqual(row["process_rules"], 1)
        s.close_input()
        self.assertEqual(s.wait(HANG), 0, s.stderr)
        self.assertEqual(s.stderr, "")
        self.assertStateIs(self.before, "after the end of input")

    def test_watch_exe_resolves_links_until_sigterm(self):
        # /bin/sh is a link (dash on Debian): the kernel compares the inode a process runs.
        s = self.shell("--watch-exe", "/bin/sh")
        row, state = self.capturing(s)
        self.assertFileRules(state, expected(f"exe={real('/bin/sh')}"))
        self.assertEqual(row["file_rules"], f"exe={real('/bin/sh')}")
        s.stop(signal.SIGTERM)
        self.assertEqual(s.stderr, "")
        self.assertStateIs(self.before, "after SIGTERM")

    def test_watch_dir_until_sigterm(self):
        s = self.shell("--watch-dir", self.tmp)
        row, state = self.capturing(s)
        self.assertFileRules(state, expected(f"dir={real(self.tmp)}"))
        self.assertEqual(row["file_rules"], f"dir={real(self.tmp)}")
        s.stop(signal.SIGTERM)
        self.assertEqual(s.stderr, "")
        self.assertStateIs(self.before, "after SIGTERM")

    def test_watch_all_has_no_narrowing_field(self):
        s = self.shell("--watch-all")
        row, state = self.capturing(s)
        self.assertFileRules(state, expected())
        self.assertEqual(row["file_rules"], "all")
        # The never-rule keeps procaudit's own calls (its /proc reads) out, first in the list.
        self.assertTrue(rules_with_key(KEY, state.rules)[0].startswith(
            f"-a never,exit -S all -F pid={s.pid} "), state.rules)
        s.stop(signal.SIGINT)
        self.assertStateIs(self.before, "after SIGINT")

    def test_several_watches_each_load_their_own_rules(self):
        target = self.sleeper()
        os.mkdir(os.path.join(self.tmp, "d"))
        d = real(os.path.join(self.tmp, "d"))
        s = self.shell("--watch-pid", str(target.pid), "--watch-dir", d, "--watch-exe",
                       "/usr/bin/true", "--watch-dir", d + "/")  # the same directory twice
        row, state = self.capturing(s)
        want = [*expected(f"pid={target.pid}"), *expected(f"dir={d}"),
                *expected("exe=/usr/bin/true")]
        self.assertFileRules(state, want)
        self.assertEqual(row["file_rules"], f"pid={target.pid} dir={d} exe=/usr/bin/true")
        self.assertEqual(len(set(state.rules)), len(state.rules), state.rules)
        s.stop(signal.SIGTERM)
        self.assertStateIs(self.before, "after SIGTERM")

    def test_directories_removed_mid_run_lose_their_rules_quietly(self):
        """The kernel drops a dir= rule when the directory goes, and an exe= rule when the
        executable's directory goes; procaudit's restore then has nothing to remove there."""
        d, e = os.path.join(self.tmp, "d"), os.path.join(self.tmp, "e")
        os.mkdir(d)
        os.mkdir(e)
        s = self.shell("--watch-dir", d, "--watch-exe", os.path.join(e, "prog"))
        row, state = self.capturing(s)
        self.assertEqual(row["file_rules"], f"dir={real(d)} exe={real(e)}/prog")
        self.assertEqual(len(file_rules(state.rules)), 4)
        os.rmdir(d)
        os.rmdir(e)
        s.poll("SELECT file_rules FROM audit_status WHERE mode = 'unicast'",
               lambda rows: rows == [{"file_rules": None}], timeout=HANG)
        self.assertEqual(file_rules(read_state().rules), [])
        s.stop(signal.SIGTERM)
        self.assertEqual(s.stderr, "", "a warning at restore")
        self.assertStateIs(self.before, "after SIGTERM")

    def test_next_start_after_sigkill_removes_the_file_rules(self):
        target = self.sleeper()  # still running at the cleanup: its pid= rule is stale all the same
        first = self.shell("--watch-pid", str(target.pid), "--watch-dir", self.tmp,
                           "--watch-exe", "/usr/bin/true")
        _, during = self.capturing(first)
        killed = rules_with_key(KEY, during.rules)
        self.assertEqual(len(file_rules(during.rules)), 6)
        self.assertEqual(first.stop(signal.SIGKILL), -signal.SIGKILL)
        self.assertEqual(rules_with_key(KEY, read_state().rules), killed, "the killed run's rules")
        self.assertTrue(os.path.exists(os.path.join(STATE_DIR, f"live.{first.pid}.state")))
        self.wait_killed_owner_released(first.pid)

        second = self.shell()  # no watches of its own
        _, state = self.capturing(second)
        self.assertFileRules(state, [])
        self.assertEqual(len(rules_with_key(KEY, state.rules)), 3, state.rules)
        second.stop(signal.SIGTERM)
        self.assertRegex(second.stderr, rf"cleaned up after procaudit pid {first.pid}, which was "
                                        r"killed: removed 9 stale rules")
        self.assertIsNone(target.poll())
        self.assertStateIs(self.before, "after the second run")
        self.assertFalse(os.path.exists(os.path.join(STATE_DIR, f"live.{first.pid}.state")))

    def test_cleanup_beside_a_running_capture_takes_only_the_dead_ones_rules(self):
        """A (unicast, dir=D1) runs; B (multicast beside it, adding its rules, dir=D2) is killed;
        C starts: B's rules go (they exclude B's pid, now gone), A's stay."""
        d1, d2 = os.path.join(self.tmp, "d1"), os.path.join(self.tmp, "d2")
        os.mkdir(d1)
        os.mkdir(d2)
        a = self.shell("--watch-dir", d1)
        _, with_a = self.capturing(a)
        b = self.shell("--audit-mode", "multicast", "--audit-rules", "add", "--watch-dir", d2)
        row, with_b = self.capturing(b, "multicast")
        self.assertEqual(row["file_rules"], f"dir={real(d2)}")
        # B's own calls are kept out by its file rules themselves: no never-rule in multicast.
        self.assertFileRules(with_b, expected(f"dir={real(d2)}", f"pid!={b.pid}"),
                             others=expected(f"dir={real(d1)}"))
        self.assertEqual(b.stop(signal.SIGKILL), -signal.SIGKILL)
        c = self.shell("--audit-mode", "multicast", "--audit-rules", "add")
        self.capturing(c, "multicast")
        self.assertStateIs(with_a, "after C's start: A's rules only")
        c.stop(signal.SIGTERM)
        self.assertIn(f"cleaned up after procaudit pid {b.pid}, which was killed: removed 2 "
                      "stale rules", c.stderr)
        self.assertStateIs(with_a, "after C stopped")
        a.stop(signal.SIGTERM)
        self.assertStateIs(self.before, "after A stopped")


# A workload started before procaudit and held on a pipe: it says `ready` once its interpreter is
# up, waits for a line, then does one file operation of each kind under DIR (absolute names,
# then relative to its cwd) and creates OUTSIDE/o, prints `done` and exits.
FILE_WORKLOAD = r"""
import os, sys
d, outside = sys.argv[1:]
print("ready", flush=True)
sys.stdin.readline()
os.close(os.open(f"{d}/a", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
os.close(os.open(f"{d}/a", os.O_RDONLY))
os.rename(f"{d}/a", f"{d}/b")
os.mkdir(f"{d}/sub")
os.rmdir(f"{d}/sub")
os.unlink(f"{d}/b")
try:
    os.open(f"{d}/missing", os.O_RDONLY)
except FileNotFoundError:
    pass
os.chdir(d)
os.close(os.open("rel", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
os.chmod("rel", 0o640)
os.unlink("rel")
os.close(os.open(f"{outside}/o", os.O_WRONLY | os.O_CREAT, 0o600))
print("done", flush=True)
"""


def workload_rows(d):
    """(operation, path, target, success, error) of each FILE_WORKLOAD operation, in order."""
    return [("create", f"{d}/a", None, 1, None),
            ("open_read", f"{d}/a", None, 1, None),
            ("rename", f"{d}/a", f"{d}/b", 1, None),
            ("mkdir", f"{d}/sub", None, 1, None),
            ("rmdir", f"{d}/sub", None, 1, None),
            ("unlink", f"{d}/b", None, 1, None),
            ("open_read", f"{d}/missing", None, 0, "ENOENT"),
            ("create", f"{d}/rel", None, 1, None),
            ("chmod", f"{d}/rel", None, 1, None),
            ("unlink", f"{d}/rel", None, 1, None)]


class WatchFileEventsTest(WatchTestCase):
    """What the watches make the kernel report reaches file_events: the workload's operations,
    each once, with its absolute path."""

    def run_workload(self, watch_pid):
        """Starts the workload (held), procaudit with --watch-dir DIR or --watch-pid WORKLOAD,
        releases the workload once procaudit captures, and returns its file_events rows once
        its exit and every operation expected are in (a hang guard, not a time limit), with
        those expected, as (operation, path, target, success, error)."""
        d, outside = (os.path.join(self.tmp, name) for name in ("work", "outside"))
        os.mkdir(d)
        os.mkdir(outside)
        d, outside = real(d), real(outside)
        w = subprocess.Popen(["/usr/bin/python3", "-c", FILE_WORKLOAD, d, outside],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.children.append(w)
        self.assertEqual(w.stdout.readline(), "ready\n")
        s = self.shell(*(("--watch-pid", str(w.pid)) if watch_pid else ("--watch-dir", d)))
        self.capturing(s)
        out, _ = w.communicate("go\n", timeout=HANG)
        self.assertEqual((w.returncode, out), (0, "done\n"))
        s.poll(f"SELECT count(*) AS n FROM process_events WHERE pid = {w.pid} "
               "AND syscall = 'exit_group'", lambda rows: rows[0]["n"] == 1, timeout=HANG)
        want = workload_rows(d)
        if watch_pid:
            want.append(("create", f"{outside}/o", None, 1, None))
        else:
            # The kernel matches dir= through the inodes a call reached: a name that does not
            # exist, opened without O_CREAT, reaches none under the directory.
            want = [r for r in want if r[3] == 1]
        sql = ("SELECT operation, path, target, success, error FROM file_events "
               f"WHERE pid = {w.pid} AND (path LIKE '{d}/%' OR path LIKE '{outside}/%') "
               "ORDER BY eid")
        rows = s.poll(sql, lambda rows: {tuple(r.values()) for r in rows} >= set(want),
                      timeout=HANG)
        keys = s.query(f"SELECT DISTINCT key FROM file_events WHERE pid = {w.pid}")
        s.stop(signal.SIGTERM)
        self.assertStateIs(self.before, "after SIGTERM")
        self.assertEqual(keys, [{"key": KEY}])
        return [tuple(r.values()) for r in rows], want

    def test_watch_dir_reports_every_operation_under_it_once(self):
        got, want = self.run_workload(watch_pid=False)
        self.assertEqual(got, want)  # and nothing outside the directory

    def test_watch_pid_reports_every_operation_of_the_process_once(self):
        got, want = self.run_workload(watch_pid=True)
        self.assertEqual(got, want)


class WatchExtensionTest(WatchTestCase):
    """PROCAUDIT_WATCH in the extension: the same rules, removed when the connection closes."""

    def test_environment_watches_load_on_first_use_and_go_at_close(self):
        target = self.sleeper()
        env = dict(os.environ, PROCAUDIT_WATCH=f" pid={target.pid}  dir={self.tmp} ",
                   PROCAUDIT_ACCT="off")
        e = ExtensionSession(EXTENSION, env=env)
        self.sessions.append(e)
        self.assertStateIs(self.before, "after load_extension alone")
        e.query("SELECT count(*) AS n FROM process_events")
        rows = e.query("SELECT file_rules FROM audit_status WHERE mode = 'unicast'")
        self.assertEqual(rows, [{"file_rules": f"pid={target.pid} dir={real(self.tmp)}"}])
        self.assertFileRules(read_state(), [*expected(f"pid={target.pid}"),
                                            *expected(f"dir={real(self.tmp)}")])
        e.close()
        self.assertStateIs(self.before, "after conn.close()")
        e.close_input()
        self.assertEqual(e.wait(HANG), 0, e.stderr)

    def test_bad_environment_fails_the_load_in_one_line(self):
        for value, message in (
                ("pid=abc", "procaudit: PROCAUDIT_WATCH: pid=abc: a process id is a positive "
                            "integer, not 'abc'"),
                ("dir=relative", "procaudit: PROCAUDIT_WATCH: dir=relative: needs an absolute "
                                 "path, not 'relative'"),
                ("uid=0", "procaudit: PROCAUDIT_WATCH: 'uid=0' is not a watch: use all, pid=PID, "
                          "exe=PATH or dir=DIR")):
            with self.subTest(value=value):
                r = run([sys.executable, "-c", LOAD_AND_PRINT_ERROR, EXTENSION],
                        env=dict(os.environ, PROCAUDIT_WATCH=value), timeout=HANG)
                # SQLite puts its own words before the extension's message
                self.assertEqual((r.returncode, r.stdout.strip(), r.stderr),
                                 (0, f"error during initialization: {message}", ""))
        r = run([sys.executable, "-c", LOAD_AND_PRINT_ERROR, EXTENSION],
                env=dict(os.environ, PROCAUDIT_WATCH="all", PROCAUDIT_AUDIT_MODE="multicast"),
                timeout=HANG)
        self.assertIn("never adds", r.stdout)
        self.assertStateIs(self.before)


LOAD_AND_PRINT_ERROR = r"""
import sqlite3, sys
conn = sqlite3.connect(":memory:")
conn.enable_load_extension(True)
try:
    conn.load_extension(sys.argv[1])
    print("loaded")
except sqlite3.Error as e:
    print(e)
"""


class WatchBesideAuditdTest(WatchTestCase):
    """A private auditd owns the audit pid: watches need --audit-rules add."""

    auditd = CoexistenceTest.auditd

    def test_auto_mode_warns_once_and_adds_nothing(self):
        with self.auditd() as audit:
            with_auditd = read_state()
            s = self.shell("--watch-dir", self.tmp)
            row, state = self.capturing(s, "multicast")
            self.assertEqual((row["owner_pid"], row["file_rules"]), (audit.auditd_pid, None))
            self.assertEqual(state, with_auditd)
            s.stop(signal.SIGTERM)
            warnings = s.stderr.splitlines()
            self.assertEqual(len(warnings), 1, s.stderr)
            self.assertIn(f"the file watches (dir={real(self.tmp)}) are not installed", s.stderr)
            self.assertIn("--audit-rules add", s.stderr)
            self.assertStateIs(with_auditd, "after procaudit stopped, auditd still running")
        self.assertStateIs(self.before, "after both stopped")

    def test_audit_rules_add_adds_file_rules_that_exclude_procaudit(self):
        with self.auditd() as audit:
            with_auditd = read_state()
            s = self.shell("--audit-rules", "add", "--watch-dir", self.tmp)
            row, state = self.capturing(s, "multicast")
            self.assertEqual((row["owner_pid"], row["file_rules"]),
                             (audit.auditd_pid, f"dir={real(self.tmp)}"))
            self.assertFileRules(state, expected(f"dir={real(self.tmp)}", f"pid!={s.pid}"))
            self.assertEqual([r for r in state.rules if r not in rules_with_key(KEY, state.rules)],
                             with_auditd.rules)
            s.stop(signal.SIGTERM)
            self.assertStateIs(with_auditd, "after procaudit stopped, auditd still running")
        self.assertStateIs(self.before, "after both stopped")


class WatchOptionErrorsTest(unittest.TestCase):
    """Refused at once, in one line, before anything touches the audit subsystem."""

    def test_bad_watches_and_combinations_are_one_line_errors(self):
        for args, message in (
                (["--watch-pid", "abc"], "--watch-pid: a process id is a positive integer, "
                                         "not 'abc'"),
                (["--watch-dir", "/no/such/dir"], "--watch-dir: /no/such/dir: No such file or "
                                                  "directory"),
                (["--watch-exe", "true"], "--watch-exe: needs an absolute path, not 'true'"),
                (["--watch-all", "--audit-mode", "off"], "--watch-all installs kernel rules for "
                                                         "the live capture, which --audit-mode "
                                                         "off turns off"),
                (["--watch-all", "--audit-log", "/dev/null", "SELECT 1"],
                 "--watch-all installs kernel rules for the live capture; it does nothing for "
                 "--audit-log (select recorded events with SQL instead: WHERE path LIKE "
                 "'/etc/%')"),
                (["--watch-all", "--audit-mode", "multicast"],
                 "--watch-all needs procaudit's own rules, which --audit-mode multicast adds "
                 "only with --audit-rules add (the audit pid's owner then logs these calls "
                 "too)")):
            with self.subTest(args=args):
                r = run([SHELL, *args], timeout=HANG)
                self.assertEqual((r.returncode, r.stdout, r.stderr),
                                 (2, "", f"procaudit: {message} (see procaudit --help)\n"))


if __name__ == "__main__":
    unittest.main()
