"""Drive a running procaudit with live capture: SQL in, rows out, while it keeps capturing.

Two kinds of session answer query(sql) with a list of dicts:

    ShellSession(shell, args)     the procaudit shell in script mode: statements written to its
                                  stdin pipe (so live capture starts at start), --json answers
                                  read back from its stdout
    ExtensionSession(extension)   a child Python whose sqlite3 connection loaded libprocaudit
                                  (live capture starts on the first SELECT of process_events)

    with ShellSession("build/procaudit") as s:
        s.query("SELECT mode, owner_pid FROM audit_status")
        rows = s.poll("SELECT pid FROM process_events WHERE cmdline LIKE '%x%'", len)
        s.stop(signal.SIGTERM)

Every wait has a hang guard (`timeout`, generous: a noisy host is slow, and no test measures
time with it); when it expires, or procaudit exits instead of answering, SessionError says so
with procaudit's stderr. Leaving the with block ends the child by its pid (SIGTERM, then SIGKILL)
if it still runs. Used by tests/e2e/test_audit_live.py and bench/live_storm.py.

Python 3.11 standard library only.
"""
from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
import time

import extension_host  # beside this file

SENTINEL_COLUMN = "procaudit_live_sentinel"


class SessionError(AssertionError):
    """procaudit did not answer: it exited, failed the statement, or the hang guard expired."""


def cpu_seconds(pid: int) -> float:
    """utime + stime of every thread of pid so far (/proc/PID/stat), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _Session:
    """What both kinds share: the child, its stderr collected by a thread, stop()."""

    proc: subprocess.Popen

    def _collect_stderr(self):
        self._stderr: list[bytes] = []

        def drain():
            for chunk in iter(lambda: self.proc.stderr.read1(65536), b""):
                self._stderr.append(chunk)
        self._stderr_thread = threading.Thread(target=drain, daemon=True)
        self._stderr_thread.start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def stderr(self) -> str:
        return b"".join(self._stderr).decode(errors="replace")

    def wait(self, timeout: float = 60.0) -> int:
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise SessionError(f"pid {self.pid} did not exit within {timeout} s; "
                               f"stderr: {self.stderr!r}") from None
        self._stderr_thread.join(timeout=5)
        return code

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60.0) -> int:
        """Sends sig to the child (by pid) and returns its exit status (-N: killed by N)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.wait(timeout)

    def end(self) -> None:
        """However the test went: the child is gone afterwards (SIGTERM, then SIGKILL)."""
        if self.proc.poll() is None:
            try:
                self.stop(signal.SIGTERM, timeout=30)
            except SessionError:
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream:
                try:
                    stream.close()
                except OSError:
                    pass

    def poll(self, sql: str, until, timeout: float = 120.0, every: float = 0.2) -> list[dict]:
        """Re-runs sql until until(rows) is true; returns those rows. SessionError with the last
        rows when the hang guard expires."""
        deadline = time.monotonic() + timeout
        while True:
            rows = self.query(sql)
            if until(rows):
                return rows
            if time.monotonic() >= deadline:
                raise SessionError(f"after {timeout} s, still {rows!r} for: {sql}")
            time.sleep(every)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.end()
        return False


class ShellSession(_Session):
    """procaudit reading statements from a pipe (script mode), answering in --json."""

    def __init__(self, shell: str, args=(), env: dict | None = None, preexec_fn=None):
        self.argv = [shell, "--json", *args]
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env, preexec_fn=preexec_fn)
        self._collect_stderr()
        self._buf = b""
        self._count = 0

    def query(self, sql: str, timeout: float = 120.0) -> list[dict]:
        """Runs one statement; its rows (the last result set when it gives several)."""
        self._count += 1
        token = f"end-{self.pid}-{self._count}"
        try:
            self.proc.stdin.write(f"{sql.rstrip().rstrip(';')};\n"
                                  f"SELECT '{token}' AS {SENTINEL_COLUMN};\n".encode())
            self.proc.stdin.flush()
        except BrokenPipeError:
            raise SessionError(self._gone(sql)) from None
        results = self._read_until(token, sql, timeout)
        return results[-1] if results else []

    def _read_until(self, token: str, sql: str, timeout: float) -> list[list[dict]]:
        """Result sets printed before the sentinel's; the output stays in order."""
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        decoder = json.JSONDecoder()
        while True:
            text = self._buf.decode(errors="replace")
            results, pos = [], 0
            while True:
                while pos < len(text) and text[pos].isspace():
                    pos += 1
                try:
                    value, pos = decoder.raw_decode(text, pos)
                except json.JSONDecodeError:
                    break
                if value == [{SENTINEL_COLUMN: token}]:
                    self._buf = text[pos:].encode()
                    return results
                results.append(value)
            left = deadline - time.monotonic()
            if left <= 0:
                raise SessionError(f"procaudit (pid {self.pid}) gave no answer within {timeout} "
                                   f"s to: {sql}; output so far: {text[-2000:]!r}; stderr: "
                                   f"{self.stderr!r}")
            ready, _, _ = select.select([fd], [], [], min(left, 0.5))
            if ready:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    raise SessionError(self._gone(sql))
                self._buf += chunk

    def _gone(self, sql: str) -> str:
        code = self.proc.poll()
        if code is None:
            try:
                code = self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                code = "still running"
        self._stderr_thread.join(timeout=5)
        return (f"procaudit (pid {self.pid}) ended (status {code}) instead of answering: {sql}; "
                f"stderr: {self.stderr!r}")

    def close_input(self) -> None:
        """End of the script: procaudit finishes and exits by itself."""
        self.proc.stdin.close()


# The child of ExtensionSession: one JSON command per stdin line, one JSON answer per line.
_EXTENSION_CHILD = r"""
import json, sqlite3, sys
conn = sqlite3.connect(":memory:")
conn.enable_load_extension(True)
conn.load_extension(sys.argv[1])
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    cmd = json.loads(line)
    try:
        if cmd["op"] == "query":
            cur = conn.execute(cmd["sql"])
            names = [d[0] for d in cur.description or ()]
            answer = {"rows": [dict(zip(names, row)) for row in cur.fetchall()]}
        elif cmd["op"] == "close":
            conn.close()
            answer = {"closed": True}
        else:
            answer = {"error": "unknown op " + cmd["op"]}
    except sqlite3.Error as e:
        answer = {"error": str(e)}
    print(json.dumps(answer), flush=True)
"""


class ExtensionSession(_Session):
    """A child Python process with libprocaudit loaded into one sqlite3 connection. Its end:
    close() closes the connection (the child keeps running), close_input() lets it return
    from its main loop and exit normally."""

    def __init__(self, extension: str, python: str = sys.executable, env: dict | None = None):
        self.proc = subprocess.Popen([python, "-c", _EXTENSION_CHILD, extension],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE,
                                     env=extension_host.host_env(env, python=True))
        self._collect_stderr()
        self._call(None, "load the extension")

    def _call(self, cmd: dict | None, what: str, timeout: float = 120.0) -> dict:
        try:
            if cmd is not None:
                self.proc.stdin.write((json.dumps(cmd) + "\n").encode())
                self.proc.stdin.flush()
        except BrokenPipeError:
            raise SessionError(f"the extension's process ended; stderr: {self.stderr!r}") \
                from None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else b""
        if not line:
            raise SessionError(f"no answer from the extension's process (pid {self.pid}) to "
                               f"{what}; status {self.proc.poll()}; stderr: {self.stderr!r}")
        answer = json.loads(line)
        if "error" in answer:
            raise SessionError(f"{what}: {answer['error']}")
        return answer

    def query(self, sql: str, timeout: float = 120.0) -> list[dict]:
        return self._call({"op": "query", "sql": sql}, sql, timeout)["rows"]

    def close(self) -> None:
        self._call({"op": "close"}, "close the connection")

    def end(self) -> None:
        """A normal exit first (end of input): a signal would end it before the extension
        restores anything."""
        if self.proc.poll() is None:
            try:
                self.close_input()
                self.wait(30)
            except (OSError, SessionError):
                pass
        super().end()

    def close_input(self) -> None:
        self.proc.stdin.close()
