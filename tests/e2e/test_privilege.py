"""Least privilege, run for real.

- The daemon, once started, keeps only the capabilities its run and its stop need
  (src/daemon/privileges.h), in every thread (/proc/PID/task/*/status: CapEff, CapPrm, CapBnd,
  CapInh, CapAmb, NoNewPrivs), for each way it can run: unicast with its own accounting,
  multicast beside a private auditd, no capture, under the systemd unit's bounding set, without
  CAP_SETPCAP, as nobody. What it kept suffices: it keeps capturing (multicast without
  CAP_AUDIT_READ too), reads other users' processes, reloads on SIGHUP, and its SIGTERM puts the
  audit state and process accounting back exactly.
- Its scheduled SQL only reads: ATTACH (which would create a file), PRAGMAs that change settings
  and BEGIN are refused by its authorizer, though sqlite3_stmt_readonly() lets them by.
- procaudit's tables are SQLITE_VTAB_DIRECTONLY: a database file whose view or trigger uses them
  fails with SQLite's "unsafe use of virtual table", in the stock sqlite3 CLI and in Python, even
  with trusted_schema on (so SQLITE_VTAB_INNOCUOUS is not set); direct SELECTs work.
- The shell runs no program and loads no code from SQL; the files procaudit writes are 0600 (their
  directories 0700) under umask 0: the daemon's state files, accounting file, store and its -wal
  and -shm, result logs; the shell's .output and .once files and history; the auditd plugin's.
- README's capability table says what specs/*.toml say.

Tests that start the daemon as root hold the host lock and check, also when they fail, that the
audit state and accounting are as before (else they put them back and fail). Tests that need
root or kernel audit are skipped with the reason printed; waits have a hang guard, nothing
asserts how long anything takes.
"""
import json
import os
import pty
import re
import select
import shutil
import signal
import sqlite3
import stat
import subprocess
import tempfile
import time
import tomllib
import unittest

from daemon_e2e import Daemon, keep_host_state, root_skip_reason
from procaudit_e2e import (EXTENSION, HANG, SHELL, SOURCE_DIR, end_children, nobody_process,
                           run)

from audit_sandbox import PrivateAuditd, read_state
from test_package import UNIT_CAPABILITIES, bounded_to, capability_mask

AUDITD_KEY = "pa-priv-auditd"
STATE_DIR = "/run/procaudit"
OWN_DIR = "/var/lib/procaudit"
CAP = {"CAP_DAC_READ_SEARCH": 2, "CAP_SETPCAP": 8, "CAP_SYS_PTRACE": 19, "CAP_SYS_PACCT": 20,
       "CAP_SYS_ADMIN": 21, "CAP_AUDIT_CONTROL": 30, "CAP_AUDIT_READ": 37}
PROC_CAPS = {"CAP_DAC_READ_SEARCH", "CAP_SYS_PTRACE"}
TABLES = ["acct_exits", "audit_status", "file_events", "open_files", "process_events",
          "process_lifecycle", "process_open_files", "process_open_sockets", "process_tree",
          "processes"]
# The extension never touches the machine-wide audit or accounting state in these tests.
QUIET_ENV = dict(os.environ, PROCAUDIT_AUDIT_MODE="off", PROCAUDIT_ACCT="off")


def mask(names):
    return sum(1 << CAP[n] for n in names)


def names_of(bits):
    return sorted(n for n, b in CAP.items() if bits & (1 << b)) + \
        [f"cap{b}" for b in range(64) if bits & (1 << b) and b not in CAP.values()]


def credentials(status_text):
    fields = dict(line.split(":", 1) for line in status_text.splitlines() if ":" in line)
    return {k: int(fields[k].strip(), 16) for k in ("CapInh", "CapPrm", "CapEff", "CapBnd",
                                                    "CapAmb")} | \
        {"NoNewPrivs": int(fields["NoNewPrivs"].strip())}


def thread_credentials(pid):
    """{tid: credentials} of every thread of pid."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                out[int(tid)] = credentials(f.read())
        except FileNotFoundError:
            pass  # the thread ended
    return out


def own_permitted():
    with open("/proc/self/status") as f:
        return credentials(f.read())["CapPrm"]


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def write_config(path, schedule):
    """A daemon config of schedule alone, 0644 (a daemon run as nobody reads it); returns path."""
    with open(path, "w") as f:
        json.dump({"schedule": schedule}, f)
    os.chmod(path, 0o644)
    return path


STATUS_QUERY = {"query": "SELECT mode, acct_mode FROM audit_status WHERE role = 'session'",
                "interval": 1, "snapshot": True}


@unittest.skipIf(root_skip_reason(), root_skip_reason())
class DaemonPrivilegeTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="procaudit-priv-")
        os.chmod(self.dir, 0o755)  # nobody's daemon reads its config here
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.marker = "pv" + os.urandom(5).hex()
        keep_host_state(self)
        self.children = []
        self.addCleanup(end_children, self.children)  # runs first

    def daemon(self, schedule, *extra, **kwargs):
        config = write_config(os.path.join(self.dir, "procaudit.conf"), schedule)
        d = Daemon(self, self.dir, config, *extra, **kwargs)
        self.kept.pids.append(d.pid)
        return d

    def session_status(self, d):
        snap = d.wait_for("the status snapshot", lambda: d.snapshots("status"))
        rows = snap[-1]["snapshot"]
        self.assertEqual(len(rows), 1, rows)
        return rows[0]

    def assertKeeps(self, d, names, bounding=None):
        """Every thread of d holds exactly names (∩ what this test holds), effective and
        permitted, bounding set `bounding` (default: the same), nothing inheritable or ambient,
        no_new_privs set; the log line says so."""
        want = mask(names) & own_permitted()
        threads = thread_credentials(d.pid)
        self.assertGreater(len(threads), 1, "the daemon runs threads")
        for tid, c in threads.items():
            got = {k: names_of(v) if k.startswith("Cap") else v for k, v in c.items()}
            self.assertEqual(got, {"CapEff": names_of(want), "CapPrm": names_of(want),
                                   "CapBnd": names_of(want if bounding is None else bounding),
                                   "CapInh": [], "CapAmb": [], "NoNewPrivs": 1},
                             f"thread {tid}")
        line = d.privileges_line()
        kept = re.search(r"privileges: kept (\S+) in every thread", line)
        self.assertIsNotNone(kept, line)
        self.assertEqual(sorted(kept.group(1).upper().split(",")), names_of(want), line)
        return line

    def test_unicast_and_own_accounting_keep_what_the_stop_needs(self):
        m = self.marker
        execs = {"query": "SELECT pid, cmdline FROM process_events WHERE syscall = 'execve' "
                          f"AND cmdline LIKE '%{m}%'", "interval": 1}
        d = self.daemon({"status": STATUS_QUERY, "execs": execs})
        d.wait_started()
        status = self.session_status(d)
        self.assertEqual(status["mode"], "unicast", "nobody owned the audit pid")
        own = status["acct_mode"] == "own"
        line = self.assertKeeps(
            d, PROC_CAPS | {"CAP_AUDIT_CONTROL"} | ({"CAP_SYS_PACCT"} if own else set()))
        self.assertIn("from the bounding set too", line)
        # The capture goes on: an exec after the drop is logged.
        subprocess.run(["/bin/true", f"{m}-after-drop"], check=True)
        d.wait_for("the exec", lambda: d.results("execs"))
        # Accounting goes on, and SIGHUP reloads: a query added now reads a SIGKILL'd process.
        victim = subprocess.Popen(["sleep", "600"])
        self.children.append(victim)
        victim.kill()
        victim.wait()
        write_config(d.config, {"status": STATUS_QUERY, "execs": execs,
                                "victim": {"query": "SELECT signal_name FROM acct_exits "
                                                    f"WHERE pid = {victim.pid} "
                                                    "ORDER BY start_time DESC LIMIT 1",
                                           "interval": 1}})
        d.proc.send_signal(signal.SIGHUP)
        rows = d.wait_for("the victim's exit", lambda: d.results("victim"))
        self.assertEqual(rows[0]["columns"], {"signal_name": "SIGKILL"})
        self.assertIn("config reloaded", d.stderr())
        # The stop, with only what was kept: the audit state and accounting as before (cleanup).
        self.assertEqual(d.stop(), 0, d.stderr())
        self.assertIn("daemon stopped", d.stderr())
        # What a stop short of a capability would say (the cleanup checks the state itself).
        for warning in ("restoring the audit state", "turning process accounting off"):
            self.assertNotIn(warning, d.stderr())
        self.assertFalse(os.path.exists(os.path.join(OWN_DIR, f"acct.{d.pid}.pacct")))

    def test_multicast_beside_auditd_drops_audit_read(self):
        m = self.marker
        schedule = {"status": STATUS_QUERY,
                    "execs": {"query": "SELECT pid FROM process_events WHERE syscall = 'execve' "
                                       f"AND cmdline LIKE '%{m}%'", "interval": 1}}
        with PrivateAuditd(os.path.join(self.dir, "auditd"), key=AUDITD_KEY) as audit:
            with_auditd = read_state()
            d = self.daemon(schedule, "--no-acct")
            d.wait_started()
            self.assertEqual(self.session_status(d)["mode"], "multicast")
            self.assertKeeps(d, PROC_CAPS | {"CAP_AUDIT_CONTROL"})
            # Records keep arriving on the multicast socket without CAP_AUDIT_READ.
            subprocess.run(["/bin/true", f"{m}-multicast"], check=True)
            rows = d.wait_for("the exec", lambda: d.results("execs"))
            self.assertEqual(len(rows), 1)
            self.assertEqual(d.stop(), 0, d.stderr())
            self.assertEqual(read_state(), with_auditd, "procaudit changed auditd's state")
            self.assertIsNotNone(audit.auditd_pid)

    def test_no_capture_keeps_only_what_proc_needs(self):
        nobody = nobody_process(self.children)
        d = self.daemon({"fds": {"query": "SELECT fd, path FROM process_open_files "
                                          f"WHERE pid = {nobody} AND fd = 3", "interval": 1},
                         "exe": {"query": f"SELECT path FROM process_tree WHERE pid = {nobody}",
                                 "interval": 1}},
                        "--audit-mode", "off", "--no-acct", store=False)
        d.wait_started()
        rows = d.wait_for("the nobody process's descriptor", lambda: d.results("fds"))
        self.assertEqual(rows[0]["columns"], {"fd": "3", "path": "/etc/hostname"})
        rows = d.wait_for("the nobody process's executable", lambda: d.results("exe"))
        self.assertEqual(rows[0]["columns"], {"path": os.path.realpath(shutil.which("sleep"))})
        self.assertKeeps(d, PROC_CAPS)
        self.assertEqual(d.stop(), 0, d.stderr())

    def test_under_the_units_bounding_set(self):
        d = self.daemon({"status": STATUS_QUERY}, preexec_fn=bounded_to(UNIT_CAPABILITIES))
        d.wait_started()
        status = self.session_status(d)
        own = status["acct_mode"] == "own"
        line = self.assertKeeps(
            d, PROC_CAPS | {"CAP_AUDIT_CONTROL"} | ({"CAP_SYS_PACCT"} if own else set()))
        self.assertIn("from the bounding set too", line)
        self.assertEqual(d.stop(), 0, d.stderr())

    def test_without_setpcap_the_bounding_set_stays_and_no_new_privs_holds(self):
        unit = UNIT_CAPABILITIES - {"CAP_SETPCAP"}
        d = self.daemon({"one": {"query": "SELECT 1 AS x", "interval": 1}},
                        "--audit-mode", "off", "--no-acct", store=False,
                        preexec_fn=bounded_to(unit))
        d.wait_started()
        line = self.assertKeeps(d, PROC_CAPS, bounding=capability_mask(unit))
        self.assertIn("bounding set left: no CAP_SETPCAP", line)
        self.assertEqual(d.stop(), 0, d.stderr())

    def test_as_nobody_there_is_nothing_to_drop_but_no_new_privs_is_set(self):
        d = self.daemon({"one": {"query": "SELECT 1 AS x", "interval": 1}},
                        "--audit-mode", "off", "--no-acct", store=False, user=65534)
        d.wait_started()
        d.wait_for("a result", lambda: d.results("one"))
        with open(f"/proc/{d.pid}/status") as f:
            c = credentials(f.read())
        self.assertEqual((c["CapEff"], c["CapPrm"], c["NoNewPrivs"]), (0, 0, 1))
        self.assertIn("privileges: kept none", d.privileges_line())
        self.assertEqual(d.stop(), 0, d.stderr())

    def test_files_written_under_umask_0_are_private(self):
        d = self.daemon({"status": STATUS_QUERY}, preexec_fn=lambda: os.umask(0))
        d.wait_started()
        own = self.session_status(d)["acct_mode"] == "own"
        files = {os.path.join(STATE_DIR, f"live.{d.pid}.state"): 0o600,
                 d.store_dir: 0o700, d.store: 0o600, d.store + "-wal": 0o600,
                 d.store + "-shm": 0o600,
                 os.path.join(d.logs, "procaudit.snapshots.log"): 0o600,
                 STATE_DIR: 0o700}
        if own:
            files.update({os.path.join(STATE_DIR, f"acct.{d.pid}.state"): 0o600,
                          os.path.join(OWN_DIR, f"acct.{d.pid}.pacct"): 0o600, OWN_DIR: 0o700})
        d.wait_for("the store's -wal and -shm",
                   lambda: os.path.exists(d.store + "-wal") and os.path.exists(d.store + "-shm"))
        self.assertEqual({p: oct(mode_of(p)) for p in files},
                         {p: oct(m) for p, m in files.items()})
        self.assertEqual(d.stop(), 0, d.stderr())


class DaemonSqlTest(unittest.TestCase):
    """The daemon's scheduled SQL only reads: what sqlite3_stmt_readonly() lets by is refused by
    its authorizer, named in one line per query, and does nothing."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="procaudit-priv-sql-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.attached = os.path.join(self.dir, "attached.db")
        self.schedule = {
            "attach": {"query": f"ATTACH '{self.attached}' AS x", "interval": 1},
            "writable_schema": {"query": "PRAGMA writable_schema = ON", "interval": 1},
            "temp_dir": {"query": f"PRAGMA temp_store_directory = '{self.dir}'", "interval": 1},
            "begin": {"query": "BEGIN", "interval": 1},
            "load": {"query": "SELECT load_extension('/nonexistent/x.so') AS x", "interval": 1},
            "vacuum": {"query": f"VACUUM INTO '{self.attached}'", "interval": 1},
            "reads": {"query": "SELECT 1 AS one", "interval": 1},
            "pragma_reads": {"query": "PRAGMA user_version", "interval": 1},
        }
        # VACUUM has no authorizer action: the scheduler's read-only check refuses it.
        self.refused = {"attach": "not authorized", "writable_schema": "not authorized",
                        "temp_dir": "not authorized", "begin": "not authorized",
                        "load": "not authorized to use function: load_extension",
                        "vacuum": "not a read-only statement"}

    def assertRefused(self, stderr):
        for name, why in self.refused.items():
            lines = [x for x in stderr.splitlines() if f"query {name} skipped" in x]
            self.assertEqual(len(lines), 1, stderr)
            self.assertIn(f"skipped: {why} (", lines[0])
        for name in ("reads", "pragma_reads"):
            self.assertNotIn(f"query {name} skipped", stderr)

    def test_check_config_names_each_refused_query(self):
        config = write_config(os.path.join(self.dir, "procaudit.conf"), self.schedule)
        proc = run([SHELL, "--daemon", "--config", config, "--check-config"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("8 scheduled queries, 2 would run", proc.stdout)
        self.assertRefused(proc.stderr)

    def test_running_daemon_attaches_nothing(self):
        self.schedule["reads"]["snapshot"] = True  # a line every run
        config = write_config(os.path.join(self.dir, "procaudit.conf"), self.schedule)
        d = Daemon(self, self.dir, config, "--audit-mode", "off", "--no-acct", store=False)
        d.wait_started()
        self.assertRefused(d.stderr())
        d.wait_for("three runs", lambda: len(d.snapshots("reads")) >= 3)
        self.assertEqual(d.stop(), 0, d.stderr())
        self.assertFalse(os.path.exists(self.attached), "ATTACH or VACUUM INTO made its file")
        logged = {r["name"] for r in d.results() + d.snapshots()}
        self.assertEqual(logged, {"reads", "pragma_reads"})


class DirectOnlyTest(unittest.TestCase):
    """A database file whose views and triggers use procaudit's tables, opened with the
    extension loaded: using them fails with SQLite's "unsafe use of virtual table"."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="procaudit-priv-directonly-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.db = os.path.join(self.dir, "crafted.db")
        # Made by a plain SQLite that has never seen the tables: a crafted file.
        conn = sqlite3.connect(self.db)
        conn.execute("CREATE TABLE log(v)")
        for table in TABLES:
            conn.execute(f"CREATE VIEW v_{table} AS SELECT count(*) AS n FROM {table}")
            # One table per trigger: an INSERT compiles every trigger of its table.
            conn.execute(f"CREATE TABLE t_{table}(x)")
            conn.execute(f"CREATE TRIGGER tr_{table} AFTER INSERT ON t_{table} "
                         f"BEGIN INSERT INTO log SELECT count(*) FROM {table}; END")
        conn.commit()
        conn.close()

    def cli(self, *sql):
        return run(["sqlite3", "-bail", "-cmd", f".load {EXTENSION}", self.db, *sql],
                   env=QUIET_ENV)

    def connect(self):
        conn = sqlite3.connect(self.db)
        conn.enable_load_extension(True)
        conn.load_extension(EXTENSION)
        conn.enable_load_extension(False)
        self.addCleanup(conn.close)
        return conn

    def test_the_sqlite3_cli_refuses_views_and_triggers(self):
        for table in TABLES:
            with self.subTest(table=table):
                r = self.cli(f"SELECT n FROM v_{table}")
                self.assertNotEqual(r.returncode, 0, r.stdout)
                self.assertIn(f'unsafe use of virtual table "{table}"', r.stderr)
                r = self.cli(f"INSERT INTO t_{table} VALUES (1)")
                self.assertNotEqual(r.returncode, 0, r.stdout)
                self.assertIn(f'unsafe use of virtual table "{table}"', r.stderr)
        r = run(["sqlite3", self.db, "SELECT count(*) FROM log"])
        self.assertEqual(r.stdout.strip(), "0", "a trigger wrote")

    def test_python_refuses_views_and_triggers(self):
        conn = self.connect()
        for table in TABLES:
            with self.subTest(table=table):
                with self.assertRaisesRegex(sqlite3.OperationalError,
                                            f'unsafe use of virtual table "{table}"'):
                    conn.execute(f"SELECT n FROM v_{table}").fetchall()
                with self.assertRaisesRegex(sqlite3.OperationalError,
                                            f'unsafe use of virtual table "{table}"'):
                    conn.execute(f"INSERT INTO t_{table} VALUES (1)")
        self.assertEqual(conn.execute("SELECT count(*) FROM log").fetchone(), (0,))

    def test_trusted_schema_on_does_not_lift_it(self):
        # A table merely not innocuous would be allowed in a view with trusted_schema on; an
        # innocuous one even with it off. DIRECTONLY is refused either way.
        conn = self.connect()
        for trusted in (1, 0):
            conn.execute(f"PRAGMA trusted_schema = {trusted}")
            with self.assertRaisesRegex(sqlite3.OperationalError, "unsafe use of virtual table"):
                conn.execute("SELECT n FROM v_process_tree").fetchall()
        r = self.cli("PRAGMA trusted_schema = 1", "SELECT n FROM v_processes")
        self.assertIn('unsafe use of virtual table "processes"', r.stderr)

    def test_direct_selects_work(self):
        conn = self.connect()
        self.assertGreater(conn.execute("SELECT count(*) FROM process_tree").fetchone()[0], 0)
        me = conn.execute(f"SELECT pid FROM processes WHERE pid = {os.getpid()}").fetchall()
        self.assertEqual(me, [(os.getpid(),)])
        r = self.cli(f"SELECT pid FROM process_tree WHERE pid = {os.getpid()}")
        self.assertEqual((r.returncode, r.stdout.strip()), (0, str(os.getpid())), r.stderr)

    def test_no_table_is_registered_innocuous(self):
        # What the trusted_schema test shows by behaviour, in the source: only DIRECTONLY.
        found = []
        for folder in ("src", "tables"):
            for root, _, files in os.walk(os.path.join(SOURCE_DIR, folder)):
                for name in files:
                    with open(os.path.join(root, name), errors="replace") as f:
                        if "SQLITE_VTAB_INNOCUOUS" in f.read():
                            found.append(os.path.join(root, name))
        self.assertEqual(found, [])


class ShellRunsNothingTest(unittest.TestCase):
    """No dot command runs a program; no SQL loads code or names a file to read or write."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="procaudit-priv-shell-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)

    def shell(self, *args, **kwargs):
        return run([SHELL, "--audit-mode", "off", "--no-acct", *args], **kwargs)

    def test_no_dot_command_runs_a_program(self):
        made = os.path.join(self.dir, "made")
        for cmd in (".system", ".shell", ".sh", ".!", ".edit", ".load", ".open"):
            with self.subTest(cmd=cmd):
                r = self.shell(f"{cmd} touch {made}")
                self.assertEqual(r.returncode, 1, r.stdout)
                self.assertEqual(r.stderr, f"Error: unknown command '{cmd}': .help lists the "
                                           "commands\n")
                self.assertFalse(os.path.exists(made))
        r = self.shell(".help")
        self.assertEqual(sorted(re.findall(r"^(\.\w+)", r.stdout, re.M)),
                         [".headers", ".help", ".mode", ".once", ".output", ".quit", ".read",
                          ".schema", ".tables", ".timer"])

    def test_sql_loads_no_code_and_names_no_file(self):
        target = os.path.join(self.dir, "written")
        r = self.shell(f"SELECT load_extension('{EXTENSION}')")
        self.assertEqual((r.returncode, r.stderr),
                         (1, "Error: not authorized to use function: load_extension\n"))
        for sql in (f"SELECT writefile('{target}', 'x')", "SELECT readfile('/etc/hostname')",
                    "SELECT edit('x', 'vi')", "SELECT fts3_tokenizer('simple')"):
            with self.subTest(sql=sql):
                r = self.shell(sql)
                self.assertEqual(r.returncode, 1, r.stdout)
                self.assertRegex(r.stderr, r"^Error: (not authorized to use|no such) function: \w+\n$")
        self.assertFalse(os.path.exists(target))


class ShellFileModesTest(unittest.TestCase):
    """The shell's files are 0600 whatever the umask (here 0)."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="procaudit-priv-modes-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)

    def test_output_and_once_files(self):
        out, once = os.path.join(self.dir, "out.txt"), os.path.join(self.dir, "once.txt")
        r = run([SHELL, "--audit-mode", "off", "--no-acct"],
                input=f".output {out}\nSELECT 1;\n.output\n.once {once}\nSELECT 2;\n",
                preexec_fn=lambda: os.umask(0))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual((mode_of(out), mode_of(once)), (0o600, 0o600))

    def test_history(self):
        pid, fd = pty.fork()
        if pid == 0:
            os.umask(0)
            os.environ.update(HOME=self.dir, TERM="dumb")
            os.execv(SHELL, [SHELL, "--audit-mode", "off", "--no-acct"])
        try:
            self.read_until(fd, b"procaudit>")
            os.write(fd, b"SELECT 42;\r")
            self.read_until(fd, b"procaudit>")
            os.write(fd, b".quit\r")
            _, status = os.waitpid(pid, 0)
            pid = None
            self.assertEqual(os.waitstatus_to_exitcode(status), 0)
        finally:
            if pid is not None:
                os.kill(pid, signal.SIGKILL)  # our own child, by pid
                os.waitpid(pid, 0)
            os.close(fd)
        self.assertEqual(mode_of(os.path.join(self.dir, ".procaudit_history")), 0o600)

    @staticmethod
    def read_until(fd, want):
        out = b""
        deadline = time.monotonic() + HANG
        while want not in out:
            if time.monotonic() >= deadline:
                raise AssertionError(f"no {want!r} from the shell: {out!r}")
            if select.select([fd], [], [], 0.5)[0]:
                out += os.read(fd, 4096)
        return out

    def test_audit_plugin_files(self):
        # The plugin script with its paths pointed here, run as auditd would: records on stdin.
        with open(os.path.join(SOURCE_DIR, "packaging/auditd/audit-plugin")) as f:
            script = f.read()
        logdir = os.path.join(self.dir, "log", "procaudit")
        sql = os.path.join(self.dir, "plugin.sql")
        with open(sql, "w") as f:
            f.write("SELECT count(*) AS n FROM process_events")
        script = (script.replace("/usr/bin/procaudit", SHELL)
                  .replace("/etc/procaudit/plugin.sql", sql)
                  .replace("/var/log/procaudit", logdir))
        plugin = os.path.join(self.dir, "audit-plugin")
        with open(plugin, "w") as f:
            f.write(script)
        r = run(["sh", plugin], input="", preexec_fn=lambda: os.umask(0))
        self.assertEqual(r.returncode, 0, r.stderr)
        out = os.path.join(logdir, "plugin.json")
        with open(out) as f:
            self.assertEqual(json.load(f), [{"n": 0}])
        self.assertEqual({p: oct(mode_of(p)) for p in (logdir, out, out + ".err")},
                         {logdir: "0o700", out: "0o600", out + ".err": "0o600"})


class CapabilityDocsTest(unittest.TestCase):
    """README's capability table names, for each table, what its spec's `capabilities` does."""

    def test_readme_matches_the_specs(self):
        specs = {}
        for name in TABLES:
            with open(os.path.join(SOURCE_DIR, "specs", f"{name}.toml"), "rb") as f:
                specs[name] = set(tomllib.load(f)["capabilities"]["names"])
        with open(os.path.join(SOURCE_DIR, "README.md")) as f:
            readme = f.read()
        section = readme.split("### Capabilities", 1)[1].split("\n#", 1)[0]
        seen = {}
        for line in section.splitlines():
            if not line.startswith("| `"):
                continue
            tables_cell, caps_cell = line.split("|")[1:3]
            for table in re.findall(r"`(\w+)`", tables_cell):
                seen[table] = set(re.findall(r"CAP_[A-Z_]+", caps_cell))
        self.assertEqual(seen, specs)


if __name__ == "__main__":
    unittest.main()
