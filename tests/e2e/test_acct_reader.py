"""acct_exits end to end over accounting files the kernel wrote: one the test records itself
(root: PrivateAccounting around children that exit 0, 1, 42, 255, die by SIGKILL, SIGSEGV,
SIGINT, SIGTERM, or fork and never exec), and the committed tests/fixtures/audit/workload.pacct.

Each file is checked twice, independently: by a small struct decoder here (struct acct_v3 of
<linux/acct.h>, nothing shared with procaudit), and through acct_exits in the procaudit shell,
the stock sqlite3 CLI and Python's sqlite3 module, which must all give the same rows. Bad input
(a partial record at the end, a corrupt record, a v2 file) goes through the shell.

Accounting is machine-wide; it is off on the test machines, and must be off again afterwards.
"""
import json
import os
import shutil
import signal
import sqlite3
import struct
import subprocess
import sys
import tempfile
import unittest

from procaudit_e2e import EXTENSION, SHELL, SOURCE_DIR, run

from acct_sandbox import PrivateAccounting, accounting_target
from audit_sandbox import host_lock

FIXTURES = os.path.join(SOURCE_DIR, "tests/fixtures/audit")

# struct acct_v3: ac_flag, ac_version, ac_tty, ac_exitcode, ac_uid, ac_gid, ac_pid, ac_ppid,
# ac_btime, ac_etime (float), eight comp_t, ac_comm[16]; native byte order, no padding.
ACCT_V3 = struct.Struct("=BBHIIIIIIf8H16s")
assert ACCT_V3.size == 64
AFORK, ASU, ACORE, AXSIG = 0x01, 0x02, 0x08, 0x10
COLUMNS = "pid, ppid, comm, exit_code, signal, signal_name, core_dumped, axsig"
WARNING = "procaudit: warning: "  # how the shell prefixes a reader's warning line


def decode(data):
    """The records of an accounting file, in file order, as acct_exits' columns name them."""
    records = []
    for off in range(0, len(data) - len(data) % 64, 64):
        (flag, version, _tty, status, _uid, _gid, pid, ppid, _btime, _etime, *_comp,
         comm) = ACCT_V3.unpack_from(data, off)
        if version != 3:
            continue
        low = status & 0x7F
        sig = low if low not in (0, 0x7F) else None
        records.append({
            "pid": pid, "ppid": ppid, "comm": comm.split(b"\0", 1)[0].decode(),
            "exit_code": (status >> 8) & 0xFF if low == 0 else None,
            "signal": sig, "signal_name": signal.Signals(sig).name if sig else None,
            "core_dumped": int(bool(flag & ACORE or status & 0x80)),
            "axsig": int(bool(flag & AXSIG)), "flags": flag, "status": status,
        })
    return records


def without_flags(records):
    return [{k: v for k, v in r.items() if k not in ("flags", "status")} for r in records]


def query_sql(path, pids):
    quoted = path.replace("'", "''")
    return (f"SELECT {COLUMNS} FROM acct_exits('{quoted}') "
            f"WHERE pid IN ({', '.join(str(p) for p in pids)})")


def shell_rows(path, pids):
    r = run([SHELL, "--json", query_sql(path, pids)])
    if r.returncode != 0:
        raise AssertionError(f"procaudit failed ({r.returncode}): {r.stderr.strip()}")
    return json.loads(r.stdout or "[]"), r.stderr


def sqlite3_cli_rows(path, pids):
    r = run(["sqlite3", ":memory:", "-cmd", f".load {EXTENSION}", "-json", query_sql(path, pids)])
    if r.returncode != 0:
        raise AssertionError(f"sqlite3 failed ({r.returncode}): {r.stderr.strip()}")
    return json.loads(r.stdout or "[]")


def python_rows(path, pids):
    conn = sqlite3.connect(":memory:")
    try:
        conn.enable_load_extension(True)
        conn.load_extension(EXTENSION)
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(query_sql(path, pids))]
    finally:
        conn.close()


class AcctChecks:
    """Assertions shared by the recorded and the fresh file."""

    def check_three_ways(self, path, pids, expected):
        """acct_exits gives the decoder's rows (file order) through all three front ends."""
        rows, stderr = shell_rows(path, pids)
        self.assertEqual(rows, expected, "procaudit shell")
        self.assertEqual(stderr, "")
        self.assertEqual(sqlite3_cli_rows(path, pids), expected, "sqlite3 CLI")
        self.assertEqual(python_rows(path, pids), expected, "Python sqlite3")


class RecordedFixtureTest(unittest.TestCase, AcctChecks):
    """workload.pacct: the accounting file recorded with workload.log (no root needed)."""

    @classmethod
    def setUpClass(cls):
        with open(os.path.join(FIXTURES, "workload.pacct"), "rb") as f:
            cls.data = f.read()
        cls.records = decode(cls.data)
        with open(os.path.join(FIXTURES, "workload.manifest")) as f:
            cls.cases = {c["case"]: c for c in (dict(kv.split("=", 1) for kv in line.split())
                                                 for line in f if line.startswith("case="))}
        cls.endings = cls.cases["endings"]
        cls.children = [k[:-len("_pid")] for k in cls.endings if k.endswith("_pid")]

    def by_pid(self, pid):
        found = [r for r in self.records if r["pid"] == int(pid)]
        self.assertEqual(len(found), 1, f"pid {pid}: {found}")
        return found[0]

    def test_whole_records_all_v3(self):
        self.assertEqual(len(self.data) % 64, 0)
        self.assertEqual(len(self.records), len(self.data) // 64)

    def test_every_case_process_has_a_record(self):
        for name, c in self.cases.items():
            if "skipped" not in c:
                self.by_pid(c["pid"])

    def test_endings_children_have_their_status_parent_and_flags(self):
        self.assertEqual(len(self.children), 9, self.endings)
        for name in self.children:
            with self.subTest(child=name):
                r = self.by_pid(self.endings[name + "_pid"])
                self.assertEqual(r["status"], int(self.endings[name + "_status"]))
                self.assertEqual(r["ppid"], int(self.endings["pid"]))
                self.assertEqual(r["comm"], "endings")
                signaled = r["signal"] is not None
                self.assertEqual(bool(r["flags"] & AXSIG), signaled)
                self.assertEqual(r["flags"] & ACORE, 0)  # RLIMIT_CORE 0, not dumpable
                self.assertEqual(bool(r["flags"] & AFORK), name == "noexec_sigkill")

    def test_acct_exits_gives_the_same_rows(self):
        pids = [int(self.endings[n + "_pid"]) for n in self.children]
        expected = without_flags([r for r in self.records if r["pid"] in pids])
        self.assertEqual([r["signal_name"] for r in expected],
                         [None] * 4 + ["SIGKILL", "SIGSEGV", "SIGINT", "SIGTERM", "SIGKILL"])
        self.check_three_ways(os.path.join(FIXTURES, "workload.pacct"), pids, expected)


def _child_defaults():
    # In the child before exec: signals as a fresh process has them (a test runner may start
    # us with SIGINT ignored, which exec keeps), and no core file anywhere.
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, signal.SIG_DFL)


# A real null dereference; RLIMIT_CORE 0 and PR_SET_DUMPABLE 0, so no core even through a
# core_pattern pipe (which ignores RLIMIT_CORE).
SEGV = ("import ctypes, resource; resource.setrlimit(resource.RLIMIT_CORE, (0, 0)); "
        "ctypes.CDLL(None).prctl(4, 0, 0, 0, 0); ctypes.string_at(0)")
PYTHON_COMM = os.path.basename(sys.executable)[:15]


class KernelAcctTest(unittest.TestCase, AcctChecks):
    """A file this machine's kernel writes now, for children of this test."""

    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("process accounting needs root (CAP_SYS_PACCT); not root")
        cls.tmp = tempfile.mkdtemp(prefix="procaudit-acct-e2e.")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)  # also if this fails
        cls.path = os.path.join(cls.tmp, "pacct")
        cls.children = {}  # name -> (pid, comm, returncode)
        cls.target_after = None
        # The host lock (reentrant; PrivateAccounting takes it too) keeps other tests that
        # borrow accounting from turning it on between the checks.
        with host_lock():
            cls.target_before = cls.target_now()
            if cls.target_before is not None:
                return  # test_accounting_was_off_and_is_off_again says so; record nothing
            with PrivateAccounting(cls.path):
                cls.run_children()
            cls.target_after = cls.target_now()
        with open(cls.path, "rb") as f:
            cls.data = f.read()
        cls.records = decode(cls.data)

    @classmethod
    def tearDownClass(cls):
        # After every query: none of them may have left accounting on.
        with host_lock():
            if cls.target_before is None and cls.target_now() is not None:
                raise AssertionError("accounting is on after the queries")

    @staticmethod
    def target_now():
        t = accounting_target()
        if t is None:
            return None
        t.close()
        return t.key()

    @classmethod
    def run_children(cls):
        def spawn(name, args, comm, sig=None):
            p = subprocess.Popen(args, preexec_fn=_child_defaults, stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            # Popen returns once the exec succeeded: the signal kills the exec'd program.
            if sig is not None:
                p.send_signal(sig)
            cls.children[name] = (p.pid, comm, p.wait(timeout=30))

        for code in (0, 1, 42, 255):
            spawn(f"exit{code}", ["/bin/sh", "-c", f"exit {code}"], "sh")
        for sig in (signal.SIGKILL, signal.SIGINT, signal.SIGTERM):
            spawn(sig.name.lower(), ["/bin/sleep", "60"], "sleep", sig)
        spawn("sigsegv", [sys.executable, "-I", "-c", SEGV], PYTHON_COMM)
        pid = os.fork()
        if pid == 0:
            os._exit(3)  # forked, never exec'd: AFORK
        _, status = os.waitpid(pid, 0)
        cls.children["noexec"] = (pid, PYTHON_COMM, os.waitstatus_to_exitcode(status))

    def setUp(self):
        if self.target_before is not None:
            self.fail(f"accounting was already on ({self.target_before}); nothing recorded")

    def by_pid(self, pid):
        found = [r for r in self.records if r["pid"] == pid]
        self.assertEqual(len(found), 1, f"pid {pid}: {found}")
        return found[0]

    def test_accounting_was_off_and_is_off_again(self):
        self.assertIsNone(self.target_before)
        self.assertIsNone(self.target_after)

    def test_children_ended_as_planned(self):
        self.assertEqual({n: c[2] for n, c in self.children.items()},
                         {"exit0": 0, "exit1": 1, "exit42": 42, "exit255": 255,
                          "sigkill": -9, "sigint": -2, "sigterm": -15, "sigsegv": -11,
                          "noexec": 3})

    def test_decoded_records_match_each_child(self):
        self.assertEqual(len(self.data) % 64, 0)
        me = os.getpid()
        for name, (pid, comm, returncode) in self.children.items():
            with self.subTest(child=name):
                r = self.by_pid(pid)
                self.assertEqual(r["ppid"], me)
                self.assertEqual(r["comm"], comm)
                if returncode >= 0:
                    self.assertEqual((r["exit_code"], r["signal"]), (returncode, None))
                    self.assertEqual(r["flags"] & AXSIG, 0)
                else:
                    self.assertEqual((r["exit_code"], r["signal"]), (None, -returncode))
                    self.assertEqual(r["signal_name"], signal.Signals(-returncode).name)
                    self.assertEqual(r["flags"] & AXSIG, AXSIG)
                self.assertEqual(r["flags"] & ACORE, 0)
                self.assertEqual(r["core_dumped"], 0)
                self.assertEqual(bool(r["flags"] & AFORK), name == "noexec")

    def pids(self):
        return [c[0] for c in self.children.values()]

    def expected(self, records=None):
        pids = set(self.pids())
        return without_flags([r for r in (self.records if records is None else records) if r["pid"] in pids])

    def test_acct_exits_through_shell_sqlite3_and_python(self):
        expected = self.expected()
        self.assertEqual(len(expected), len(self.children))
        self.check_three_ways(self.path, self.pids(), expected)

    def bad_copy(self, name, edit):
        data = bytearray(self.data)
        edit(data)
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path, bytes(data)

    def test_truncated_file_warns_and_still_gives_rows(self):
        path, data = self.bad_copy("truncated", lambda d: d.__delitem__(slice(len(d) - 10, None)))
        rows, stderr = shell_rows(path, self.pids())
        self.assertEqual(rows, self.expected(decode(data)))
        self.assertGreaterEqual(len(rows), len(self.children) - 1)  # at most the last is cut
        self.assertEqual(stderr.splitlines(), [f"{WARNING}acct file {path}: ignored a 54-byte "
                                               "partial record at the end"])

    def test_corrupt_record_is_skipped_with_a_warning(self):
        victim = self.by_pid(self.children["exit42"][0])
        slot = self.records.index(victim)

        def corrupt(d):
            d[slot * 64 + 1] = 0x7E  # no such version
        path, data = self.bad_copy("corrupt", corrupt)
        rows, stderr = shell_rows(path, self.pids())
        self.assertEqual(rows, self.expected(decode(data)))
        self.assertNotIn(victim["pid"], [r["pid"] for r in rows])
        self.assertEqual(len(rows), len(self.children) - 1)
        self.assertEqual(stderr.splitlines(), [f"{WARNING}acct file {path}: skipped 1 corrupt "
                                               f"record (first at byte {slot * 64})"])

    def test_v2_file_fails_with_one_line(self):
        def v2(d):
            for off in range(0, len(d) - 63, 64):
                d[off + 1] = 2
        path, _ = self.bad_copy("v2", v2)
        r = run([SHELL, "--json", query_sql(path, self.pids())])
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(json.loads(r.stdout or "[]"), [])  # no rows (--json may print [])
        lines = r.stderr.splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertIn(f"acct file {path}: not a BSD process accounting v3 file", lines[0])
        self.assertIn("version 2", lines[0])


if __name__ == "__main__":
    unittest.main()
