"""The daemon, `procaudit --daemon --config FILE`, run for real: osquery's incident-response pack
and procaudit's own queries on this machine's kernel, their result logs checked against
osquery's format (tests/e2e/result_log.schema.json), differential rows for a process started
and killed between runs, event queries that log each event once; a kill -9 in the middle of an
exec storm and a restart on the same store; SIGHUP reloads; bad configs refused.

Tests that start the daemon need root and kernel audit (else skipped, the reason printed). They
hold the host lock and check that the audit state and process accounting are exactly as before,
also when a test fails (then they put it back: audit_sandbox.restore_state). Waits re-read the
logs with a generous hang guard; nothing asserts how long anything takes.
"""
import json
import os
import secrets
import shutil
import signal
import stat
import subprocess
import tempfile
import time
import unittest

from daemon_e2e import Daemon, keep_host_state, root_skip_reason
from procaudit_e2e import HANG, SHELL, SOURCE_DIR, run

from audit_sandbox import read_state

PACKS = os.path.join(SOURCE_DIR, "tests/fixtures/public/osquery-packs")
IR_PACK = os.path.join(PACKS, "incident-response.conf")
SCHEMA = os.path.join(SOURCE_DIR, "tests/e2e/result_log.schema.json")


def of(rows, name, action=None):
    return [r for r in rows if r["name"] == name and (action is None or r["action"] == action)]


class BadConfigTest(unittest.TestCase):
    """A config with a mistake stops the start, with one line naming the file and the key, before
    anything is created or changed."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="procaudit-daemon-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)

    def refuse(self, text, *words):
        config = os.path.join(self.dir, "bad.conf")
        with open(config, "w") as f:
            f.write(text)
        logs = os.path.join(self.dir, "logs")
        os.makedirs(logs, exist_ok=True)
        store = os.path.join(self.dir, "store", "events.db")
        before = read_state() if root_skip_reason() is None else None
        proc = run([SHELL, "--daemon", "--config", config, "--logger-path", logs,
                    "--store", store], timeout=HANG)
        self.assertEqual(proc.returncode, 1, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, proc.stderr)
        for word in words:
            self.assertIn(word, lines[0])
        self.assertEqual(os.listdir(logs), [], "a log was created")
        self.assertFalse(os.path.exists(store), "the store was created")
        if before is not None:
            self.assertEqual(read_state(), before)
        return lines[0]

    def test_invalid_json(self):
        self.refuse('{"schedule": {"q": {"query": "SELECT 1", "interval": 10}', "bad.conf")

    def test_interval_zero_and_huge(self):
        for interval in ("0", "10000000000", '"-5"', "1.5"):
            with self.subTest(interval=interval):
                self.refuse('{"schedule": {"q": {"query": "SELECT 1", "interval": %s}}}' % interval,
                            "bad.conf", "schedule", "q", "interval")

    def test_unknown_keys(self):
        self.refuse('{"schedule": {}, "scheduel": {}}', "bad.conf", "scheduel")
        self.refuse('{"schedule": {"q": {"query": "SELECT 1", "interval": 5, "snapshat": true}}}',
                    "bad.conf", "snapshat")

    def test_unreadable_pack(self):
        self.refuse('{"packs": {"gone": "/nonexistent/procaudit/pack.conf"}}',
                    "/nonexistent/procaudit/pack.conf")

    def test_missing_config(self):
        line = self.refuse("", "bad.conf")  # an empty file is not JSON either
        self.assertNotIn("\n", line)
        proc = run([SHELL, "--daemon", "--config", os.path.join(self.dir, "none.conf")])
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertIn("none.conf", proc.stderr)

    def test_a_config_others_may_write(self):
        config = os.path.join(self.dir, "open.conf")
        with open(config, "w") as f:
            f.write('{"schedule": {}}')
        os.chmod(config, 0o666)
        proc = run([SHELL, "--daemon", "--config", config, "--check-config"])
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertIn("writable by group or others", proc.stderr)

    def test_options_go_with_daemon(self):
        proc = run([SHELL, "--config", "x.conf", "SELECT 1"])
        self.assertEqual(proc.returncode, 2)
        self.assertIn("--daemon", proc.stderr)
        proc = run([SHELL, "--daemon"])
        self.assertEqual(proc.returncode, 2)
        self.assertIn("--config", proc.stderr)


class CheckConfigTest(unittest.TestCase):
    """--check-config: every real osquery pack loads; what procaudit cannot run is named."""

    def test_every_real_pack_loads(self):
        with tempfile.TemporaryDirectory() as d:
            config = os.path.join(d, "packs.conf")
            with open(config, "w") as f:
                json.dump({"packs": {"all": os.path.join(PACKS, "*.conf")}}, f)
            proc = run([SHELL, "--daemon", "--config", config, "--check-config"])
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertRegex(proc.stdout, r"packs.conf: \d+ scheduled quer(y|ies), \d+ would run")
            self.assertIn("pack_incident-response_crontab skipped: no such table: crontab",
                          proc.stderr)
            runnable = int(proc.stdout.split(", ")[1].split()[0])
            self.assertGreater(runnable, 0)


@unittest.skipIf(root_skip_reason(), root_skip_reason())
class DaemonTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="procaudit-daemon-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.marker = "dm" + secrets.token_hex(5)
        keep_host_state(self)

    def config(self, schedule, packs=None, name="procaudit.conf"):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            json.dump({"schedule": schedule, "packs": packs or {}}, f)
        return path

    def validate(self, daemon):
        import jsonschema
        with open(SCHEMA) as f:
            schema = json.load(f)
        lines = daemon.results() + daemon.snapshots()
        self.assertTrue(lines)
        for line in lines:
            jsonschema.validate(line, schema)
            self.assertEqual(line["hostIdentifier"], "e2e-host")
        for name in ("procaudit.results.log", "procaudit.snapshots.log"):
            mode = stat.S_IMODE(os.stat(os.path.join(daemon.logs, name)).st_mode)
            self.assertEqual(mode, 0o600, name)

    def test_packs_differential_and_event_queries(self):
        m = self.marker
        with open(IR_PACK) as f:
            fast = json.load(f)
        for q in fast["queries"].values():
            q["interval"] = 2  # the real pack, on a test's clock
        sleepers = f"FROM processes WHERE cmdline LIKE '{m}-sleep%'"
        config = self.config({
            "sleepers": {"query": f"SELECT pid, cmdline {sleepers}", "interval": 1},
            "sleepers_added_only": {"query": f"SELECT pid {sleepers}", "interval": "1",
                                    "removed": False},
            "execs": {"query": "SELECT eid, pid, path, cmdline FROM process_events "
                               f"WHERE syscall = 'execve' AND cmdline LIKE '%{m}-exec%'",
                      "interval": 1},
            "health": {"query": "SELECT mode, ring_rows, queue_drops FROM audit_status "
                                "WHERE mode IN ('unicast', 'multicast')",
                       "interval": 1, "snapshot": True},
        }, {"incident-response": IR_PACK, "ir-fast": fast})
        daemon = Daemon(self, self.dir, config, "--no-acct")
        daemon.wait_started()
        # The pack's queries over tables procaudit does not have: each reported once, by name.
        err = daemon.stderr()
        for query, table in (("crontab", "crontab"), ("shell_history", "users"),
                             ("kernel_modules", "kernel_modules")):
            for pack in ("incident-response", "ir-fast"):
                line = [x for x in err.splitlines() if f"pack_{pack}_{query} " in x]
                self.assertEqual(len(line), 1, err)
                self.assertIn(f"no such table: {table}", line[0])
        self.assertNotIn("pack_incident-response_open_sockets ", err)

        sleeper = subprocess.Popen([f"{m}-sleep", "1000"], executable="/bin/sleep")
        self.addCleanup(lambda: sleeper.poll() is None and sleeper.kill())
        daemon.wait_results("the sleeper added", lambda rows: any(
            r["columns"].get("pid") == str(sleeper.pid) for r in of(rows, "sleepers", "added")))
        sleeper.kill()
        sleeper.wait()
        daemon.wait_results("the sleeper removed", lambda rows: any(
            r["columns"].get("pid") == str(sleeper.pid) for r in of(rows, "sleepers", "removed")))
        for i in range(3):
            subprocess.run(["/bin/true", f"{m}-exec{i}"], check=True)
        daemon.wait_results("three execs", lambda rows: len(of(rows, "execs")) >= 3)
        daemon.wait_results("the fast pack", lambda rows: of(rows, "pack_ir-fast_open_files"))
        # A few more runs: nothing is logged twice.
        runs = len(daemon.snapshots())
        deadline = time.monotonic() + HANG
        while len(daemon.snapshots()) < runs + 3 and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertEqual(daemon.stop(), 0, daemon.stderr())
        self.assertIn("daemon stopped", daemon.stderr())

        rows = daemon.results()
        self.validate(daemon)
        execs = of(rows, "execs")
        self.assertEqual(sorted(r["columns"]["cmdline"] for r in execs),
                         [f"/bin/true {m}-exec{i}" for i in range(3)], "each exec logged once")
        self.assertTrue(all(r["action"] == "added" for r in execs))
        self.assertEqual(len(of(rows, "sleepers", "added")), 1)
        self.assertEqual(len(of(rows, "sleepers", "removed")), 1)
        self.assertEqual(of(rows, "sleepers_added_only", "removed"), [], '"removed": false')
        self.assertEqual(len(of(rows, "sleepers_added_only", "added")), 1)
        counters = [r["counter"] for r in of(rows, "sleepers")]
        self.assertEqual(counters, sorted(counters))
        snaps = [s for s in daemon.snapshots() if s["name"] == "health"]
        self.assertGreaterEqual(len(snaps), 3)
        self.assertEqual(len(snaps[-1]["snapshot"]), 1)
        # The store: the stock sqlite3 CLI opens it, and it holds the execs.
        proc = run(["sqlite3", daemon.store, "PRAGMA integrity_check",
                    f"SELECT count(*) FROM process_events WHERE syscall = 'execve' "
                    f"AND cmdline LIKE '%{m}-exec%'"])
        self.assertEqual(proc.stdout.split(), ["ok", "3"], proc.stderr)
        mode = stat.S_IMODE(os.stat(daemon.store).st_mode)
        self.assertEqual(mode, 0o600)

    def test_kill_9_in_a_storm_then_restart(self):
        m = self.marker
        query = ("SELECT eid, pid, cmdline FROM process_events WHERE syscall = 'execve' "
                 f"AND cmdline LIKE '%{m}-%'")
        config = self.config({"execs": {"query": query, "interval": 1}})
        first = Daemon(self, self.dir, config, "--no-acct")
        first.wait_started()
        subprocess.run(["/bin/true", f"{m}-before"], check=True)
        first.wait_results("the first exec", lambda rows: of(rows, "execs"))
        storm = subprocess.Popen(["/bin/sh", "-c",
                                  f"i=0; while [ $i -lt 4000 ]; do /bin/true {m}-storm$i; "
                                  "i=$((i+1)); done"])
        self.addCleanup(lambda: storm.poll() is None and storm.kill())
        first.wait_results("storm execs", lambda rows: len(of(rows, "execs")) > 50)
        self.assertEqual(first.stop(signal.SIGKILL), -signal.SIGKILL)
        logged_before = [int(r["columns"]["eid"]) for r in of(first.results(), "execs")]
        storm.wait(timeout=HANG * 5)

        second = Daemon(self, self.dir, config, "--no-acct")
        second.wait_started()
        subprocess.run(["/bin/true", f"{m}-after"], check=True)
        second.wait_results("the exec after the restart", lambda rows: any(
            r["columns"]["cmdline"] == f"/bin/true {m}-after" for r in of(rows, "execs")))
        self.assertEqual(second.stop(), 0, second.stderr())

        rows = of(second.results(), "execs")
        eids = [int(r["columns"]["eid"]) for r in rows]
        self.assertEqual(len(eids), len(set(eids)), "an eid logged twice")
        after = eids[len(logged_before):]
        self.assertTrue(after, "nothing logged after the restart")
        self.assertGreater(min(after), max(logged_before), "the query resumed after its last eid")
        cmdlines = [r["columns"]["cmdline"] for r in rows]
        self.assertEqual(len(cmdlines), len(set(cmdlines)), "an event logged twice")
        self.assertEqual(cmdlines.count(f"/bin/true {m}-after"), 1)
        # The store opens cleanly and holds no event twice.
        proc = run(["sqlite3", second.store, "PRAGMA integrity_check",
                    "SELECT count(*) FROM (SELECT time_ms, serial FROM process_events "
                    "GROUP BY 1, 2 HAVING count(*) > 1)",
                    "SELECT count(*) FROM process_events WHERE syscall = 'execve' "
                    f"AND cmdline = '/bin/true {m}-after'"])
        self.assertEqual(proc.stdout.split(), ["ok", "0", "1"], proc.stderr)
        # procaudit reads the store too, history and all, while no daemon runs.
        proc = run([SHELL, "--store", second.store, "--json",
                    "SELECT count(*) AS n FROM process_events WHERE syscall = 'execve' "
                    f"AND cmdline = '/bin/true {m}-after'"])
        self.assertEqual(json.loads(proc.stdout), [{"n": 1}], proc.stderr)

    def test_history_across_a_restart(self):
        """A process started under one daemon and ended under the next: the second daemon's
        process_lifecycle row has its start and image from the stored history."""
        m = self.marker
        config = self.config({"ends": {
            "query": "SELECT pid, path, start_source, start_eid, end_source FROM process_lifecycle "
                     f"WHERE cmdline LIKE '{m}-sleep%'",
            "interval": 1}})
        first = Daemon(self, self.dir, config, "--no-acct")
        first.wait_started()
        # cat, ended by closing its input: an exit audit sees (a SIGKILL only accounting sees).
        sleeper = subprocess.Popen([f"{m}-sleep"], executable="/bin/cat", stdin=subprocess.PIPE)
        self.addCleanup(lambda: sleeper.poll() is None and sleeper.kill())
        # Stored once the store thread's next batch is in (the stock CLI reads beside the daemon).
        deadline = time.monotonic() + HANG
        query = ("SELECT min(eid) FROM process_events WHERE syscall = 'execve' "
                 f"AND pid = {sleeper.pid}")
        while not run(["sqlite3", first.store, query]).stdout.strip():
            self.assertLess(time.monotonic(), deadline, "the exec never reached the store")
            time.sleep(0.2)
        exec_eid = int(run(["sqlite3", first.store, query]).stdout)
        self.assertEqual(first.stop(), 0, first.stderr())

        second = Daemon(self, self.dir, config, "--no-acct")
        second.wait_started()
        sleeper.stdin.close()
        self.assertEqual(sleeper.wait(timeout=HANG), 0)
        rows = second.wait_results("the sleeper's end", lambda rows: of(rows, "ends"))
        ends = of(rows, "ends")
        self.assertEqual(len(ends), 1, ends)
        columns = ends[0]["columns"]
        self.assertEqual(columns["pid"], str(sleeper.pid))
        self.assertEqual(columns["path"], "/usr/bin/cat")
        self.assertEqual(columns["end_source"], "exit_group")
        self.assertLessEqual(int(columns["start_eid"]), exec_eid, "its start is from the history")
        self.assertEqual(second.stop(), 0, second.stderr())
        # procaudit --store reads the same history beside no daemon, process_lifecycle included.
        proc = run([SHELL, "--store", second.store, "--json",
                    f"SELECT pid, end_source FROM process_lifecycle WHERE pid = {sleeper.pid}"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn({"pid": sleeper.pid, "end_source": "exit_group"},
                      json.loads(proc.stdout) if proc.stdout.strip() else [], proc.stdout)

    def test_sighup_reloads_and_a_bad_reload_keeps_the_config(self):
        m = self.marker
        config = self.config({"one": {"query": "SELECT 1 AS x", "interval": 1}})
        daemon = Daemon(self, self.dir, config, "--no-acct", store=False)
        daemon.wait_started()
        daemon.wait_results("one", lambda rows: of(rows, "one"))
        self.config({"one": {"query": "SELECT 1 AS x", "interval": 1},
                     "two": {"query": f"SELECT '{m}' AS y", "interval": 1}})
        daemon.proc.send_signal(signal.SIGHUP)
        daemon.wait_results("two", lambda rows: of(rows, "two"))
        with open(config, "w") as f:
            f.write("{not json")
        daemon.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + HANG
        while "reload failed" not in daemon.stderr() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertIn("reload failed", daemon.stderr())
        self.assertIsNone(daemon.proc.poll(), "a bad reload stopped the daemon")
        self.assertEqual(daemon.stop(signal.SIGINT), 0, daemon.stderr())
        self.assertEqual(len(of(daemon.results(), "one", "added")), 1)
        self.assertEqual(len(of(daemon.results(), "two", "added")), 1)

    def test_file_events_stored_and_logged_after_a_restart_before_the_first_run(self):
        """File events are stored too, and a query is marked when it is scheduled: an hourly
        file_events query, stopped before its first run, logs on the next daemon's first run
        what the first daemon captured, each event once; the stock sqlite3 and procaudit --store
        read them from the store."""
        m = self.marker
        watched = os.path.join(self.dir, "watched")
        os.mkdir(watched)
        query = ("SELECT eid, operation, path FROM file_events "
                 f"WHERE operation = 'create' AND path LIKE '{watched}/{m}-%'")
        config = self.config({"files": {"query": query, "interval": 3600}})
        first = Daemon(self, self.dir, config, "--no-acct", "--watch-dir", watched)
        first.wait_started()
        for i in range(3):
            with open(os.path.join(watched, f"{m}-a{i}"), "w"):
                pass
        stored = f"SELECT count(*) FROM file_events WHERE path LIKE '{watched}/{m}-a%'"
        deadline = time.monotonic() + HANG
        while run(["sqlite3", first.store, stored]).stdout.strip() != "3":
            self.assertLess(time.monotonic(), deadline, "the creates never reached the store")
            time.sleep(0.2)
        self.assertEqual(first.stop(), 0, first.stderr())
        self.assertEqual(of(first.results(), "files"), [], "the hourly query ran")

        self.config({"files": {"query": query, "interval": 1}})
        second = Daemon(self, self.dir, config, "--no-acct", "--watch-dir", watched)
        second.wait_started()
        with open(os.path.join(watched, f"{m}-b0"), "w"):
            pass
        expected = sorted(os.path.join(watched, f"{m}-{n}") for n in ("a0", "a1", "a2", "b0"))
        second.wait_results("the four creates", lambda rows: sorted(
            r["columns"]["path"] for r in of(rows, "files")) == expected)
        time.sleep(3)  # three more runs, which must log nothing again
        self.assertEqual(second.stop(), 0, second.stderr())
        rows = of(second.results(), "files")
        self.assertEqual(sorted(r["columns"]["path"] for r in rows), expected, "each once")
        eids = [int(r["columns"]["eid"]) for r in rows]
        self.assertEqual(len(eids), len(set(eids)))
        self.assertTrue(all(r["action"] == "added" for r in rows))
        proc = run(["sqlite3", second.store, "PRAGMA integrity_check",
                    f"SELECT count(*) FROM file_events WHERE path LIKE '{watched}/{m}-%' "
                    "AND operation = 'create' AND flags LIKE 'O_WRONLY|O_CREAT|O_TRUNC%'"])
        self.assertEqual(proc.stdout.split(), ["ok", "4"], proc.stderr)
        proc = run([SHELL, "--store", second.store, "--json",
                    "SELECT path FROM file_events WHERE operation = 'create' "
                    f"AND path LIKE '{watched}/{m}-%' ORDER BY eid"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(sorted(r["path"] for r in json.loads(proc.stdout)), expected)


if __name__ == "__main__":
    unittest.main()
