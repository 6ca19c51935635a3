"""Fault injection: procaudit while what it reads or changes fails under it.

  /proc       a process gone between readdir and open, at every file a table reads of it; and
              for real, a storm of short-lived processes under every /proc table
  accounting  a file truncated (to a partial record, to nothing) between statements, during a
              statement, and under --follow
  netlink     ENOBUFS on the event socket; EPERM on registering as the audit pid (injected, and
              for real from a pid namespace); SIGTERM before every netlink request and acct(2)
              call of the shell's and the daemon's start and stop
  audit pid   an auditd started while procaudit owns the pid; the owner leaving and another
              taking the pid while procaudit reads the multicast group
  store       the daemon's store on a full disk (a small tmpfs in a private mount namespace)
              during an exec storm, then space freed

Injected faults come from tests/support/fault_inject.c, an LD_PRELOAD library given to the
procaudit child alone (PROCAUDIT_FAULT in its environment; PROCAUDIT_FAULT_TRACE lists the
netlink requests and acct(2) calls it made). Nothing in procaudit knows about it.

What every fault must leave: no crash, at most one clear line about it, no garbage row, and, for
the tests that change the audit state (root, kernel audit; elsewhere skipped with the reason
printed), the audit state (auditctl -s state fields and -l rules), accounting and /run/procaudit
exactly as they were: each such test holds the host lock (test_audit_live.LiveTestCase) and
checks at its end, even after a failure. Waits have a hang guard only; nothing here asserts how
long anything takes.
"""
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

from procaudit_e2e import BUILD_DIR, EXTENSION, SHELL, SOURCE_DIR, run, skip_for
from test_acct_live import accounting_key
from test_acct_reader import decode
from test_audit_live import (AUDITD_KEY, HANG, KEY, STATE_DIR, FollowReader, LiveTestCase,
                             live_status, warm_up, wait_for_exit)

from audit_sandbox import DEFAULT_RULES, PrivateAuditd, read_state, restore_state
import extension_host
from live_procaudit import ShellSession

FAULT_LIB = os.path.join(BUILD_DIR, "tests/libprocaudit_fault_inject.so")
FIXTURE_PACCT = os.path.join(SOURCE_DIR, "tests/fixtures/audit/workload.pacct")
OWN_ACCT_DIR = "/var/lib/procaudit"
SECOND_AUDITD_KEY = "procaudit_e2e_faults"
WARNING = "procaudit: warning: "
# The requests that change the audit state (the others only read it).
CHANGING = re.compile(r"netlink \d+ (SET|ADD_RULE|DEL_RULE)")


def fault_env(fault, trace=None):
    """The environment of a procaudit child with fault (PROCAUDIT_FAULT) injected."""
    env = dict(os.environ, LD_PRELOAD=extension_host.preload(FAULT_LIB), PROCAUDIT_FAULT=fault)
    if trace:
        env["PROCAUDIT_FAULT_TRACE"] = trace
    return env


def read_trace(path):
    try:
        with open(path) as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def leftovers(pid):
    """What a procaudit pid left in /run/procaudit and /var/lib/procaudit."""
    paths = [os.path.join(STATE_DIR, f"live.{pid}.state"),
             os.path.join(STATE_DIR, f"acct.{pid}.state"),
             os.path.join(OWN_ACCT_DIR, f"acct.{pid}.pacct")]
    return [p for p in paths if os.path.exists(p)]


def lib_skip_reason():
    if not os.path.exists(FAULT_LIB):
        return f"{FAULT_LIB} is not built"
    if not os.path.exists(SHELL):
        return f"{SHELL} is not built"
    return None


class FaultTestCase(LiveTestCase):
    """LiveTestCase (root, kernel audit, the host lock, the state checked at the end) with the
    fault library."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        skip_for(lib_skip_reason(), "skipping the fault tests")

    def faulty_shell(self, fault, *args, trace=None):
        session = ShellSession(SHELL, args, env=fault_env(fault, trace))
        self.sessions.append(session)
        return session

    def spawn_with(self, env, *args, stdin=subprocess.DEVNULL):
        """procaudit ARGS in env, its stderr on a pipe, ended at cleanup like the sessions."""
        proc = subprocess.Popen([SHELL, *args], stdin=stdin, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, env=env)
        self.sessions.append(proc)
        self.acct_kept.pids.append(proc.pid)
        return proc

    def assertRestored(self, pid, what):
        """The audit state and accounting as before the test, nothing left by pid. On a
        difference the state is put back first, so the next case starts clean."""
        now = read_state()
        acct_now = accounting_key()
        left = leftovers(pid)
        if now != self.before or acct_now != self.acct_kept.before or left:
            restore_state(self.before, (KEY, AUDITD_KEY, SECOND_AUDITD_KEY))
            self.acct_kept.pids.append(pid)
            self.acct_kept.check()
            live_state = os.path.join(STATE_DIR, f"live.{pid}.state")
            if os.path.exists(live_state):  # undone above: the next start need not warn
                os.unlink(live_state)
            self.fail(f"{what}: audit state: {self.before.diff(now)}; accounting writes to "
                      f"{acct_now}, before to {self.acct_kept.before}; left: {left}")


# --- /proc --------------------------------------------------------------------------------

# Per table: the columns compared, and the files under /proc/PID the table reads (where the
# process vanishes; "" is the directory itself).
PROC_TABLES = {
    "processes": ("pid, name, cmdline, path, cwd, root, uid, cgroup_path, disk_bytes_read",
                  ("", "stat", "status", "cmdline", "exe", "cwd", "root", "cgroup", "io")),
    "process_tree": ("pid, ppid, name, path, cmdline, cwd, uid",
                     ("", "stat", "status", "cmdline", "exe", "cwd")),
    "open_files": ("pid, fd, path, type, pos, flags, inode, comm",
                   ("", "fd", "fdinfo", "comm")),
    "process_open_files": ("pid, fd, path", ("", "fd")),
    "process_open_sockets": ("pid, fd, family, protocol, local_address, local_port, state, "
                             "net_namespace", ("", "fd", "ns/net", "net/tcp")),
}

# A process holding a file, a listening TCP socket and a pipe, asleep until killed.
HOLDER = r"""
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen()
f = open(sys.argv[1])
print("ready", flush=True)
time.sleep(1000)
"""


@unittest.skipIf(lib_skip_reason(), lib_skip_reason())
class ProcVanishTest(unittest.TestCase):
    """A process that exits after readdir listed it, at each file a table reads of it: no error,
    no crash, and its row is left out or holds only what was read before it went (each value
    as in a run where it stayed, the rest NULL). Another process's rows are untouched."""

    def holder(self):
        proc = subprocess.Popen([sys.executable, "-c", HOLDER, FIXTURE_PACCT],
                                stdout=subprocess.PIPE)
        self.addCleanup(lambda: (proc.kill(), proc.wait(), proc.stdout.close()))  # ours, by pid
        self.assertEqual(proc.stdout.readline(), b"ready\n")
        return proc.pid

    def query(self, sql, fault=None):
        env = fault_env(fault) if fault else None
        r = run([SHELL, "--audit-mode", "off", "--no-acct", "--json", sql], env=env, timeout=HANG)
        self.assertEqual((r.returncode, r.stderr), (0, ""), f"{sql} with {fault}")
        return json.loads(r.stdout or "[]")

    def test_a_process_gone_after_readdir_at_every_file_each_table_reads(self):
        vanishing, witness = self.holder(), self.holder()
        for table, (columns, stages) in PROC_TABLES.items():
            # Both plans: every pid from readdir, and pid IN (...), which opens each pid itself.
            for where in ("", f"WHERE pid IN ({vanishing}, {witness})"):
                sql = f"SELECT {columns} FROM {table} {where}"

                def ours(rows):
                    return [r for r in rows if r["pid"] in (vanishing, witness)]
                base = ours(self.query(sql))
                self.assertTrue(base and {r["pid"] for r in base} == {vanishing, witness}, base)
                for stage in stages:
                    with self.subTest(table=table, plan=where or "scan", vanishes_at=stage):
                        fault = f"proc_vanish={vanishing}" + (f"@{stage}" if stage else "")
                        rows = ours(self.query(sql, fault))
                        self.assertEqual([r for r in rows if r["pid"] == witness],
                                         [r for r in base if r["pid"] == witness])
                        gone = [r for r in rows if r["pid"] == vanishing]
                        was = [r for r in base if r["pid"] == vanishing]
                        self.assertLessEqual(len(gone), len(was))
                        for row in gone:
                            match = [b for b in was if all(
                                v is None or v == "" or v == b[k] for k, v in row.items())]
                            self.assertTrue(match, f"{row} is not one of {was} (NULLs aside)")
                        if stage in ("", "stat", "fd"):
                            self.assertEqual(gone, [], "gone before its first file was read")

    def test_a_storm_of_short_lived_processes_under_every_proc_table(self):
        holder = self.holder()
        storms = [subprocess.Popen(["/bin/sh", "-c", "while :; do /bin/true; done"])
                  for _ in range(2)]
        for storm in storms:
            self.addCleanup(lambda p=storm: (p.kill(), p.wait()))  # by pid: ours
        statements = [f"SELECT * FROM {table};" for table in PROC_TABLES] * 8
        r = run([SHELL, "--audit-mode", "off", "--no-acct", "--json"],
                input="\n".join(statements) + "\n", timeout=HANG * 2)
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        decoder, results, pos, text = json.JSONDecoder(), [], 0, r.stdout
        while pos < len(text.rstrip()):
            value, pos = decoder.raw_decode(text, pos)
            results.append(value)
            pos += len(text[pos:]) - len(text[pos:].lstrip())
        self.assertEqual(len(results), len(statements))
        for sql, rows in zip(statements, results):
            held = [r for r in rows if r["pid"] == holder]
            self.assertTrue(held, f"{sql}: no row of the process holding a file and a socket")
            if "state" in held[0] and "local_port" in held[0]:
                self.assertIn("LISTEN", [r["state"] for r in held], (sql, held))
            for row in rows:
                self.assertIsInstance(row["pid"], int, (sql, row))
                self.assertGreater(row["pid"], 0, (sql, row))
                if "name" in row:  # every row of the process tables has its stat
                    self.assertIsNotNone(row["name"], (sql, row))
                if "fd" in row:
                    self.assertGreaterEqual(row["fd"], 0, (sql, row))


# --- accounting files ---------------------------------------------------------------------

ACCT_COLUMNS = "record, pid, ppid, comm, status"


@unittest.skipIf(not os.path.exists(SHELL), f"{SHELL} is not built")
class AcctTruncateTest(unittest.TestCase):
    """A real accounting file (the kernel's records of tests/fixtures/audit/workload.pacct)
    truncated under procaudit: one warning for a partial record, never an error, a crash or a
    row that is not one of the file's records."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="procaudit-faults-")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        with open(FIXTURE_PACCT, "rb") as f:
            self.data = f.read()
        self.records = decode(self.data)
        self.assertEqual(len(self.records) * 64, len(self.data), "the fixture is all v3 records")
        self.path = os.path.join(self.tmp, "pacct")

    def write(self, data):
        with open(self.path, "wb") as f:
            f.write(data)

    def expected(self, n):
        return [{"record": i, "pid": r["pid"], "ppid": r["ppid"], "comm": r["comm"],
                 "status": r["status"]} for i, r in enumerate(self.records[:n])]

    def test_between_statements(self):
        self.write(self.data)
        s = ShellSession(SHELL, ["--audit-mode", "off", "--no-acct"])
        self.addCleanup(s.end)
        sql = f"SELECT {ACCT_COLUMNS} FROM acct_exits('{self.path}')"
        warned = []

        def check(n, warning=None):
            self.assertEqual(s.query(sql), self.expected(n))
            if warning:
                warned.append(f"{WARNING}acct file {self.path}: {warning}")
            deadline = time.monotonic() + HANG
            while s.stderr.splitlines() != warned and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertEqual(s.stderr.splitlines(), warned)

        check(len(self.records))
        os.truncate(self.path, 50 * 64 + 13)
        check(50, "ignored a 13-byte partial record at the end")
        check(50)  # the same partial record: not told again
        os.truncate(self.path, 0)
        check(0)
        os.truncate(self.path, 5)
        check(0, "ignored a 5-byte partial record at the end")
        self.write(self.data)
        check(len(self.records))
        s.close_input()
        self.assertEqual(s.wait(HANG), 0, s.stderr)

    def test_during_a_statement(self):
        """The statement reads the file at its start (read(2), never mapped: a truncation
        cannot kill it with SIGBUS); truncated while its rows are being returned, every row is
        still the file's. In Python's sqlite3 with the extension, a SQL function truncates the
        file at a chosen row."""
        big = self.data * 200  # 21,800 records, 1.4 MB
        with open(self.path, "wb") as f:
            f.write(big)
        child = r"""
import json, os, sqlite3, sys
ext, path, cut_at = sys.argv[1], sys.argv[2], int(sys.argv[3])
conn = sqlite3.connect(":memory:")
conn.enable_load_extension(True)
conn.load_extension(ext)
def cut(record):
    if record == cut_at:
        os.truncate(path, 13)
    return 0
conn.create_function("cut", 1, cut)
rows = conn.execute("SELECT record, pid, comm, status, cut(record) FROM acct_exits(?)",
                    (path,)).fetchall()
after = conn.execute("SELECT count(*) FROM acct_exits(?)", (path,)).fetchone()[0]
print(json.dumps({"rows": rows, "after": after}))
"""
        r = run([sys.executable, "-c", child, EXTENSION, self.path, "100"], timeout=HANG)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        n = len(self.records)
        self.assertEqual(len(out["rows"]), len(big) // 64)
        for record, pid, comm, status, _ in out["rows"]:
            want = self.records[record % n]
            self.assertEqual((pid, comm, status), (want["pid"], want["comm"], want["status"]))
        self.assertEqual(out["after"], 0, "the next statement reads the truncated file")
        self.assertEqual(r.stderr.count("13-byte partial record"), 1, r.stderr)

    def test_truncated_and_rewritten_while_statements_run(self):
        """A thread truncates the file to nothing, as logrotate's copytruncate does, and writes
        the same bytes back, while the shell reads it again and again: a read racing the
        truncation ends early, one racing the rewrite sees what is written so far; every row is
        one of the file's.

        Only to nothing: a cut inside the file, even at a record boundary, zeroes the rest of the
        page-cache folio it falls in (ext4 keeps files in large folios since Linux 6.16), and a
        read copying that record at that moment gets its first bytes with zeros after them,
        which acct v3 (no checksum) cannot tell from a real record (4 runs in 80 here). Nothing
        but an adversary cuts an accounting file so (the kernel only appends); a file cut short
        and left so is the partial-record test above."""
        big = self.data * 1000  # 109,000 records, 7 MB
        with open(self.path, "wb") as f:
            f.write(big)
        n = len(self.records)
        values = ", ".join(f"({i}, {r['pid']}, '{r['comm'].replace(chr(39), chr(39) * 2)}', "
                           f"{r['status']})" for i, r in enumerate(self.records))
        stop = threading.Event()

        def churn():
            fd = os.open(self.path, os.O_WRONLY)
            try:
                while not stop.is_set():
                    os.ftruncate(fd, 0)
                    time.sleep(0.001)
                    os.pwrite(fd, big, 0)  # the same bytes at the same offsets
            finally:
                os.close(fd)

        s = ShellSession(SHELL, ["--audit-mode", "off", "--no-acct"])
        self.addCleanup(s.end)
        s.query(f"CREATE TEMP TABLE fx (i INTEGER PRIMARY KEY, pid, comm, status); "
                f"INSERT INTO fx VALUES {values}")
        churner = threading.Thread(target=churn)
        churner.start()
        try:
            for _ in range(40):
                rows = s.query(
                    "SELECT count(*) AS n, coalesce(max(a.record), -1) AS last, "
                    "coalesce(sum(f.i IS NULL OR a.pid IS NOT f.pid OR a.comm IS NOT f.comm "
                    "OR a.status IS NOT f.status), 0) AS bad "
                    f"FROM acct_exits('{self.path}') AS a "
                    f"LEFT JOIN fx AS f ON f.i = a.record % {n}")
                self.assertEqual(rows[0]["bad"], 0, rows)
                self.assertLessEqual(rows[0]["n"], rows[0]["last"] + 1)
                self.assertLess(rows[0]["last"], len(big) // 64)
        finally:
            stop.set()
            churner.join()
        s.close_input()
        self.assertEqual(s.wait(HANG), 0, s.stderr)
        for line in s.stderr.splitlines():
            self.assertRegex(line, rf"^{re.escape(WARNING)}acct file {re.escape(self.path)}:"
                                   r"( skipped \d+ corrupt records? \(first at byte \d+\);?)?"
                                   r"( ignored a \d+-byte partial record at the end)?$")


class AcctFollowTruncateTest(FaultTestCase):
    """--follow over an accounting file that is truncated (logrotate's copytruncate) and
    written again: the new records are printed, none twice. --follow needs the live capture,
    hence root and the host lock."""

    def test_records_after_a_truncation_are_printed(self):
        with open(FIXTURE_PACCT, "rb") as f:
            data = f.read()
        records = decode(data)
        path = os.path.join(self.tmp, "pacct")
        with open(path, "wb") as f:
            f.write(data[:20 * 64])
        proc = self.spawn("--acct-file", path, "--follow", "--json",
                          "SELECT record, pid FROM acct_exits")
        follow = FollowReader(proc)

        def printed(pairs):
            return lambda rows: [(r["record"], r["pid"]) for r in rows] == pairs

        first = [(i, records[i]["pid"]) for i in range(20)]
        self.assertTrue(follow.read(printed(first), HANG), follow.rows)
        os.truncate(path, 0)
        with open(path, "ab") as f:
            f.write(data[30 * 64:40 * 64])
        second = first + [(i, records[30 + i]["pid"]) for i in range(10)]
        self.assertTrue(follow.read(printed(second), HANG), follow.rows)
        with open(path, "ab") as f:
            f.write(data[40 * 64:45 * 64])
        third = second + [(10 + i, records[40 + i]["pid"]) for i in range(5)]
        self.assertTrue(follow.read(printed(third), HANG), follow.rows)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=HANG)
        self.assertEqual(proc.returncode, 0, err)
        self.assertEqual(err, b"")


# --- netlink ------------------------------------------------------------------------------

class NetlinkFaultTest(FaultTestCase):
    """The audit netlink failing under a live capture."""

    def test_an_overrun_event_socket_is_counted_and_the_capture_goes_on(self):
        """ENOBUFS on the event socket (the kernel dropped records for it): counted in
        audit_status's socket_overruns, told in one warning, and events keep arriving."""
        s = self.faulty_shell("netlink_recv_enobufs=3", "--no-acct")
        self.assertOwnsAuditPid(s)
        m = "pl" + secrets.token_hex(5)
        deadline = time.monotonic() + HANG
        n = 0
        while live_status(s)["socket_overruns"] == 0:  # each exec is a receive or more
            self.assertLess(time.monotonic(), deadline, "no receive failed")
            n += 1
            subprocess.run(["/bin/true", f"{m}-before{n}"], check=True)
        after = subprocess.Popen(["/bin/true", f"{m}-after"])
        after.wait()
        wait_for_exit(s, after.pid)
        rows = s.query("SELECT pid, path FROM process_events WHERE syscall = 'execve' "
                       f"AND cmdline = '/bin/true {m}-after'")
        self.assertEqual(rows, [{"pid": after.pid, "path": os.path.realpath("/bin/true")}])
        st = live_status(s)
        self.assertEqual((st["socket_overruns"], st["lost_since_start"], st["queue_drops"]),
                         (1, 0, 0), st)
        deadline = time.monotonic() + HANG
        while "dropped 1 batches" not in s.stderr and time.monotonic() < deadline:
            time.sleep(0.1)  # the monitor tells at its next tick
        lines = s.stderr.splitlines()
        self.assertEqual(len(lines), 1, s.stderr)
        self.assertIn("see audit_status", lines[0])
        self.assertEqual(s.stop(signal.SIGTERM), 128 + signal.SIGTERM)
        self.assertStateIs(self.before, "after SIGTERM")

    def refused(self, *args, env_fault="netlink_set_pid_eperm"):
        """Runs procaudit ARGS with the audit pid registration refused; returns it, its stderr
        lines and its netlink requests."""
        trace = os.path.join(self.tmp, f"trace.{secrets.token_hex(4)}")
        proc = self.spawn_with(fault_env(env_fault, trace), *args)
        _, err = proc.communicate(timeout=HANG)
        return proc, err.decode().splitlines(), read_trace(trace)

    def assertNothingChangedAfterTheRefusal(self, requests):
        refusal = [i for i, r in enumerate(requests) if re.search(r"SET pid=[1-9]", r)]
        self.assertEqual(len(refusal), 1, requests)
        self.assertEqual([r for r in requests[refusal[0] + 1:] if CHANGING.match(r)], [],
                         "requests after the refused registration")
        self.assertEqual([r for r in requests[:refusal[0]] if CHANGING.match(r)], [],
                         "requests before the registration (a clean host has nothing to undo)")

    def test_a_refused_audit_pid_registration_is_one_line_and_changes_nothing(self):
        for mode in ("auto", "unicast"):
            with self.subTest(one_shot=mode):
                proc, lines, requests = self.refused("--audit-mode", mode,
                                                     "SELECT count(*) FROM process_events")
                self.assertEqual(proc.returncode, 1)
                self.assertEqual(len(lines), 1, lines)
                self.assertIn("registering as the audit pid: Operation not permitted", lines[0])
                self.assertIn("CAP_AUDIT_CONTROL", lines[0])
                self.assertNothingChangedAfterTheRefusal(requests)
                self.assertRestored(proc.pid, f"after the refusal ({mode})")
        with self.subTest(script="the /proc tables go on"):
            trace = os.path.join(self.tmp, "trace.script")
            s = self.faulty_shell("netlink_set_pid_eperm", trace=trace)
            self.assertEqual(s.query(f"SELECT pid FROM processes WHERE pid = {s.pid}"),
                             [{"pid": s.pid}])
            s.close_input()
            self.assertEqual(s.wait(HANG), 0, s.stderr)  # its stderr whole from here on
            lines = s.stderr.splitlines()
            self.assertEqual(len(lines), 1, s.stderr)
            self.assertTrue(lines[0].startswith(f"{WARNING}live capture off: registering as the "
                                                "audit pid: Operation not permitted"), lines[0])
            self.assertNothingChangedAfterTheRefusal(read_trace(trace))
            self.assertRestored(s.pid, "after the script")
        with self.subTest(daemon="refuses to start"):
            config = os.path.join(self.tmp, "procaudit.conf")
            with open(config, "w") as f:
                json.dump({"schedule": {"q": {"query": "SELECT 1", "interval": 60}}}, f)
            os.chmod(config, 0o600)
            proc, lines, requests = self.refused(
                "--daemon", "--config", config, "--logger-path", self.tmp,
                "--store", os.path.join(self.tmp, "store", "events.db"))
            self.assertEqual(proc.returncode, 1)
            self.assertEqual(len(lines), 1, lines)
            self.assertIn("live capture: registering as the audit pid", lines[0])
            self.assertNothingChangedAfterTheRefusal(requests)
            self.assertRestored(proc.pid, "after the daemon's refused start")

    def test_in_a_pid_namespace_the_kernel_refuses_and_procaudit_says_why(self):
        """Not injected: the kernel refuses every audit request from outside the initial pid
        namespace with EPERM, root or not. The line says so rather than asking for root."""
        proc = subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", SHELL, "--no-acct",
                               "--audit-mode", "unicast", "SELECT count(*) FROM process_events"],
                              capture_output=True, text=True, timeout=HANG)
        if "unshare failed" in proc.stderr:
            self.skipTest(f"cannot make a pid namespace here: {proc.stderr.strip()}")
        self.assertEqual(proc.returncode, 1)
        lines = proc.stderr.splitlines()
        self.assertEqual(len(lines), 1, proc.stderr)
        self.assertIn("Operation not permitted (the kernel takes audit control requests only "
                      "from the initial pid namespace", lines[0])
        self.assertStateIs(self.before, "after the refusal in a pid namespace")


# --- SIGTERM at every stage ---------------------------------------------------------------

class SigtermAtEveryStageTest(FaultTestCase):
    """SIGTERM just before each netlink request and each acct(2) call of a whole run (the
    start: cleanup, status, audit pid, backlog limit, wait time, each rule, enabled flag; the
    stop: each rule, the audit pid, the settings; accounting on and off), of the shell and of
    the daemon: after each, the audit state, accounting and /run/procaudit are as before."""

    def shell_run(self, fault, trace):
        """A script-mode shell (the capture and accounting start at once) given one statement
        and the end of its input; returns it, ended."""
        proc = self.spawn_with(fault_env(fault, trace), "--json", stdin=subprocess.PIPE)
        _, err = proc.communicate(b"SELECT count(*) >= 0 AS ok FROM process_events;\n",
                                  timeout=HANG)
        proc.stderr_text = err.decode()
        return proc

    def daemon_run(self, fault, trace):
        """A daemon started and, once it says so, stopped with SIGTERM; returns it."""
        d = tempfile.mkdtemp(dir=self.tmp)
        config = os.path.join(d, "procaudit.conf")
        with open(config, "w") as f:
            json.dump({"schedule": {"n": {"query": "SELECT count(*) AS n FROM process_events",
                                          "interval": 1}}}, f)
        os.chmod(config, 0o600)
        err_path = os.path.join(d, "stderr")
        with open(err_path, "wb") as err:
            proc = subprocess.Popen([SHELL, "--daemon", "--config", config, "--logger-path", d,
                                     "--store", os.path.join(d, "store", "events.db")],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=err, env=fault_env(fault, trace))
        self.sessions.append(proc)
        self.acct_kept.pids.append(proc.pid)
        deadline = time.monotonic() + HANG
        while proc.poll() is None:
            with open(err_path, "rb") as f:
                if b"daemon started" in f.read():
                    proc.send_signal(signal.SIGTERM)
                    break
            self.assertLess(time.monotonic(), deadline, "the daemon neither started nor ended")
            time.sleep(0.02)
        proc.wait(timeout=HANG)
        with open(err_path, "rb") as f:
            proc.stderr_text = f.read().decode()
        return proc

    def every_stage(self, run_once, kind):
        clean_trace = os.path.join(self.tmp, f"{kind}.clean")
        clean = run_once("", clean_trace)
        self.assertEqual(clean.returncode, 0)
        self.assertRestored(clean.pid, f"{kind}, a run without a fault")
        stages = read_trace(clean_trace)
        netlink = [s for s in stages if s.startswith("netlink ")]
        acct = [s for s in stages if s.startswith("acct ")]
        # Start and stop both: at least the registration, a rule and the give-back.
        self.assertTrue(any("SET pid=0" in s for s in netlink), stages)
        self.assertEqual(acct, ["acct 1 on", "acct 2 off"], stages)
        faults = [(f"sigterm_at_netlink_request={i + 1}", s) for i, s in enumerate(netlink)]
        faults += [(f"sigterm_at_acct_call={i + 1}", s) for i, s in enumerate(acct)]
        for fault, stage in faults:
            with self.subTest(kind=kind, before=stage):
                trace = os.path.join(self.tmp, f"{kind}.{fault}")
                proc = run_once(fault, trace)
                self.assertIn(proc.returncode, (0, 128 + signal.SIGTERM))
                self.assertNotIn("warning: restoring", proc.stderr_text)
                self.assertIn(" SIGTERM", "\n".join(read_trace(trace)), "the fault fired")
                self.assertRestored(proc.pid, f"{kind}, SIGTERM before {stage}")

    def test_the_shell(self):
        self.every_stage(self.shell_run, "shell")

    def test_the_daemon(self):
        self.every_stage(self.daemon_run, "daemon")

    def test_sigterm_while_accounting_starts_and_the_capture_is_next(self):
        """The signal thread stops accounting while the main thread goes on to start the
        capture: that start must not happen (or be undone), though the process is ending.
        acct(2) made slow widens the window so that the capture's start falls into it."""
        fault = "sigterm_at_acct_call=1,acct_delay_ms=1000"
        with self.subTest(kind="shell"):
            trace = os.path.join(self.tmp, "race.shell")
            proc = self.spawn_with(fault_env(fault, trace), "--json",
                                   stdin=subprocess.PIPE)  # its input stays open
            self.assertEqual(proc.wait(timeout=HANG), 128 + signal.SIGTERM)
            proc.stdin.close()
            err = proc.stderr.read().decode()
            proc.stderr.close()
            self.assertNotIn("warning: restoring", err)
            self.assertEqual([r for r in read_trace(trace) if CHANGING.match(r)], [])
            self.assertRestored(proc.pid, "shell, SIGTERM while accounting started")
        with self.subTest(kind="daemon"):
            trace = os.path.join(self.tmp, "race.daemon")
            proc = self.daemon_run(fault, trace)
            self.assertEqual(proc.returncode, 128 + signal.SIGTERM, proc.stderr_text)
            self.assertEqual([r for r in read_trace(trace) if CHANGING.match(r)], [])
            self.assertRestored(proc.pid, "daemon, SIGTERM while accounting started")


# --- the audit pid taken ------------------------------------------------------------------

class AuditPidTakenTest(FaultTestCase):
    """Another process after the audit pid while procaudit runs. The kernel refuses to replace
    a live owner, so: an auditd started beside procaudit (unicast) fails and changes nothing;
    beside a multicast procaudit, the owner may leave and another take the pid. audit_status
    follows the kernel, events keep arriving, and procaudit puts back only what it changed."""

    def test_an_auditd_started_while_procaudit_owns_the_pid_is_refused(self):
        s = self.shell("--no-acct")
        owned = self.assertOwnsAuditPid(s)
        workdir = os.path.join(self.tmp, "auditd")
        PrivateAuditd(workdir)._write_config()  # its auditd.conf, not its borrowing
        auditd = shutil.which("auditd", path="/usr/sbin:/sbin:" + os.environ.get("PATH", ""))
        r = run([auditd, "-n", "-c", workdir], stdin=subprocess.DEVNULL, timeout=HANG)
        self.assertNotEqual(r.returncode, 0, "auditd took the pid from a live owner")
        with open(os.path.join(workdir, "audit.log")) as f:
            self.assertIn("op=set-pid", f.read(), "auditd's own account of its failure")
        self.assertStateIs(owned, "after auditd gave up")
        warm_up(s)  # records still come to procaudit
        st = live_status(s)
        self.assertEqual((st["mode"], st["owner_pid"]), ("unicast", s.pid))
        self.assertEqual(s.stop(signal.SIGTERM), 128 + signal.SIGTERM)
        self.assertEqual(s.stderr, "")
        self.assertStateIs(self.before, "after procaudit stopped")

    def test_the_owner_leaves_and_another_takes_the_pid_under_a_multicast_capture(self):
        with PrivateAuditd(os.path.join(self.tmp, "first"), key=AUDITD_KEY,
                           rules=DEFAULT_RULES) as first:
            s = self.shell("--no-acct")  # auto: the pid is owned, so multicast
            warm_up(s)
            st = live_status(s)
            self.assertEqual((st["mode"], st["owner_pid"]), ("multicast", first.auditd_pid))
            # The owner leaves (its auditd, our child, stopped by pid); its rules stay loaded.
            first.auditd.send_signal(signal.SIGTERM)
            first.auditd.wait(timeout=HANG)
            deadline = time.monotonic() + HANG
            while read_state().status["pid"] != "0":
                self.assertLess(time.monotonic(), deadline, "the kernel kept the auditd pid")
                time.sleep(0.05)
            warm_up(s)  # nobody owns the pid: records still go to the multicast group
            st = live_status(s)
            self.assertEqual((st["mode"], st["owner_pid"]), ("multicast", 0), st)
            with PrivateAuditd(os.path.join(self.tmp, "second"), key=SECOND_AUDITD_KEY,
                               rules=DEFAULT_RULES) as second:
                with_second = read_state()
                warm_up(s)
                st = live_status(s)
                self.assertEqual((st["mode"], st["owner_pid"]), ("multicast", second.auditd_pid))
                self.assertEqual(s.stop(signal.SIGTERM), 128 + signal.SIGTERM)
                self.assertEqual(s.stderr, "")
                self.assertStateIs(with_second, "after procaudit stopped: nothing of its own")
        self.assertStateIs(self.before, "after both auditds stopped")


# --- the daemon's store on a full disk ----------------------------------------------------

class FullStoreDiskTest(FaultTestCase):
    """The daemon's store on a 4 MB tmpfs (in the daemon's own mount namespace), filled up
    during an exec storm: one line says writing failed, the daemon runs on, its event query
    logs every exec (the ring holds them); space freed, one line says it writes again and the
    store catches up with every exec, no hole. Logs go to an ordinary directory."""

    def test_a_full_disk_keeps_the_ring_and_the_store_catches_up(self):
        m = "fd" + secrets.token_hex(5)
        count = 300
        store_dir = os.path.join(self.tmp, "store")
        logs = os.path.join(self.tmp, "logs")
        os.makedirs(store_dir)
        os.makedirs(logs)
        store = os.path.join(store_dir, "events.db")
        config = os.path.join(self.tmp, "procaudit.conf")
        with open(config, "w") as f:
            json.dump({"schedule": {"execs": {
                "query": "SELECT eid, cmdline FROM process_events WHERE syscall = 'execve' "
                         f"AND cmdline LIKE '/bin/true {m}-%'", "interval": 1}}}, f)
        os.chmod(config, 0o600)
        err_path = os.path.join(self.tmp, "daemon.err")
        script = 'mount -t tmpfs -o size=4m,mode=0700 tmpfs "$1" && shift && exec "$@"'
        with open(err_path, "w") as err:
            proc = subprocess.Popen(
                ["unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", script, "sh",
                 store_dir, SHELL, "--daemon", "--no-acct", "--config", config, "--logger-path",
                 logs, "--store", store], stdin=subprocess.DEVNULL, stderr=err)
        self.sessions.append(proc)

        def stderr():
            with open(err_path) as f:
                return f.read()

        def wait_for(what, predicate):
            deadline = time.monotonic() + HANG
            while not predicate():
                if proc.poll() is not None:
                    self.fail(f"the daemon exited {proc.returncode} waiting for {what}: "
                              f"{stderr()}")
                self.assertLess(time.monotonic(), deadline, f"no {what}: {stderr()}")
                time.sleep(0.1)

        wait_for("its start", lambda: "daemon started" in stderr() or "mount:" in stderr())
        if "mount:" in stderr():
            self.skipTest(f"cannot mount a tmpfs in a private mount namespace: {stderr()}")
        # The daemon's view of the store directory: its tmpfs, through its root.
        inside = f"/proc/{proc.pid}/root{store_dir}"
        filler = os.path.join(inside, "filler")
        with self.assertRaises(OSError) as full, open(filler, "wb") as f:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        self.assertEqual(full.exception.errno, 28)  # ENOSPC

        storm = subprocess.run(["/bin/sh", "-c", f"i=0; while [ $i -lt {count} ]; do "
                                f"/bin/true {m}-$i; i=$((i+1)); done"], timeout=HANG)
        self.assertEqual(storm.returncode, 0)

        def logged():
            with open(os.path.join(logs, "procaudit.results.log")) as f:
                return [json.loads(line)["columns"]["cmdline"] for line in f]
        wait_for("every exec logged", lambda: os.path.exists(
            os.path.join(logs, "procaudit.results.log")) and len(logged()) >= count)
        wait_for("the failure reported", lambda: "store: writing failed" in stderr())
        self.assertEqual(sorted(logged()), sorted(f"/bin/true {m}-{i}" for i in range(count)))
        lines = stderr().splitlines()
        failed = [x for x in lines if "store: writing failed" in x]
        self.assertEqual(len(failed), 1, stderr())
        self.assertIn("database or disk is full", failed[0])

        os.unlink(filler)
        wait_for("writing again", lambda: "store: writing again" in stderr())

        def stored():
            r = run(["nsenter", "--target", str(proc.pid), "--mount", "sqlite3", store,
                     "SELECT count(DISTINCT cmdline) FROM process_events WHERE syscall = 'execve' "
                     f"AND cmdline LIKE '/bin/true {m}-%'",
                     "SELECT count(*) FROM meta WHERE key = 'unstored_events'"])
            self.assertEqual(r.returncode, 0, r.stderr)
            return [int(x) for x in r.stdout.split()]
        wait_for("the store caught up", lambda: stored()[0] == count)
        self.assertEqual(stored(), [count, 0], "every exec stored, no hole")
        self.assertIsNone(proc.poll())
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(timeout=HANG), 0, stderr())
        # The daemon's own lines, less the one saying which capabilities it kept.
        lines = [x for x in stderr().splitlines() if not x.startswith("procaudit: privileges:")]
        self.assertEqual([x.split(":")[1].strip() for x in lines],
                         ["daemon started", "store", "store", "daemon stopped"], stderr())
        self.assertEqual(sum("store: writing" in x for x in lines), 2, stderr())


if __name__ == "__main__":
    unittest.main()
