"""Live capture from this machine's kernel: procaudit (shell, --follow, loadable extension) as
the audit pid, beside a private auditd, killed, and unprivileged.

Needs root and kernel audit (auditd's binaries for the coexistence tests); elsewhere every test
is skipped with the reason printed. Each test holds the host lock (audit_sandbox.host_lock), so
no other audit user on this host runs in between, and checks at its end, in a cleanup that runs
even when the test failed, that the audit state (auditctl -s state fields and auditctl -l) is
exactly what it was before. If procaudit did not restore it, the cleanup says so (the test
fails) and puts it back itself (audit_sandbox.restore_state), so the next test starts clean.

The workload is a handful of processes started one after another, each with a marker unique to
the test run in its argv (MarkerWorkload); a last one, started after all the others ended, tells
when everything before it has been captured. Waits re-query with a generous hang guard; nothing
here asserts how long anything takes.
"""
import json
import os
import re
import secrets
import select
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from procaudit_e2e import (BUILD_DIR, EXTENSION, SHELL, audit_skip_reason, end_sessions, run,
                           skip_for)
from test_audit_replay import WorkloadChecks

from audit_sandbox import (DEFAULT_RULES, DEFAULT_SYSCALLS, PrivateAuditd,
                           host_lock, read_state, restore_state, rules_with_key)
from live_procaudit import ExtensionSession, SessionError, ShellSession
from test_acct_live import AccountingKept

KEY = "procaudit"                       # the key of the rules procaudit installs
AUDITD_KEY = "procaudit_e2e_live"       # the private auditd's rules
DECOY_KEY = "procaudit_e2e_decoy"       # starts with "procaudit": a prefix delete takes it too
STATE_DIR = "/run/procaudit"            # where a capture keeps what it must restore
THREADS_EXIT = os.path.join(BUILD_DIR, "workload/threads_exit")
WORKLOAD = os.path.join(BUILD_DIR, "workload/run_workload.sh")
EXEC_STORM = os.path.join(BUILD_DIR, "bench/exec_storm")
BIRTHS = ("fork", "vfork", "clone", "clone3")
HANG = 120.0                            # hang guard of every wait, seconds


def real(path):
    return os.path.realpath(path)


def skip_reason():
    return audit_skip_reason(SHELL, EXTENSION + ".so", THREADS_EXIT, WORKLOAD)


def read_text(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def live_status(session):
    """The audit_status row of the live capture."""
    rows = session.query("SELECT * FROM audit_status WHERE mode IN ('unicast', 'multicast')")
    if len(rows) != 1:
        raise AssertionError(f"expected one live audit_status row, got {rows!r}")
    return rows[0]


def warm_up(session):
    """Runs /bin/true MARKER-warmN until the capture shows one: events flow from here on (a
    multicast reader misses what happened before it joined). MARKER is its own, so the
    execs of the test's workload are all after this."""
    marker = "pl" + secrets.token_hex(5)
    deadline = time.monotonic() + HANG
    n = 0
    while True:
        n += 1
        subprocess.run(["/bin/true", f"{marker}-warm{n}"], check=True)
        rows = session.query("SELECT count(*) AS n FROM process_events "
                             f"WHERE cmdline LIKE '%{marker}-warm%'")
        if rows[0]["n"] > 0:
            return
        if time.monotonic() >= deadline:
            raise AssertionError(f"no exec of /bin/true {marker}-warmN seen in {HANG} s "
                                 f"({n} tried)")
        time.sleep(0.2)


def wait_for_exit(session, pid):
    """Polls until the capture holds pid's exit_group (which also means, events being ordered by
    serial, that everything the kernel logged before it is in)."""
    session.poll(f"SELECT count(*) AS n FROM process_events WHERE pid = {pid} "
                 "AND syscall = 'exit_group'", lambda rows: rows[0]["n"] > 0, timeout=HANG)


def syscall_names(rules, arch):
    """The syscalls the always,exit rules for arch name (-S lists, as auditctl -l prints)."""
    names = set()
    for rule in rules:
        words = rule.split()
        if "always,exit" in words and f"arch={arch}" in words:
            for i, w in enumerate(words[:-1]):
                if w == "-S":
                    names.update(words[i + 1].split(","))
    return names


def log_execs(log_path, marker):
    """(pid, exe, argv) of every exec record in a RAW auditd log with marker in an argument."""
    syscalls, argvs = {}, {}
    arg = re.compile(r' a(\d+)=(?:"([^"]*)"|([0-9A-F]+))(?= |$)')
    with open(log_path, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            m = re.match(r"type=(SYSCALL|EXECVE) msg=audit\([0-9.]+:(\d+)\): (.*)", line)
            if not m:
                continue
            kind, serial, body = m.groups()
            if kind == "SYSCALL" and " syscall=59 " in f" {body} ":
                fields = dict(kv.split("=", 1) for kv in body.split() if "=" in kv)
                syscalls[serial] = (int(fields["pid"]), fields["exe"].strip('"'))
            elif kind == "EXECVE":
                args = sorted((int(a[1]), a[2] if a[2] is not None else
                               bytes.fromhex(a[3]).decode()) for a in arg.finditer(body))
                argvs[serial] = tuple(a for _, a in args)
    return {(*syscalls[s], argv) for s, argv in argvs.items()
            if s in syscalls and any(marker in a for a in argv)}


class MarkerWorkload:
    """Processes with a unique marker in their argv, run one after another, each waited for:

      true      /bin/true M-true
      rel       /bin/sh -c 'cd /bin && ./echo M-rel': a relative exec, its cwd behind a symlink
      L1..L5    /bin/sh -c '...; exit 1k' M-Lk nested five deep; the innermost runs
      leaf      /bin/true M-leaf; each level exits 10+k after its child
      ns        unshare --pid --fork /bin/sh -c '/bin/true M-ns; exit 3': true is pid 2 inside
      threads   threads_exit M-threads: three threads exit (syscall exit), then exit_group(7)
      kill      /bin/sleep named M-kill (argv[0]), killed with SIGKILL: no exit_group
      final     /bin/true M-final, once all the others have ended
    """

    def __init__(self, cwd):
        self.marker = "pl" + secrets.token_hex(5)
        self.cwd = cwd
        self.pids = {}
        self.tids = []

    def _run(self, name, argv, status, executable=None):
        proc = subprocess.run(argv, cwd=self.cwd, capture_output=True, text=True,
                              executable=executable, timeout=HANG)
        if proc.returncode != status:
            raise AssertionError(f"{name}: {argv} exited {proc.returncode}, not {status}: "
                                 f"{proc.stderr.strip()}")
        return proc

    def run(self):
        m = self.marker
        started = []

        def start(name, argv, **kwargs):
            proc = subprocess.Popen(argv, cwd=self.cwd, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True, **kwargs)
            started.append(proc)
            self.pids[name] = proc.pid
            return proc

        def finish(proc, status):
            out, err = proc.communicate(timeout=HANG)
            if proc.returncode != status:
                raise AssertionError(f"{proc.args} exited {proc.returncode}, not {status}: "
                                     f"{err.strip()}")
            return out

        try:
            finish(start("true", ["/bin/true", f"{m}-true"]), 0)
            out = finish(start("rel", ["/bin/sh", "-c", f"cd /bin && ./echo {m}-rel"]), 0)
            assert out == f"{m}-rel\n", out
            script = f"/bin/true {m}-leaf"
            for level in range(5, 1, -1):
                script = f"/bin/sh -c {shlex.quote(f'{script}; exit {10 + level}')} {m}-L{level}"
            finish(start("L1", ["/bin/sh", "-c", f"{script}; exit 11", f"{m}-L1"]), 11)
            finish(start("ns", ["unshare", "--pid", "--fork", "/bin/sh", "-c",
                                f"/bin/true {m}-ns; exit 3"]), 3)
            out = finish(start("threads", [THREADS_EXIT, f"{m}-threads"]), 7)
            self.tids = [int(t) for t in out.strip().split("=", 1)[1].split(",")]
            sleeper = start("kill", [f"{m}-kill", "1000"], executable="/bin/sleep")
            # Asleep in user space's nanosleep: its execve has returned, its record is out.
            deadline = time.monotonic() + HANG
            while "nanosleep" not in read_text(f"/proc/{sleeper.pid}/wchan"):
                if time.monotonic() > deadline:
                    raise AssertionError(f"{sleeper.args} did not start sleeping")
                time.sleep(0.01)
            sleeper.send_signal(signal.SIGKILL)  # by pid: the one we started
            finish(sleeper, -signal.SIGKILL)
            finish(start("final", ["/bin/true", f"{m}-final"]), 0)
        finally:
            for proc in started:  # only if something above failed halfway
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        return self

    def check(self, test, session, key=None):
        """The capture's rows for every process, as the kernel ran it. key: the rule key the
        exec rows must carry (None: not checked)."""
        m, pids = self.marker, self.pids
        wait_for_exit(session, pids["final"])
        execs = session.query(
            "SELECT eid, pid, ppid, parent, parent_path, ns_pid, syscall, path, cwd, argv, "
            "cmdline, uid, auid, key, success FROM process_events "
            f"WHERE syscall IN ('execve', 'execveat') AND cmdline LIKE '%{m}%' ORDER BY eid")
        by_argv = {}
        for row in execs:
            argv = tuple(json.loads(row["argv"]))
            test.assertNotIn(argv, by_argv, f"exec of {argv} twice: {row} {by_argv.get(argv)}")
            by_argv[argv] = row
        health = session.query("SELECT lost_since_start, serial_gaps, queue_drops, "
                               "socket_overruns, late_events FROM audit_status "
                               "WHERE mode IN ('unicast', 'multicast')")
        shown = "\n".join(map(str, execs)) + f"\naudit_status: {health}"

        def exec_of(*argv):
            test.assertIn(argv, by_argv, f"no exec row with argv {argv}; marker execs:\n{shown}")
            return by_argv[argv]

        def level(k):
            rows = [r for a, r in by_argv.items() if a[-1] == f"{m}-L{k}"]
            test.assertEqual(len(rows), 1, f"exec of level {k}:\n{shown}")
            return rows[0]

        with open("/proc/self/loginuid") as f:
            loginuid = int(f.read())
        sh = real("/bin/sh")
        rows = {name: exec_of("/bin/true", f"{m}-{name}") for name in ("true", "leaf", "ns",
                                                                       "final")}
        rows["rel"] = exec_of("./echo", f"{m}-rel")
        rows.update({f"L{k}": level(k) for k in range(1, 6)})
        rows["ns_sh"] = exec_of("/bin/sh", "-c", f"/bin/true {m}-ns; exit 3")
        rows["threads"] = exec_of(THREADS_EXIT, f"{m}-threads")
        rows["kill"] = exec_of(f"{m}-kill", "1000")
        for name, row in rows.items():
            with test.subTest(exec=name):
                test.assertEqual((row["syscall"], row["success"], row["uid"], row["auid"]),
                                 ("execve", 1, 0, loginuid), row)
                if key is not None:
                    test.assertEqual(row["key"], key, row)

        ends = {}
        for row in session.query(
                "SELECT eid, pid, exit_code FROM process_events WHERE syscall = 'exit_group' "
                f"AND pid IN ({', '.join(str(r['pid']) for r in rows.values())}) ORDER BY eid"):
            ends.setdefault(row["pid"], []).append(row)

        def exit_code(name):
            row = rows[name]
            after = [e for e in ends.get(row["pid"], []) if e["eid"] > row["eid"]]
            test.assertEqual(len(after), 1, f"{name}: exit_group rows after the exec {row}")
            return after[0]["exit_code"]

        with test.subTest(case="true"):
            r = rows["true"]
            test.assertEqual((r["pid"], r["ppid"], r["parent"], r["path"], r["cwd"]),
                             (pids["true"], os.getpid(), os.getpid(), real("/bin/true"),
                              real(self.cwd)))
            test.assertEqual(exit_code("true"), 0)

        with test.subTest(case="relative exec"):
            r = rows["rel"]
            test.assertEqual((r["path"], r["cwd"]), (real("/bin/echo"), real("/bin")), r)
            # dash may exec the last command itself or fork for it
            test.assertIn(pids["rel"], (r["pid"], r["parent"]), r)
            test.assertEqual(exit_code("rel"), 0)

        with test.subTest(case="tree"):
            test.assertEqual(rows["L1"]["pid"], pids["L1"])
            chain = [rows[f"L{k}"] for k in range(1, 6)] + [rows["leaf"]]
            for up, down in zip(chain, chain[1:]):
                test.assertNotEqual(down["pid"], up["pid"])
                test.assertEqual((down["parent"], down["ppid"], down["parent_path"]),
                                 (up["pid"], up["pid"], sh), down)
            for k in range(1, 6):
                test.assertEqual(rows[f"L{k}"]["path"], sh)
                test.assertEqual(exit_code(f"L{k}"), 10 + k)
            test.assertEqual(exit_code("leaf"), 0)

        with test.subTest(case="pid namespace"):
            unshare = exec_of("unshare", "--pid", "--fork", "/bin/sh", "-c",
                              f"/bin/true {m}-ns; exit 3")
            ns_sh, ns_true = rows["ns_sh"], rows["ns"]
            test.assertEqual(unshare["pid"], pids["ns"])
            test.assertEqual(ns_sh["parent"], unshare["pid"], ns_sh)
            test.assertEqual((ns_true["parent"], ns_true["ns_pid"]), (ns_sh["pid"], 2), ns_true)
            test.assertNotEqual(ns_true["pid"], 2)
            test.assertEqual((exit_code("ns_sh"), exit_code("ns")), (3, 0))

        with test.subTest(case="threads"):
            r = rows["threads"]
            p = r["pid"]
            test.assertEqual(p, pids["threads"])
            after = session.query(
                "SELECT eid, pid, parent, syscall, exit_code FROM process_events "
                f"WHERE (pid = {p} OR parent = {p}) AND eid > {r['eid']} ORDER BY eid")
            # Its own birth row may come after its exec (the parent's vfork returns once the
            # child has exec'd); nothing else but the thread exits and its exit_group.
            after = [x for x in after if not (x["pid"] == p and x["syscall"] in BIRTHS)]
            test.assertEqual([(x["pid"], x["syscall"], x["exit_code"]) for x in after],
                             [(p, "exit", None)] * 3 + [(p, "exit_group", 7)])
            tids = ", ".join(map(str, self.tids))
            test.assertEqual(session.query("SELECT pid, syscall FROM process_events "
                                           f"WHERE pid IN ({tids})"), [])

        with test.subTest(case="killed by SIGKILL"):
            r = rows["kill"]
            test.assertEqual((r["pid"], r["path"]), (pids["kill"], real("/bin/sleep")))
            test.assertEqual(session.query(
                "SELECT eid, syscall FROM process_events WHERE syscall NOT IN "
                f"{BIRTHS} AND pid = {r['pid']} AND eid > {r['eid']}"), [])
        return execs


class LiveTestCase(unittest.TestCase):
    """Holds the host lock; at the end (also after a failure): our procaudit processes are
    gone and the audit state is exactly what it was."""

    @classmethod
    def setUpClass(cls):
        skip_for(skip_reason(), "skipping the live capture tests")

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="procaudit-live-")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        lock = host_lock(timeout=600)
        lock.__enter__()
        self.addCleanup(lock.__exit__, None, None, None)
        # The shell starts live accounting beside the capture: it must be given back too.
        self.acct_kept = AccountingKept()
        self.acct_kept.__enter__()
        self.addCleanup(self.check_accounting_restored)
        self.before = read_state()
        owner = int(self.before.status["pid"])
        if owner != 0:
            self.skipTest(f"the audit pid is owned by pid {owner}: the host is not idle")
        stale = rules_with_key(KEY, self.before.rules)
        self.assertEqual(stale, [], "procaudit's rules are loaded before the test (left by "
                                    "an earlier run?)")
        self.addCleanup(self.check_state_restored)
        self.sessions = []  # ShellSession, ExtensionSession, or a bare Popen of procaudit
        self.addCleanup(end_sessions, self.sessions)

    def shell(self, *args):
        session = ShellSession(SHELL, args)
        self.sessions.append(session)
        return session

    def extension(self):
        session = ExtensionSession(EXTENSION)
        self.sessions.append(session)
        return session

    def spawn(self, *args):
        """procaudit ARGS with its output on pipes, ended at cleanup like the sessions."""
        proc = subprocess.Popen([SHELL, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.sessions.append(proc)
        return proc

    def check_accounting_restored(self):
        self.acct_kept.pids = [session.pid for session in self.sessions]
        self.acct_kept.__exit__(None, None, None)

    def check_state_restored(self):
        after = read_state()
        if after == self.before:
            return
        left = restore_state(self.before, (KEY, AUDITD_KEY, DECOY_KEY))
        # What the dead captures' state files would have the next start undo is undone: they
        # would only make the next test's procaudit warn.
        for session in self.sessions:
            path = os.path.join(STATE_DIR, f"live.{session.pid}.state")
            proc = session if isinstance(session, subprocess.Popen) else session.proc
            if os.path.exists(path) and proc.poll() is not None:
                os.unlink(path)
        self.fail(f"the audit state differs from before the test: {self.before.diff(after)}; "
                  + (f"the cleanup could not restore it either: {left}" if left else
                     "the test's cleanup restored it"))

    def assertStateIs(self, want, what="the audit state"):
        now = read_state()
        self.assertEqual(now, want, f"{what}: {want.diff(now)}")

    def assertOwnsAuditPid(self, session, others=None, never_self=True):
        """The kernel side (auditctl): session's procaudit became the audit pid (waited for
        with the hang guard, nothing sent to it: a shell starts capturing by itself), with
        its settings and its rules: both arches, every process syscall, and a never-rule for
        its own pid when never_self (the shell's; a program that loaded the extension sees its
        own children). others: the rules loaded besides procaudit's (default: those before
        the test)."""
        def set_up(state):  # the start's last steps done: its rules loaded, audit enabled
            ours = rules_with_key(KEY, state.rules)
            return (state.status["pid"] == str(session.pid) and state.status["enabled"] == "1"
                    and all(syscall_names(ours, a) == set(DEFAULT_SYSCALLS)
                            for a in ("b64", "b32")))

        deadline = time.monotonic() + HANG
        while not set_up(state := read_state()):
            if session.proc.poll() is not None or time.monotonic() > deadline:
                self.fail(f"procaudit (pid {session.pid}) did not become the audit pid with its "
                          f"rules: {state!r}; its stderr: {session.stderr!r}")
            time.sleep(0.05)
        self.assertEqual({k: state.status[k] for k in ("enabled", "backlog_limit",
                                                       "backlog_wait_time")},
                         {"enabled": "1", "backlog_limit": "8192", "backlog_wait_time": "0"})
        ours = rules_with_key(KEY, state.rules)
        for arch in ("b64", "b32"):
            self.assertEqual(syscall_names(ours, arch), set(DEFAULT_SYSCALLS), (arch, ours))
        never = [r for r in ours if r.split()[1].startswith("never,")]
        self.assertEqual([f"pid={session.pid}" in r.split() for r in never],
                         [True] if never_self else [], f"never-rules in {ours}")
        self.assertEqual(len(set(state.rules)), len(state.rules), state.rules)
        self.assertEqual([r for r in state.rules if r not in ours],
                         self.before.rules if others is None else others)
        return state

    def assertLiveStatus(self, session, mode, owner, **more):
        """audit_status's live row agrees with the kernel (auditctl, read just before), and has
        the values in more. A subtest: the test goes on to stop procaudit when it fails."""
        with self.subTest(check="audit_status"):
            state = read_state()
            st = live_status(session)
            want = {"mode": mode, "owner_pid": owner, "live": 1, "lost_since_start": 0,
                    "enabled": int(state.status["enabled"]),
                    "backlog_limit": int(state.status["backlog_limit"]),
                    "backlog_wait_time": int(state.status["backlog_wait_time"]),
                    "rules_installed": len(rules_with_key(KEY, state.rules)),
                    "rules_loaded": len(state.rules), "process_rules": 1, **more}
            self.assertEqual({k: st.get(k) for k in want}, want, st)
            self.assertGreater(st["process_events"], 0)


class LiveShellTest(LiveTestCase, WorkloadChecks):
    """The shell in script mode (SQL on a stdin pipe), auto mode, nobody owning the audit pid."""

    def test_unicast_capture_of_the_marker_workload(self):
        s = self.shell()
        lost = int(self.assertOwnsAuditPid(s).status["lost"])
        w = MarkerWorkload(self.tmp)
        warm_up(s)
        w.run().check(self, s, key=KEY)
        self.assertEqual(int(read_state().status["lost"]), lost, "the kernel lost records")
        self.assertLiveStatus(s, "unicast", s.pid, queue_drops=0, ring_evicted=0)
        s.stop(signal.SIGTERM)
        self.assertStateIs(self.before, "after SIGTERM")

    def test_exec_burst_from_two_workers_is_captured_whole(self):
        """10,000 fork+exec of /bin/true from two exec_storm processes at once: every exec is
        in process_events when the kernel lost nothing (bench/live_storm.py does 20,000)."""
        if not os.access(EXEC_STORM, os.X_OK):
            self.skipTest(f"{EXEC_STORM} is not built (PROCAUDIT_BENCH=OFF)")
        s = self.shell()
        lost = int(self.assertOwnsAuditPid(s).status["lost"])
        warm_up(s)
        workers = [subprocess.Popen([EXEC_STORM, "--count", "5000"], stdout=subprocess.PIPE,
                                    text=True) for _ in range(2)]
        outs = [w.communicate(timeout=HANG)[0] for w in workers]
        self.assertEqual([w.returncode for w in workers], [0, 0], outs)
        self.assertEqual(int(read_state().status["lost"]), lost, "the kernel lost records")
        last = subprocess.Popen(["/bin/true", "last-after-the-burst"])
        last.wait()
        wait_for_exit(s, last.pid)
        pids = ", ".join(str(w.pid) for w in workers)
        rows = s.query("SELECT count(*) AS n, count(DISTINCT pid) AS pids FROM process_events "
                       f"WHERE syscall = 'execve' AND path = '{real('/bin/true')}' "
                       f"AND ppid IN ({pids})")
        health = s.query("SELECT serial_gaps, queue_drops, socket_overruns FROM audit_status "
                         "WHERE mode = 'unicast'")
        self.assertEqual(rows, [{"n": 10000, "pids": 10000}], health)
        self.assertEqual(health, [{"serial_gaps": 0, "queue_drops": 0, "socket_overruns": 0}])
        s.stop(signal.SIGTERM)
        self.assertStateIs(self.before, "after SIGTERM")

    def test_workload_cases_as_in_a_recorded_log(self):
        """run_workload.sh's cases (argv torture, execveat, memfd, i386, ...) captured live
        pass the same checks as their recorded logs (test_audit_replay.WorkloadChecks)."""
        s = self.shell()
        lost = int(self.assertOwnsAuditPid(s).status["lost"])
        warm_up(s)
        manifest = os.path.join(self.tmp, "workload.manifest")
        env = dict(os.environ, PROCAUDIT_WORKLOAD_DIR=os.path.join(self.tmp, "workload"))
        subprocess.run([WORKLOAD, manifest], env=env, check=True, timeout=HANG)
        final = subprocess.Popen(["/bin/true", "last-after-the-workload"])
        final.wait()
        wait_for_exit(s, final.pid)
        self.check_workload(s.query, manifest)
        self.assertEqual(int(read_state().status["lost"]), lost, "the kernel lost records")
        self.assertLiveStatus(s, "unicast", s.pid)
        s.stop(signal.SIGTERM)
        self.assertStateIs(self.before, "after SIGTERM")

    def test_every_way_out_restores_the_state(self):
        for way in ("end of input", "a failing statement", "SIGHUP", "SIGINT"):
            with self.subTest(way=way):
                s = self.shell()
                self.assertOwnsAuditPid(s)
                if way == "end of input":
                    s.close_input()
                    self.assertEqual(s.wait(HANG), 0, s.stderr)
                elif way == "a failing statement":
                    with self.assertRaises(SessionError):
                        s.query("SELECT no_such_column FROM process_events")
                    self.assertNotEqual(s.wait(HANG), 0)
                    self.assertIn("no_such_column", s.stderr)
                else:
                    s.stop(getattr(signal, way), HANG)
                self.assertStateIs(self.before, f"after {way}")

    def test_one_shot_starts_on_first_use_and_restores(self):
        proc = self.spawn("--json", "SELECT count(*) >= 0 AS ok FROM process_events",
                          "SELECT mode, owner_pid FROM audit_status WHERE mode IS NOT NULL")
        out, err = (b.decode() for b in proc.communicate(timeout=HANG))
        self.assertStateIs(self.before, "after a one-shot query")
        self.assertEqual(err, "")
        decoder, results, pos = json.JSONDecoder(), [], 0
        while pos < len(out.rstrip()):
            value, pos = decoder.raw_decode(out, pos)
            results.append(value)
            pos += len(out[pos:]) - len(out[pos:].lstrip())
        self.assertEqual(results, [[{"ok": 1}], [{"mode": "unicast", "owner_pid": proc.pid}]])
        self.assertEqual(proc.returncode, 0)

    def test_follow_prints_new_rows_as_json_lines(self):
        m = "pl" + secrets.token_hex(5)
        sql = ("SELECT pid, path, cmdline FROM process_events "
               f"WHERE syscall = 'execve' AND cmdline LIKE '%{m}%'")
        proc = self.spawn("--follow", "--json", sql)
        follow = FollowReader(proc)

        def printed(want):
            return lambda rows: want <= {(r["pid"], r["path"], r["cmdline"]) for r in rows}

        deadline, n, warm = time.monotonic() + HANG, 0, set()
        while True:  # until the capture delivers one of them
            n += 1
            p = subprocess.Popen(["/bin/true", f"{m}-warm{n}"])
            p.wait()
            warm.add((p.pid, real("/bin/true"), f"/bin/true {m}-warm{n}"))
            if follow.read(lambda rows: warm & {(r["pid"], r["path"], r["cmdline"])
                                                for r in rows}, 1.0):
                break
            if time.monotonic() > deadline:
                self.fail(f"--follow printed {follow.rows} for {n} warm-up execs")
        want = set()
        for argv, path, cmdline in (
                (["/bin/true", f"{m}-a"], "/bin/true", f"/bin/true {m}-a"),
                (["/bin/echo", f"{m}-b"], "/bin/echo", f"/bin/echo {m}-b"),
                (["/bin/sh", "-c", f"cd /bin && exec ./true {m}-c"], "/bin/true",
                 f"./true {m}-c")):
            p = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
            p.wait()
            want.add((p.pid, real(path), cmdline))
        self.assertTrue(follow.read(printed(want), HANG),
                        f"--follow printed {follow.rows}, not all of {want}")
        for row in follow.rows:
            self.assertEqual(set(row), {"pid", "path", "cmdline"}, row)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=HANG)
        self.assertEqual(proc.returncode, 0, err)
        self.assertStateIs(self.before, "after --follow ended with SIGTERM")


class LiveExtensionTest(LiveTestCase):
    """libprocaudit in Python's sqlite3 module, in a child process: the first SELECT of
    process_events starts the capture; closing the connection, or the process ending, stops it."""

    def test_first_select_starts_capture_and_close_restores(self):
        e = self.extension()
        self.assertStateIs(self.before, "after load_extension alone")
        e.query("SELECT count(*) AS n FROM process_events")
        lost = int(self.assertOwnsAuditPid(e, never_self=False).status["lost"])
        w = MarkerWorkload(self.tmp)
        warm_up(e)
        w.run().check(self, e, key=KEY)
        self.assertEqual(int(read_state().status["lost"]), lost, "the kernel lost records")
        self.assertLiveStatus(e, "unicast", e.pid, queue_drops=0, ring_evicted=0)
        e.close()
        self.assertIsNone(e.proc.poll(), "the process ended at close")
        self.assertStateIs(self.before, "after conn.close(), the process still running")
        e.close_input()
        self.assertEqual(e.wait(HANG), 0, e.stderr)

    def test_process_end_without_close_restores(self):
        e = self.extension()
        e.query("SELECT count(*) AS n FROM process_events")
        self.assertOwnsAuditPid(e, never_self=False)
        e.close_input()  # returns from its main loop, the connection still open
        self.assertEqual(e.wait(HANG), 0, e.stderr)
        self.assertStateIs(self.before, "after the process ended")


class CoexistenceTest(LiveTestCase):
    """A private auditd owns the audit pid (RAW log, the process rules under its own key):
    procaudit reads the multicast group beside it and never takes over."""

    def auditd(self):
        return PrivateAuditd(os.path.join(self.tmp, "auditd"), key=AUDITD_KEY,
                             log_format="RAW", rules=DEFAULT_RULES)

    def test_auditd_keeps_the_pid_and_both_see_the_same_execs(self):
        with self.auditd() as audit:
            with_auditd = read_state()
            s = self.shell()
            w = MarkerWorkload(self.tmp)
            warm_up(s)
            self.assertStateIs(with_auditd, "with procaudit running beside auditd")
            size = audit.wait_flushed()
            execs = w.run().check(self, s, key=AUDITD_KEY)
            self.assertGreater(audit.wait_flushed(), size, "auditd's log stopped growing")
            self.assertEqual({(r["pid"], r["path"], tuple(json.loads(r["argv"]))) for r in execs},
                             log_execs(audit.log_path, w.marker))
            self.assertLiveStatus(s, "multicast", audit.auditd_pid, rules_installed=0)
            s.stop(signal.SIGTERM)
            self.assertStateIs(with_auditd, "after procaudit stopped, auditd still running")
        self.assertStateIs(self.before, "after both stopped")

    def test_audit_rules_add_installs_its_rules_while_it_runs(self):
        with self.auditd() as audit:
            with_auditd = read_state()
            s = self.shell("--audit-rules", "add")
            warm_up(s)
            during = read_state()
            ours = rules_with_key(KEY, during.rules)
            self.assertEqual(syscall_names(ours, "b64"), set(DEFAULT_SYSCALLS), ours)
            self.assertEqual([r for r in during.rules if r not in ours], with_auditd.rules)
            self.assertEqual({k: during.status[k] for k in ("pid", "enabled", "backlog_limit")},
                             {k: with_auditd.status[k] for k in ("pid", "enabled",
                                                                 "backlog_limit")})
            self.assertLiveStatus(s, "multicast", audit.auditd_pid)
            s.stop(signal.SIGTERM)
            self.assertStateIs(with_auditd, "after procaudit stopped, auditd still running")
        self.assertStateIs(self.before, "after both stopped")

    def test_explicit_unicast_refuses_while_auditd_owns_the_pid(self):
        with self.auditd() as audit:
            with_auditd = read_state()
            r = run([SHELL, "--audit-mode", "unicast", "SELECT count(*) FROM process_events"],
                    timeout=HANG)
            self.assertNotEqual(r.returncode, 0, r.stdout)
            self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
            self.assertIn(str(audit.auditd_pid), r.stderr)
            self.assertEqual(r.stdout, "")
            self.assertStateIs(with_auditd, "after the refused start")
        self.assertStateIs(self.before, "after auditd stopped")


class CrashTest(LiveTestCase):
    """A capture killed with SIGKILL leaves its rules and settings; the next start cleans up."""

    def test_next_start_after_sigkill_cleans_up_only_its_own(self):
        # A rule whose key starts with procaudit's: `auditctl -D -k procaudit` would delete it.
        decoy = ["always,exit", "-F", "arch=b64", "-S", "getpgid", "-k", DECOY_KEY]
        subprocess.run(["auditctl", "-a", *decoy], check=True, capture_output=True)
        self.addCleanup(subprocess.run, ["auditctl", "-d", *decoy], capture_output=True)
        with_decoy = read_state()

        first = self.shell()
        killed_rules = rules_with_key(KEY, self.assertOwnsAuditPid(first, with_decoy.rules).rules)
        self.assertTrue(os.path.isdir(STATE_DIR) and os.listdir(STATE_DIR),
                        f"no state file in {STATE_DIR} while capturing")
        self.assertEqual(first.stop(signal.SIGKILL), -signal.SIGKILL)
        left = read_state()
        self.assertEqual(rules_with_key(KEY, left.rules), killed_rules, "the killed run's rules")
        self.assertTrue(os.listdir(STATE_DIR), f"{STATE_DIR} is empty after SIGKILL")
        # The kernel drops the dead owner when sending it the next record fails.
        deadline = time.monotonic() + HANG
        while read_state().status["pid"] == str(first.pid):
            self.assertLess(time.monotonic(), deadline, "the kernel kept the dead audit pid")
            subprocess.run(["/bin/true"])
            time.sleep(0.1)

        second = self.shell()
        during = self.assertOwnsAuditPid(second, with_decoy.rules)
        ours = rules_with_key(KEY, during.rules)
        self.assertEqual(sorted(r.replace(f"pid={second.pid}", "pid=P") for r in ours),
                         sorted(r.replace(f"pid={first.pid}", "pid=P") for r in killed_rules))
        warm_up(second)
        second.stop(signal.SIGTERM)
        self.assertStateIs(with_decoy, "after the second run (the decoy rule still loaded)")
        self.assertEqual(os.listdir(STATE_DIR) if os.path.isdir(STATE_DIR) else [], [],
                         "state files left after a clean exit")


class UnprivilegedTest(LiveTestCase):
    """As nobody, live capture is refused with the capability it needs; /proc tables work."""

    def as_nobody(self, sql):
        return run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", SHELL, sql],
                   timeout=HANG)

    def test_process_events_names_the_missing_capability(self):
        r = self.as_nobody("SELECT count(*) FROM process_events")
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
        self.assertRegex(r.stderr, r"CAP_AUDIT_(CONTROL|READ)")
        r = self.as_nobody("SELECT count(*) > 0 FROM process_tree")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "1\n", ""))
        self.assertStateIs(self.before)


class FollowReader:
    """The JSON lines a --follow process prints, read as they come."""

    def __init__(self, proc):
        self.proc = proc
        self.rows = []
        self.buf = b""

    def read(self, until, timeout):
        """Reads lines until until(rows) (True) or for timeout seconds (False); AssertionError
        when the process ends."""
        deadline = time.monotonic() + timeout
        while not until(self.rows):
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            ready, _, _ = select.select([self.proc.stdout], [], [], min(0.5, left))
            if not ready:
                continue
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                raise AssertionError(f"--follow ended ({self.proc.wait()}) after {self.rows}: "
                                     f"{self.proc.stderr.read().decode(errors='replace')}")
            self.buf += chunk
            *lines, self.buf = self.buf.split(b"\n")
            for line in filter(bytes.strip, lines):
                try:
                    row = json.loads(line)
                except ValueError:
                    row = None
                if not isinstance(row, dict):
                    raise AssertionError(f"--follow --json printed a line that is not one JSON "
                                         f"object: {line!r}")
                self.rows.append(row)
        return True


if __name__ == "__main__":
    unittest.main()
